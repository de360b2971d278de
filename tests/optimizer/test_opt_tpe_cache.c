/*
 * test_opt_tpe_cache.c - what TPE's speed work must not change.
 *
 * (1) A study that keeps asking reuses its TPE workspace (scratch memory and the
 *     log-space values of its trials); a study rebuilt by replaying the same
 *     history in shuffled order starts cold. Both must suggest exactly the same
 *     next parameters, at several sizes, with PRUNED, FAIL and RUNNING trials,
 *     multivariate and univariate.
 * (2) Trial lookup by number (a hash index): thousands of trials with sparse
 *     numbers replayed in shuffled order are all found (tell, duplicate replay),
 *     unknown numbers are not, and the next number is max + 1.
 * (3) The finished-trial count that ends TPE's startup: FAIL and RUNNING trials
 *     do not count, COMPLETE and PRUNED (told or replayed) do.
 * (4) The vectorised numerics against long-double references: log-sum-exp with
 *     TPE's e^-25 cut, and the log mass of truncated normal kernels.
 */
#include <gsl/gsl_errno.h>
#include <math.h>

#include "optimizer/internal.h"
#include "optimizer/study.h"
#include "optimizer/testfuncs.h"
#include "tests/check.h"

enum { MAXT = 420 };

typedef struct {
    opt_trial_params p;
    opt_state state;
    double value;
    int n_steps;
    int steps[2];
    double vals[2];
} rec;

static rec hist[MAXT];

/* A deterministic permutation of 0..n-1 (LCG-driven Fisher-Yates). */
static void shuffle(int *idx, int n, unsigned long seed)
{
    for (int i = 0; i < n; i++)
        idx[i] = i;
    for (int i = n - 1; i > 0; i--) {
        seed = seed * 6364136223846793005UL + 1442695040888963407UL;
        int j = (int)((seed >> 33) % (unsigned long)(i + 1));
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

/* (1) cached (continuing) study vs fresh replay at checkpoints. */
static void check_cached_vs_fresh(const char *fname, int multivariate)
{
    char err[256];
    const opt_testfunc *f = opt_testfunc_find(fname);
    opt_space *s = opt_testfunc_space(f, err);
    opt_sampler_config sc;
    opt_sampler_config_default(&sc, OPT_SAMPLER_TPE);
    sc.multivariate = multivariate;
    opt_study *a = opt_study_new(s, OPT_MINIMIZE, &sc, NULL, 4242, err);
    CHECK_MSG(a != NULL, "%s", err);
    const int checkpoints[3] = {37, 160, 400};
    int n = 0, n_diff = 0, n_compared = 0;
    for (int c = 0; c < 3; c++) {
        for (; n < checkpoints[c]; n++) {
            rec *r = &hist[n];
            CHECK_INT(opt_ask(a, &r->p, err), 0);
            double v = opt_testfunc_eval(f, r->p.values);
            r->n_steps = 0;
            r->state = OPT_COMPLETE;
            r->value = v;
            if (n % 9 == 4) {
                r->state = OPT_FAIL;
                r->value = NAN;
            } else if (n % 7 == 2) {
                for (int step = 0; step < 2; step++) {
                    r->steps[step] = step;
                    r->vals[step] = v * (1.5 - 0.25 * step);
                    r->n_steps++;
                    opt_report(a, r->p.number, step, r->vals[step], err);
                }
                r->state = OPT_PRUNED;
                r->value = r->vals[1];
            } else if (n % 11 == 6 && n + 3 >= checkpoints[c]) {
                r->state = OPT_RUNNING; /* still running at the checkpoint */
                r->value = NAN;
            }
            if (r->state != OPT_RUNNING)
                CHECK_INT(opt_tell(a, r->p.number, r->state, r->value, err), 0);
        }
        opt_study *b = opt_study_new(s, OPT_MINIMIZE, &sc, NULL, 4242, err);
        static int order[MAXT];
        shuffle(order, n, 77 + (unsigned long)c);
        for (int i = 0; i < n; i++) {
            const rec *h = &hist[order[i]];
            opt_trial_record r = {.number = h->p.number, .state = h->state, .value = h->value,
                                  .params = &h->p, .n_steps = h->n_steps, .steps = h->steps,
                                  .step_values = h->vals};
            CHECK_INT(opt_study_replay(b, &r, err), 0);
        }
        for (int k = 0; k < 3; k++) {
            opt_trial_params pa, pb;
            CHECK_INT(opt_ask(a, &pa, err), 0);
            CHECK_INT(opt_ask(b, &pb, err), 0);
            CHECK_INT(pb.number, pa.number);
            n_compared++;
            if (memcmp(pa.values, pb.values, sizeof(double) * (size_t)s->n) != 0) {
                n_diff++;
                fprintf(stderr, "%s%s: at %d trials ask %d: cached x0 %.17g, fresh x0 %.17g\n",
                        fname, multivariate ? "" : " univariate", n, k, pa.values[0],
                        pb.values[0]);
            }
            /* a and b go on identically; a keeps these in its history */
            double v = opt_testfunc_eval(f, pa.values);
            opt_tell(b, pb.number, OPT_COMPLETE, v, err);
            hist[n].p = pa;
            hist[n].state = OPT_COMPLETE;
            hist[n].value = v;
            hist[n].n_steps = 0;
            opt_tell(a, pa.number, OPT_COMPLETE, v, err);
            n++;
        }
        opt_study_free(b);
        /* the trials left RUNNING finish now, in a and in the record */
        for (int i = 0; i < n; i++)
            if (hist[i].state == OPT_RUNNING) {
                hist[i].state = OPT_COMPLETE;
                hist[i].value = opt_testfunc_eval(f, hist[i].p.values);
                CHECK_INT(opt_tell(a, hist[i].p.number, OPT_COMPLETE, hist[i].value, err), 0);
            }
    }
    CHECK_MSG(n_diff == 0, "%s%s: %d of %d asks differ between the cached and the replayed study",
              fname, multivariate ? "" : " univariate", n_diff, n_compared);
    opt_study_free(a);
    opt_space_free(s);
}

/* (2) lookup by number after a shuffled replay of sparse numbers. */
static void check_index(void)
{
    char err[256];
    const opt_testfunc *f = opt_testfunc_find("branin");
    opt_space *s = opt_testfunc_space(f, err);
    opt_sampler_config sc;
    opt_sampler_config_default(&sc, OPT_SAMPLER_RANDOM);
    opt_study *st = opt_study_new(s, OPT_MINIMIZE, &sc, NULL, 1, err);
    enum { NT = 3000 };
    static int order[NT];
    shuffle(order, NT, 5);
    int ok = 0;
    for (int i = 0; i < NT; i++) {
        int id = order[i];
        opt_trial_params p = {.number = 7 * id + 3, .n = 2, .values = {1.0 + id % 5, 2.0}};
        opt_trial_record r = {.number = p.number, .state = id % 2 ? OPT_RUNNING : OPT_COMPLETE,
                              .value = id, .params = &p};
        ok += opt_study_replay(st, &r, err) == 0;
    }
    CHECK_INT(ok, NT);
    CHECK_INT(opt_study_n_trials(st), NT);
    /* every RUNNING trial is found and can be told once; unknown numbers are not */
    int told = 0, again = 0, unknown = 0, dup = 0;
    for (int id = 1; id < NT; id += 2) {
        told += opt_tell(st, 7 * id + 3, OPT_COMPLETE, -id, err) == 0;
        again += opt_tell(st, 7 * id + 3, OPT_COMPLETE, -id, err) == 0;
    }
    for (int id = 0; id < NT; id += 97) {
        unknown += opt_tell(st, 7 * id + 4, OPT_COMPLETE, 0, err) < 0 &&
                   strstr(err, "no such trial") != NULL;
        opt_trial_params p = {.number = 7 * id + 3, .n = 2, .values = {1.0, 2.0}};
        opt_trial_record r = {.number = p.number, .state = OPT_COMPLETE, .value = 0, .params = &p};
        dup += opt_study_replay(st, &r, err) < 0 && strstr(err, "already in the study") != NULL;
    }
    CHECK_INT(told, NT / 2);
    CHECK_INT(again, 0);
    CHECK_INT(unknown, (NT + 96) / 97);
    CHECK_INT(dup, (NT + 96) / 97);
    double best;
    CHECK_INT(opt_study_best(st, &best), 7 * (NT - 1) + 3);
    CHECK(best == -(NT - 1));
    opt_trial_params p;
    CHECK_INT(opt_ask(st, &p, err), 0);
    CHECK_INT(p.number, 7 * (NT - 1) + 4);
    CHECK_INT(opt_tell(st, p.number, OPT_FAIL, NAN, err), 0);
    opt_study_free(st);
    opt_space_free(s);
}

/* The next suggestion of a study of kind over history h[0..n-1]. */
static void next_of(opt_sampler_kind kind, const opt_space *s, const rec *h, int n,
                    opt_trial_params *out)
{
    char err[256];
    opt_sampler_config sc;
    opt_sampler_config_default(&sc, kind);
    opt_study *st = opt_study_new(s, OPT_MINIMIZE, &sc, NULL, 31, err);
    for (int i = 0; i < n; i++) {
        opt_trial_record r = {.number = h[i].p.number, .state = h[i].state,
                              .value = h[i].value, .params = &h[i].p,
                              .n_steps = h[i].n_steps, .steps = h[i].steps,
                              .step_values = h[i].vals};
        CHECK_INT(opt_study_replay(st, &r, err), 0);
    }
    CHECK_INT(opt_ask(st, out, err), 0);
    opt_study_free(st);
}

/* (3) startup ends after 10 COMPLETE or PRUNED trials, whatever else there is. */
static void check_startup_count(void)
{
    char err[256];
    const opt_testfunc *f = opt_testfunc_find("hartmann6");
    opt_space *s = opt_testfunc_space(f, err);
    /* 9 COMPLETE/PRUNED, 6 FAIL, 3 RUNNING: TPE still samples like random */
    int n = 0, fin = 0;
    for (int i = 0; fin < 9; i++, n++) {
        rec *r = &hist[n];
        r->p.number = i;
        r->p.n = s->n;
        for (int j = 0; j < s->n; j++)
            r->p.values[j] = 0.05 + 0.9 * fmod(0.37 * (i + 1) * (j + 2), 1.0);
        r->n_steps = 0;
        r->value = opt_testfunc_eval(f, r->p.values);
        r->state = i % 3 == 1 ? OPT_FAIL : i % 6 == 2 ? OPT_RUNNING : OPT_COMPLETE;
        if (i == 3) {
            r->state = OPT_PRUNED;
            r->n_steps = 1;
            r->steps[0] = 0;
            r->vals[0] = r->value;
        }
        fin += r->state == OPT_COMPLETE || r->state == OPT_PRUNED;
    }
    opt_trial_params t, rnd;
    next_of(OPT_SAMPLER_TPE, s, hist, n, &t);
    next_of(OPT_SAMPLER_RANDOM, s, hist, n, &rnd);
    CHECK_MSG(memcmp(t.values, rnd.values, sizeof(double) * (size_t)s->n) == 0,
              "with 9 finished trials (and FAIL/RUNNING ones) TPE should still be random");
    /* one more PRUNED trial: 10 finished, TPE proper */
    rec *r = &hist[n++];
    *r = hist[0];
    r->p.number = n - 1;
    r->p.values[0] = 0.5;
    r->state = OPT_PRUNED;
    r->n_steps = 1;
    r->steps[0] = 0;
    r->vals[0] = r->value = 3.0;
    next_of(OPT_SAMPLER_TPE, s, hist, n, &t);
    next_of(OPT_SAMPLER_RANDOM, s, hist, n, &rnd);
    CHECK_MSG(memcmp(t.values, rnd.values, sizeof(double) * (size_t)s->n) != 0,
              "with 10 finished trials TPE should have left its random startup");
    opt_space_free(s);
}

/* log-sum-exp reference in long double with the same e^-25 cut. */
static long double lse_ref(const double *a, int k)
{
    long double mx = -INFINITY, sum = 0;
    for (int i = 0; i < k; i++)
        mx = a[i] > mx ? a[i] : mx;
    if (!(mx > -INFINITY))
        return -INFINITY;
    for (int i = 0; i < k; i++)
        if (a[i] - mx > -25.0L)
            sum += expl(a[i] - mx);
    return mx + logl(sum);
}

/* (4) vectorised numerics. */
static void check_numerics(void)
{
    static double a[1201];
    unsigned long seed = 12345;
    double worst = 0;
    const int sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 17, 33, 100, 1001, 1201};
    for (int si = 0; si < (int)(sizeof sizes / sizeof *sizes); si++) {
        int k = sizes[si];
        for (int rep = 0; rep < 20; rep++) {
            for (int i = 0; i < k; i++) {
                seed = seed * 6364136223846793005UL + 1442695040888963407UL;
                double u = (double)(seed >> 11) / 9007199254740992.0;
                a[i] = rep % 4 == 3 && i % 5 == 1 ? -INFINITY : -60.0 * u + 3.0 * rep;
            }
            double got = opt_tpe_logsumexp(a, k);
            long double want = lse_ref(a, k);
            double e = fabs(got - (double)want) / fmax(1.0, fabs((double)want));
            worst = fmax(worst, isfinite(got) || isfinite((double)want) ? e : 0);
        }
    }
    CHECK_MSG(worst < 1e-14, "log-sum-exp: worst relative error %g", worst);
    /* the cut: e^-25.5 below the largest is left out, e^-24.5 is kept */
    double cut[3] = {-25.5, 0.0, -24.5};
    CHECK(opt_tpe_logsumexp(cut, 2) == 0.0);
    CHECK_NEAR(opt_tpe_logsumexp(cut + 1, 2), log1p(exp(-24.5)), 1e-15);
    double none[3] = {-INFINITY, -INFINITY, -INFINITY};
    CHECK(opt_tpe_logsumexp(none, 3) == -INFINITY);

    /* kernels' log mass in [lo, hi]: centres inside and outside the range */
    enum { K = 301 };
    static double mu[K], sg[K], ln[K];
    double lo = -1.5, hi = 2.5, worst_in = 0, worst_out = 0;
    for (int i = 0; i < K; i++) {
        mu[i] = lo - 1.0 + 6.0 * i / (K - 1);
        sg[i] = 0.02 + 1.5 * fmod(0.618 * i, 1.0);
    }
    opt_tpe_kernel_lognorm(mu, sg, lo, hi, K, ln);
    for (int i = 0; i < K; i++) {
        /* the standardised bounds as the code rounds them; the rest in long double */
        long double za = (lo - mu[i]) / sg[i], zb = (hi - mu[i]) / sg[i];
        long double r2 = sqrtl(2.0L), want;
        if (za <= 0 && zb > 0)
            want = log1pl(-0.5L * erfcl(-za / r2) - 0.5L * erfcl(zb / r2));
        else if (za > 0)
            want = logl(0.5L * (erfcl(za / r2) - erfcl(zb / r2)));
        else
            want = logl(0.5L * (erfcl(-zb / r2) - erfcl(-za / r2)));
        if (za > 30 || zb < -30)
            continue; /* far tails: the long-double difference itself is inexact */
        /* relative error; far inside, where the mass misses 1 by < 1e-20, erfc's
         * own conditioning (2 x^2 times the rounding of x) dominates a difference
         * that is anyway far below any double it is added to */
        double diff = fabs(ln[i] - (double)want);
        double e = diff <= 1e-30 ? 0 : diff / fabs((double)want);
        if (za <= 0 && zb > 0)
            worst_in = fmax(worst_in, e);
        else
            worst_out = fmax(worst_out, e);
    }
    /* centres inside take the vector path; outside, the scalar log_gauss_mass,
     * whose erfc difference keeps at least 7 digits by design */
    CHECK_MSG(worst_in < 1e-13, "kernel log mass, centres inside: worst relative error %g",
              worst_in);
    CHECK_MSG(worst_out < 1e-7, "kernel log mass, centres outside: worst relative error %g",
              worst_out);
}

int main(void)
{
    gsl_set_error_handler_off();
    check_cached_vs_fresh("mixed", 1);
    check_cached_vs_fresh("mixed", 0);
    check_cached_vs_fresh("hartmann6", 1);
    check_index();
    check_startup_count();
    check_numerics();
    return check_done();
}
