/*
 * pareto.h - multi-objective building blocks over loss vectors (every objective
 * minimised; callers flip the sign of maximised ones): dominance, the Pareto
 * front, the fast non-dominated sort, crowding distance and the exact
 * hypervolume. The optimizer's multi-objective samplers, the runner's `best`
 * and the report's Pareto section all use these, so they live in base/.
 *
 * Points are row-major (n, m): point i is p[i*m .. i*m+m-1]. Pure computation.
 */
#ifndef BASE_PARETO_H
#define BASE_PARETO_H

/* 1 when a dominates b: no worse in every objective and better in one. */
int base_dominates(const double *a, const double *b, int m);
/* on_front[i] = 1 when no point dominates point i, else 0 (rank 0 of the sort
 * below, in O(n) memory: O(n^2 m) comparisons). Returns how many are on it. */
int base_pareto_front(const double *p, int n, int m, char *on_front);
/* Non-domination rank of every point (0 = the Pareto front, 1 = the front once
 * rank 0 is removed, ...). Returns the number of ranks, -1 when out of memory. */
int base_nondominated_sort(const double *p, int n, int m, int *rank);
/* Crowding distance of every point within one front (NSGA-II): per objective the
 * points sorted, the two extremes infinite, the others add the gap between
 * their neighbours over the objective's range. 0 ok, -1 out of memory. */
int base_crowding_distance(const double *p, int n, int m, double *dist);
/* Hypervolume dominated by the points and bounded by ref (points not strictly
 * below ref in every objective add nothing). Exact: a sweep for m = 2, slices
 * along the last objective down to the 2-D sweep for m >= 3. NaN when out of
 * memory. */
double base_hypervolume(const double *p, int n, int m, const double *ref);

#endif
