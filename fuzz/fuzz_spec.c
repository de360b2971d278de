/*
 * fuzz_spec.c - fuzzes the study-spec parser (experiments/spec.h).
 *
 * The input is taken as spec JSON text and given to exp_spec_parse without the
 * data-file check. Invariants: a refused spec has at least one error sentence;
 * an accepted spec prints canonical JSON that parses again and prints to the
 * same text (what `--resume` relies on when it compares stored specs).
 */
#include "fuzz/fuzz.h"

#include "experiments/spec.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (!text)
        return 0;
    exp_spec s, again;
    exp_errors errs = {0}, errs2 = {0};
    char *canon = NULL, *canon2 = NULL;
    int rc = exp_spec_parse(text, ".", 0, &s, &errs);
    if (rc != 0) {
        FUZZ_ASSERT(errs.n + errs.dropped > 0);
        for (int i = 0; i < errs.n; i++)
            FUZZ_ASSERT(errs.msg[i] && errs.msg[i][0] != '\0');
        goto done;
    }
    FUZZ_ASSERT(errs.n == 0);
    FUZZ_ASSERT(s.name && s.name[0] != '\0');
    canon = exp_spec_to_string(&s, 0);
    if (!canon)
        goto done;   /* out of memory */
    int rc2 = exp_spec_parse(canon, ".", 0, &again, &errs2);
    if (rc2 != 0)
        fprintf(stderr, "canonical text refused: %s\n%s\n", errs2.n ? errs2.msg[0] : "?", canon);
    FUZZ_ASSERT(rc2 == 0);
    canon2 = exp_spec_to_string(&again, 0);
    if (canon2 && strcmp(canon, canon2) != 0)
        fprintf(stderr, "canonical text not stable:\n%s\n%s\n", canon, canon2);
    FUZZ_ASSERT(!canon2 || strcmp(canon, canon2) == 0);
    exp_spec_free(&again);
    exp_spec_free(&s);
done:
    free(canon2);
    free(canon);
    exp_errors_free(&errs2);
    exp_errors_free(&errs);
    free(text);
    return 0;
}
