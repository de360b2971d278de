/*
 * gen_model_seed.c - writes three small seeded model files: one layer with scaler
 * statistics, two layers without, three layers of their own sizes (4, 3, 2) and
 * dropouts. They are the source of the fuzz seeds in
 * fuzz/corpus/model/ (each stored as "\0" + file and "\1" + file minus its
 * checksum, see fuzz_model.c) and of tests/bad_inputs/models/ (good.model and
 * the damaged copies). Run by hand when the model format changes:
 * build-fuzz/fuzz/gen_model_seed DIR
 */
#include "trainer/model_file.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Saves one small seeded model to dir/name; 0 or 1. sized: layers of sizes 4,
 * 3 (units), 2 and dropouts 0.1, 0, 0.3. */
static int write_one(const char *dir, const char *name, int layers, int with_stats, int sized)
{
    char err[256], path[1024];
    tr_lstm_config cfg = {.n_features = 2, .units = 3, .layers = layers, .seq_len = 4,
                          .max_batch = 1, .dropout = 0.1f, .head = TR_HEAD_DIRECTION};
    if (sized) {
        cfg.layer_units[0] = 4;
        cfg.layer_units[2] = 2;
        cfg.layer_dropout[2] = 0.3f;
        cfg.layer_dropout_set = 2u | 4u;   /* layer 2: 0, layer 3: 0.3 */
    }
    tr_lstm *m = tr_lstm_new(&cfg, err);
    tr_model_meta meta;
    memset(&meta, 0, sizeof meta);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = 1;
    if (!m || !rng || tr_model_meta_alloc(&meta, 2, err) != 0)
        goto done;
    gsl_rng_set(rng, 1);
    tr_lstm_init(m, rng);
    tr_model_meta_set_string(&meta.feature_names[0], "log_return");
    tr_model_meta_set_string(&meta.feature_names[1], "rsi:14");
    tr_model_meta_set_string(&meta.target_kind, "direction");
    tr_model_meta_set_string(&meta.scaler_kind, with_stats ? "standard" : "none");
    meta.horizon = 1;
    meta.seq_len = 4;
    if (with_stats) {
        meta.scaler_center[0] = 0.001f; meta.scaler_center[1] = 50.0f;
        meta.scaler_scale[0] = 0.02f;   meta.scaler_scale[1] = 12.5f;
    } else {
        free(meta.scaler_center); free(meta.scaler_scale);
        meta.scaler_center = meta.scaler_scale = NULL;
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    rc = tr_model_save(path, m, &meta, err) == 0 ? 0 : 1;
done:
    if (rc)
        fprintf(stderr, "gen_model_seed: %s: %s\n", name, err);
    gsl_rng_free(rng);
    tr_model_meta_free(&meta);
    tr_lstm_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    const char *dir = argc > 1 ? argv[1] : ".";
    return write_one(dir, "one_layer.model", 1, 1, 0) | write_one(dir, "two_layers.model", 2, 0, 0) |
           write_one(dir, "sized_layers.model", 3, 1, 1);
}
