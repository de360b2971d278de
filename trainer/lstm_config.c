/*
 * lstm_config.c - what a tr_lstm_config describes, apart from running it (lstm.c):
 * each layer's hidden size, input size and dropout once the per-layer overrides are
 * resolved, whether a config is valid, how many weights its slab holds and what a
 * forward and backward pass cost. The model file's loader asks the same questions
 * of a config read from disk before it allocates anything.
 */
#include "trainer/lstm.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>

int tr_lstm_n_out(const tr_lstm_config *c)
{
    return c->head == TR_HEAD_MULTICLASS ? c->n_classes : 1;
}

int tr_lstm_layer_units(const tr_lstm_config *c, int l)
{
    assert(l >= 0 && l < TR_LSTM_MAX_LAYERS);
    return c->layer_units[l] > 0 ? c->layer_units[l] : c->units;
}

float tr_lstm_layer_dropout(const tr_lstm_config *c, int l)
{
    assert(l >= 0 && l < TR_LSTM_MAX_LAYERS);
    return c->layer_dropout_set & (1u << l) ? c->layer_dropout[l] : c->dropout;
}

int tr_lstm_layer_in(const tr_lstm_config *c, int l)
{
    return l == 0 ? c->n_features : (c->bidirectional ? 2 : 1) * tr_lstm_layer_units(c, l - 1);
}

int tr_lstm_max_units(const tr_lstm_config *c)
{
    int h = 0;
    for (int l = 0; l < c->layers && l < TR_LSTM_MAX_LAYERS; l++)
        h = tr_lstm_layer_units(c, l) > h ? tr_lstm_layer_units(c, l) : h;
    return h;
}

/* The per-layer part of the checks: every override of a layer in use in range.
 * 0, or -1 with err naming the layer (1-based, as the spec numbers them). */
static int check_layers(const tr_lstm_config *c, char err[256])
{
    for (int l = 0; l < c->layers; l++) {
        if (c->layer_units[l] < 0) {
            snprintf(err, 256, "lstm config: layer %d: units must be >= 1 (0 = units), got %d",
                     l + 1, c->layer_units[l]);
            return -1;
        }
        float p = tr_lstm_layer_dropout(c, l);
        if (!(p >= 0.0f && p < 1.0f)) {
            snprintf(err, 256, "lstm config: layer %d: dropout must be in [0, 1), got %g",
                     l + 1, (double)p);
            return -1;
        }
    }
    return 0;
}

int tr_lstm_config_check(const tr_lstm_config *c, char err[256])
{
    if (c->n_features < 1 || c->units < 1 || c->layers < 1 ||
        c->layers > TR_LSTM_MAX_LAYERS || c->seq_len < 1 || c->max_batch < 1) {
        snprintf(err, 256, "lstm config: need n_features, units, seq_len, max_batch >= 1 "
                 "and layers in 1..%d (got %d, %d, %d, %d, layers %d)", TR_LSTM_MAX_LAYERS,
                 c->n_features, c->units, c->seq_len, c->max_batch, c->layers);
        return -1;
    }
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f)) {
        snprintf(err, 256, "lstm config: dropout must be in [0, 1), got %g", (double)c->dropout);
        return -1;
    }
    if (check_layers(c, err))
        return -1;
    if (c->bidirectional != 0 && c->bidirectional != 1) {
        snprintf(err, 256, "lstm config: bidirectional must be 0 or 1, got %d", c->bidirectional);
        return -1;
    }
    if (c->head == TR_HEAD_MULTICLASS &&
        (c->n_classes < 2 || c->n_classes > TR_LSTM_MAX_CLASSES)) {
        snprintf(err, 256, "lstm config: n_classes must be in 2..%d, got %d",
                 TR_LSTM_MAX_CLASSES, c->n_classes);
        return -1;
    }
    for (int k = 0; c->head == TR_HEAD_MULTICLASS && k < c->n_classes; k++)
        if (!(c->class_weight[k] >= 0.0f) || !isfinite(c->class_weight[k])) {
            snprintf(err, 256, "lstm config: class weight %d must be finite and >= 0", k);
            return -1;
        }
    if (c->head != TR_HEAD_DIRECTION && c->head != TR_HEAD_RETURN &&
        c->head != TR_HEAD_MULTICLASS) {
        snprintf(err, 256, "lstm config: unknown head kind %d", (int)c->head);
        return -1;
    }
    double H = tr_lstm_max_units(c);
    if (H * c->seq_len * c->max_batch * (H + c->n_features) > 4e9) {
        snprintf(err, 256, "lstm config: units %d x seq_len %d x max_batch %d is too large",
                 (int)H, c->seq_len, c->max_batch);
        return -1;
    }
    return 0;
}

size_t tr_lstm_param_count(const tr_lstm_config *c)
{
    size_t n = 0, D = c->bidirectional ? 2 : 1;
    for (int l = 0; l < c->layers; l++) {
        size_t H = (size_t)tr_lstm_layer_units(c, l);
        n += D * 4 * H * ((size_t)tr_lstm_layer_in(c, l) + H + 2);
    }
    size_t K = (size_t)tr_lstm_n_out(c);
    return n + K * (D * (size_t)tr_lstm_layer_units(c, c->layers - 1) + 1);
}

void tr_lstm_flops(const tr_lstm_config *c, int B, double *fwd, double *bwd)
{
    double T = c->seq_len, f = 0.0, g = 0.0, D = c->bidirectional ? 2 : 1;
    for (int l = 0; l < c->layers; l++) {
        double K = tr_lstm_layer_in(c, l), H = tr_lstm_layer_units(c, l), G4 = 4.0 * H;
        f += 2.0 * T * B * K * G4;              /* input projection */
        f += 2.0 * (T - 1) * B * H * G4;        /* recurrent products */
        g += 2.0 * (T - 1) * B * H * G4;        /* dh_{t-1} = dG_t W_hh */
        g += 2.0 * (T - 1) * B * H * G4;        /* dW_hh */
        g += 2.0 * T * B * K * G4;              /* dW_ih */
        if (l > 0)
            g += 2.0 * T * B * K * G4;          /* dx into the layer below */
    }
    f *= D;                                     /* each direction of each layer */
    g *= D;
    double Ht = tr_lstm_layer_units(c, c->layers - 1);
    f += 2.0 * B * D * Ht * tr_lstm_n_out(c);   /* head */
    g += 4.0 * B * D * Ht * tr_lstm_n_out(c);
    *fwd = f;
    *bwd = g;
}
