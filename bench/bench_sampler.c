/*
 * bench_sampler.c - seqtune's half of the sampler benchmark (bench/sampler runs
 * it next to bench/sampler_peer.py, the Optuna half, and merges the two).
 *
 * Regret: for each test function (optimizer/testfuncs.h) and each sampler (tpe,
 * gp, random), `trials` sequential ask/tell rounds for each of `seeds` seeds;
 * simple regret (best value so far minus the known optimum) at 25, 50 and 100
 * trials, as mean, standard error and median over seeds.
 * Speed: CPU time per TPE ask on the "mixed" space after 100, 1,000 and 10,000
 * finished trials (a study rebuilt by replay, then a few asks, each told).
 *
 * Multi-objective (--moo): ZDT1 in its standard 30 dimensions, `trials` ask/tell
 * rounds of motpe, nsga2 and random (their defaults) for each of `seeds` seeds
 * from --seed0 on: the hypervolume of all the trials' objective vectors against
 * the reference point (11, 11) (f1 <= 1 and f2 <= 10 on [0, 1]^30) at half and at
 * the whole budget, as mean, standard error and median over the seeds.
 *
 * Prints a table for people, then one JSON line with every figure.
 * Usage: bench_sampler [--seeds N] [--trials N] [--funcs a,b] [--samplers a,b] [--no-timing]
 *        bench_sampler --moo [--seeds N] [--seed0 S] [--trials N]
 */
#include <cjson/cJSON.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/pareto.h"
#include "optimizer/study.h"
#include "optimizer/testfuncs.h"

static const int checkpoints[3] = {25, 50, 100};

/* Process CPU time: the machine is shared, so wall time would count other jobs.
 * The Optuna peer measures the same way (time.process_time). */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int in_list(const char *list, const char *name)
{
    if (!list)
        return 1;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
        if (strcmp(tok, name) == 0)
            return 1;
    return 0;
}

/* One run: best-so-far regret after each checkpoint into reg[3]. */
static int run_one(const opt_testfunc *f, const opt_space *sp, opt_sampler_kind kind, int trials,
                   unsigned long seed, double reg[3], double *secs)
{
    char err[256];
    opt_sampler_config sc;
    opt_sampler_config_default(&sc, kind);
    opt_study *st = opt_study_new(sp, OPT_MINIMIZE, &sc, NULL, seed, err);
    if (!st) {
        fprintf(stderr, "bench_sampler: %s\n", err);
        return -1;
    }
    double best = HUGE_VAL, t0 = now_s();
    for (int t = 1; t <= trials; t++) {
        opt_trial_params p;
        if (opt_ask(st, &p, err) < 0) {
            fprintf(stderr, "bench_sampler: ask: %s\n", err);
            opt_study_free(st);
            return -1;
        }
        double v = opt_testfunc_eval(f, p.values);
        best = fmin(best, v);
        opt_tell(st, p.number, OPT_COMPLETE, v, err);
        for (int c = 0; c < 3; c++)
            if (t == checkpoints[c])
                reg[c] = best - opt_testfunc_optimum(f);
    }
    *secs += now_s() - t0;
    opt_study_free(st);
    return 0;
}

/* Mean ms per TPE ask on a study replayed with n finished trials of f. */
static double time_ask(const opt_testfunc *f, const opt_space *sp, int n, int asks)
{
    char err[256];
    opt_sampler_config sc;
    opt_sampler_config_default(&sc, OPT_SAMPLER_TPE);
    opt_study *st = opt_study_new(sp, OPT_MINIMIZE, &sc, NULL, 7, err);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    opt_sampler_config rc;
    opt_sampler_config_default(&rc, OPT_SAMPLER_RANDOM);
    opt_study *gen = opt_study_new(sp, OPT_MINIMIZE, &rc, NULL, 11, err);
    if (!st || !rng || !gen)
        return NAN;
    for (int i = 0; i < n; i++) {
        opt_trial_params p;
        opt_ask(gen, &p, err);
        opt_tell(gen, p.number, OPT_FAIL, NAN, err);
        opt_trial_record r = {.number = i, .state = OPT_COMPLETE,
                              .value = opt_testfunc_eval(f, p.values), .params = &p};
        if (opt_study_replay(st, &r, err) < 0) {
            fprintf(stderr, "bench_sampler: replay: %s\n", err);
            return NAN;
        }
    }
    double t0 = now_s();
    for (int a = 0; a < asks; a++) {
        opt_trial_params p;
        opt_ask(st, &p, err);
        opt_tell(st, p.number, OPT_COMPLETE, opt_testfunc_eval(f, p.values), err);
    }
    double ms = (now_s() - t0) * 1e3 / asks;
    opt_study_free(st);
    opt_study_free(gen);
    gsl_rng_free(rng);
    return ms;
}

/* One ZDT1 run: the hypervolume at half and at the whole budget into hv[2]. */
static int moo_run_one(const opt_testfunc *f, const opt_space *sp, opt_sampler_kind kind,
                       int trials, unsigned long seed, double hv[2], double *secs)
{
    char err[256];
    opt_sampler_config sc;
    opt_sampler_config_default(&sc, kind);
    opt_study *st = opt_study_new(sp, OPT_MINIMIZE, &sc, NULL, seed, err);
    opt_direction dirs[2] = {OPT_MINIMIZE, OPT_MINIMIZE};
    double *v = malloc(sizeof(double) * 2 * (size_t)trials), ref[2] = {11, 11};
    if (!st || !v || opt_study_set_objectives(st, 2, dirs, err)) {
        fprintf(stderr, "bench_sampler: %s\n", err);
        opt_study_free(st);
        free(v);
        return -1;
    }
    double t0 = now_s();
    for (int t = 0; t < trials; t++) {
        opt_trial_params p;
        if (opt_ask(st, &p, err) < 0) {
            fprintf(stderr, "bench_sampler: ask: %s\n", err);
            opt_study_free(st);
            free(v);
            return -1;
        }
        opt_testfunc_eval_values(f, p.values, v + 2 * t);
        opt_tell_values(st, p.number, OPT_COMPLETE, v + 2 * t, err);
    }
    *secs += now_s() - t0;
    hv[0] = base_hypervolume(v, trials / 2, 2, ref);
    hv[1] = base_hypervolume(v, trials, 2, ref);
    opt_study_free(st);
    free(v);
    return 0;
}

/* --moo: the ZDT1 table and JSON line ({"zdt1": {SAMPLER: {...}}}). */
static int moo_bench(int seeds, int seed0, int trials)
{
    const opt_testfunc *f = opt_testfunc_find("zdt1");
    char err[256];
    opt_space *sp = f ? opt_testfunc_space(f, err) : NULL;
    double *h = malloc(sizeof(double) * 2 * (size_t)seeds);
    if (!sp || !h) {
        fprintf(stderr, "bench_sampler: zdt1: no space\n");
        return 2;
    }
    const opt_sampler_kind kinds[3] = {OPT_SAMPLER_MOTPE, OPT_SAMPLER_NSGA2, OPT_SAMPLER_RANDOM};
    cJSON *root = cJSON_CreateObject(), *jz = cJSON_AddObjectToObject(root, "zdt1");
    printf("%-8s %-7s %10s %10s %9s %10s %7s   (hypervolume, ref 11,11, %d trials, %d seeds)\n",
           "function", "sampler", "mean@half", "mean@all", "se@all", "median@all", "s/run",
           trials, seeds);
    for (int k = 0; k < 3; k++) {
        double secs = 0;
        for (int sd = 0; sd < seeds; sd++) {
            double hv[2];
            if (moo_run_one(f, sp, kinds[k], trials, 1000 + (unsigned long)(seed0 + sd), hv,
                            &secs) < 0)
                return 2;
            h[sd] = hv[0];
            h[seeds + sd] = hv[1];
        }
        double m[2] = {0, 0}, s2 = 0;
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < seeds; i++)
                m[c] += h[c * seeds + i] / seeds;
        for (int i = 0; i < seeds; i++)
            s2 += (h[seeds + i] - m[1]) * (h[seeds + i] - m[1]);
        double se = seeds > 1 ? sqrt(s2 / (seeds - 1) / seeds) : 0;
        cJSON *js = cJSON_AddObjectToObject(jz, opt_sampler_kind_name(kinds[k]));
        cJSON_AddItemToObject(js, "hv_half", cJSON_CreateDoubleArray(h, seeds));
        cJSON_AddItemToObject(js, "hv", cJSON_CreateDoubleArray(h + seeds, seeds));
        qsort(h + seeds, (size_t)seeds, sizeof(double), cmp_double);
        double med = seeds % 2 ? h[seeds + seeds / 2]
                               : 0.5 * (h[seeds + seeds / 2 - 1] + h[seeds + seeds / 2]);
        const char *kn = opt_sampler_kind_name(kinds[k]);
        printf("%-8s %-7s %10.4f %10.4f %9.4f %10.4f %7.2f\n", "zdt1", kn, m[0], m[1], se, med,
               secs / seeds);
        fflush(stdout);
        cJSON_AddNumberToObject(js, "mean_half", m[0]);
        cJSON_AddNumberToObject(js, "mean", m[1]);
        cJSON_AddNumberToObject(js, "se", se);
        cJSON_AddNumberToObject(js, "median", med);
        cJSON_AddNumberToObject(js, "seeds", seeds);
        cJSON_AddNumberToObject(js, "trials", trials);
        cJSON_AddNumberToObject(js, "seconds_per_run", secs / seeds);
    }
    char *text = cJSON_PrintUnformatted(root);
    printf("%s\n", text);
    free(text);
    cJSON_Delete(root);
    opt_space_free(sp);
    free(h);
    return 0;
}

int main(int argc, char **argv)
{
    int seeds = 20, trials = 100, timing = 1, moo = 0, seed0 = 0;
    const char *funcs = NULL, *samplers = NULL;
    gsl_set_error_handler_off();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc)
            seeds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc)
            trials = atoi(argv[++i]);
        else if (strcmp(argv[i], "--funcs") == 0 && i + 1 < argc)
            funcs = argv[++i];
        else if (strcmp(argv[i], "--samplers") == 0 && i + 1 < argc)
            samplers = argv[++i];
        else if (strcmp(argv[i], "--no-timing") == 0)
            timing = 0;
        else if (strcmp(argv[i], "--moo") == 0)
            moo = 1;
        else if (strcmp(argv[i], "--seed0") == 0 && i + 1 < argc)
            seed0 = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_sampler [--seeds N] [--trials N] [--funcs a,b] "
                            "[--samplers tpe,gp,random] [--no-timing]\n"
                            "       bench_sampler --moo [--seeds N] [--seed0 S] [--trials N]\n");
            return 1;
        }
    }
    if (seeds < 1 || trials < 1) {
        fprintf(stderr, "bench_sampler: --seeds and --trials must be >= 1\n");
        return 1;
    }
    if (moo)
        return moo_bench(seeds, seed0, trials);
    const opt_sampler_kind kinds[3] = {OPT_SAMPLER_TPE, OPT_SAMPLER_GP, OPT_SAMPLER_RANDOM};
    cJSON *root = cJSON_CreateObject();
    cJSON *regret = cJSON_AddObjectToObject(root, "regret");
    double *vals = malloc(sizeof(double) * (size_t)seeds * 3);
    printf("%-17s %-7s %9s %9s %9s %9s %9s %9s %9s %7s\n", "function", "sampler", "mean@25",
           "mean@50", "mean@100", "se@100", "med@25", "med@50", "med@100", "s/run");
    for (int fi = 0; fi < opt_testfunc_count(); fi++) {
        const opt_testfunc *f = opt_testfunc_at(fi);
        if (!in_list(funcs, opt_testfunc_name(f)) || opt_testfunc_n_objectives(f) > 1)
            continue;   /* regret needs one objective (zdt1: see --moo) */
        char err[256];
        opt_space *sp = opt_testfunc_space(f, err);
        if (!sp) {
            fprintf(stderr, "bench_sampler: %s\n", err);
            return 2;
        }
        cJSON *jf = cJSON_AddObjectToObject(regret, opt_testfunc_name(f));
        for (int k = 0; k < 3; k++) {
            const char *kn = opt_sampler_kind_name(kinds[k]);
            if (!in_list(samplers, kn))
                continue;
            double secs = 0;
            for (int sd = 0; sd < seeds; sd++) {
                double reg[3] = {NAN, NAN, NAN};
                if (run_one(f, sp, kinds[k], trials, 1000 + (unsigned long)sd, reg, &secs) < 0)
                    return 2;
                for (int c = 0; c < 3; c++)
                    vals[c * seeds + sd] = reg[c];
            }
            double mean[3], se[3], med[3];
            for (int c = 0; c < 3; c++) {
                double *v = vals + c * seeds, m = 0, s2 = 0;
                for (int i = 0; i < seeds; i++)
                    m += v[i] / seeds;
                for (int i = 0; i < seeds; i++)
                    s2 += (v[i] - m) * (v[i] - m);
                se[c] = seeds > 1 ? sqrt(s2 / (seeds - 1) / seeds) : 0;
                qsort(v, (size_t)seeds, sizeof(double), cmp_double);
                med[c] = seeds % 2 ? v[seeds / 2] : 0.5 * (v[seeds / 2 - 1] + v[seeds / 2]);
                mean[c] = m;
            }
            printf("%-17s %-7s %9.4g %9.4g %9.4g %9.3g %9.4g %9.4g %9.4g %7.2f\n",
                   opt_testfunc_name(f), kn, mean[0], mean[1], mean[2], se[2], med[0], med[1],
                   med[2], secs / seeds);
            fflush(stdout);
            cJSON *js = cJSON_AddObjectToObject(jf, kn);
            for (int c = 0; c < 3; c++) {
                char key[32];
                snprintf(key, sizeof key, "mean_%d", checkpoints[c]);
                cJSON_AddNumberToObject(js, key, isfinite(mean[c]) ? mean[c] : -1);
                snprintf(key, sizeof key, "se_%d", checkpoints[c]);
                cJSON_AddNumberToObject(js, key, isfinite(se[c]) ? se[c] : -1);
                snprintf(key, sizeof key, "median_%d", checkpoints[c]);
                cJSON_AddNumberToObject(js, key, isfinite(med[c]) ? med[c] : -1);
            }
            cJSON_AddNumberToObject(js, "seconds_per_run", secs / seeds);
        }
        opt_space_free(sp);
    }
    free(vals);
    if (timing) {
        const opt_testfunc *f = opt_testfunc_find("mixed");
        char err[256];
        opt_space *sp = opt_testfunc_space(f, err);
        const int ns[3] = {100, 1000, 10000}, asks[3] = {200, 50, 10};
        for (int i = 0; i < 3; i++) {
            double ms = time_ask(f, sp, ns[i], asks[i]);
            char key[32];
            snprintf(key, sizeof key, "ask_ms_at_%d", ns[i]);
            printf("seqtune tpe ask after %5d trials: %.4f ms\n", ns[i], ms);
            cJSON_AddNumberToObject(root, key, ms);
        }
        opt_space_free(sp);
    }
    char *text = cJSON_PrintUnformatted(root);
    printf("%s\n", text);
    free(text);
    cJSON_Delete(root);
    return 0;
}
