/*
 * edge.c - out-of-sample series in transit, the holdout's paired tests and the
 * verdict (see edge.h). The statistics are trainer/selection.c's; this file
 * only gathers their inputs from the trainer, the store and the spec, and
 * writes their outputs into the study's result JSON, which `best`, its JSON
 * and the report read.
 */
#include "experiments/edge.h"

#include "tracker/oos.h"
#include "tracker/query.h"
#include "trainer/selection.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- out-of-sample series ------------------------------------------------------ */

cJSON *exp_edge_oos_json(const tr_fold_curves *cv)
{
    if (!cv || cv->n < 1 || !cv->bar_returns || !cv->pred)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "row0", cv->row0);
    cJSON_AddNumberToObject(o, "t0", (double)cv->t[0]);
    cJSON_AddNumberToObject(o, "t1", (double)cv->t[cv->n]);
    cJSON *r = cJSON_AddArrayToObject(o, "ret"), *p = cJSON_AddArrayToObject(o, "pred");
    cJSON *bh = cJSON_AddArrayToObject(o, "bh");
    for (int i = 0; i < cv->n; i++) {
        /* float precision is what the store keeps: send no more digits */
        cJSON_AddItemToArray(r, cJSON_CreateNumber((double)(float)cv->bar_returns[i]));
        cJSON_AddItemToArray(p, isfinite(cv->pred[i]) ? cJSON_CreateNumber((double)(float)cv->pred[i])
                                                      : cJSON_CreateNull());
        double b = cv->bh_equity ? cv->bh_equity[i + 1] / cv->bh_equity[i] - 1 : NAN;
        cJSON_AddItemToArray(bh, isfinite(b) ? cJSON_CreateNumber((double)(float)b) : cJSON_CreateNull());
    }
    return o;
}

int exp_edge_oos_store(trk_store *s, int64_t run_id, int fold, const cJSON *extra,
                       char err[256])
{
    const cJSON *o = extra ? cJSON_GetObjectItemCaseSensitive(extra, "oos") : NULL;
    if (!cJSON_IsObject(o))
        return 0;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "ret");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "pred");
    const cJSON *bh = cJSON_GetObjectItemCaseSensitive(o, "bh");
    const cJSON *row0 = cJSON_GetObjectItemCaseSensitive(o, "row0");
    const cJSON *t0 = cJSON_GetObjectItemCaseSensitive(o, "t0");
    const cJSON *t1 = cJSON_GetObjectItemCaseSensitive(o, "t1");
    int n = cJSON_GetArraySize(r);
    if (!cJSON_IsArray(r) || !cJSON_IsArray(p) || cJSON_GetArraySize(p) != n ||
        !cJSON_IsArray(bh) || cJSON_GetArraySize(bh) != n ||
        !cJSON_IsNumber(row0) || !cJSON_IsNumber(t0) || !cJSON_IsNumber(t1)) {
        snprintf(err, 256, "run %lld, fold %d: malformed out-of-sample series", (long long)run_id,
                 fold);
        return TRK_EINVAL;
    }
    size_t bytes = sizeof(float) * (size_t)(n ? n : 1);
    float *fr = malloc(bytes), *fp = malloc(bytes), *fb = malloc(bytes);
    int rc = TRK_ERR;
    if (fr && fp && fb) {
        int i = 0;
        const cJSON *a = r->child, *b = p->child, *c = bh->child;
        for (; a && b && c; a = a->next, b = b->next, c = c->next, i++) {
            fr[i] = cJSON_IsNumber(a) ? (float)a->valuedouble : NAN;
            fp[i] = cJSON_IsNumber(b) ? (float)b->valuedouble : NAN;
            fb[i] = cJSON_IsNumber(c) ? (float)c->valuedouble : NAN;
        }
        rc = trk_oos_put(s, run_id, fold, row0->valueint, (int64_t)t0->valuedouble,
                         (int64_t)t1->valuedouble, n, fr, fp, fb, err);
    } else {
        snprintf(err, 256, "out of memory");
    }
    free(fr);
    free(fp);
    free(fb);
    return rc;
}

/* ---- the holdout --------------------------------------------------------------- */

/* The per-sample loss of the paired test: log loss for direction (p is P(up))
 * and multiclass (p is the probability of the realised class), squared error
 * for return and price (p is the forecast). */
static double sample_loss(tr_target_kind kind, double y, double p)
{
    if (kind == TR_TARGET_RETURN || kind == TR_TARGET_PRICE)
        return (p - y) * (p - y);
    double q = fmin(fmax(p, 1e-15), 1 - 1e-15);
    if (kind == TR_TARGET_MULTICLASS)
        return -log(q);
    return -(y * log(q) + (1 - y) * log(1 - q));
}

static cJSON *dm_json(const double *pa, const double *pb, const double *y, int n,
                      tr_target_kind kind)
{
    double *la = malloc(sizeof *la * (size_t)n), *lb = malloc(sizeof *lb * (size_t)n);
    cJSON *o = NULL;
    tr_dm_result d;
    char err[256];
    if (la && lb) {
        for (int i = 0; i < n; i++) {
            la[i] = sample_loss(kind, y[i], pa[i]);
            lb[i] = sample_loss(kind, y[i], pb[i]);
        }
        if (tr_diebold_mariano(la, lb, n, -1, &d, err) == 0) {
            o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "n", d.n);
            cJSON_AddNumberToObject(o, "lag", d.lag);
            if (isfinite(d.stat))
                cJSON_AddNumberToObject(o, "stat", d.stat);
            else
                cJSON_AddNullToObject(o, "stat");
            cJSON_AddNumberToObject(o, "pvalue", d.pvalue);
            cJSON_AddNumberToObject(o, "mean_diff", d.mean_diff);
            cJSON_AddNumberToObject(o, "ci_low", d.ci_low);
            cJSON_AddNumberToObject(o, "ci_high", d.ci_high);
        }
    }
    free(la);
    free(lb);
    return o;
}

const char *exp_edge_noskill_name(tr_target_kind kind)
{
    return kind == TR_TARGET_DIRECTION    ? "majority class"
           : kind == TR_TARGET_MULTICLASS ? "class frequencies"
                                          : "persistence";
}

/* Direction: 10 equal-width bins of P(up) against the frequency of up, the
 * Brier score and the 2 x 2 confusion at p >= 0.5. */
static void diagnostics_binary(const tr_fold_curves *cv, cJSON *r)
{
    int n = cv->n_samples, cnt[10] = {0}, tp = 0, fp = 0, tn = 0, fn = 0;
    double sp[10] = {0}, sy[10] = {0}, brier = 0;
    for (int i = 0; i < n; i++) {
        double p = cv->p_model[i], y = cv->y[i];
        int k = (int)fmin(9, fmax(0, floor(p * 10)));
        cnt[k]++;
        sp[k] += p;
        sy[k] += y;
        brier += (p - y) * (p - y) / n;
        int up = p >= 0.5;
        tp += up && y > 0.5, fp += up && y < 0.5, tn += !up && y < 0.5, fn += !up && y > 0.5;
    }
    cJSON *c = cJSON_AddObjectToObject(r, "calibration");
    cJSON_AddNumberToObject(c, "brier", brier);
    cJSON *bins = cJSON_AddArrayToObject(c, "bins");
    for (int k = 0; k < 10; k++) {
        if (!cnt[k])
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "mean_p", sp[k] / cnt[k]);
        cJSON_AddNumberToObject(e, "freq", sy[k] / cnt[k]);
        cJSON_AddNumberToObject(e, "n", cnt[k]);
        cJSON_AddItemToArray(bins, e);
    }
    cJSON *m = cJSON_AddObjectToObject(r, "confusion");
    cJSON_AddNumberToObject(m, "tp", tp);
    cJSON_AddNumberToObject(m, "fp", fp);
    cJSON_AddNumberToObject(m, "tn", tn);
    cJSON_AddNumberToObject(m, "fn", fn);
}

/* Multiclass: the top-class reliability (10 bins of the largest probability
 * against how often that class was realised), the multiclass Brier score
 * (mean over samples of the sum over classes of (p_k - [y = k])^2) and the
 * K x K confusion (rows actual, columns the argmax). */
static void diagnostics_multi(const tr_fold_curves *cv, cJSON *r)
{
    const int n = cv->n_samples, K = cv->n_classes;
    int cnt[10] = {0}, conf[TR_MULTICLASS_K][TR_MULTICLASS_K] = {{0}};
    double sp[10] = {0}, sy[10] = {0}, brier = 0;
    if (K < 2 || K > TR_MULTICLASS_K || !cv->probs)
        return;
    for (int i = 0; i < n; i++) {
        const double *p = cv->probs + (size_t)i * K;
        int y = (int)cv->y[i], top = 0;
        if (y < 0 || y >= K)
            continue;
        for (int j = 0; j < K; j++) {
            brier += (p[j] - (j == y)) * (p[j] - (j == y)) / n;
            if (p[j] > p[top])
                top = j;
        }
        int k = (int)fmin(9, fmax(0, floor(p[top] * 10)));
        cnt[k]++;
        sp[k] += p[top];
        sy[k] += top == y;
        conf[y][top]++;
    }
    cJSON *c = cJSON_AddObjectToObject(r, "calibration");
    cJSON_AddNumberToObject(c, "brier", brier);
    cJSON_AddStringToObject(c, "of", "top class");
    cJSON *bins = cJSON_AddArrayToObject(c, "bins");
    for (int k = 0; k < 10; k++) {
        if (!cnt[k])
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "mean_p", sp[k] / cnt[k]);
        cJSON_AddNumberToObject(e, "freq", sy[k] / cnt[k]);
        cJSON_AddNumberToObject(e, "n", cnt[k]);
        cJSON_AddItemToArray(bins, e);
    }
    cJSON *m = cJSON_AddObjectToObject(r, "confusion");
    cJSON *rows = cJSON_AddArrayToObject(m, "matrix");   /* [actual][predicted] */
    for (int a = 0; a < K; a++) {
        cJSON *row = cJSON_CreateArray();
        for (int b = 0; b < K; b++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber(conf[a][b]));
        cJSON_AddItemToArray(rows, row);
    }
    cJSON *names = cJSON_AddArrayToObject(m, "classes");
    const char *nm[TR_MULTICLASS_K] = {"down", "flat", "up"};
    for (int j = 0; j < K; j++)
        cJSON_AddItemToArray(names, cJSON_CreateString(nm[j]));
}

void exp_edge_holdout_tests(const tr_fold_curves *cv, tr_target_kind kind, cJSON *r)
{
    int n = cv->n_samples;
    if (n < 2 || !cv->y || !cv->p_model)
        return;
    cJSON *a = cv->p_noskill ? dm_json(cv->p_model, cv->p_noskill, cv->y, n, kind) : NULL;
    if (a) {
        cJSON_AddStringToObject(a, "baseline", exp_edge_noskill_name(kind));
        cJSON_AddItemToObject(r, "dm_noskill", a);
    }
    cJSON *b = cv->p_linear ? dm_json(cv->p_model, cv->p_linear, cv->y, n, kind) : NULL;
    if (b) {
        cJSON_AddStringToObject(b, "baseline", kind == TR_TARGET_MULTICLASS ? "softmax"
                                               : kind == TR_TARGET_PRICE ? "linear regression"
                                                                         : "logistic");
        cJSON_AddItemToObject(r, "dm_linear", b);
    }
    if (kind == TR_TARGET_DIRECTION)
        diagnostics_binary(cv, r);
    else if (kind == TR_TARGET_MULTICLASS)
        diagnostics_multi(cv, r);
}

/* ---- the trials ---------------------------------------------------------------- */

double *exp_edge_trial_sharpes(trk_store *s, int64_t study_id, int *n, char err[256])
{
    /* every configuration evaluated against the data: complete, pruned, and
     * failed after a fold (each has a mean "sharpe" over its folds) */
    trk_query q = {"state != 'RUNNING'", NULL, 0, 0};
    trk_run_list l = {0};
    *n = 0;
    if (trk_runs_query(s, study_id, &q, &l, err))
        return NULL;
    double *v = malloc(sizeof *v * (size_t)(l.n ? l.n : 1));
    for (int i = 0; v && i < l.n; i++) {
        trk_metric_point *h = NULL;
        int nh = 0;
        if (trk_metric_history(s, l.runs[i].id, "sharpe", &h, &nh, err) == 0 && nh > 0 &&
            isfinite(h[nh - 1].value))
            v[(*n)++] = h[nh - 1].value;
        free(h);
    }
    trk_run_list_free(&l);
    if (!v)
        snprintf(err, 256, "out of memory");
    return v;
}

/* The T x N matrix of the COMPLETE trials' per-bar OOS returns over the rows
 * every one of them covers. *m (caller frees) NULL when fewer than 2 trials. */
static int oos_matrix(trk_store *s, int64_t study_id, double **m, int *t, int *n, char err[256])
{
    trk_oos *l = NULL;
    int nl = 0;
    *m = NULL;
    *t = *n = 0;
    if (trk_oos_query(s, study_id, 0, &l, &nl, err))
        return -1;
    int lo = 0, hi = 0, first = 1, trials = 0, folds = 0;
    for (int i = 0; i < nl; i++) {
        if (l[i].state != TRK_COMPLETE || l[i].fold < 0)
            continue;
        if (first || l[i].row0 < lo)
            lo = l[i].row0;
        if (first || l[i].row0 + l[i].n > hi)
            hi = l[i].row0 + l[i].n;
        first = 0;
        if (l[i].fold + 1 > folds)
            folds = l[i].fold + 1;
        if (i == 0 || l[i].run_id != l[i - 1].run_id)
            trials++;
    }
    int rows = hi - lo, rc = -1;
    double *full = trials >= 2 && rows > 0 ? malloc(sizeof *full * (size_t)rows * trials) : NULL;
    int *nf = calloc((size_t)(trials ? trials : 1), sizeof *nf);
    if (trials < 2 || rows <= 0) {
        rc = 0;
        *n = trials;
        goto done;
    }
    if (!full || !nf) {
        snprintf(err, 256, "out of memory for the PBO matrix");
        goto done;
    }
    for (long i = 0; i < (long)rows * trials; i++)
        full[i] = NAN;
    int col = -1;
    for (int i = 0; i < nl; i++) {
        if (l[i].state != TRK_COMPLETE || l[i].fold < 0)
            continue;
        if (col < 0 || l[i].run_id != l[i - 1].run_id)
            col++;
        nf[col]++;
        for (int b = 0; b < l[i].n; b++)
            full[(size_t)(l[i].row0 - lo + b) * trials + col] = l[i].ret[b];
    }
    /* only trials with every fold, only rows every one of them has */
    int keep = 0;
    for (int j = 0; j < trials; j++)
        keep += nf[j] == folds;
    double *out = keep >= 2 ? malloc(sizeof *out * (size_t)rows * keep) : NULL;
    int tt = 0;
    for (int r = 0; out && r < rows; r++) {
        int ok = 1, k = 0;
        for (int j = 0; j < trials; j++)
            if (nf[j] == folds)
                ok &= isfinite(full[(size_t)r * trials + j]);
        if (!ok)
            continue;
        for (int j = 0; j < trials; j++)
            if (nf[j] == folds)
                out[(size_t)tt * keep + k++] = full[(size_t)r * trials + j];
        tt++;
    }
    *m = out;
    *t = tt;
    *n = keep;
    rc = 0;
done:
    free(full);
    free(nf);
    trk_oos_free(l, nl);
    return rc;
}

static double num_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void add_num_or_null(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

/* The CSCV summary for the result: figures, a 20-bin logit histogram and up
 * to 400 (IS, OOS) Sharpe points (evenly spaced over the splits). */
static cJSON *pbo_json(const tr_pbo_result *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "pbo", p->pbo);
    cJSON_AddNumberToObject(o, "n_splits", p->n_splits);
    cJSON_AddNumberToObject(o, "n_trials", p->n_trials);
    cJSON_AddNumberToObject(o, "n_bars", p->n_bars);
    cJSON_AddNumberToObject(o, "blocks", p->n_blocks);
    add_num_or_null(o, "slope", p->slope);
    add_num_or_null(o, "intercept", p->intercept);
    cJSON_AddNumberToObject(o, "p_oos_loss", p->p_oos_loss);
    double lo = p->logit[0], hi = p->logit[0], mean = 0;
    for (int k = 0; k < p->n_splits; k++) {
        lo = fmin(lo, p->logit[k]);
        hi = fmax(hi, p->logit[k]);
        mean += p->logit[k] / p->n_splits;
    }
    cJSON_AddNumberToObject(o, "logit_mean", mean);
    if (hi - lo < 1e-9)
        lo -= 0.5, hi += 0.5;
    int counts[20] = {0};
    for (int k = 0; k < p->n_splits; k++)
        counts[(int)fmin(19, floor((p->logit[k] - lo) / (hi - lo) * 20))]++;
    cJSON *h = cJSON_AddObjectToObject(o, "logit_hist");
    cJSON_AddNumberToObject(h, "lo", lo);
    cJSON_AddNumberToObject(h, "hi", hi);
    cJSON *c = cJSON_AddArrayToObject(h, "counts");
    for (int k = 0; k < 20; k++)
        cJSON_AddItemToArray(c, cJSON_CreateNumber(counts[k]));
    cJSON *sc = cJSON_AddArrayToObject(o, "scatter");
    int step = p->n_splits > 400 ? (p->n_splits + 399) / 400 : 1;
    for (int k = 0; k < p->n_splits; k += step) {
        cJSON *pt = cJSON_CreateArray();
        cJSON_AddItemToArray(pt, cJSON_CreateNumber(p->is_sharpe[k]));
        cJSON_AddItemToArray(pt, cJSON_CreateNumber(p->oos_sharpe[k]));
        cJSON_AddItemToArray(sc, pt);
    }
    return o;
}

int exp_edge_verdict(trk_store *s, int64_t study_id, const exp_spec *spec, cJSON *r,
                     char err[256])
{
    const tr_selection_config *sel = &spec->selection;
    double *m = NULL;
    int t = 0, n = 0;
    if (oos_matrix(s, study_id, &m, &t, &n, err))
        return -1;
    double pbo = NAN;
    char why[256] = "";
    if (m && n >= sel->pbo_min_trials) {
        tr_pbo_result p;
        if (tr_pbo_cscv(m, t, n, sel->pbo_blocks, &p, why) == 0) {
            pbo = p.pbo;
            cJSON_AddItemToObject(r, "pbo", pbo_json(&p));
            tr_pbo_result_free(&p);
        }
    }
    free(m);
    if (!isfinite(pbo))
        cJSON_AddNullToObject(r, "pbo");

    tr_verdict_input in = {
        .dsr = num_at(r, "deflated_sharpe", NULL),
        .dsr_trials = (int)num_at(r, "n_trials", NULL),
        .dm_p_noskill = num_at(r, "dm_noskill", "pvalue"),
        .noskill_name = exp_edge_noskill_name(spec->trial.target.kind),
        .linear_name = spec->trial.target.kind == TR_TARGET_MULTICLASS ? "softmax"
                       : spec->trial.target.kind == TR_TARGET_PRICE    ? "linear regression"
                                                                       : "logistic",
        .dm_p_linear = num_at(r, "dm_linear", "pvalue"),
        .pbo = pbo,
        .pbo_trials = n,
    };
    tr_verdict v;
    tr_verdict_decide(&in, sel, &v);
    if (!isfinite(pbo) && n >= sel->pbo_min_trials && *why) /* enough trials, too few bars */
        snprintf(v.reasons[v.n_reasons - 1], sizeof v.reasons[0],
                 "(does not change the verdict) PBO not computed: %.250s", why);
    cJSON *o = cJSON_AddObjectToObject(r, "verdict");
    cJSON_AddBoolToObject(o, "edge", v.edge);
    cJSON *rs = cJSON_AddArrayToObject(o, "reasons");
    for (int i = 0; i < v.n_reasons; i++)
        cJSON_AddItemToArray(rs, cJSON_CreateString(v.reasons[i]));
    add_num_or_null(o, "dsr", in.dsr);
    cJSON_AddNumberToObject(o, "dsr_trials", in.dsr_trials);
    add_num_or_null(o, "pbo", pbo);
    cJSON_AddNumberToObject(o, "pbo_trials", n);
    add_num_or_null(o, "dm_pvalue", in.dm_p_noskill);
    add_num_or_null(o, "dm_pvalue_vs_linear", in.dm_p_linear);
    cJSON *th = cJSON_AddObjectToObject(o, "thresholds");
    cJSON_AddNumberToObject(th, "dsr_min", sel->dsr_min);
    cJSON_AddNumberToObject(th, "dm_alpha", sel->dm_alpha);
    cJSON_AddNumberToObject(th, "pbo_max", sel->pbo_max);
    return 0;
}

int exp_edge_print_verdict(FILE *out, const cJSON *result)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(result, "verdict");
    if (!cJSON_IsObject(v))
        return -1;
    int edge = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "edge"));
    fprintf(out, "\nverdict: %s\n", edge ? "EDGE (significant after accounting for the search)"
                                         : "NO EDGE (not significant after accounting for the search)");
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(v, "reasons"))
        if (cJSON_IsString(s))
            fprintf(out, "  - %s\n", s->valuestring);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(result, "pbo");
    if (cJSON_IsObject(p))
        fprintf(out, "  CSCV: %d splits of %d blocks over %d bars x %d trials; OOS-vs-IS Sharpe "
                "slope %.3f; P(OOS loss) %.3f\n",
                (int)num_at(p, "n_splits", NULL), (int)num_at(p, "blocks", NULL),
                (int)num_at(p, "n_bars", NULL), (int)num_at(p, "n_trials", NULL),
                num_at(p, "slope", NULL), num_at(p, "p_oos_loss", NULL));
    return edge;
}
