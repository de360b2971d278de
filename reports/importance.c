/*
 * importance.c - PED-ANOVA parameter importance (method in importance.h).
 */
#include "reports/importance.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Scott's bandwidth for u[0..m), clamped to [0.02, 0.5]. */
static double scott_bandwidth(const double *u, int m)
{
    double sd = m > 1 ? gsl_stats_sd(u, 1, (size_t)m) : 0;
    double h = 1.06 * sd * pow(m, -0.2);
    if (!(h >= 0.02))
        h = 0.02;
    return h > 0.5 ? 0.5 : h;
}

/* Gaussian KDE of u[0..m) (in [0,1]) with bandwidth h on the grid; dens sums to 1. */
static void kde_grid(const double *u, int m, double h, double *dens)
{
    double total = 0;
    for (int g = 0; g < REP_PED_GRID; g++) {
        double c = (g + 0.5) / REP_PED_GRID, s = 0;
        for (int i = 0; i < m; i++) {
            double z = (c - u[i]) / h;
            s += exp(-0.5 * z * z);
        }
        dens[g] = s;
        total += s;
    }
    for (int g = 0; g < REP_PED_GRID; g++)
        dens[g] = total > 0 ? dens[g] / total : 1.0 / REP_PED_GRID;
}

static double pearson_div(const double *ptop, const double *pall, int k)
{
    double d = 0;
    for (int g = 0; g < k; g++)
        if (pall[g] > 1e-300) {
            double r = ptop[g] / pall[g] - 1;
            d += pall[g] * r * r;
        }
    return d;
}

int rep_importance_ped_anova(const double *x, const double *y, int n, int p,
                             const int *categorical, const int *n_cats, int maximize,
                             double *imp, double *raw, char err[256])
{
    size_t *order = NULL;
    double *ys = NULL, *u = NULL, *ptop = NULL, *pall = NULL;
    if (n < REP_PED_MIN_TRIALS) {
        snprintf(err, 256, "parameter importance needs at least %d finished trials, got %d",
                 REP_PED_MIN_TRIALS, n);
        return -1;
    }
    if (p < 0 || !x || !y || !imp) {
        snprintf(err, 256, "parameter importance: bad arguments (p = %d)", p);
        return -1;
    }
    int kmax = REP_PED_GRID;
    for (int j = 0; j < p; j++)
        if (categorical && categorical[j]) {
            if (!n_cats || n_cats[j] < 1) {
                snprintf(err, 256, "parameter importance: column %d is categorical without "
                         "categories", j);
                return -1;
            }
            if (n_cats[j] > kmax)
                kmax = n_cats[j];
        }
    order = malloc((size_t)n * sizeof *order);
    ys = malloc((size_t)n * sizeof *ys);
    u = malloc((size_t)n * sizeof *u);
    ptop = malloc((size_t)kmax * sizeof *ptop);
    pall = malloc((size_t)kmax * sizeof *pall);
    if (!order || !ys || !u || !ptop || !pall) {
        snprintf(err, 256, "parameter importance: out of memory for %d trials", n);
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i])) {
            snprintf(err, 256, "parameter importance: objective of row %d is not finite", i);
            goto fail;
        }
        ys[i] = maximize ? -y[i] : y[i];
    }
    gsl_sort_index(order, ys, 1, (size_t)n);
    double total = 0;
    for (int j = 0; j < p; j++) {
        /* u: column j over the rows that have it, best first (NaN: absent) */
        int m = 0;
        for (int i = 0; i < n; i++) {
            double v = x[(size_t)order[i] * (size_t)p + (size_t)j];
            if (isnan(v))
                continue;
            if (!isfinite(v)) {
                snprintf(err, 256, "parameter importance: value of column %d, row %d is not "
                         "finite", j, (int)order[i]);
                goto fail;
            }
            u[m++] = v;
        }
        int mtop = (int)ceil(REP_PED_TOP_QUANTILE * m);
        if (mtop < 2)
            mtop = 2;
        double d = 0;
        if (m < REP_PED_MIN_TRIALS) {
            d = 0;   /* present in too few trials to say */
        } else if (categorical && categorical[j]) {
            int k = n_cats[j];
            for (int c = 0; c < k; c++)
                ptop[c] = pall[c] = 1;
            for (int i = 0; i < m; i++) {
                int c = (int)u[i];
                if (c < 0 || c >= k) {
                    snprintf(err, 256, "parameter importance: category %d of column %d out of "
                             "range 0..%d", c, j, k - 1);
                    goto fail;
                }
                pall[c] += 1;
                if (i < mtop)
                    ptop[c] += 1;
            }
            for (int c = 0; c < k; c++) {
                pall[c] /= m + k;
                ptop[c] /= mtop + k;
            }
            d = pearson_div(ptop, pall, k);
        } else {
            double lo = INFINITY, hi = -INFINITY;
            for (int i = 0; i < m; i++) {
                lo = fmin(lo, u[i]);
                hi = fmax(hi, u[i]);
            }
            if (hi - lo > 0) {
                for (int i = 0; i < m; i++)
                    u[i] = (u[i] - lo) / (hi - lo);
                /* One kernel for both densities (the top set's, the wider): with
                 * different bandwidths, identical distributions would diverge. */
                double h = scott_bandwidth(u, mtop);
                kde_grid(u, m, h, pall);
                kde_grid(u, mtop, h, ptop);
                d = pearson_div(ptop, pall, REP_PED_GRID);
            }
        }
        if (raw)
            raw[j] = d;
        imp[j] = d;
        total += d;
    }
    for (int j = 0; j < p; j++)
        imp[j] = total > 0 ? imp[j] / total : 0;
    free(order);
    free(ys);
    free(u);
    free(ptop);
    free(pall);
    return 0;
fail:
    free(order);
    free(ys);
    free(u);
    free(ptop);
    free(pall);
    return -1;
}
