/*
 * model_file.h - one file holds everything prediction needs: the architecture,
 * the features, target and scaler statistics (tr_model_meta), and the weights.
 *
 * Layout (all integers little-endian, floats IEEE-754 binary32 little-endian):
 *   magic     8 bytes  "SQTLSTM\0"
 *   version   u32      TR_MODEL_FILE_VERSION (a newer version is refused)
 *   arch      u32 x 7  n_features, units, layers, seq_len, head, bidirectional,
 *                      n_classes of a multiclass head (the last two version >= 2;
 *                      0 in version 1)
 *             f32      dropout
 *   per layer (version >= 3) u32 H_l x layers, f32 p_l x layers: each layer's
 *             hidden size and the dropout on its output, resolved (lstm.h's
 *             per-layer sizes); before version 3 every layer has units and dropout
 *   meta      u32 n_features, then per feature: u32 length + bytes (no NUL);
 *             string target_kind, i32 horizon, f32 deadband, i32 seq_len,
 *             string scaler_kind, u32 has_stats, then when 1: f32 center[n],
 *             f32 scale[n]
 *   target    (version >= 2) u32 n_classes (0 regression, 2 direction, 3 down/
 *             flat/up), u32 has_target_scaler, f32 target_center, f32 target_scale
 *             (the inverse transform of a scaled target: value = z * scale + center)
 *   weights   u64 n_params, f32 params[n_params] (the slab, layout of lstm.h)
 *   checksum  u64 FNV-1a 64 over every preceding byte of the file
 * Written durably: temp file in the same folder, fflush + fsync, rename().
 */
#ifndef TR_MODEL_FILE_H
#define TR_MODEL_FILE_H

#include "trainer/lstm.h"

#define TR_MODEL_FILE_VERSION 3  /* 3: each layer's size and dropout; 2: the
                                    bidirectional flag and the target section.
                                    Versions 1 and 2 still load (version 1: one
                                    direction, classes from target_kind, no target
                                    scaler; both: one size and dropout) */

/* What the data side records beside the weights. Every pointer is owned by the
 * struct: fill it with tr_model_meta_alloc, release with tr_model_meta_free. */
typedef struct tr_model_meta {
    int n_features;
    char **feature_names;   /* (n_features) NUL-terminated, e.g. "rsi:14" */
    char *target_kind;      /* "direction" or "return" */
    int horizon;            /* bars ahead of the label */
    float deadband;         /* direction deadband (0 when unused) */
    int seq_len;
    char *scaler_kind;      /* e.g. "standard", "robust", "none" */
    float *scaler_center;   /* (n_features) subtracted, or NULL when no statistics */
    float *scaler_scale;    /* (n_features) divided by, or NULL */
    int n_classes;          /* 0 regression, 2 direction, 3 multiclass */
    int has_target_scaler;  /* the head predicts (target - center) / scale */
    float target_center, target_scale;
} tr_model_meta;

/* Allocates n_features empty names (""), target_kind and scaler_kind as "" and
 * zeroed center/scale arrays. Returns 0, or -1 with err on out of memory (meta is
 * then freed). Release with tr_model_meta_free. */
int tr_model_meta_alloc(tr_model_meta *meta, int n_features, char err[256]);

/* Replaces *dst with a copy of src (for the name/kind strings); 0 or -1 (OOM). */
int tr_model_meta_set_string(char **dst, const char *src);

/* Frees every array and zeroes the struct; safe on a zeroed struct. */
void tr_model_meta_free(tr_model_meta *meta);

/* Writes m's architecture and weights with meta to path, durably. meta may be NULL
 * (an empty metadata section). Returns 0, or -1 with err naming the file. */
int tr_model_save(const char *path, const tr_lstm *m, const tr_model_meta *meta,
                  char err[256]);

/* Reads path: creates *out (max_batch windows of activations, OpenBLAS threads as
 * blas_threads, 0 = 1) and fills *meta (caller frees with tr_lstm_free and
 * tr_model_meta_free). A truncated, corrupted (checksum), newer-version or
 * otherwise malformed file returns -1 with err naming the file and the problem. */
int tr_model_load(const char *path, int max_batch, int blas_threads, tr_lstm **out,
                  tr_model_meta *meta, char err[256]);

#endif
