/*
 * stats.h - order statistics of a set of doubles, computed by GSL (gsl_sort,
 * gsl_stats_*): the one place the project sorts numbers to take a median or a
 * percentile. NaNs must be filtered out by the caller.
 */
#ifndef BASE_STATS_H
#define BASE_STATS_H

#include <stddef.h>

/* Sorts v[0..n) ascending in place. */
void base_sort(double *v, size_t n);

/* The q-quantile (q in [0, 1]) of the sorted v[0..n), n >= 1, with linear
 * interpolation between closest ranks (position (n - 1) q). */
double base_quantile_sorted(const double *v, size_t n, double q);

/* The median of v[0..n), n >= 1, which is not changed. Returns `fallback` when
 * the copy cannot be allocated. */
double base_median(const double *v, size_t n, double fallback);

/* Mean and sample variance (n - 1 in the denominator) of v[0..n). */
double base_mean(const double *v, size_t n);
double base_variance(const double *v, size_t n);

#endif
