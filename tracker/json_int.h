/*
 * json_int.h - 64-bit integers in JSON output, exactly.
 *
 * cJSON keeps every number as a double, so an int64 above 2^53 (a trial seed)
 * would be printed rounded. These items print the integer's decimal digits as a
 * JSON number, so a reader that parses integers exactly (Python, jq 1.7, Go)
 * gets the stored value back.
 */
#ifndef TRK_JSON_INT_H
#define TRK_JSON_INT_H

#include <cjson/cJSON.h>
#include <stdint.h>

/* A JSON number item holding `v` exactly (a cJSON raw item: for printing, not
 * for cJSON_IsNumber). The caller owns it (cJSON_Delete, or add it to a parent).
 * NULL on out of memory. */
cJSON *trk_json_int64(int64_t v);

/* Adds trk_json_int64(v) to `obj` under `key`; 0, or -1 on out of memory. */
int trk_json_add_int64(cJSON *obj, const char *key, int64_t v);

#endif
