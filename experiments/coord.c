/*
 * coord.c - the coordinator state machine of a study (its lifecycle is drawn in
 * run.c): starting a trial, a report and its pruning decision, a result, the
 * progress line, and the single-process loop that calls the objective
 * in-process.
 */
#include "experiments/coord.h"

/* splitmix64: the per-trial seed from the study seed and the trial number. */
uint64_t coord_mix_seed(uint64_t seed, uint64_t number)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (number + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (z ^ (z >> 31)) & 0x7FFFFFFFFFFFFFFFull;
}

static running_trial *coord_find(coord *c, int number)
{
    for (int i = 0; i < c->n_run; i++)
        if (c->run[i].number == number)
            return &c->run[i];
    return NULL;
}

/* Asks the optimizer for a trial and records it RUNNING; *params_out (owned by
 * the caller, cJSON_Delete) gets its parameters. 0 ok, 1 when the sampler has
 * nothing new to suggest (c->exhausted), -1 with c->err. */
int coord_start_trial(coord *c, int worker, int *number, uint64_t *seed,
                             cJSON **params_out)
{
    opt_trial_params p;
    int64_t run_id = 0;
    int eq = exp_enqueue_next(&c->enq);   /* enqueued configurations go first */
    const double *fixed = eq >= 0 ? c->enq.fixed[eq] : NULL;
    const exp_spec *sp = c->spec;
    int ask = sp->search.reproducible ? exp_repro_ask(&c->repro, c->opt, fixed, &p, c->err)
              : sp->search.warm_start
              ? exp_warm_ask(&c->warm, c->opt, sp->search.direction, &sp->search.sampler,
                             (unsigned long)c->seed, fixed, &p, c->err)
              : fixed ? opt_ask_fixed(c->opt, fixed, &p, c->err) : opt_ask(c->opt, &p, c->err);
    if (ask == OPT_EXHAUSTED) {
        /* Every grid point is tried: the study ends short of n_trials rather
         * than repeat points. */
        if (!c->exhausted && !c->quiet)
            fprintf(stderr, "seqtune: %s: %s; no more trials are started (n_trials %d)\n",
                    c->spec->name, c->err, c->n_target);
        c->exhausted = 1;
        return 1;
    }
    if (ask != 0)
        return -1;
    *seed = coord_mix_seed(c->seed, (uint64_t)p.number);
    if (trk_run_start(c->store, c->study_id, p.number, worker, (int64_t)*seed, &run_id, c->err))
        return -1;
    if (exp_trial_params_log(c->store, run_id, c->space, &p, c->err) ||
        exp_run_tags_write(c->store, run_id, worker, *seed, &c->hosts, c->err) ||
        (eq >= 0 && exp_enqueue_mark(&c->enq, eq, c->store, run_id, c->err)))
        return -1;
    if (c->n_run == c->cap_run) {
        int cap = c->cap_run ? 2 * c->cap_run : 16;
        running_trial *r = realloc(c->run, sizeof *r * (size_t)cap);
        if (!r) {
            snprintf(c->err, 256, "out of memory");
            return -1;
        }
        c->run = r;
        c->cap_run = cap;
    }
    double now = exp_now();
    c->run[c->n_run++] = (running_trial){p.number, run_id, worker, now, now};
    *number = p.number;
    *params_out = exp_trial_params_json(c->space, &p, 0);
    return 0;
}

/* Logs a JSON object of name -> number as metric rows at `step` with keys
 * prefixed by `prefix`. */
static int log_metric_object(coord *c, int64_t run_id, const cJSON *obj, const char *prefix,
                             int64_t step)
{
    trk_metric_in rows[128];
    char keys[128][96];
    int n = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, obj)
    {
        if (!cJSON_IsNumber(m) || n == 128)
            continue;
        snprintf(keys[n], sizeof keys[n], "%s%s", prefix, m->string);
        rows[n] = (trk_metric_in){keys[n], step, m->valuedouble, 0};
        n++;
    }
    return n ? trk_run_log_metrics(c->store, run_id, rows, n, c->err) : 0;
}

/* Logs the epoch history of a fold: {"train_loss": [...], "val_loss": [...],
 * "lr": [...]} as metrics "fold<k>.<name>" with step = epoch. */
static int log_epochs(coord *c, int64_t run_id, int fold, const cJSON *epochs)
{
    const cJSON *series;
    cJSON_ArrayForEach(series, epochs)
    {
        int n = cJSON_GetArraySize(series);
        if (!cJSON_IsArray(series) || n == 0)
            continue;
        char key[96];
        snprintf(key, sizeof key, "fold%d.%s", fold, series->string);
        trk_metric_in *rows = malloc(sizeof *rows * (size_t)n);
        if (!rows)
            return -1;
        int k = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, series)
        {
            rows[k] = (trk_metric_in){key, k, cJSON_IsNumber(v) ? v->valuedouble : NAN, 0};
            k++;
        }
        int rc = trk_run_log_metrics(c->store, run_id, rows, n, c->err);
        free(rows);
        if (rc)
            return -1;
    }
    return 0;
}

/* An intermediate value: stored, told to the optimizer, judged by the pruner.
 * Returns 1 to prune, 0 to go on, -1 on a store error (c->err). */
int coord_on_report(coord *c, int number, int step, double value, const cJSON *extra)
{
    running_trial *t = coord_find(c, number);
    if (!t)
        return 0;
    t->heard = exp_now();
    trk_metric_in row = {TRK_INTERMEDIATE_KEY, step, value, 0};
    if (trk_run_log_metrics(c->store, t->run_id, &row, 1, c->err))
        return -1;
    if (extra) {
        const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(extra, "metrics");
        const cJSON *epochs = cJSON_GetObjectItemCaseSensitive(extra, "epochs");
        if (metrics && log_metric_object(c, t->run_id, metrics, "fold.", step))
            return -1;
        if (epochs && log_epochs(c, t->run_id, step, epochs))
            return -1;
        if (exp_edge_oos_store(c->store, t->run_id, step, extra, c->err))   /* issue 15 */
            return -1;
    }
    char e[256];
    if (!isfinite(value) || opt_report(c->opt, number, step, value, e) != 0)
        return 0;
    return opt_should_prune(c->opt, number, step) == 1;
}

static void fmt_duration(double s, char *buf, size_t n)
{
    if (!isfinite(s) || s < 0) {
        snprintf(buf, n, "-");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

/* "front of N" for the progress line (left out past 2,000 trials: its cost grows
 * with the square of the trials). */
static void moo_front_size(const opt_study *opt, char *buf, size_t n)
{
    int k = opt_study_n_trials(opt), *nums = k <= 2000 ? malloc(sizeof(int) * (size_t)(k + 1)) : NULL;
    int f = nums ? opt_study_pareto(opt, nums) : -1;
    if (f >= 0)
        snprintf(buf, n, "front of %d", f);
    else
        snprintf(buf, n, "-");
    free(nums);
}

static void coord_progress(coord *c, int number, const exp_trial_result *r)
{
    if (c->quiet)
        return;
    trk_state st = r->state;
    double value = r->value, best;
    int best_n = opt_study_best(c->opt, &best);
    double el = exp_now() - c->t0;
    char elapsed[32], eta[32], bestbuf[64];
    fmt_duration(el, elapsed, sizeof elapsed);
    int left = c->n_target - c->n_finished;
    fmt_duration(c->n_finished ? el / c->n_finished * left : NAN, eta, sizeof eta);
    if (c->spec->search.n_objectives > 1)   /* no one best: the front's size */
        moo_front_size(c->opt, bestbuf, sizeof bestbuf);
    else if (best_n >= 0)
        snprintf(bestbuf, sizeof bestbuf, "%.6g (#%d)", best, best_n);
    else
        snprintf(bestbuf, sizeof bestbuf, "-");
    if (c->tty) {
        fprintf(stderr, "\r\033[Ktrials %d/%d  running %d  pruned %d  failed %d  best %s  "
                "elapsed %s  eta %s", c->n_finished, c->n_target, c->n_run, c->n_pruned,
                c->n_fail, bestbuf, elapsed, eta);
        c->progress_shown = 1;
    } else {
        fprintf(stderr, "trial %d %s", number, trk_state_name(st));
        for (int k = 0; st == TRK_COMPLETE && k < r->n_values; k++)
            fprintf(stderr, "%s%.6g", k ? ", " : " ", r->values[k]);
        if (st != TRK_FAIL && isfinite(value) && r->n_values == 0)
            fprintf(stderr, " %.6g", value);
        fprintf(stderr, "  [%d/%d, best %s, %s elapsed]\n", c->n_finished, c->n_target,
                bestbuf, elapsed);
    }
    fflush(stderr);
}

/* A finished trial: stored durably, told to the optimizer, counted. */
int coord_on_result(coord *c, int number, exp_trial_result *r)
{
    running_trial *t = coord_find(c, number);
    if (!t)
        return 0;
    if (r->metrics && log_metric_object(c, t->run_id, r->metrics, "", 0))
        return -1;
    exp_moo_check_result(c->spec, r);
    double value = r->value;
    if (r->state == TRK_COMPLETE && !isfinite(value)) {
        r->state = TRK_FAIL;
        snprintf(r->error, sizeof r->error, "objective returned a non-finite value");
    }
    if (exp_moo_store_values(c->spec, c->store, t->run_id, r, c->err) ||
        trk_run_finish(c->store, t->run_id, r->state,
                       r->state == TRK_FAIL ? NAN : value,
                       r->state == TRK_FAIL ? r->error : NULL, c->err))
        return -1;
    exp_moo_tell(c->spec, c->opt, number, r);
    c->n_finished++;
    if (r->state != TRK_FAIL && exp_now() - t->started > c->slowest)
        c->slowest = exp_now() - t->started;
    if (exp_stop_signal && r->state == TRK_FAIL && strcmp(r->error, "interrupted") == 0)
        c->n_interrupted++;   /* a drained worker's answer (coord_drain) */
    if (r->state == TRK_COMPLETE)
        c->n_complete++;
    else if (r->state == TRK_PRUNED)
        c->n_pruned++;
    else
        c->n_fail++;
    *t = c->run[--c->n_run];
    coord_progress(c, number, r);
    return 0;
}

int coord_may_start(const coord *c)
{
    if (exp_stop_signal || c->exhausted)
        return 0;
    if (c->deadline > 0 && exp_now() >= c->deadline)
        return 0;
    if (c->spec->search.reproducible && !exp_repro_ready(&c->repro, c->opt))
        return 0;   /* a trial it would depend on is still running */
    return c->n_finished + c->n_run < c->n_target;
}

/* ---- single-process mode ------------------------------------------------------- */

typedef struct local_ctx {
    coord *c;
    int number;
    int failed;
} local_ctx;

static int local_report(void *ctx, int step, double value, const cJSON *extra)
{
    local_ctx *l = ctx;
    int d = coord_on_report(l->c, l->number, step, value, extra);
    if (d < 0) {
        l->failed = 1;
        return 1;
    }
    return d;
}

/* The coordinator's writes go in batches: one transaction (and one fsync) holds
 * every result that arrived together and the start of the trials that replace
 * them. A batch is committed before any new trial leaves rank 0, so a finished
 * trial is durable before anything depends on it and a trial is RUNNING in the
 * store before it runs (invariant 2). */
int coord_batch_begin(coord *c)
{
    return trk_store_batch_begin(c->store, c->err) ? -1 : 0;
}

int coord_batch_end(coord *c, int rc)
{
    char err[256];
    if (trk_store_batch_end(c->store, err) != 0 && rc == 0) {
        snprintf(c->err, 256, "%s", err);
        return -1;
    }
    return rc;
}

int coord_loop_local(coord *c, exp_objective *obj)
{
    if (coord_batch_begin(c))
        return -1;
    int rc = 0;
    while (rc == 0 && coord_may_start(c)) {
        int number;
        uint64_t seed;
        cJSON *params = NULL;
        rc = coord_start_trial(c, 0, &number, &seed, &params);
        if (rc == 1)
            return coord_batch_end(c, 0);   /* nothing left to try */
        if (coord_batch_end(c, rc) != 0) {
            cJSON_Delete(params);
            return -1;
        }
        local_ctx l = {c, number, 0};
        exp_trial_result r;
        exp_objective_eval(obj, number, params, seed, local_report, &l, &exp_stop_signal, &r);
        cJSON_Delete(params);
        if (coord_batch_begin(c)) {
            exp_trial_result_clear(&r);
            return -1;
        }
        if (l.failed)
            rc = -1;
        else if (exp_stop_signal)
            ;   /* recorded as interrupted by the caller */
        else if (coord_on_result(c, number, &r))
            rc = -1;
        exp_trial_result_clear(&r);
        if (exp_stop_signal)
            break;
    }
    return coord_batch_end(c, rc);
}

