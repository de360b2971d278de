/*
 * test_predict - tr_predict_candles turns model + candles into aligned predictions.
 *
 * - Window ends: exactly the candle rows past the features' warm-up plus seq_len-1
 *   whose window does not span a candle gap (counted independently from the
 *   segments), in row order, with their timestamps.
 * - Values: each equals the model's forward pass on the window scaled by hand with
 *   the model file's statistics (center/scale), within 1e-6.
 * - Causal: predicting on the first n-25 candles gives the same value at every
 *   shared bar as predicting on all n (no row after the window end is read).
 * - Errors: too few candles is the data's fault, a model without scaler
 *   statistics or with a column the candles cannot give is the model's.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"
#include "trainer/features.h"
#include "trainer/predict.h"

#define F 3
#define T 6
#define N 200
#define GAP_AT 120

static const char *const cols[F] = {"log_return", "hour_of_day.sin", "hour_of_day.cos"};

static void make_candles(tr_candles *c, int n, gsl_rng *rng)
{
    char err[256];
    if (tr_candles_alloc(c, n, err))
        exit(1);
    double p = 100.0;
    int64_t t = 1700000000;
    for (int i = 0; i < n; i++) {
        t += i == GAP_AT ? 3 * 3600 : 3600;   /* one gap of two missing bars */
        double q = p * exp(0.01 * gsl_ran_gaussian(rng, 1.0));
        c->ts[i] = t;
        c->open[i] = p;
        c->close[i] = q;
        c->high[i] = fmax(p, q) * 1.001;
        c->low[i] = fmin(p, q) * 0.999;
        c->volume[i] = 10 + i % 7;
        p = q;
    }
    tr_candles_index(c);
}

static void truncate_copy(const tr_candles *src, int n, tr_candles *dst)
{
    char err[256];
    if (tr_candles_alloc(dst, n, err))
        exit(1);
    memcpy(dst->ts, src->ts, sizeof *dst->ts * (size_t)n);
    memcpy(dst->open, src->open, sizeof(double) * (size_t)n);
    memcpy(dst->high, src->high, sizeof(double) * (size_t)n);
    memcpy(dst->low, src->low, sizeof(double) * (size_t)n);
    memcpy(dst->close, src->close, sizeof(double) * (size_t)n);
    memcpy(dst->volume, src->volume, sizeof(double) * (size_t)n);
    tr_candles_index(dst);
}

int main(void)
{
    gsl_set_error_handler_off();
    char err[256];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    tr_candles c = {0};
    make_candles(&c, N, rng);
    CHECK_INT(c.n_gaps, 1);

    tr_lstm_config cfg = {.n_features = F, .units = 5, .layers = 2, .seq_len = T,
                          .max_batch = 16, .dropout = 0.2f, .head = TR_HEAD_DIRECTION};
    tr_lstm *m = tr_lstm_new(&cfg, err);
    CHECK(m != NULL);
    tr_lstm_init(m, rng);
    tr_model_meta meta = {0};
    CHECK(tr_model_meta_alloc(&meta, F, err) == 0);
    for (int j = 0; j < F; j++) {
        tr_model_meta_set_string(&meta.feature_names[j], cols[j]);
        meta.scaler_center[j] = 0.01f * (float)(j + 1);
        meta.scaler_scale[j] = 0.5f + 0.25f * (float)j;
    }
    tr_model_meta_set_string(&meta.target_kind, "direction");
    tr_model_meta_set_string(&meta.scaler_kind, "standard");
    meta.horizon = 1;
    meta.seq_len = T;

    tr_predictions pr;
    int rc = tr_predict_candles(m, &meta, &c, &pr, err);
    CHECK_MSG(rc == 0, "%s", err);

    /* The reference: features by hand, every window end counted from segments. */
    const char *feats[2] = {"log_return", "hour_of_day"};
    tr_feature_matrix fm = {0};
    CHECK(tr_features_compute(&c, feats, 2, &fm, err) == 0);
    CHECK_INT(fm.cols, F);
    int want = 0;
    for (int r = fm.first + T - 1; r < N; r++)
        want += c.segment[r - T + 1] == c.segment[r];
    CHECK_INT(pr.n, want);
    CHECK_INT(pr.n, N - fm.first - (T - 1) - (T - 1));   /* the gap removes T-1 ends */
    CHECK_INT(pr.n_out, 1);
    double worst = 0;
    float x[T * F], p;
    for (int i = 0; i < pr.n && i < want; i++) {
        int r = pr.row[i];
        CHECK_MSG(i == 0 || r > pr.row[i - 1], "rows out of order at %d", i);
        CHECK_MSG(r >= fm.first + T - 1 && c.segment[r - T + 1] == c.segment[r],
                  "window ending at row %d spans a gap or the warm-up", r);
        CHECK(pr.ts[i] == c.ts[r]);
        for (int t = 0; t < T; t++)
            for (int j = 0; j < F; j++) {
                int mr = r - fm.first - (T - 1) + t;
                x[t * F + j] = (fm.x[mr * F + j] - meta.scaler_center[j]) / meta.scaler_scale[j];
            }
        tr_lstm_forward(m, x, NULL, 1, 0, 0, &p);
        worst = fmax(worst, fabs(p - pr.value[i]));
    }
    printf("predict: %d windows, first row %d, max |diff| vs hand-scaled forward %.3g\n",
           pr.n, pr.n ? pr.row[0] : -1, worst);
    CHECK_MSG(worst <= 1e-6, "max diff %g", worst);

    /* Causal: the first N-25 candles predict the shared bars identically. */
    tr_candles cut = {0};
    truncate_copy(&c, N - 25, &cut);
    tr_predictions pc;
    CHECK(tr_predict_candles(m, &meta, &cut, &pc, err) == 0);
    CHECK(pc.n > 0 && pc.n < pr.n);
    int same = 1;
    for (int i = 0; i < pc.n; i++)
        same &= pc.row[i] == pr.row[i] && pc.value[i] == pr.value[i];
    CHECK_MSG(same, "a prediction changed when later candles were removed");

    /* Errors say whose fault. */
    tr_candles tiny = {0};
    truncate_copy(&c, fm.first + T - 1, &tiny);
    tr_predictions pt;
    CHECK_INT(tr_predict_candles(m, &meta, &tiny, &pt, err), TR_PREDICT_EDATA);
    CHECK_STR_CONTAINS(err, "seq_len 6");
    CHECK(pt.n == 0 && pt.value == NULL);
    float *center = meta.scaler_center;
    meta.scaler_center = NULL;
    CHECK_INT(tr_predict_candles(m, &meta, &c, &pt, err), TR_PREDICT_EMODEL);
    CHECK_STR_CONTAINS(err, "scaler statistics");
    meta.scaler_center = center;
    tr_model_meta_set_string(&meta.feature_names[2], "rsi:14");
    CHECK_INT(tr_predict_candles(m, &meta, &c, &pt, err), TR_PREDICT_EMODEL);
    CHECK_STR_CONTAINS(err, "expects 3 feature columns, the candles give 4");

    tr_predictions_free(&pr);
    tr_predictions_free(&pc);
    tr_features_free(&fm);
    tr_candles_free(&c);
    tr_candles_free(&cut);
    tr_candles_free(&tiny);
    tr_model_meta_free(&meta);
    tr_lstm_free(m);
    gsl_rng_free(rng);
    return check_done();
}
