/*
 * metrics_multi.c - K-class scores and baselines (see metrics_multi.h).
 */
#include "trainer/metrics_multi.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tr_multiclass_metrics_nan(tr_multiclass_metrics *m)
{
    memset(m, 0, sizeof *m);
    m->accuracy = m->balanced_accuracy = m->macro_f1 = m->log_loss = NAN;
}

int tr_metrics_multiclass(const double *p, const double *y, int n, int k,
                          tr_multiclass_metrics *m, char err[256])
{
    tr_multiclass_metrics_nan(m);
    if (n < 1 || k < 2 || k > TR_MC_MAX_CLASSES) {
        snprintf(err, 256, "multiclass metrics: need n >= 1 and 2..%d classes (n %d, k %d)",
                 TR_MC_MAX_CLASSES, n, k);
        return -1;
    }
    double ll = 0.0;
    int hits = 0;
    for (int i = 0; i < n; i++) {
        int t = (int)y[i];
        if (!(y[i] >= 0) || t >= k || t != y[i]) {
            snprintf(err, 256, "multiclass metrics: label %g of sample %d is not in 0..%d",
                     y[i], i, k - 1);
            return -1;
        }
        const double *q = p + (size_t)i * k;
        int arg = 0;
        for (int c = 1; c < k; c++)
            if (q[c] > q[arg])
                arg = c;
        m->confusion[t][arg]++;
        hits += arg == t;
        double pt = fmin(fmax(q[t], 1e-15), 1 - 1e-15);
        ll -= log(pt);
    }
    m->n = n;
    m->k = k;
    m->accuracy = (double)hits / n;
    m->log_loss = ll / n;
    double rec = 0.0, f1 = 0.0;
    int n_rec = 0, n_f1 = 0;
    for (int c = 0; c < k; c++) {
        int support = 0, predicted = 0, tp = m->confusion[c][c];
        for (int j = 0; j < k; j++) {
            support += m->confusion[c][j];
            predicted += m->confusion[j][c];
        }
        if (support > 0) {
            rec += (double)tp / support;
            n_rec++;
        }
        if (support > 0 || predicted > 0) {
            f1 += 2.0 * tp / (support + predicted);   /* 2PR/(P+R) = 2tp/(support+pred) */
            n_f1++;
        }
    }
    m->balanced_accuracy = rec / n_rec;
    m->macro_f1 = f1 / n_f1;
    return 0;
}

int tr_baseline_majority_multi(const double *y_train, int n_train, const double *y_test,
                               int n_test, int k, tr_multiclass_metrics *m, char err[256])
{
    if (n_train < 1 || k < 2 || k > TR_MC_MAX_CLASSES) {
        tr_multiclass_metrics_nan(m);
        snprintf(err, 256, "majority baseline: no training labels");
        return -1;
    }
    double freq[TR_MC_MAX_CLASSES] = {0};
    for (int i = 0; i < n_train; i++) {
        int t = (int)y_train[i];
        if (t >= 0 && t < k)
            freq[t] += 1.0 / n_train;
    }
    double *p = malloc(sizeof *p * (size_t)(n_test > 0 ? n_test : 1) * k);
    if (!p) {
        snprintf(err, 256, "out of memory");
        return -1;
    }
    for (int i = 0; i < n_test; i++)
        memcpy(p + (size_t)i * k, freq, sizeof *p * (size_t)k);
    int rc = tr_metrics_multiclass(p, y_test, n_test, k, m, err);
    free(p);
    return rc;
}

/* ---- multinomial logistic regression ------------------------------------------- */

typedef struct softmax_fit {
    const tr_windows *w;
    int k, f;          /* classes, features; parameters (k, f + 1), intercept last */
    double ridge;
} softmax_fit;

/* Class probabilities of window i under parameters theta (k, f+1) into q (k). */
static void softmax_probs(const softmax_fit *s, const double *theta, int i, double *q)
{
    const tr_windows *w = s->w;
    const float *x = w->x + (size_t)w->ends[i] * w->n_features;
    double mx = -INFINITY, se = 0.0;
    for (int c = 0; c < s->k; c++) {
        const double *th = theta + (size_t)c * (s->f + 1);
        double z = th[s->f];
        for (int j = 0; j < s->f; j++)
            z += th[j] * x[j];
        q[c] = z;
        mx = z > mx ? z : mx;
    }
    for (int c = 0; c < s->k; c++)
        se += (q[c] = exp(q[c] - mx));
    for (int c = 0; c < s->k; c++)
        q[c] /= se;
}

/* Mean cross-entropy + ridge, and its gradient when g != NULL. */
static double softmax_objective(const gsl_vector *v, void *user, gsl_vector *g)
{
    const softmax_fit *s = user;
    const tr_windows *w = s->w;
    int np = s->k * (s->f + 1);
    const double *theta = v->data;
    double loss = 0.0, q[TR_MC_MAX_CLASSES];
    if (g)
        gsl_vector_set_zero(g);
    for (int i = 0; i < w->n; i++) {
        int t = (int)w->y[w->ends[i]];
        softmax_probs(s, theta, i, q);
        loss -= log(fmax(q[t], 1e-300));
        if (!g)
            continue;
        const float *x = w->x + (size_t)w->ends[i] * w->n_features;
        for (int c = 0; c < s->k; c++) {
            double d = (q[c] - (c == t)) / w->n;
            double *gc = g->data + (size_t)c * (s->f + 1);
            for (int j = 0; j < s->f; j++)
                gc[j] += d * x[j];
            gc[s->f] += d;
        }
    }
    loss /= w->n;
    for (int p = 0; p < np; p++) {
        if (p % (s->f + 1) == s->f)
            continue;   /* intercepts are not penalised */
        loss += 0.5 * s->ridge * theta[p] * theta[p];
        if (g)
            g->data[p] += s->ridge * theta[p];
    }
    return loss;
}

static double mm_f(const gsl_vector *v, void *user)
{
    return softmax_objective(v, user, NULL);
}

static void mm_df(const gsl_vector *v, void *user, gsl_vector *g)
{
    softmax_objective(v, user, g);
}

static void mm_fdf(const gsl_vector *v, void *user, double *f, gsl_vector *g)
{
    *f = softmax_objective(v, user, g);
}

int tr_baseline_softmax(const tr_windows *train, const tr_windows *test, int k,
                        tr_multiclass_metrics *m, double *p_test, char err[256])
{
    tr_multiclass_metrics_nan(m);
    if (train->n < 1 || test->n < 1 || k < 2 || k > TR_MC_MAX_CLASSES) {
        snprintf(err, 256, "softmax baseline: needs training and test windows");
        return -1;
    }
    for (int i = 0; i < train->n; i++) {
        float t = train->y[train->ends[i]];
        if (!(t >= 0) || (int)t >= k) {
            snprintf(err, 256, "softmax baseline: training label %g is not in 0..%d",
                     (double)t, k - 1);
            return -1;
        }
    }
    softmax_fit s = {train, k, train->n_features, 1e-4};
    size_t np = (size_t)k * (s.f + 1);
    gsl_multimin_function_fdf fn = {mm_f, mm_df, mm_fdf, np, &s};
    gsl_vector *x0 = gsl_vector_calloc(np);
    gsl_multimin_fdfminimizer *mz =
        gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, np);
    double *p = malloc(sizeof *p * (size_t)test->n * k), *yt = malloc(sizeof *yt * test->n);
    int rc = -1;
    if (!x0 || !mz || !p || !yt) {
        snprintf(err, 256, "out of memory");
        goto done;
    }
    gsl_multimin_fdfminimizer_set(mz, &fn, x0, 0.1, 0.1);
    for (int it = 0; it < 200; it++) {
        int st = gsl_multimin_fdfminimizer_iterate(mz);
        if (st)   /* GSL_ENOPROG: no better point along the line: converged enough */
            break;
        if (gsl_multimin_test_gradient(mz->gradient, 1e-6) == GSL_SUCCESS)
            break;
    }
    s.w = test;
    for (int i = 0; i < test->n; i++) {
        softmax_probs(&s, mz->x->data, i, p + (size_t)i * k);
        yt[i] = test->y[test->ends[i]];
    }
    if (p_test)
        memcpy(p_test, p, sizeof *p * (size_t)test->n * k);
    rc = tr_metrics_multiclass(p, yt, test->n, k, m, err);
done:
    gsl_multimin_fdfminimizer_free(mz);
    gsl_vector_free(x0);
    free(p);
    free(yt);
    return rc;
}
