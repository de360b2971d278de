/*
 * fuzz_filter.c - fuzzes the run filter parser (tracker/query.h, MLflow's
 * grammar) through trk_filter_check. Invariant: the answer is 0 or an error
 * with a sentence; the same text gives the same answer twice (no state).
 */
#include "fuzz/fuzz.h"

#include "tracker/query.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (!text)
        return 0;
    char err[256] = "", err2[256] = "";
    int rc = trk_filter_check(text, err);
    if (rc != 0)
        FUZZ_ASSERT(fuzz_err_ok(err));
    int rc2 = trk_filter_check(text, err2);
    FUZZ_ASSERT(rc == rc2);
    FUZZ_ASSERT(rc == 0 || strcmp(err, err2) == 0);
    free(text);
    return 0;
}
