/*
 * test_opt_pareto.c - the multi-objective building blocks against independent
 * answers: hypervolume by hand (2-D staircase, 3-D boxes) and by
 * inclusion-exclusion over every subset of random point sets (2, 3 and 4
 * objectives); the non-dominated sort against peeling fronts by definition;
 * crowding distance by hand.
 */
#include <gsl/gsl_rng.h>

#include "base/pareto.h"
#include "tests/check.h"

/* sum over non-empty subsets S of (-1)^(|S|+1) times the box below ref and above
 * the componentwise maximum of S */
static double hv_brute(const double *p, int n, int m, const double *ref)
{
    double total = 0;
    for (unsigned s = 1; s < (1u << n); s++) {
        double vol = 1;
        int bits = 0;
        for (int k = 0; k < m; k++) {
            double mx = -INFINITY;
            for (int i = 0; i < n; i++)
                if (s & (1u << i))
                    mx = fmax(mx, p[i * m + k]);
            vol *= fmax(0.0, ref[k] - mx);
        }
        for (int i = 0; i < n; i++)
            bits += (s >> i) & 1;
        total += (bits % 2 ? 1 : -1) * vol;
    }
    return total;
}

/* ranks by definition: repeatedly take the points no remaining point dominates */
static void rank_brute(const double *p, int n, int m, int *rank)
{
    int left = n;
    for (int i = 0; i < n; i++)
        rank[i] = -1;
    for (int r = 0; left > 0; r++) {
        int take[64], nt = 0;
        for (int i = 0; i < n; i++) {
            if (rank[i] >= 0)
                continue;
            int dominated = 0;
            for (int j = 0; j < n && !dominated; j++)
                if (rank[j] < 0 && j != i) {
                    int le = 1, lt = 0;
                    for (int k = 0; k < m; k++) {
                        le &= p[j * m + k] <= p[i * m + k];
                        lt |= p[j * m + k] < p[i * m + k];
                    }
                    dominated = le && lt;
                }
            if (!dominated)
                take[nt++] = i;
        }
        for (int a = 0; a < nt; a++)
            rank[take[a]] = r;
        left -= nt;
    }
}

int main(void)
{
    /* hand-computed */
    double a[] = {1, 3, 2, 2, 3, 1}, r4[] = {4, 4, 4};
    CHECK_NEAR(base_hypervolume(a, 3, 2, r4), 6.0, 1e-12);
    double b[] = {0, 0, 1, 1, 1, 0}, r2[] = {2, 2, 2};
    CHECK_NEAR(base_hypervolume(b, 2, 3, r2), 5.0, 1e-12);
    double c[] = {1, 1, 1, 5, 0, 0}; /* the second point lies outside the box */
    CHECK_NEAR(base_hypervolume(c, 2, 3, r2), 1.0, 1e-12);
    CHECK_NEAR(base_hypervolume(c, 0, 3, r2), 0.0, 0);
    double cd_pts[] = {0, 3, 1, 2, 2, 1, 3, 0}, cd[4];
    CHECK_INT(base_crowding_distance(cd_pts, 4, 2, cd), 0);
    CHECK(isinf(cd[0]) && isinf(cd[3]));
    CHECK_NEAR(cd[1], 4.0 / 3, 1e-12);
    CHECK_NEAR(cd[2], 4.0 / 3, 1e-12);
    int rk[4];
    CHECK_INT(base_nondominated_sort(cd_pts, 4, 2, rk), 1);

    /* random sets, with ties on a grid so equal coordinates occur */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    int bad_hv = 0, bad_rank = 0, bad_front = 0, cases = 0;
    for (int m = 2; m <= 4; m++)
        for (int rep = 0; rep < 60; rep++) {
            int n = 1 + (int)gsl_rng_uniform_int(rng, 11);
            double p[12 * 4], ref[4];
            for (int i = 0; i < n * m; i++)
                p[i] = rep % 2 ? (double)gsl_rng_uniform_int(rng, 5) : gsl_rng_uniform(rng);
            for (int k = 0; k < m; k++)
                ref[k] = rep % 3 ? 1.0 + gsl_rng_uniform(rng) : 0.8; /* some points outside */
            double got = base_hypervolume(p, n, m, ref), want = hv_brute(p, n, m, ref);
            bad_hv += !(fabs(got - want) <= 1e-9 * fmax(1, fabs(want)));
            int r1[12], r2b[12];
            int nr = base_nondominated_sort(p, n, m, r1);
            rank_brute(p, n, m, r2b);
            int mx = 0;
            for (int i = 0; i < n; i++) {
                bad_rank += r1[i] != r2b[i];
                mx = r1[i] > mx ? r1[i] : mx;
            }
            bad_rank += nr != mx + 1;
            char on[12];
            int nf = base_pareto_front(p, n, m, on), want_nf = 0;
            for (int i = 0; i < n; i++) {
                bad_front += on[i] != (r2b[i] == 0);
                want_nf += r2b[i] == 0;
            }
            bad_front += nf != want_nf;
            cases++;
        }
    CHECK_MSG(bad_hv == 0, "%d of %d hypervolumes differ from inclusion-exclusion", bad_hv, cases);
    CHECK_MSG(bad_rank == 0, "%d rank mismatches in %d sets", bad_rank, cases);
    CHECK_MSG(bad_front == 0, "%d front-membership mismatches in %d sets", bad_front, cases);
    gsl_rng_free(rng);
    return check_done();
}
