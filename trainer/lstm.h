/*
 * lstm.h - a stacked LSTM with a dense head, forward and backward (full BPTT).
 *
 * Semantics follow PyTorch's nn.LSTM (batch_first input) followed by nn.Dropout and
 * nn.Linear(units, 1), so PyTorch outputs serve as the reference in the tests:
 *
 *   for each layer l, time t (x_t is the layer's input, h_{-1} = c_{-1} = 0):
 *     a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        (4H_l: gates i, f, g, o)
 *     i = sigmoid(a_i)  f = sigmoid(a_f)  g = tanh(a_g)  o = sigmoid(a_o)
 *     c_t = f * c_{t-1} + i * g      h_t = o * tanh(c_t)
 *   between layers and before the head: inverted dropout (training only)
 *
 * Per-layer sizes: layer l has its own hidden size H_l (cfg.layer_units[l], 0 =
 * units) and its own dropout p_l on its output (into layer l+1, or into the head
 * for the top layer; cfg.layer_dropout[l] where bit l of cfg.layer_dropout_set
 * is set, else dropout). Layer l's input size is n_features for l = 0 and
 * D*H_{l-1} above, so such a stack equals single-layer nn.LSTM modules chained
 * with an nn.Dropout(p_l) after each; the head reads D*H_top. When every layer
 * has the defaults, everything (slab, masks, results) is as with one size.
 *   head: z = w_head . h_{T-1} + b_head
 *         direction: p = sigmoid(z), loss = mean BCE(p, y)   (computed from z, stable)
 *         return:    loss = mean (z - y)^2
 *
 * Bidirectional (cfg.bidirectional, PyTorch's nn.LSTM(bidirectional=True)): every
 * layer also runs a second, reverse LSTM over the same input from t = T-1 down to
 * t = 0 (h_T = c_T = 0), with its own weights; the layer's output at t is
 * [h_fwd_t, h_bwd_t] (2H), the next layer's input. The head reads
 * [h_fwd_{T-1}, h_bwd_0] of the last layer, the final state of each direction,
 * as PyTorch's h_n does (not output[:, -1], whose backward half has seen one bar).
 * The window itself holds past bars only, so the reverse pass reads no future.
 *
 * Both bias vectors b_ih and b_hh are kept, exactly as PyTorch stores them, so a
 * PyTorch state_dict maps 1:1 onto the parameter slab (they are summed once per
 * forward pass; their gradients are equal).
 *
 * Memory: every parameter lives in one slab (`params`) with a struct of pointers
 * into it (`p`), every gradient in a second slab of the same layout (`grads`, `g`):
 * zeroing, clipping, Adam and saving are single loops over one buffer. The order
 * in the slab is, per layer l: w_ih (4H_l, in_l), w_hh (4H_l, H_l), b_ih (4H_l),
 * b_hh (4H_l), then (bidirectional only) the reverse direction's four in the same
 * order; then w_head (n_out, D*H_top), b_head (n_out), D = 2 when bidirectional,
 * else 1. A layer's input size in_l is n_features for layer 0, D*H_{l-1} above
 * (PyTorch's state_dict order). Activations for `max_batch` windows are allocated
 * once in tr_lstm_new; forward/backward never allocate.
 *
 * Internally activations are time-major (T, B, ...) so that each timestep is one
 * contiguous block: the input projection of a whole layer is one GEMM over T*B
 * rows, each recurrent step one GEMM over the four fused gates, and the weight
 * gradients are one GEMM each over all timesteps.
 */
#ifndef TR_LSTM_H
#define TR_LSTM_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "trainer/windows.h"

#define TR_LSTM_MAX_LAYERS 4
#define TR_LSTM_MAX_CLASSES 8

typedef enum tr_head {
    TR_HEAD_DIRECTION = 0,  /* sigmoid + binary cross-entropy, targets 0/1 */
    TR_HEAD_RETURN = 1,     /* linear + mean squared error */
    TR_HEAD_MULTICLASS = 2  /* n_classes logits, softmax + categorical cross-entropy
                               (nn.CrossEntropyLoss: targets are class indices 0..K-1,
                               optional class weights, weighted mean over the batch) */
} tr_head;

typedef struct tr_lstm_config {
    int n_features;     /* input size, >= 1 */
    int units;          /* hidden size H of every layer without its own, >= 1 */
    int layers;         /* 1 .. TR_LSTM_MAX_LAYERS */
    int seq_len;        /* T, >= 1 */
    int max_batch;      /* activations are sized for this many windows, >= 1 */
    float dropout;      /* in [0, 1): between layers and before the head */
    tr_head head;
    int blas_threads;   /* OpenBLAS threads; 0 means 1 (one trial per process) */
    int bidirectional;  /* 0: forward only; 1: forward + reverse per layer (D = 2) */
    int n_classes;      /* multiclass head: K in 2..TR_LSTM_MAX_CLASSES; else ignored */
    float class_weight[TR_LSTM_MAX_CLASSES];  /* multiclass: nn.CrossEntropyLoss's
                               weight; all 0 = unweighted (every class 1) */
    /* per-layer overrides; entries of layers >= `layers` are ignored, a zeroed
     * config has none (every layer takes units and dropout) */
    int layer_units[TR_LSTM_MAX_LAYERS];      /* H_l, >= 1; 0 = units */
    float layer_dropout[TR_LSTM_MAX_LAYERS];  /* p_l in [0, 1) on layer l's output */
    unsigned layer_dropout_set;               /* bit l: layer_dropout[l] replaces
                                                 dropout for layer l */
} tr_lstm_config;

/* Values the head gives per window: n_classes for the multiclass head, else 1. */
int tr_lstm_n_out(const tr_lstm_config *cfg);

/* What a config describes (lstm_config.c). Layer l (0 <= l < cfg->layers): its
 * hidden size H_l (its override or units), its input size in_l (n_features, or
 * D*H_{l-1}) and the dropout on its output (its override or dropout); the
 * largest H_l. */
int tr_lstm_layer_units(const tr_lstm_config *cfg, int l);
int tr_lstm_layer_in(const tr_lstm_config *cfg, int l);
float tr_lstm_layer_dropout(const tr_lstm_config *cfg, int l);
int tr_lstm_max_units(const tr_lstm_config *cfg);

/* 0 when tr_lstm_new would accept cfg's sizes, head, overrides and memory
 * bound; else -1 with err naming the field (and the layer, 1-based). */
int tr_lstm_config_check(const tr_lstm_config *cfg, char err[256]);

/* The weights of the slab (lstm.h's layout); cfg must pass tr_lstm_config_check. */
size_t tr_lstm_param_count(const tr_lstm_config *cfg);

/* Pointers into a slab; the same layout for parameters and gradients. */
typedef struct tr_lstm_tensors {
    float *w_ih[TR_LSTM_MAX_LAYERS];    /* (4H_l, in_l), in_0 = n_features, else D*H_{l-1} */
    float *w_hh[TR_LSTM_MAX_LAYERS];    /* (4H_l, H_l) */
    float *b_ih[TR_LSTM_MAX_LAYERS];    /* (4H_l) */
    float *b_hh[TR_LSTM_MAX_LAYERS];    /* (4H_l) */
    float *w_head;                      /* (n_out, D*H_top) */
    float *b_head;                      /* (n_out) */
    /* the reverse direction of each layer; NULL unless bidirectional */
    float *w_ih_r[TR_LSTM_MAX_LAYERS];  /* (4H_l, in_l) */
    float *w_hh_r[TR_LSTM_MAX_LAYERS];  /* (4H_l, H_l) */
    float *b_ih_r[TR_LSTM_MAX_LAYERS];  /* (4H_l) */
    float *b_hh_r[TR_LSTM_MAX_LAYERS];  /* (4H_l) */
} tr_lstm_tensors;

/* Per-layer activations (time-major). Internal, but visible for tests. */
typedef struct tr_lstm_layer_act {
    const float *in;    /* (T, B, in_l) the layer's input in the last forward pass:
                           in_buf, or the layer below's h when there is no dropout */
    float *in_buf;  /* (T, B, in_l) own input storage (layer 0; dropped-out input) */
    float *gates;   /* (T, B, 4H_l) activated i,f,g,o; overwritten by dG in backward */
    float *c;       /* (T, B, H_l) cell state */
    float *tc;      /* (T, B, H_l) tanh(c) */
    float *h;       /* (T, B, H_l) hidden output */
    float *mask;    /* (T, B, in_l) dropout mask scaled by 1/(1-p_{l-1}), l > 0 only */
    float *wt_ih;   /* (in_l, 4H_l) W_ih transposed, refreshed by every forward pass */
    float *wt_hh;   /* (H_l, 4H_l) W_hh transposed, likewise (NN GEMMs run faster) */
    float *cat;     /* (T, B, 2H_l) [h_fwd, h_bwd]: bidirectional layers below the top */
} tr_lstm_layer_act;

typedef struct tr_lstm {
    tr_lstm_config cfg;
    size_t n_params;
    float *params;          /* (n_params) the one parameter slab */
    float *grads;           /* (n_params) the one gradient slab */
    tr_lstm_tensors p, g;   /* views into params and grads */

    /* activations, sized for cfg.max_batch; owned by the model */
    float *act;             /* one slab holding everything below */
    tr_lstm_layer_act L[TR_LSTM_MAX_LAYERS];
    tr_lstm_layer_act R[TR_LSTM_MAX_LAYERS];  /* reverse direction (bidirectional) */
    /* below, Hm is the largest H_l and H_top the top layer's H_l */
    float *head_in;         /* (B, D*H_top) h_{T-1} of the last layer after dropout */
    float *head_mask;       /* (B, D*H_top) */
    float *head_cat;        /* (B, 2H_top) [h_fwd_{T-1}, h_bwd_0] (bidirectional) */
    float *dh_r;            /* (T, B, Hm) reverse direction's output gradient (bidir.) */
    float *logits;          /* (B, n_out) */
    float *dz;              /* (B, n_out) dloss/dz */
    float *dh;              /* (T, B, max(D*Hm, F)) gradient w.r.t. a layer's output */
    float *dx;              /* (T, B, max(D*Hm, F)) gradient w.r.t. a layer's input */
    float *dh_next;         /* (B, Hm) */
    float *dc_next;         /* (B, Hm) */
    float *bias_sum;        /* (4Hm) b_ih + b_hh of the current layer */
    float *ones;            /* (T * B) all ones, for bias gradients as GEMV */
    float *xb;              /* (B, T, F) batch gather buffer for predict and fit */
    float *yb;              /* (B) targets gathered with xb */
    const float *head_src;  /* head input used by the last forward pass */
    int batch;              /* B of the last forward pass */
    int training;           /* the last forward pass was a training one (dropout
                               where a layer's p_l > 0) */
} tr_lstm;

/* Creates a model with zeroed parameters (call tr_lstm_init next). Sets OpenBLAS
 * to cfg.blas_threads (1 when 0). Returns NULL and fills err on a bad config (a
 * layer's size or dropout included, naming the layer) or out of memory. The
 * caller frees with tr_lstm_free. */
tr_lstm *tr_lstm_new(const tr_lstm_config *cfg, char err[256]);
void tr_lstm_free(tr_lstm *m);

/* PyTorch initialisation: every weight and bias of layer l uniform(-1/sqrt(H_l),
 * 1/sqrt(H_l)); the head (nn.Linear) uniform(-1/sqrt(D*H_top), 1/sqrt(D*H_top)) for
 * weight and bias. Draws in slab order from rng. */
void tr_lstm_init(tr_lstm *m, gsl_rng *rng);

/* Forward pass on a batch x (B, T, F) row-major, B <= cfg.max_batch, T = seq_len.
 * y (B) targets, or NULL (then the loss is not computed and 0 is returned).
 * training != 0 applies dropout with masks drawn from a generator seeded by
 * `dropout_seed` (ignored when training == 0 or dropout == 0).
 * Writes the head outputs to out (B, n_out) when out != NULL: probabilities for
 * the direction head, predicted values for the return head, the K class
 * probabilities (softmax) for the multiclass head. Returns the mean loss
 * (NaN when an input is NaN, or when B is out of range). */
float tr_lstm_forward(tr_lstm *m, const float *x, const float *y, int B,
                      int training, unsigned long dropout_seed, float *out);

/* The inverted dropout tr_lstm_forward applies (exposed for tests): out = in * mask
 * with mask[i] = 1/(1-p) (kept) or 0 (dropped), for n elements, 0 < p < 1. The
 * keep/drop bits come from splitmix64's stream at *state, which is advanced past
 * the ceil(n/2) outputs used: output j+1 (j = 0, 1, ...) decides elements 2j (its
 * low 32 bits) and 2j+1 (its high 32 bits); an element is kept when its 32 bits,
 * as an unsigned number, are >= p * 2^32 (rounded down). */
void tr_lstm_dropout(const float *in, float *out, float *mask, size_t n, float p,
                     uint64_t *state);

/* Tests: the path tr_lstm_dropout's mask runs on: 1 = AVX-512 DQ when the CPU has
 * it (and the build has that path: x86-64 GCC), else 0 = the plain loop; returns
 * the path now in use. By default the widest the CPU has. */
int tr_lstm_dropout_force(int level);

/* Backward pass of the last forward (which must have had y). ACCUMULATES into
 * m->grads (zero them first with tr_lstm_zero_grad). If dx != NULL the gradient
 * w.r.t. the input is written there, (B, T, F) row-major. Destroys the stored
 * gate activations (a second backward needs a new forward). */
void tr_lstm_backward(tr_lstm *m, float *dx);

void tr_lstm_zero_grad(tr_lstm *m);

/* L1 penalty lambda * sum |w| over the weight matrices (w_ih, w_hh of every layer
 * and direction, w_head), never the biases: ADDS lambda * sign(w) (sign(0) = 0, as
 * torch.sign) to m->grads and returns the penalty. lambda <= 0 does nothing, 0. */
double tr_lstm_l1(tr_lstm *m, double lambda);

/* Gathers windows idx[0..B-1] of w into x (B, T, F) and their targets into y (B).
 * idx == NULL means windows first .. first+B-1. */
void tr_lstm_gather(const tr_windows *w, const int *idx, int first, int B,
                    float *x, float *y);

/* Predicts every window of w in batches of cfg.max_batch (no dropout): out
 * (w->n, n_out) gets probabilities (direction), values (return) or the class
 * probabilities (multiclass). Returns 0, or -1 with err
 * filled when w's seq_len/n_features do not match the model. */
int tr_lstm_predict(tr_lstm *m, const tr_windows *w, float *out, char err[256]);

/* Mean loss over every window of w (no dropout); -1 with err on a shape mismatch.
 * scratch is not needed: it uses the model's buffers. Result in *loss. */
int tr_lstm_eval_loss(tr_lstm *m, const tr_windows *w, double *loss, char err[256]);

/* FLOPs of the matrix products of one forward (fwd) and one backward (bwd) pass of
 * B windows, counting 2*M*N*K per GEMM (pointwise work not counted). */
void tr_lstm_flops(const tr_lstm_config *cfg, int B, double *fwd, double *bwd);

#endif
