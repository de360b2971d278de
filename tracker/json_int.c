/*
 * json_int.c - exact 64-bit integers in JSON text (json_int.h).
 */
#include "tracker/json_int.h"

#include <inttypes.h>
#include <stdio.h>

cJSON *trk_json_int64(int64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "%" PRId64, v);
    return cJSON_CreateRaw(text);
}

int trk_json_add_int64(cJSON *obj, const char *key, int64_t v)
{
    cJSON *item = trk_json_int64(v);
    if (!item)
        return -1;
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return -1;
    }
    return 0;
}
