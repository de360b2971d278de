/*
 * test_model_file_roundtrip - model files keep everything and refuse damage.
 *
 * - save -> load gives the same architecture, bit-identical weights, identical
 *   predictions and every metadata field (feature names, target, scaler stats).
 * - A flipped byte anywhere in the weights or metadata is refused (checksum).
 * - Truncation at every length up to 128 bytes, then every 7th, is refused.
 * - A file claiming a newer format version (checksum recomputed so only the
 *   version is wrong) is refused with a message that says so.
 * - Errors name the file. A missing file is an error, not a crash.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check.h"
#include "trainer/lstm.h"
#include "trainer/model_file.h"

#define F 3
#define T 7
#define ROWS 60

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)len + 1);
    *n = fread(p, 1, (size_t)len, f);
    fclose(f);
    return p;
}

static void spill(const char *path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(p, 1, n, f);
    fclose(f);
}

static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Loading path must fail with an error naming the file and containing `what`. */
static void refused(const char *path, const char *what, const char *label)
{
    char err[256] = "";
    tr_lstm *m = NULL;
    tr_model_meta meta;
    int rc = tr_model_load(path, 8, 1, &m, &meta, err);
    CHECK_MSG(rc != 0 && m == NULL, "%s: load accepted a damaged file", label);
    if (rc != 0) {
        CHECK_STR_CONTAINS(err, path);
        if (what)
            CHECK_STR_CONTAINS(err, what);
    } else {
        tr_lstm_free(m);
        tr_model_meta_free(&meta);
    }
}

int main(void)
{
    gsl_set_error_handler_off();
    char err[256], path[4096], bad[4200];
    snprintf(path, sizeof path, "%s/test_model_file_%d.sqm",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    snprintf(bad, sizeof bad, "%s.bad", path);

    tr_lstm_config cfg = {.n_features = F, .units = 9, .layers = 2, .seq_len = T,
                          .max_batch = 16, .dropout = 0.25f, .head = TR_HEAD_DIRECTION};
    tr_lstm *m = tr_lstm_new(&cfg, err);
    CHECK_MSG(m != NULL, "%s", err);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    tr_lstm_init(m, rng);
    tr_model_meta meta;
    CHECK(tr_model_meta_alloc(&meta, F, err) == 0);
    const char *names[F] = {"log_return", "rsi:14", "macd:12:26:9"};
    for (int i = 0; i < F; i++) {
        CHECK(tr_model_meta_set_string(&meta.feature_names[i], names[i]) == 0);
        meta.scaler_center[i] = 0.1f * (float)i - 0.05f;
        meta.scaler_scale[i] = 1.5f + (float)i;
    }
    CHECK(tr_model_meta_set_string(&meta.target_kind, "direction") == 0);
    CHECK(tr_model_meta_set_string(&meta.scaler_kind, "robust") == 0);
    meta.horizon = 3;
    meta.deadband = 0.001f;
    meta.seq_len = T;
    CHECK_MSG(tr_model_save(path, m, &meta, err) == 0, "%s", err);

    static float x[ROWS * F], y[ROWS];
    static int ends[ROWS];
    for (int i = 0; i < ROWS * F; i++)
        x[i] = (float)gsl_ran_gaussian(rng, 1.0);
    for (int r = 0; r < ROWS; r++)
        ends[r] = r;
    tr_windows w = {x, y, ends + T - 1, ROWS - T + 1, T, F};
    float p1[ROWS], p2[ROWS];
    CHECK(tr_lstm_predict(m, &w, p1, err) == 0);

    tr_lstm *m2 = NULL;
    tr_model_meta meta2;
    CHECK_MSG(tr_model_load(path, 16, 1, &m2, &meta2, err) == 0, "%s", err);
    if (m2) {
        CHECK_INT(m2->cfg.n_features, F);
        CHECK_INT(m2->cfg.units, 9);
        CHECK_INT(m2->cfg.layers, 2);
        CHECK_INT(m2->cfg.seq_len, T);
        CHECK_INT(m2->cfg.head, TR_HEAD_DIRECTION);
        CHECK(m2->cfg.dropout == 0.25f);
        CHECK_INT(m2->cfg.max_batch, 16);
        CHECK(memcmp(m->params, m2->params, m->n_params * sizeof(float)) == 0);
        CHECK(tr_lstm_predict(m2, &w, p2, err) == 0);
        CHECK_MSG(memcmp(p1, p2, sizeof(float) * w.n) == 0, "predictions differ after load");
        CHECK_INT(meta2.n_features, F);
        for (int i = 0; i < F && meta2.n_features == F; i++) {
            CHECK(strcmp(meta2.feature_names[i], names[i]) == 0);
            CHECK(meta2.scaler_center[i] == meta.scaler_center[i]);
            CHECK(meta2.scaler_scale[i] == meta.scaler_scale[i]);
        }
        CHECK(strcmp(meta2.target_kind, "direction") == 0);
        CHECK(strcmp(meta2.scaler_kind, "robust") == 0);
        CHECK_INT(meta2.horizon, 3);
        CHECK(meta2.deadband == 0.001f);
        CHECK_INT(meta2.seq_len, T);
        tr_lstm_free(m2);
        tr_model_meta_free(&meta2);
    }
    /* another batch size: BLAS may sum in another order, so near, not identical */
    CHECK_MSG(tr_model_load(path, 5, 1, &m2, &meta2, err) == 0, "%s", err);
    if (m2) {
        CHECK(tr_lstm_predict(m2, &w, p2, err) == 0);
        for (int i = 0; i < w.n; i++)
            CHECK_NEAR(p2[i], p1[i], 1e-5);
        tr_lstm_free(m2);
        tr_model_meta_free(&meta2);
    }

    size_t n = 0;
    unsigned char *img = slurp(path, &n);
    CHECK(img != NULL && n > 100);

    /* flipped bytes: in the metadata, in the weights, in the checksum */
    size_t spots[] = {40, n / 2, n - 20, n - 3};
    for (size_t k = 0; k < sizeof spots / sizeof spots[0]; k++) {
        img[spots[k]] ^= 0x10;
        spill(bad, img, n);
        img[spots[k]] ^= 0x10;
        refused(bad, "checksum", "flipped byte");
    }
    /* truncations: every length in the header, then every 7th byte */
    for (size_t len = 0; len < n; len += len < 128 ? 1 : 7) {
        spill(bad, img, len);
        refused(bad, NULL, "truncated");
    }
    spill(bad, img, n / 2);
    refused(bad, "truncated", "truncated to half");
    /* newer version, valid checksum */
    img[8] = TR_MODEL_FILE_VERSION + 1;
    uint64_t h = fnv1a64(img, n - 8);
    for (int i = 0; i < 8; i++)
        img[n - 8 + i] = (unsigned char)(h >> (8 * i));
    spill(bad, img, n);
    refused(bad, "newer", "newer version");
    /* not a model file; missing file */
    spill(bad, (const unsigned char *)"timestamp,open,high\n", 20);
    refused(bad, "magic", "csv file");
    unlink(bad);
    refused(bad, "cannot open", "missing file");

    /* no metadata at all is fine */
    CHECK_MSG(tr_model_save(path, m, NULL, err) == 0, "%s", err);
    CHECK_MSG(tr_model_load(path, 4, 1, &m2, &meta2, err) == 0, "%s", err);
    if (m2) {
        CHECK_INT(meta2.n_features, 0);
        CHECK(meta2.scaler_center == NULL);
        tr_lstm_free(m2);
        tr_model_meta_free(&meta2);
    }
    /* unwritable folder */
    CHECK(tr_model_save("/nonexistent-dir/x.sqm", m, &meta, err) != 0);
    CHECK_STR_CONTAINS(err, "/nonexistent-dir/x.sqm");

    unlink(path);
    free(img);
    tr_model_meta_free(&meta);
    tr_lstm_free(m);
    gsl_rng_free(rng);
    return check_done();
}
