/*
 * motpe.c - the good group of multi-objective TPE (Optuna 3.x's TPESampler with
 * several directions). The n_below = min(ceil(0.1 n), 25) good trials are the
 * COMPLETE ones of the lowest non-domination ranks; the rank that does not fit
 * whole is cut by greedy hypervolume subset selection (each step adds the point
 * that adds the most hypervolume to those chosen), with the reference point
 * max(1.1 w, 0.9 w) of that rank's worst point w (0 replaced by 1e-12). The good
 * kernels are weighted by each one's hypervolume contribution within the good
 * group (plus 1e-12, over the largest; reference point from the group's worst
 * point as above); one good trial has weight 1.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optimizer/internal.h"

#define MOTPE_EPS 1e-12

static void ref_point(const double *p, int n, int m, double *ref)
{
    for (int k = 0; k < m; k++) {
        double w = -INFINITY;
        for (int i = 0; i < n; i++)
            w = fmax(w, p[(size_t)i * m + k]);
        ref[k] = fmax(1.1 * w, 0.9 * w);
        if (ref[k] == 0)
            ref[k] = MOTPE_EPS;
    }
}

/* greedy HSSP: choose k of the n points (rows of p) into pick; buf holds n rows */
static int hssp(const double *p, int n, int m, int k, int *pick, double *buf)
{
    double ref[OPT_MAX_OBJECTIVES];
    ref_point(p, n, m, ref);
    char *used = calloc((size_t)n, 1);
    if (!used)
        return -1;
    for (int c = 0; c < k; c++) {
        int best = -1;
        double best_hv = -INFINITY;
        for (int i = 0; i < n; i++) {
            if (used[i])
                continue;
            memcpy(buf + (size_t)c * m, p + (size_t)i * m, sizeof(double) * (size_t)m);
            double hv = base_hypervolume(buf, c + 1, m, ref);
            if (hv > best_hv) {
                best_hv = hv;
                best = i;
            }
        }
        used[best] = 1;
        pick[c] = best;
        memcpy(buf + (size_t)c * m, p + (size_t)best * m, sizeof(double) * (size_t)m);
    }
    free(used);
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* hypervolume contribution weights of the n good points (rows of p) */
static int contrib_weights(const double *p, int n, int m, double *w, double *buf)
{
    if (n == 1) {
        w[0] = 1;
        return 0;
    }
    double ref[OPT_MAX_OBJECTIVES], mx = 0;
    ref_point(p, n, m, ref);
    double hv = base_hypervolume(p, n, m, ref);
    for (int i = 0; i < n; i++) {
        int r = 0;
        for (int j = 0; j < n; j++)
            if (j != i)
                memcpy(buf + (size_t)r++ * m, p + (size_t)j * m, sizeof(double) * (size_t)m);
        w[i] = hv - base_hypervolume(buf, n - 1, m, ref) + MOTPE_EPS;
        mx = fmax(mx, w[i]);
    }
    for (int i = 0; i < n; i++)
        w[i] = fmin(1.0, fmax(0.0, w[i] / mx));
    return isnan(hv) ? -1 : 0;
}

int opt_motpe_split(const opt_study *s, const int *fin, int n, int n_below, int *below,
                    double *wbelow)
{
    int m = s->n_obj, rc = -1;
    if (n_below <= 0)
        return 0;
    double *p = malloc(sizeof(double) * (size_t)n * (size_t)m);
    double *buf = malloc(sizeof(double) * (size_t)n * (size_t)m);
    double *q = malloc(sizeof(double) * (size_t)n * (size_t)m);
    int *rank = malloc(sizeof(int) * (size_t)n), *tie = malloc(sizeof(int) * (size_t)n);
    int *pick = malloc(sizeof(int) * (size_t)n);
    if (!p || !buf || !q || !rank || !tie || !pick)
        goto out;
    for (int i = 0; i < n; i++)
        opt_trial_losses(s, &s->trials[fin[i]], p + (size_t)i * m);
    if (base_nondominated_sort(p, n, m, rank) < 0)
        goto out;
    int nb = 0;
    for (int r = 0; nb < n_below; r++) {
        int cnt = 0;
        for (int i = 0; i < n; i++)
            cnt += rank[i] == r;
        if (nb + cnt <= n_below) {
            for (int i = 0; i < n; i++)
                if (rank[i] == r)
                    below[nb++] = fin[i];
            continue;
        }
        int nt = 0;
        for (int i = 0; i < n; i++)
            if (rank[i] == r) {
                memcpy(q + (size_t)nt * m, p + (size_t)i * m, sizeof(double) * (size_t)m);
                tie[nt++] = fin[i];
            }
        if (hssp(q, nt, m, n_below - nb, pick, buf) < 0)
            goto out;
        for (int c = 0; c < n_below - nb; c++)
            below[nb + c] = tie[pick[c]];
        nb = n_below;
    }
    /* chronological order (trial indices follow insertion; numbers ascend with it) */
    qsort(below, (size_t)n_below, sizeof *below, cmp_int);
    for (int i = 0; i < n_below; i++)
        opt_trial_losses(s, &s->trials[below[i]], q + (size_t)i * m);
    rc = contrib_weights(q, n_below, m, wbelow, buf);
out:
    free(p);
    free(buf);
    free(q);
    free(rank);
    free(tie);
    free(pick);
    return rc;
}
