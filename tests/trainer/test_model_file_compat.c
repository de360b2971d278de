/*
 * test_model_file_compat - model files of version 3 record each layer's size and
 * dropout, version 2 added the direction count and the target section; files of
 * versions 1 and 2 still load.
 *
 * - tests/bad_inputs/models/good.model, written by the version-1 writer and
 *   committed, loads: one direction, its weights, n_classes 2 from its
 *   "direction" target, no target scaler; saved again (version 2) and reloaded it
 *   predicts bit-identically.
 * - A bidirectional 2-layer model with n_classes 3 and a target scaler saved and
 *   loaded keeps the flag, the classes, the scaler and every weight and prediction.
 * - tests/fixtures/model_v2.model, written by the version-2 writer (seqtune
 *   c9a3979: 3 features, 5 units, 2 bidirectional layers, dropout 0.2, a
 *   three-class head, weights from tr_lstm_init with MT19937 seed 7), loads with
 *   5 units and dropout 0.2 in both layers and gives the 20 x 3 class
 *   probabilities that writer's build computed on the same seeded windows
 *   (tests/fixtures/model_v2.predictions), to 1e-6.
 * - A version-3 model of sizes 7, 3, 5 (units 5) and dropouts 0, 0.2, 0.35
 *   (default 0.2) stores 7, 3, 5 and 0, 0.2, 0.35 after the architecture, and
 *   loads with the same per-layer sizes, dropouts, weights and predictions.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check.h"
#include "trainer/model_file.h"

/* Predictions of m on n random windows (seeded), into out (n x n_out). */
static void predict_some(tr_lstm *m, int n, unsigned long seed, float *out)
{
    char err[256];
    int T = m->cfg.seq_len, F = m->cfg.n_features, rows = n + T - 1;
    float *x = malloc(sizeof *x * (size_t)rows * F);
    int *ends = malloc(sizeof *ends * (size_t)n);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    for (int i = 0; i < rows * F; i++)
        x[i] = (float)(2 * gsl_rng_uniform(rng) - 1);
    for (int i = 0; i < n; i++)
        ends[i] = T - 1 + i;
    tr_windows w = {x, NULL, ends, n, T, F};
    CHECK(tr_lstm_predict(m, &w, out, err) == 0);
    gsl_rng_free(rng);
    free(x);
    free(ends);
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *p = malloc(1 << 20);
    *n = p ? fread(p, 1, 1 << 20, f) : 0;
    fclose(f);
    return p;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_version2_file_predicts_as_written(const char *src)
{
    char err[256], path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/model_v2.model", src);
    size_t n = 0;
    unsigned char *img = slurp(path, &n);
    CHECK_MSG(img && n > 12 && img[8] == 2, "%s is not a version-2 file", path);
    free(img);
    tr_lstm *m = NULL;
    tr_model_meta meta;
    int rc = tr_model_load(path, 8, 1, &m, &meta, err);
    CHECK_MSG(rc == 0, "version-2 file refused: %s", err);
    if (rc)
        return;
    CHECK_INT(m->cfg.layers, 2);
    CHECK_INT(m->cfg.bidirectional, 1);
    for (int l = 0; l < 2; l++) {
        CHECK_INT(tr_lstm_layer_units(&m->cfg, l), 5);
        CHECK(tr_lstm_layer_dropout(&m->cfg, l) == 0.2f);
    }
    CHECK_INT(meta.n_classes, 3);
    float got[60], want[60];
    predict_some(m, 20, 11, got);
    snprintf(path, sizeof path, "%s/tests/fixtures/model_v2.predictions", src);
    FILE *f = fopen(path, "r");
    int k = 0;
    while (f && k < 60 && fscanf(f, "%f", &want[k]) == 1)
        k++;
    if (f)
        fclose(f);
    CHECK_INT(k, 60);
    double maxd = 0;
    for (int i = 0; i < k; i++)
        maxd = fmax(maxd, fabs((double)got[i] - want[i]));
    CHECK_MSG(maxd <= 1e-6, "version-2 model: max |p - p as written| = %.3g", maxd);
    printf("version-2 file: 60 class probabilities within %.3g of its writer's\n", maxd);
    tr_lstm_free(m);
    tr_model_meta_free(&meta);
}

static void test_version3_records_each_layer(const char *dir)
{
    char err[256], path[4200];
    tr_lstm_config cfg = {.n_features = 2, .units = 5, .layers = 3, .seq_len = 4,
                          .max_batch = 8, .dropout = 0.2f, .head = TR_HEAD_DIRECTION,
                          .layer_units = {7, 3, 0}, .layer_dropout = {0.0f, 0.0f, 0.35f},
                          .layer_dropout_set = 1u | 4u};
    tr_lstm *m = tr_lstm_new(&cfg, err), *m2 = NULL;
    CHECK_MSG(m != NULL, "%s", err);
    if (!m)
        return;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 4);
    tr_lstm_init(m, rng);
    gsl_rng_free(rng);
    snprintf(path, sizeof path, "%s/layers.model", dir);
    CHECK(tr_model_save(path, m, NULL, err) == 0);
    size_t n = 0;
    unsigned char *img = slurp(path, &n);
    /* magic 8, version 4, arch 7 x 4, dropout 4: the per-layer section at 44 */
    CHECK(img && n > 68);
    if (img && n > 68) {
        CHECK_INT(le32(img + 8), TR_MODEL_FILE_VERSION);
        int want_h[3] = {7, 3, 5};
        float want_p[3] = {0.0f, 0.2f, 0.35f};
        for (int l = 0; l < 3; l++) {
            float p;
            uint32_t u = le32(img + 56 + 4 * l);
            memcpy(&p, &u, 4);
            CHECK_INT(le32(img + 44 + 4 * l), want_h[l]);
            CHECK_MSG(p == want_p[l], "layer %d: dropout %g stored, want %g", l + 1, (double)p,
                      (double)want_p[l]);
        }
    }
    free(img);
    tr_model_meta meta;
    int rc = tr_model_load(path, 8, 1, &m2, &meta, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        for (int l = 0; l < 3; l++) {
            CHECK_INT(tr_lstm_layer_units(&m2->cfg, l), tr_lstm_layer_units(&cfg, l));
            CHECK(tr_lstm_layer_dropout(&m2->cfg, l) == tr_lstm_layer_dropout(&cfg, l));
        }
        CHECK_INT(m2->cfg.units, 5);
        CHECK(m2->cfg.dropout == 0.2f);
        CHECK(m2->n_params == m->n_params &&
              memcmp(m2->params, m->params, m->n_params * sizeof(float)) == 0);
        float p1[20], p2[20];
        predict_some(m, 20, 2, p1);
        predict_some(m2, 20, 2, p2);
        CHECK(memcmp(p1, p2, sizeof p1) == 0);
        tr_model_meta_free(&meta);
    }
    unlink(path);
    tr_lstm_free(m);
    tr_lstm_free(m2);
}

int main(void)
{
    gsl_set_error_handler_off();
    char err[256], path[4096], tmp[] = "/tmp/seqtune_compat_XXXXXX";
    const char *src = getenv("SEQTUNE_SRC");
    CHECK(mkdtemp(tmp) != NULL);
    snprintf(path, sizeof path, "%s/tests/bad_inputs/models/good.model", src ? src : ".");
    FILE *f = fopen(path, "rb");
    unsigned char head[12] = {0};
    CHECK(f && fread(head, 1, 12, f) == 12);
    if (f)
        fclose(f);
    CHECK_INT(head[8], 1);   /* the committed file is a version-1 file */

    tr_lstm *m = NULL, *m2 = NULL;
    tr_model_meta meta, meta2;
    int rc = tr_model_load(path, 8, 1, &m, &meta, err);
    CHECK_MSG(rc == 0, "version-1 file refused: %s", err);
    if (rc == 0) {
        CHECK_INT(m->cfg.bidirectional, 0);
        CHECK_INT(meta.n_classes, 2);
        CHECK_INT(meta.has_target_scaler, 0);
        CHECK(strcmp(meta.target_kind, "direction") == 0);
        char again[4200];
        snprintf(again, sizeof again, "%s/again.model", tmp);
        CHECK(tr_model_save(again, m, &meta, err) == 0);
        CHECK(tr_model_load(again, 8, 1, &m2, &meta2, err) == 0);
        if (m2) {
            CHECK(m2->n_params == m->n_params &&
                  memcmp(m2->params, m->params, m->n_params * sizeof(float)) == 0);
            float p1[20], p2[20];
            predict_some(m, 20, 5, p1);
            predict_some(m2, 20, 5, p2);
            CHECK(memcmp(p1, p2, sizeof p1) == 0);
            CHECK_INT(meta2.n_classes, 2);
        }
        unlink(again);
        tr_lstm_free(m2);
        tr_model_meta_free(&meta2);
        tr_lstm_free(m);
        tr_model_meta_free(&meta);
    }

    /* version 2: bidirectional, three classes, a target scaler */
    tr_lstm_config cfg = {.n_features = 2, .units = 6, .layers = 2, .seq_len = 5,
                          .max_batch = 8, .dropout = 0.1f, .head = TR_HEAD_RETURN,
                          .bidirectional = 1};
    m = tr_lstm_new(&cfg, err);
    CHECK(m != NULL);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    tr_lstm_init(m, rng);
    CHECK(tr_model_meta_alloc(&meta, 2, err) == 0);
    tr_model_meta_set_string(&meta.feature_names[0], "log_return");
    tr_model_meta_set_string(&meta.feature_names[1], "rsi:14");
    tr_model_meta_set_string(&meta.target_kind, "return");
    meta.n_classes = 3;
    meta.has_target_scaler = 1;
    meta.target_center = 0.00125f;
    meta.target_scale = 0.0175f;
    snprintf(path, sizeof path, "%s/bi.model", tmp);
    CHECK(tr_model_save(path, m, &meta, err) == 0);
    rc = tr_model_load(path, 8, 1, &m2, &meta2, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK_INT(m2->cfg.bidirectional, 1);
        CHECK_INT(m2->cfg.layers, 2);
        CHECK(m2->n_params == m->n_params &&
              memcmp(m2->params, m->params, m->n_params * sizeof(float)) == 0);
        CHECK_INT(meta2.n_classes, 3);
        CHECK_INT(meta2.has_target_scaler, 1);
        CHECK(meta2.target_center == 0.00125f && meta2.target_scale == 0.0175f);
        float p1[20], p2[20];
        predict_some(m, 20, 9, p1);
        predict_some(m2, 20, 9, p2);
        CHECK(memcmp(p1, p2, sizeof p1) == 0);
        printf("bidirectional model: %zu weights round-tripped\n", m2->n_params);
    }
    unlink(path);
    test_version2_file_predicts_as_written(src ? src : ".");
    test_version3_records_each_layer(tmp);
    rmdir(tmp);
    tr_lstm_free(m);
    tr_lstm_free(m2);
    tr_model_meta_free(&meta);
    tr_model_meta_free(&meta2);
    gsl_rng_free(rng);
    return check_done();
}
