/*
 * bench_lstm_onednn - oneDNN's LSTM primitive on bench_lstm's shapes: the peer
 * PyTorch 2.x uses for its CPU nn.LSTM, driven from C the way PyTorch drives it.
 *
 *   bench_lstm_onednn --shape reference|small|large|bidirectional [--steps N]
 *
 * One single-layer lstm_forward (training and inference) and lstm_backward
 * primitive per layer; primitives, memory and reorders are created once. The
 * bidirectional shape (the reference shape as nn.LSTM(bidirectional=True)) is run
 * as PyTorch 2.x runs it: one primitive per layer with direction
 * bidirectional_concat (weights (1, 2, ...), states (1, 2, B, H), output
 * (T, B, 2H) = [h_fwd_t, h_bwd_t], the next layer's input); the other shapes run
 * left2right. The weights live in one user slab in oneDNN's plain layouts (ldigo
 * for both weight tensors, ldgo for the one bias) and are reordered into the
 * primitives' preferred layouts inside the timed loop after every Adam update,
 * and the weight gradients back, as a framework must. The head (Linear(D*H, 1),
 * BCE with logits; on h_{T-1}, or bidirectional on [h_fwd_{T-1}, h_bwd_0], each
 * direction's final state, as seqtune's head reads), global-norm clipping at 1.0
 * and Adam (lr 1e-3, PyTorch's defaults) are written by hand over the slab.
 *
 * oneDNN 2.6.3 trap: with empty (zero) descriptors for the initial hidden and
 * cell state the backward pass returns wrong gradients for the recurrent weights,
 * so every primitive gets explicit zero initial states (and zero diff_dst_iter).
 *
 * Before timing, a correctness check builds small models (b4 s7 f5 u6 l2, one
 * direction and both) with seqtune's tr_lstm, copies their parameters into
 * oneDNN's layout and compares the head outputs and every parameter gradient with
 * seqtune's forward/backward; the bench exits 3 when they differ by more than
 * 1e-4 (relative to the largest gradient). The same checks with empty
 * initial-state descriptors are reported too, informational only: the
 * unidirectional one shows the trap, the bidirectional primitive does not.
 *
 * The last line is one JSON object. Run with OMP_NUM_THREADS=1 (bench/lstm does).
 */
#include <cjson/cJSON.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort_double.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "trainer/lstm.h"

#define CK(call)                                                                     \
    do {                                                                             \
        dnnl_status_t st_ = (call);                                                  \
        if (st_ != dnnl_success) {                                                   \
            fprintf(stderr, "bench_lstm_onednn: %s:%d: %s: %s\n", __FILE__, __LINE__, \
                    #call, dnnl_status2str(st_));                                    \
            exit(2);                                                                 \
        }                                                                            \
    } while (0)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static dnnl_engine_t eng;
static dnnl_stream_t strm;

/* A weight tensor as the user keeps it and as one primitive wants it. */
typedef struct wview {
    dnnl_memory_t user, prim;   /* prim == user when the layouts agree */
    dnnl_primitive_t to_prim;   /* user -> prim, or NULL */
    dnnl_primitive_t to_user;   /* prim -> user (gradients), or NULL */
} wview;

static dnnl_memory_t mem(const dnnl_memory_desc_t *md, void *handle)
{
    dnnl_memory_t m;
    CK(dnnl_memory_create(&m, md, eng, handle ? handle : DNNL_MEMORY_ALLOCATE));
    return m;
}

static dnnl_primitive_t reorder(dnnl_memory_t from, dnnl_memory_t to)
{
    const dnnl_memory_desc_t *a, *b;
    CK(dnnl_memory_get_memory_desc(from, &a));
    CK(dnnl_memory_get_memory_desc(to, &b));
    dnnl_primitive_desc_t pd;
    CK(dnnl_reorder_primitive_desc_create(&pd, a, eng, b, eng, NULL));
    dnnl_primitive_t p;
    CK(dnnl_primitive_create(&p, pd));
    dnnl_primitive_desc_destroy(pd);
    return p;
}

static void run_reorder(dnnl_primitive_t p, dnnl_memory_t from, dnnl_memory_t to)
{
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    CK(dnnl_primitive_execute(p, strm, 2, a));
}

/* wanted: the primitive's layout; user: memory over the user's slab. */
static wview view(dnnl_memory_t user, const dnnl_memory_desc_t *wanted, int gradient)
{
    wview v = {user, user, NULL, NULL};
    const dnnl_memory_desc_t *u;
    CK(dnnl_memory_get_memory_desc(user, &u));
    if (dnnl_memory_desc_equal(u, wanted))
        return v;
    v.prim = mem(wanted, NULL);
    if (gradient)
        v.to_user = reorder(v.prim, user);
    else
        v.to_prim = reorder(user, v.prim);
    return v;
}

static void zero_mem(dnnl_memory_t m)
{
    const dnnl_memory_desc_t *md;
    void *p;
    CK(dnnl_memory_get_memory_desc(m, &md));
    CK(dnnl_memory_get_data_handle(m, &p));
    memset(p, 0, dnnl_memory_desc_get_size(md));
}

static float *handle(dnnl_memory_t m)
{
    void *p;
    CK(dnnl_memory_get_data_handle(m, &p));
    return p;
}

/* One layer: its primitives and buffers for batch N. */
typedef struct layer {
    int in, H, D;   /* D: directions, 1 or 2 (bidirectional_concat) */
    dnnl_primitive_t fwd, bwd, inf;
    wview wl_f, wi_f, b_f, wl_b, wi_b, b_b, wl_i, wi_i, b_i, dwl, dwi, db;
    dnnl_memory_t src, dst, dst_inf, ws, dsrc, ddst;    /* src/ddst: not owned */
    dnnl_memory_t h0, c0, hT, cT, dh0, dc0, dhT, dcT;    /* NULL when `empty` */
} layer;

static void md_tag(dnnl_memory_desc_t *md, int nd, const dnnl_dims_t d, dnnl_format_tag_t t)
{
    CK(dnnl_memory_desc_init_by_tag(md, nd, d, dnnl_f32, t));
}

/* Builds a layer of D directions over the user slabs w (weights) and g
 * (gradients): wl (D, in, 4, H), wi (D, H, 4, H), bias (D, 4, H); its output is
 * (T, N, D*H). empty != 0 gives the primitives empty initial- and final-state
 * descriptors (the 2.6.3 trap; used by the check only). */
static void layer_build(layer *y, int T, int N, int in, int H, int D, float *w, float *g,
                        dnnl_memory_t src, dnnl_memory_t ddst, int empty)
{
    memset(y, 0, sizeof *y);
    y->in = in;
    y->H = H;
    y->D = D;
    dnnl_memory_desc_t src_md, dst_md, st_md, wl_u, wi_u, b_u, wl_any, wi_any, b_any,
        none;
    memset(&none, 0, sizeof none);
    md_tag(&src_md, 3, (dnnl_dims_t){T, N, in}, dnnl_tnc);
    md_tag(&dst_md, 3, (dnnl_dims_t){T, N, D * H}, dnnl_tnc);
    md_tag(&st_md, 4, (dnnl_dims_t){1, D, N, H}, dnnl_ldnc);
    md_tag(&wl_u, 5, (dnnl_dims_t){1, D, in, 4, H}, dnnl_ldigo);
    md_tag(&wi_u, 5, (dnnl_dims_t){1, D, H, 4, H}, dnnl_ldigo);
    md_tag(&b_u, 4, (dnnl_dims_t){1, D, 4, H}, dnnl_ldgo);
    md_tag(&wl_any, 5, (dnnl_dims_t){1, D, in, 4, H}, dnnl_format_tag_any);
    md_tag(&wi_any, 5, (dnnl_dims_t){1, D, H, 4, H}, dnnl_format_tag_any);
    md_tag(&b_any, 4, (dnnl_dims_t){1, D, 4, H}, dnnl_format_tag_any);
    const dnnl_memory_desc_t *st = empty ? &none : &st_md;
    dnnl_rnn_direction_t dir = D == 2 ? dnnl_bidirectional_concat
                                      : dnnl_unidirectional_left2right;

    dnnl_rnn_desc_t fd, id, bd;
    CK(dnnl_lstm_forward_desc_init(&fd, dnnl_forward_training, dir, &src_md, st, st,
                                   &wl_any, &wi_any, &b_any, &dst_md, st, st, 0));
    CK(dnnl_lstm_forward_desc_init(&id, dnnl_forward_inference, dir, &src_md, st, st,
                                   &wl_any, &wi_any, &b_any, &dst_md, st, st, 0));
    dnnl_primitive_desc_t fpd, ipd, bpd;
    CK(dnnl_primitive_desc_create(&fpd, &fd, NULL, eng, NULL));
    CK(dnnl_primitive_desc_create(&ipd, &id, NULL, eng, NULL));
    CK(dnnl_lstm_backward_desc_init(&bd, dnnl_backward, dir, &src_md, st, st, &wl_any,
                                    &wi_any, &b_any, &dst_md, st, st, &src_md, st, st,
                                    &wl_any, &wi_any, &b_any, &dst_md, st, st, 0));
    CK(dnnl_primitive_desc_create(&bpd, &bd, NULL, eng, fpd));

    size_t nwl = (size_t)D * in * 4 * H, nwi = (size_t)D * H * 4 * H;
    dnnl_memory_t uwl = mem(&wl_u, w), uwi = mem(&wi_u, w + nwl),
                  ub = mem(&b_u, w + nwl + nwi);
    dnnl_memory_t gwl = mem(&wl_u, g), gwi = mem(&wi_u, g + nwl),
                  gb = mem(&b_u, g + nwl + nwi);
#define QW(pd, q, i) dnnl_primitive_desc_query_md(pd, q, i)
    y->wl_f = view(uwl, QW(fpd, dnnl_query_weights_md, 0), 0);
    y->wi_f = view(uwi, QW(fpd, dnnl_query_weights_md, 1), 0);
    y->b_f = view(ub, QW(fpd, dnnl_query_weights_md, 2), 0);
    y->wl_i = view(uwl, QW(ipd, dnnl_query_weights_md, 0), 0);
    y->wi_i = view(uwi, QW(ipd, dnnl_query_weights_md, 1), 0);
    y->b_i = view(ub, QW(ipd, dnnl_query_weights_md, 2), 0);
    y->wl_b = view(uwl, QW(bpd, dnnl_query_weights_md, 0), 0);
    y->wi_b = view(uwi, QW(bpd, dnnl_query_weights_md, 1), 0);
    y->b_b = view(ub, QW(bpd, dnnl_query_weights_md, 2), 0);
    y->dwl = view(gwl, QW(bpd, dnnl_query_diff_weights_md, 0), 1);
    y->dwi = view(gwi, QW(bpd, dnnl_query_diff_weights_md, 1), 1);
    y->db = view(gb, QW(bpd, dnnl_query_diff_weights_md, 2), 1);
    y->ws = mem(QW(fpd, dnnl_query_workspace_md, 0), NULL);
#undef QW
    y->src = src;
    y->ddst = ddst;
    y->dst = mem(&dst_md, NULL);
    y->dst_inf = mem(&dst_md, NULL);
    y->dsrc = mem(&src_md, NULL);
    if (!empty) {
        y->h0 = mem(&st_md, NULL); y->c0 = mem(&st_md, NULL);
        y->hT = mem(&st_md, NULL); y->cT = mem(&st_md, NULL);
        y->dh0 = mem(&st_md, NULL); y->dc0 = mem(&st_md, NULL);
        y->dhT = mem(&st_md, NULL); y->dcT = mem(&st_md, NULL);
        zero_mem(y->h0); zero_mem(y->c0); zero_mem(y->dhT); zero_mem(y->dcT);
    }
    CK(dnnl_primitive_create(&y->fwd, fpd));
    CK(dnnl_primitive_create(&y->inf, ipd));
    CK(dnnl_primitive_create(&y->bwd, bpd));
    dnnl_primitive_desc_destroy(fpd);
    dnnl_primitive_desc_destroy(ipd);
    dnnl_primitive_desc_destroy(bpd);
}

static void to_prim(const wview *v)
{
    if (v->to_prim)
        run_reorder(v->to_prim, v->user, v->prim);
}

static int add_states(dnnl_exec_arg_t *a, int n, const layer *y, int backward)
{
    if (!y->h0)
        return n;
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER, y->h0};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER_C, y->c0};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_ITER, y->hT};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_ITER_C, y->cT};
    if (backward) {
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_ITER, y->dh0};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_ITER_C, y->dc0};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST_ITER, y->dhT};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST_ITER_C, y->dcT};
    }
    return n;
}

static void layer_forward(layer *y, int inference)
{
    dnnl_exec_arg_t a[16];
    int n = 0;
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_LAYER, y->src};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_LAYER, inference ? y->wl_i.prim : y->wl_f.prim};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_ITER, inference ? y->wi_i.prim : y->wi_f.prim};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, inference ? y->b_i.prim : y->b_f.prim};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_LAYER, inference ? y->dst_inf : y->dst};
    if (!inference)
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WORKSPACE, y->ws};
    n = add_states(a, n, y, 0);
    CK(dnnl_primitive_execute(inference ? y->inf : y->fwd, strm, n, a));
}

static void layer_backward(layer *y)
{
    /* the primitive accumulates into diff weights: start from zero */
    zero_mem(y->dwl.prim); zero_mem(y->dwi.prim); zero_mem(y->db.prim);
    dnnl_exec_arg_t a[24];
    int n = 0;
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_LAYER, y->src};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_LAYER, y->wl_b.prim};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_ITER, y->wi_b.prim};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, y->b_b.prim};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_LAYER, y->dst};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WORKSPACE, y->ws};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST_LAYER, y->ddst};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_LAYER, y->dsrc};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS_LAYER, y->dwl.prim};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS_ITER, y->dwi.prim};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_BIAS, y->db.prim};
    n = add_states(a, n, y, 1);
    CK(dnnl_primitive_execute(y->bwd, strm, n, a));
    if (y->dwl.to_user) run_reorder(y->dwl.to_user, y->dwl.prim, y->dwl.user);
    if (y->dwi.to_user) run_reorder(y->dwi.to_user, y->dwi.prim, y->dwi.user);
    if (y->db.to_user) run_reorder(y->db.to_user, y->db.prim, y->db.user);
}

/* The whole network for batch N. */
typedef struct net {
    int T, N, F, H, L, D;           /* D: directions, 1 or 2 */
    size_t n_params;
    float *w, *g, *m1, *m2;         /* slabs: params, grads, Adam moments */
    size_t off[TR_LSTM_MAX_LAYERS]; /* layer l's block in the slabs */
    float *w_head, *b_head, *g_head, *gb_head;
    layer y[TR_LSTM_MAX_LAYERS];
    dnnl_memory_t x;                /* (T, N, F) input */
    dnnl_memory_t dtop;             /* (T, N, D*H) diff of the top layer's output */
    float z[1024];                  /* logits */
    long adam_t;
} net;

/* The slab per layer l: wl (D, in_l, 4, H), wi (D, H, 4, H), bias (D, 4, H), in_0 =
 * F, in_l = D*H above; then w_head (D*H), b_head. */
static void net_build(net *nt, int T, int N, int F, int H, int L, int D, int empty)
{
    memset(nt, 0, sizeof *nt);
    nt->T = T; nt->N = N; nt->F = F; nt->H = H; nt->L = L; nt->D = D;
    size_t n = 0;
    for (int l = 0; l < L; l++) {
        nt->off[l] = n;
        n += (size_t)D * ((size_t)(l ? D * H : F) * 4 * H + (size_t)H * 4 * H + 4 * (size_t)H);
    }
    nt->n_params = n + (size_t)D * H + 1;
    nt->w = calloc(nt->n_params, sizeof(float));
    nt->g = calloc(nt->n_params, sizeof(float));
    nt->m1 = calloc(nt->n_params, sizeof(float));
    nt->m2 = calloc(nt->n_params, sizeof(float));
    nt->w_head = nt->w + n; nt->b_head = nt->w + n + (size_t)D * H;
    nt->g_head = nt->g + n; nt->gb_head = nt->g + n + (size_t)D * H;
    dnnl_memory_desc_t xmd, hmd;
    md_tag(&xmd, 3, (dnnl_dims_t){T, N, F}, dnnl_tnc);
    md_tag(&hmd, 3, (dnnl_dims_t){T, N, D * H}, dnnl_tnc);
    nt->x = mem(&xmd, NULL);
    nt->dtop = mem(&hmd, NULL);
    zero_mem(nt->dtop);
    /* top-down so that each layer's diff_dst is the diff_src of the one above */
    for (int l = L - 1; l >= 0; l--) {
        dnnl_memory_t ddst = l == L - 1 ? nt->dtop : nt->y[l + 1].dsrc;
        layer_build(&nt->y[l], T, N, l ? D * H : F, H, D, nt->w + nt->off[l],
                    nt->g + nt->off[l], NULL, ddst, empty);
    }
    nt->y[0].src = nt->x;
    for (int l = 1; l < L; l++)
        nt->y[l].src = nt->y[l - 1].dst;
}

/* Gathers windows first..first+N-1 of rows x (rows, F) ending at ends[] into x (T, N, F). */
static void gather(net *nt, const float *x, const int *ends, int first)
{
    float *d = handle(nt->x);
    int T = nt->T, N = nt->N, F = nt->F;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < N; b++)
            memcpy(d + ((size_t)t * N + b) * F,
                   x + (size_t)(ends[first + b] - T + 1 + t) * F, sizeof(float) * F);
}

/* The head's two inputs for window b in top (T, N, D*H): h_fwd at t = T-1 and
 * (bidirectional) h_bwd at t = 0, each H wide; *hb is NULL when D = 1. */
static void head_rows(const net *nt, float *top, int b, float **hf, float **hb)
{
    size_t DH = (size_t)nt->D * nt->H;
    *hf = top + ((size_t)(nt->T - 1) * nt->N + b) * DH;
    *hb = nt->D == 2 ? top + (size_t)b * DH + nt->H : NULL;
}

/* z_b = w_head . [h_fwd_{T-1}, h_bwd_0] + b_head (D = 1: w_head . h_{T-1} + b_head) */
static void head_forward(net *nt, dnnl_memory_t top)
{
    int H = nt->H;
    for (int b = 0; b < nt->N; b++) {
        float *hf, *hb, s = *nt->b_head;
        head_rows(nt, handle(top), b, &hf, &hb);
        for (int j = 0; j < H; j++)
            s += nt->w_head[j] * hf[j];
        for (int j = 0; hb && j < H; j++)
            s += nt->w_head[H + j] * hb[j];
        nt->z[b] = s;
    }
}

/* Forward through the layers and the head; returns the mean BCE loss. */
static double train_forward(net *nt, const float *y)
{
    for (int l = 0; l < nt->L; l++) {
        to_prim(&nt->y[l].wl_f); to_prim(&nt->y[l].wi_f); to_prim(&nt->y[l].b_f);
        layer_forward(&nt->y[l], 0);
    }
    head_forward(nt, nt->y[nt->L - 1].dst);
    double loss = 0;
    for (int b = 0; b < nt->N; b++) {
        double z = nt->z[b];
        loss += fmax(z, 0) - z * y[b] + log1p(exp(-fabs(z)));
    }
    return loss / nt->N;
}

/* The head's gradients, and its diff into dtop: only the slices the head read
 * (h_fwd at T-1, h_bwd at 0) are written; the rest of dtop stays zero. */
static void train_backward(net *nt, const float *y)
{
    int N = nt->N, H = nt->H;
    memset(nt->g_head, 0, sizeof(float) * ((size_t)nt->D * H + 1));
    for (int b = 0; b < N; b++) {
        float dz = (float)((1.0 / (1.0 + exp(-(double)nt->z[b])) - y[b]) / N);
        float *hf, *hb, *dhf, *dhb;
        head_rows(nt, handle(nt->y[nt->L - 1].dst), b, &hf, &hb);
        head_rows(nt, handle(nt->dtop), b, &dhf, &dhb);
        *nt->gb_head += dz;
        for (int j = 0; j < H; j++) {
            nt->g_head[j] += dz * hf[j];
            dhf[j] = dz * nt->w_head[j];
        }
        for (int j = 0; hb && j < H; j++) {
            nt->g_head[H + j] += dz * hb[j];
            dhb[j] = dz * nt->w_head[H + j];
        }
    }
    for (int l = nt->L - 1; l >= 0; l--) {
        to_prim(&nt->y[l].wl_b); to_prim(&nt->y[l].wi_b); to_prim(&nt->y[l].b_b);
        layer_backward(&nt->y[l]);
    }
}

static void clip_adam(net *nt, double clip, double lr)
{
    double ss = 0;
    for (size_t i = 0; i < nt->n_params; i++)
        ss += (double)nt->g[i] * nt->g[i];
    double norm = sqrt(ss);
    float sc = norm > clip ? (float)(clip / (norm + 1e-6)) : 1.0f;
    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    nt->adam_t++;
    float c1 = (float)(1.0 - pow(b1, (double)nt->adam_t));
    float c2 = (float)(1.0 - pow(b2, (double)nt->adam_t));
    float step = (float)lr / c1, rc2 = 1.0f / sqrtf(c2);
    for (size_t i = 0; i < nt->n_params; i++) {
        float gi = nt->g[i] * sc;
        nt->m1[i] = b1 * nt->m1[i] + (1 - b1) * gi;
        nt->m2[i] = b2 * nt->m2[i] + (1 - b2) * gi * gi;
        nt->w[i] -= step * nt->m1[i] / (sqrtf(nt->m2[i]) * rc2 + eps);
    }
}

/* Direction d of layer l in nt's slab (v = w or g): wl (in, 4H), wi (H, 4H), b (4H). */
static void slab_dir(const net *nt, float *v, int l, int d, float **wl, float **wi, float **b)
{
    size_t D = (size_t)nt->D, H = (size_t)nt->H, in = l ? D * H : (size_t)nt->F;
    float *base = v + nt->off[l];
    *wl = base + (size_t)d * in * 4 * H;
    *wi = base + D * in * 4 * H + (size_t)d * H * 4 * H;
    *b = base + D * in * 4 * H + D * H * 4 * H + (size_t)d * 4 * H;
}

/* Copies a tr_lstm's parameters into nt's slab (oneDNN layout, biases summed). */
static void copy_params(net *nt, const tr_lstm *m)
{
    int H = nt->H;
    for (int l = 0; l < nt->L; l++)
        for (int d = 0; d < nt->D; d++) {
            int in = l ? nt->D * H : nt->F;
            const float *w_ih = d ? m->p.w_ih_r[l] : m->p.w_ih[l],
                        *w_hh = d ? m->p.w_hh_r[l] : m->p.w_hh[l],
                        *b_ih = d ? m->p.b_ih_r[l] : m->p.b_ih[l],
                        *b_hh = d ? m->p.b_hh_r[l] : m->p.b_hh[l];
            float *wl, *wi, *b;
            slab_dir(nt, nt->w, l, d, &wl, &wi, &b);
            for (int r = 0; r < 4 * H; r++) {           /* row r = gate*H + unit */
                for (int k = 0; k < in; k++)
                    wl[(size_t)k * 4 * H + r] = w_ih[(size_t)r * in + k];
                for (int k = 0; k < H; k++)
                    wi[(size_t)k * 4 * H + r] = w_hh[(size_t)r * H + k];
                b[r] = b_ih[r] + b_hh[r];
            }
        }
    memcpy(nt->w_head, m->p.w_head, sizeof(float) * (size_t)nt->D * H);
    *nt->b_head = *m->p.b_head;
}

/* Largest |oneDNN - seqtune| gradient difference over the largest |gradient|. */
static double grad_diff(const net *nt, const tr_lstm *m, double *w_hh_diff)
{
    int H = nt->H;
    double dmax = 0, gmax = 1e-30, dhh = 0;
    for (int l = 0; l < nt->L; l++)
        for (int d = 0; d < nt->D; d++) {
            int in = l ? nt->D * H : nt->F;
            const float *s_ih = d ? m->g.w_ih_r[l] : m->g.w_ih[l],
                        *s_hh = d ? m->g.w_hh_r[l] : m->g.w_hh[l],
                        *s_b = d ? m->g.b_ih_r[l] : m->g.b_ih[l];
            float *gl, *gi, *gb;
            slab_dir(nt, nt->g, l, d, &gl, &gi, &gb);
            for (int r = 0; r < 4 * H; r++) {
                for (int k = 0; k < in; k++) {
                    double s = s_ih[(size_t)r * in + k];
                    dmax = fmax(dmax, fabs(gl[(size_t)k * 4 * H + r] - s));
                    gmax = fmax(gmax, fabs(s));
                }
                for (int k = 0; k < H; k++) {
                    double s = s_hh[(size_t)r * H + k];
                    double e = fabs(gi[(size_t)k * 4 * H + r] - s);
                    dmax = fmax(dmax, e);
                    dhh = fmax(dhh, e);
                    gmax = fmax(gmax, fabs(s));
                }
                /* seqtune's two bias gradients are equal; oneDNN has one bias */
                double s = s_b[r];
                dmax = fmax(dmax, fabs(gb[r] - s));
                gmax = fmax(gmax, fabs(s));
            }
        }
    for (int j = 0; j < nt->D * H; j++) {
        dmax = fmax(dmax, fabs(nt->g_head[j] - m->g.w_head[j]));
        gmax = fmax(gmax, fabs(m->g.w_head[j]));
    }
    dmax = fmax(dmax, fabs(*nt->gb_head - *m->g.b_head));
    *w_hh_diff = dhh / gmax;
    return dmax / gmax;
}

/* The check on b4 s7 f5 u6 l2, one direction (bi = 0) or both (bi = 1): returns
 * the largest output difference and sets the relative gradient difference (and
 * that of W_hh alone, both directions). */
static double check(int empty, int bi, double *grad_rel, double *whh_rel)
{
    const int B = 4, T = 7, F = 5, H = 6, L = 2;
    char err[256];
    tr_lstm_config cfg = {.n_features = F, .units = H, .layers = L, .seq_len = T,
                          .max_batch = B, .dropout = 0.0f, .head = TR_HEAD_DIRECTION,
                          .bidirectional = bi};
    tr_lstm *m = tr_lstm_new(&cfg, err);
    if (!m) {
        fprintf(stderr, "bench_lstm_onednn: %s\n", err);
        exit(2);
    }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    tr_lstm_init(m, rng);
    int rows = B + T - 1;
    float x[(4 + 7 - 1) * 5], xb[4 * 7 * 5], y[4 + 7 - 1], p[4];
    int ends[4];
    for (int i = 0; i < rows * F; i++)
        x[i] = (float)(2 * gsl_rng_uniform(rng) - 1);
    for (int r = 0; r < rows; r++)
        y[r] = (float)(r % 2);
    for (int b = 0; b < B; b++)
        ends[b] = b + T - 1;
    tr_windows w = {x, y, ends, B, T, F};
    float yb[4];
    tr_lstm_gather(&w, NULL, 0, B, xb, yb);
    tr_lstm_zero_grad(m);
    tr_lstm_forward(m, xb, yb, B, 1, 0, p);
    tr_lstm_backward(m, NULL);

    net nt;
    net_build(&nt, T, B, F, H, L, bi ? 2 : 1, empty);
    copy_params(&nt, m);
    gather(&nt, x, ends, 0);
    train_forward(&nt, yb);
    double dout = 0;
    for (int b = 0; b < B; b++)
        dout = fmax(dout, fabs(1.0 / (1.0 + exp(-(double)nt.z[b])) - p[b]));
    train_backward(&nt, yb);
    *grad_rel = grad_diff(&nt, m, whh_rel);
    gsl_rng_free(rng);
    tr_lstm_free(m);
    return dout;   /* the check's net is left to the process exit */
}

/* B over the median of the sorted step times dt (steps of them); frees dt. */
static double median_rate(double *dt, int steps, int B)
{
    gsl_sort(dt, 1, (size_t)steps);
    double r = B / gsl_stats_median_from_sorted_data(dt, 1, (size_t)steps);
    free(dt);
    return r;
}

/* `steps` training steps (after one warm-up) on windows 0.. of rows x ending at
 * ends[], targets y: returns the seconds; *step_rate = B / the median step. */
static double time_train(net *nt, const float *x, const float *y, const int *ends, int steps,
                         double *step_rate)
{
    int B = nt->N, T = nt->T;
    double *dt = malloc(sizeof(double) * (size_t)steps);
    double t0 = 0, ts = 0;
    for (int s = -1; s < steps; s++) {           /* s = -1: warm-up step */
        if (s == 0)
            t0 = ts = now();
        int first = s < 0 ? 0 : s * B;
        gather(nt, x, ends, first);
        train_forward(nt, y + first + T - 1);
        train_backward(nt, y + first + T - 1);
        clip_adam(nt, 1.0, 1e-3);
        if (s >= 0) {
            double e = now();
            dt[s] = e - ts;
            ts = e;
        }
    }
    double t = now() - t0;
    *step_rate = median_rate(dt, steps, B);
    return t;
}

/* `steps` inference batches (after one warm-up) into pred (steps * B): returns
 * the seconds; *step_rate = B / the median batch. */
static double time_infer(net *nt, const float *x, const int *ends, int steps, float *pred,
                         double *step_rate)
{
    int B = nt->N, L = nt->L;
    double *dt = malloc(sizeof(double) * (size_t)steps);
    double t0 = 0;
    for (int s = -1; s < steps; s++) {
        if (s == 0)
            t0 = now();
        if (s <= 0)   /* the weights do not change during inference: reorder once */
            for (int l = 0; l < L; l++) {
                to_prim(&nt->y[l].wl_i); to_prim(&nt->y[l].wi_i); to_prim(&nt->y[l].b_i);
            }
        int first = s < 0 ? 0 : s * B;
        double t1 = now();
        gather(nt, x, ends, first);
        for (int l = 0; l < L; l++) {
            if (l)
                nt->y[l].src = nt->y[l - 1].dst_inf;
            layer_forward(&nt->y[l], 1);
        }
        head_forward(nt, nt->y[L - 1].dst_inf);
        for (int b = 0; b < B; b++)
            pred[first + b] = 1.0f / (1.0f + expf(-nt->z[b]));
        if (s >= 0)
            dt[s] = now() - t1;
    }
    double t = now() - t0;
    *step_rate = median_rate(dt, steps, B);
    return t;
}

/* The check's figures for one configuration: with explicit zero states (they
 * gate the run) and with empty state descriptors (informational). */
typedef struct check_figs {
    double dout, g_rel, whh_rel, dout_e, g_rel_e, whh_rel_e;
} check_figs;

/* Runs the check one direction (c[0]) and both (c[1]), prints one line each;
 * returns 1 when both agree with seqtune. */
static int run_checks(check_figs c[2])
{
    const dnnl_version_t *ver = dnnl_version();
    int ok = 1;
    for (int bi = 0; bi < 2; bi++) {
        check_figs *f = &c[bi];
        f->dout = check(0, bi, &f->g_rel, &f->whh_rel);
        f->dout_e = check(1, bi, &f->g_rel_e, &f->whh_rel_e);
        int good = f->dout <= 1e-5 && f->g_rel <= 1e-4;
        ok = ok && good;
        printf("onednn %d.%d.%d check b4 s7 f5 u6 l2 %s vs seqtune: |dp| %.2e, gradients %.2e "
               "(W_hh %.2e) relative: %s; with empty initial-state descriptors: |dp| %.2e, "
               "gradients %.2e (W_hh %.2e)\n", ver->major, ver->minor, ver->patch,
               bi ? "bidirectional" : "unidirectional", f->dout, f->g_rel, f->whh_rel,
               good ? "ok" : "MISMATCH", f->dout_e, f->g_rel_e, f->whh_rel_e);
    }
    return ok;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    const char *shape = "reference";
    int steps = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--shape") && i + 1 < argc)
            shape = argv[++i];
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_lstm_onednn [--shape reference|small|large|"
                    "bidirectional] [--steps N]\n");
            return 1;
        }
    }
    int B, T, F = 32, H, L, D = 1;
    if (!strcmp(shape, "reference")) {
        B = 64; T = 60; H = 128; L = 2;
        if (!steps) steps = 30;
    } else if (!strcmp(shape, "small")) {
        B = 32; T = 20; H = 32; L = 1;
        if (!steps) steps = 400;
    } else if (!strcmp(shape, "large")) {
        B = 128; T = 120; H = 256; L = 3;
        if (!steps) steps = 4;
    } else if (!strcmp(shape, "bidirectional")) {   /* the reference shape, both directions */
        B = 64; T = 60; H = 128; L = 2; D = 2;
        if (!steps) steps = 15;
    } else {
        fprintf(stderr, "bench_lstm_onednn: --shape: unknown shape '%s' (reference, small, "
                "large, bidirectional)\n", shape);
        return 1;
    }
    CK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CK(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags));
    const dnnl_version_t *ver = dnnl_version();

    check_figs ck[2];
    if (!run_checks(ck))
        return 3;

    net nt;
    net_build(&nt, T, B, F, H, L, D, 0);
    int n = B * steps, rows = n + T - 1;
    float *x = malloc(sizeof(float) * (size_t)rows * F), *y = malloc(sizeof(float) * rows);
    int *ends = malloc(sizeof(int) * n);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    for (size_t i = 0; i < (size_t)rows * F; i++)
        x[i] = (float)(2.0 * gsl_rng_uniform(rng) - 1.0);
    for (int r = 0; r < rows; r++)
        y[r] = (float)(gsl_rng_uniform(rng) < 0.5);
    for (int i = 0; i < n; i++)
        ends[i] = i + T - 1;
    double a = 1.0 / sqrt((double)H);
    for (size_t i = 0; i < nt.n_params; i++)
        nt.w[i] = (float)(a * (2 * gsl_rng_uniform(rng) - 1));

    /* each step is also timed alone: B over the median step is the rate a burst of
     * load from elsewhere moves least (bench_lstm does the same) */
    double train_step, infer_step;
    double t_train = time_train(&nt, x, y, ends, steps, &train_step);
    float *pred = malloc(sizeof(float) * n);
    double t_inf = time_infer(&nt, x, ends, steps, pred, &infer_step);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const char *isa = dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa());
    printf("onednn  %-9s b%d s%d f%d u%d l%d: train %.0f samples/s, infer %.0f samples/s, "
           "isa %s, peak %.0f MB; step by step (medians): train %.0f, infer %.0f samples/s\n",
           shape, B, T, F, H, L, n / t_train, n / t_inf, isa, ru.ru_maxrss / 1024.0, train_step,
           infer_step);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "shape", shape);
    char vs[32];
    snprintf(vs, sizeof vs, "%d.%d.%d", ver->major, ver->minor, ver->patch);
    cJSON_AddStringToObject(j, "onednn", vs);
    cJSON_AddStringToObject(j, "onednn_isa", isa);
    cJSON_AddNumberToObject(j, "onednn_train_samples_per_s", n / t_train);
    cJSON_AddNumberToObject(j, "onednn_infer_samples_per_s", n / t_inf);
    cJSON_AddNumberToObject(j, "onednn_train_step_median_samples_per_s", train_step);
    cJSON_AddNumberToObject(j, "onednn_infer_step_median_samples_per_s", infer_step);
    cJSON_AddNumberToObject(j, "onednn_peak_rss_mb", ru.ru_maxrss / 1024.0);
    /* the check's figures: the larger of the two configurations, then each */
    cJSON_AddNumberToObject(j, "check_max_abs_prob_diff", fmax(ck[0].dout, ck[1].dout));
    cJSON_AddNumberToObject(j, "check_max_rel_grad_diff", fmax(ck[0].g_rel, ck[1].g_rel));
    cJSON_AddNumberToObject(j, "check_unidirectional_rel_grad_diff", ck[0].g_rel);
    cJSON_AddNumberToObject(j, "check_bidirectional_rel_grad_diff", ck[1].g_rel);
    cJSON_AddNumberToObject(j, "check_bidirectional_max_abs_prob_diff", ck[1].dout);
    cJSON_AddNumberToObject(j, "check_empty_state_rel_w_hh_grad_diff", ck[0].whh_rel_e);
    cJSON_AddNumberToObject(j, "check_bidirectional_empty_state_rel_w_hh_grad_diff",
                            ck[1].whh_rel_e);
    char *s = cJSON_PrintUnformatted(j);
    printf("%s\n", s);
    free(s);
    cJSON_Delete(j);
    gsl_rng_free(rng);
    free(x); free(y); free(ends); free(pred);
    return 0;
}
