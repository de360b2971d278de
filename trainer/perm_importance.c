/*
 * perm_importance.c - permutation importance (perm_importance.h): the windows
 * are copied once into a contiguous block (window i at rows i*T .. i*T+T-1),
 * and each permutation rewrites only the permuted group's columns of it.
 */
#include "trainer/perm_importance.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Window i's rows of the group's columns from window src of w into blk. */
static void put_group(const tr_windows *w, int i, int src, int c0, int nc, float *blk)
{
    const int T = w->seq_len, F = w->n_features;
    const float *from = w->x + (size_t)(w->ends[src] - T + 1) * F;
    float *to = blk + (size_t)i * T * F;
    for (int s = 0; s < T; s++)
        memcpy(to + (size_t)s * F + c0, from + (size_t)s * F + c0, (size_t)nc * sizeof(float));
}

int tr_perm_importance(tr_lstm *m, const tr_windows *w, const int *col, const int *ncol,
                       int n_groups, int n_perm, unsigned long seed, double *base,
                       double *mean, double *sd, char err[256])
{
    const int n = w->n, T = w->seq_len, F = w->n_features;
    if (n < 2 || n_perm < 1) {
        snprintf(err, 256, "permutation importance needs at least 2 windows and 1 permutation "
                 "(got %d, %d)", n, n_perm);
        return -1;
    }
    for (int g = 0; g < n_groups; g++)
        if (col[g] < 0 || ncol[g] < 1 || col[g] + ncol[g] > F) {
            snprintf(err, 256, "feature group %d: columns %d..%d outside 0..%d", g, col[g],
                     col[g] + ncol[g] - 1, F - 1);
            return -1;
        }
    float *blk = malloc((size_t)n * T * F * sizeof *blk);
    float *y = calloc((size_t)n * T, sizeof *y);
    int *ends = malloc((size_t)n * sizeof *ends);
    size_t *perm = malloc((size_t)n * sizeof *perm);
    double *draw = malloc((size_t)n_perm * sizeof *draw);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = -1;
    if (!blk || !y || !ends || !perm || !draw || !rng) {
        snprintf(err, 256, "out of memory for %d windows", n);
        goto done;
    }
    gsl_rng_set(rng, seed);
    for (int i = 0; i < n; i++) {
        memcpy(blk + (size_t)i * T * F, w->x + (size_t)(w->ends[i] - T + 1) * F,
               (size_t)T * F * sizeof(float));
        ends[i] = i * T + T - 1;
        y[ends[i]] = w->y[w->ends[i]];
    }
    tr_windows v = {blk, y, ends, n, T, F};
    if (tr_lstm_eval_loss(m, &v, base, err) < 0)
        goto done;
    for (int g = 0; g < n_groups; g++) {
        for (int r = 0; r < n_perm; r++) {
            for (int i = 0; i < n; i++)
                perm[i] = (size_t)i;
            gsl_ran_shuffle(rng, perm, (size_t)n, sizeof *perm);
            for (int i = 0; i < n; i++)
                put_group(w, i, (int)perm[i], col[g], ncol[g], blk);
            double loss;
            if (tr_lstm_eval_loss(m, &v, &loss, err) < 0)
                goto done;
            draw[r] = loss - *base;
        }
        for (int i = 0; i < n; i++)   /* the group's own values back */
            put_group(w, i, i, col[g], ncol[g], blk);
        mean[g] = gsl_stats_mean(draw, 1, (size_t)n_perm);
        sd[g] = n_perm > 1 ? gsl_stats_sd_m(draw, 1, (size_t)n_perm, mean[g]) : 0;
    }
    rc = 0;
done:
    gsl_rng_free(rng);
    free(blk);
    free(y);
    free(ends);
    free(perm);
    free(draw);
    return rc;
}
