/*
 * pareto.h - multi-objective building blocks over loss vectors (every objective
 * minimised; callers flip the sign of maximised ones): dominance, the fast
 * non-dominated sort, crowding distance and the exact hypervolume.
 *
 * Points are row-major (n, m): point i is p[i*m .. i*m+m-1]. Pure computation.
 */
#ifndef OPT_PARETO_H
#define OPT_PARETO_H

#define OPT_MAX_OBJECTIVES 4

/* 1 when a dominates b: no worse in every objective and better in one. */
int opt_dominates(const double *a, const double *b, int m);
/* Non-domination rank of every point (0 = the Pareto front, 1 = the front once
 * rank 0 is removed, ...). Returns the number of ranks, -1 when out of memory. */
int opt_nondominated_sort(const double *p, int n, int m, int *rank);
/* Crowding distance of every point within one front (NSGA-II): per objective the
 * points sorted, the two extremes infinite, the others add the gap between
 * their neighbours over the objective's range. 0 ok, -1 out of memory. */
int opt_crowding_distance(const double *p, int n, int m, double *dist);
/* Hypervolume dominated by the points and bounded by ref (points not strictly
 * below ref in every objective add nothing). Exact: a sweep for m = 2, slices
 * along the last objective down to the 2-D sweep for m >= 3. NaN when out of
 * memory. */
double opt_hypervolume(const double *p, int n, int m, const double *ref);

#endif
