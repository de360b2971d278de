/*
 * tpe_group.c - the group decomposition of a conditional search space for TPE
 * (Optuna's group=True): the parameters are partitioned so that within a group
 * every observed trial has either all or none of them active. Each trial's set
 * of active parameters splits every group into its part inside and outside the
 * set, and the set's parameters not yet in any group form a new group.
 * Parameters no trial has active end up in one group each.
 */
#include <math.h>
#include <stdint.h>

#include "optimizer/internal.h"

int opt_tpe_groups(const opt_study *s, const int *idx, int n, uint64_t *groups)
{
    int np = s->space->n, ng = 0;
    uint64_t seen = 0;
    for (int t = 0; t < n; t++) {
        const double *x = s->trials[idx[t]].x;
        uint64_t set = 0;
        for (int j = 0; j < np; j++)
            if (!isnan(x[j]))
                set |= (uint64_t)1 << j;
        int ng0 = ng;
        for (int g = 0; g < ng0; g++) {
            uint64_t in = groups[g] & set, out = groups[g] & ~set;
            if (in && out) {
                groups[g] = in;
                groups[ng++] = out;
            }
        }
        if (set & ~seen)
            groups[ng++] = set & ~seen;
        seen |= set;
    }
    for (int j = 0; j < np; j++)
        if (!(seen >> j & 1))
            groups[ng++] = (uint64_t)1 << j;
    return ng;
}
