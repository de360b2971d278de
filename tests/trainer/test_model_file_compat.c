/*
 * test_model_file_compat - model files of version 2 carry the direction count and
 * the target section; files of version 1 still load.
 *
 * - tests/bad_inputs/models/good.model, written by the version-1 writer and
 *   committed, loads: one direction, its weights, n_classes 2 from its
 *   "direction" target, no target scaler; saved again (version 2) and reloaded it
 *   predicts bit-identically.
 * - A bidirectional 2-layer model with n_classes 3 and a target scaler saved and
 *   loaded keeps the flag, the classes, the scaler and every weight and prediction.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check.h"
#include "trainer/model_file.h"

/* Predictions of m on n random windows (seeded), into out (n). */
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
    rmdir(tmp);
    tr_lstm_free(m);
    tr_lstm_free(m2);
    tr_model_meta_free(&meta);
    tr_model_meta_free(&meta2);
    gsl_rng_free(rng);
    return check_done();
}
