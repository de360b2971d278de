/*
 * stats.c - order statistics through GSL (see stats.h).
 */
#include "base/stats.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

void base_sort(double *v, size_t n)
{
    if (n > 1)
        gsl_sort(v, 1, n);
}

double base_quantile_sorted(const double *v, size_t n, double q)
{
    assert(n >= 1 && q >= 0 && q <= 1);
    return gsl_stats_quantile_from_sorted_data(v, 1, n, q);
}

double base_median(const double *v, size_t n, double fallback)
{
    assert(n >= 1);
    double *c = malloc(sizeof *c * n);
    if (!c)
        return fallback;
    memcpy(c, v, sizeof *c * n);
    base_sort(c, n);
    double m = gsl_stats_median_from_sorted_data(c, 1, n);
    free(c);
    return m;
}

double base_mean(const double *v, size_t n)
{
    return gsl_stats_mean(v, 1, n);
}

double base_variance(const double *v, size_t n)
{
    return gsl_stats_variance(v, 1, n);
}
