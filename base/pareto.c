/*
 * pareto.c - dominance, non-dominated sort, crowding distance and the exact
 * hypervolume (see pareto.h). The hypervolume for m >= 3 slices the space along
 * the last objective: between consecutive distinct values of it, the points at
 * or below the slice dominate a (m-1)-dimensional region whose volume times the
 * slice's thickness is the slice's share (Hypervolume by Slicing Objectives);
 * m = 2 is the staircase sweep over the points sorted by the first objective.
 */
#include "base/pareto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int base_dominates(const double *a, const double *b, int m)
{
    int better = 0;
    for (int k = 0; k < m; k++) {
        if (a[k] > b[k])
            return 0;
        better |= a[k] < b[k];
    }
    return better;
}

int base_pareto_front(const double *p, int n, int m, char *on_front)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        on_front[i] = 1;
        for (int j = 0; j < n && on_front[i]; j++)
            if (j != i && base_dominates(p + (size_t)j * m, p + (size_t)i * m, m))
                on_front[i] = 0;
        k += on_front[i];
    }
    return k;
}

int base_nondominated_sort(const double *p, int n, int m, int *rank)
{
    if (n == 0)
        return 0;
    int *count = calloc((size_t)n, sizeof *count); /* how many dominate i */
    char *dom = malloc((size_t)n * (size_t)n);     /* dom[i*n+j]: i dominates j */
    int *front = malloc(sizeof(int) * (size_t)n), *next = malloc(sizeof(int) * (size_t)n);
    if (!count || !dom || !front || !next) {
        free(count);
        free(dom);
        free(front);
        free(next);
        return -1;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            dom[(size_t)i * n + j] = i != j && base_dominates(p + (size_t)i * m, p + (size_t)j * m, m);
            count[j] += dom[(size_t)i * n + j];
        }
    int nf = 0, r = 0;
    for (int i = 0; i < n; i++)
        if (count[i] == 0) {
            front[nf++] = i;
            rank[i] = 0;
        }
    while (nf > 0) {
        int nn = 0;
        for (int a = 0; a < nf; a++)
            for (int j = 0; j < n; j++)
                if (dom[(size_t)front[a] * n + j] && --count[j] == 0) {
                    rank[j] = r + 1;
                    next[nn++] = j;
                }
        memcpy(front, next, sizeof(int) * (size_t)nn);
        nf = nn;
        r++;
    }
    free(count);
    free(dom);
    free(front);
    free(next);
    return r;
}

typedef struct {
    double v;
    int i;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->v != y->v)
        return (x->v > y->v) - (x->v < y->v);
    return x->i - y->i;
}

int base_crowding_distance(const double *p, int n, int m, double *dist)
{
    for (int i = 0; i < n; i++)
        dist[i] = 0;
    if (n <= 2) {
        for (int i = 0; i < n; i++)
            dist[i] = INFINITY;
        return 0;
    }
    keyed *s = malloc(sizeof *s * (size_t)n);
    if (!s)
        return -1;
    for (int k = 0; k < m; k++) {
        for (int i = 0; i < n; i++)
            s[i] = (keyed){p[(size_t)i * m + k], i};
        qsort(s, (size_t)n, sizeof *s, cmp_keyed);
        double range = s[n - 1].v - s[0].v;
        dist[s[0].i] = dist[s[n - 1].i] = INFINITY;
        if (range <= 0)
            continue;
        for (int a = 1; a < n - 1; a++)
            dist[s[a].i] += (s[a + 1].v - s[a - 1].v) / range;
    }
    free(s);
    return 0;
}

/* 2-D: points sorted by the first objective; the staircase of running minima of
 * the second. pts holds (x, y) pairs strictly inside the box. */
static double hv2(double *pts, int n, const double *ref)
{
    keyed *s = malloc(sizeof *s * (size_t)(n ? n : 1));
    if (!s)
        return NAN;
    for (int i = 0; i < n; i++)
        s[i] = (keyed){pts[2 * i], i};
    qsort(s, (size_t)n, sizeof *s, cmp_keyed);
    double vol = 0, ymin = ref[1];
    for (int a = 0; a < n; a++) {
        double y = pts[2 * s[a].i + 1];
        if (y < ymin) {
            vol += (ref[0] - s[a].v) * (ymin - y);
            ymin = y;
        }
    }
    free(s);
    return vol;
}

/* m >= 2 over points strictly inside the box (row-major, n x m). */
static double hv_rec(const double *p, int n, int m, const double *ref)
{
    if (n == 0)
        return 0;
    if (m == 1) {
        double lo = ref[0];
        for (int i = 0; i < n; i++)
            lo = fmin(lo, p[i]);
        return ref[0] - lo;
    }
    if (m == 2) {
        double *c = malloc(sizeof(double) * 2 * (size_t)n);
        if (!c)
            return NAN;
        memcpy(c, p, sizeof(double) * 2 * (size_t)n);
        double v = hv2(c, n, ref);
        free(c);
        return v;
    }
    keyed *s = malloc(sizeof *s * (size_t)n);
    double *sub = malloc(sizeof(double) * (size_t)n * (size_t)(m - 1));
    if (!s || !sub) {
        free(s);
        free(sub);
        return NAN;
    }
    for (int i = 0; i < n; i++)
        s[i] = (keyed){p[(size_t)i * m + m - 1], i};
    qsort(s, (size_t)n, sizeof *s, cmp_keyed);
    double vol = 0;
    for (int a = 0; a < n; a++) {
        /* the slice [s[a].v, next value) holds the points 0..a projected */
        const double *q = p + (size_t)s[a].i * m;
        memcpy(sub + (size_t)a * (m - 1), q, sizeof(double) * (size_t)(m - 1));
        double top = a + 1 < n ? s[a + 1].v : ref[m - 1];
        if (top <= s[a].v)
            continue;
        double area = hv_rec(sub, a + 1, m - 1, ref);
        if (isnan(area)) {
            vol = NAN;
            break;
        }
        vol += area * (top - s[a].v);
    }
    free(s);
    free(sub);
    return vol;
}

double base_hypervolume(const double *p, int n, int m, const double *ref)
{
    double *in = malloc(sizeof(double) * (size_t)(n ? n : 1) * (size_t)m);
    if (!in)
        return NAN;
    int k = 0;
    for (int i = 0; i < n; i++) {
        int inside = 1;
        for (int j = 0; j < m; j++)
            inside &= p[(size_t)i * m + j] < ref[j];
        if (inside)
            memcpy(in + (size_t)k++ * m, p + (size_t)i * m, sizeof(double) * (size_t)m);
    }
    double v = hv_rec(in, k, m, ref);
    free(in);
    return v;
}
