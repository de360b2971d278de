/*
 * test_lstm_torch_ext - bidirectional layers, the L1 penalty, the three-class head
 * and per-layer sizes against PyTorch.
 *
 * tests/fixtures/lstm_torch_ext.json (tests/make_lstm_ext_fixture.py, PyTorch 1.13
 * in float64 on float32-exact values) holds nn.LSTM(bidirectional=True) with 1-3
 * layers whose head reads h_n (forward final state, backward final state), L1
 * penalties on the weight matrices, the three-class head (softmax +
 * nn.CrossEntropyLoss, with and without class weights), and stacks whose layers
 * have different hidden sizes (chained single-layer nn.LSTM modules, 2-4 layers,
 * one and two directions, "layer_units" with 0 = the case's units). For each case
 * the C model must match every
 * tensor to max |c - torch| <= 1e-5 * max |torch|: head outputs, data loss, the L1
 * penalty, each parameter gradient of loss + penalty (named, per direction), the
 * input gradient, and the parameters after clip_grad_norm_(0.5) + Adam(lr 0.01,
 * weight_decay 0.01). Torch is not needed to run this test.
 */
#include <cjson/cJSON.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"
#include "trainer/fit.h"
#include "trainer/lstm.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = 0;
    fclose(f);
    return s;
}

static int get_array(const cJSON *c, const char *key, float *out, size_t n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(c, key);
    if (!cJSON_IsArray(a) || (size_t)cJSON_GetArraySize(a) != n) {
        fprintf(stderr, "fixture: %s: expected %zu numbers\n", key, n);
        return -1;
    }
    size_t i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) out[i++] = (float)v->valuedouble;
    return 0;
}

static void compare(int ci, const char *name, int layer, const float *got, const float *want,
                    size_t n)
{
    double maxd = 0, maxw = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (!(d <= maxd)) { maxd = d; at = i; }
        if (fabs(want[i]) > maxw) maxw = fabs(want[i]);
    }
    CHECK_MSG(maxd <= 1e-5 * maxw,
              "case %d tensor %s (layer %d): max |c - torch| = %.3g at %zu (c %.9g, torch %.9g), "
              "relative %.3g > 1e-5", ci, name, layer, maxd, at, got[at], want[at],
              maxw > 0 ? maxd / maxw : maxd);
    if (getenv("PARITY_VERBOSE"))
        fprintf(stderr, "case %d %-16s layer %2d rel %.3g\n", ci, name, layer,
                maxw > 0 ? maxd / maxw : maxd);
}

#define CMP(name, l, ptr, n) compare(ci, name, l, m->g.ptr, gp + (m->g.ptr - m->grads), n)

static void run_case(int ci, const cJSON *c)
{
    char err[256];
    int F = cJSON_GetObjectItem(c, "n_features")->valueint;
    int H = cJSON_GetObjectItem(c, "units")->valueint;
    int L = cJSON_GetObjectItem(c, "layers")->valueint;
    int T = cJSON_GetObjectItem(c, "seq_len")->valueint;
    int B = cJSON_GetObjectItem(c, "batch")->valueint;
    int bi = cJSON_IsTrue(cJSON_GetObjectItem(c, "bidirectional"));
    double l1 = cJSON_GetObjectItem(c, "l1")->valuedouble;
    const char *head = cJSON_GetObjectItem(c, "head")->valuestring;
    int K = cJSON_GetObjectItem(c, "n_classes")->valueint;
    tr_lstm_config cfg = {.n_features = F, .units = H, .layers = L, .seq_len = T,
                          .max_batch = B, .bidirectional = bi, .n_classes = K,
                          .head = strcmp(head, "direction") == 0    ? TR_HEAD_DIRECTION
                                  : strcmp(head, "multiclass") == 0 ? TR_HEAD_MULTICLASS
                                                                    : TR_HEAD_RETURN};
    const cJSON *cw = cJSON_GetObjectItem(c, "class_weight");
    int nw = cJSON_GetArraySize(cw);
    for (int k = 0; k < nw && k < TR_LSTM_MAX_CLASSES; k++)
        cfg.class_weight[k] = (float)cJSON_GetArrayItem(cw, k)->valuedouble;
    const cJSON *lu = cJSON_GetObjectItem(c, "layer_units");
    for (int l = 0; l < cJSON_GetArraySize(lu) && l < TR_LSTM_MAX_LAYERS; l++)
        cfg.layer_units[l] = cJSON_GetArrayItem(lu, l)->valueint;
    int NO = K > 0 ? K : 1;
    tr_lstm *m = tr_lstm_new(&cfg, err);
    CHECK_MSG(m != NULL, "%s", err);
    if (!m)
        return;
    size_t n = m->n_params, nx = (size_t)B * T * F;
    float *x = malloc(nx * sizeof(float)), *y = malloc(B * sizeof(float));
    float *out = malloc(B * NO * sizeof(float)), *want_out = malloc(B * NO * sizeof(float));
    float *gp = malloc(n * sizeof(float)), *gx = malloc(nx * sizeof(float));
    float *dx = malloc(nx * sizeof(float)), *after = malloc(n * sizeof(float));
    int bad = get_array(c, "params", m->params, n) || get_array(c, "x", x, nx) ||
              get_array(c, "y", y, B) || get_array(c, "out", want_out, (size_t)B * NO) ||
              get_array(c, "grad_params", gp, n) || get_array(c, "grad_x", gx, nx) ||
              get_array(c, "params_after_step", after, n);
    CHECK_MSG(!bad, "case %d: fixture arrays do not match the architecture (%zu params)",
              ci, n);
    if (!bad) {
        float loss = tr_lstm_forward(m, x, y, B, 0, 0, out);
        float want_loss = (float)cJSON_GetObjectItem(c, "loss")->valuedouble;
        compare(ci, "out", -1, out, want_out, (size_t)B * NO);
        compare(ci, "loss", -1, &loss, &want_loss, 1);
        tr_lstm_zero_grad(m);
        tr_lstm_backward(m, dx);
        float pen = (float)tr_lstm_l1(m, l1);
        float want_pen = (float)cJSON_GetObjectItem(c, "l1_penalty")->valuedouble;
        if (l1 > 0)
            compare(ci, "l1 penalty", -1, &pen, &want_pen, 1);
        else
            CHECK(pen == 0.0f);
        for (int l = 0; l < L; l++) {
            size_t Hl = (size_t)tr_lstm_layer_units(&cfg, l), G = 4 * Hl;
            size_t K = l == 0 ? (size_t)F
                              : (size_t)(bi ? 2 : 1) * tr_lstm_layer_units(&cfg, l - 1);
            CMP("grad w_ih", l, w_ih[l], G * K);
            CMP("grad w_hh", l, w_hh[l], G * Hl);
            CMP("grad b_ih", l, b_ih[l], G);
            CMP("grad b_hh", l, b_hh[l], G);
            if (bi) {
                CMP("grad w_ih_reverse", l, w_ih_r[l], G * K);
                CMP("grad w_hh_reverse", l, w_hh_r[l], G * Hl);
                CMP("grad b_ih_reverse", l, b_ih_r[l], G);
                CMP("grad b_hh_reverse", l, b_hh_r[l], G);
            }
        }
        CMP("grad w_head", -1, w_head,
            (size_t)NO * (bi ? 2 : 1) * tr_lstm_layer_units(&cfg, L - 1));
        CMP("grad b_head", -1, b_head, NO);
        compare(ci, "grad input", -1, dx, gx, nx);
        compare(ci, "all grads", -1, m->grads, gp, n);

        tr_adam ad;
        double lr = cJSON_GetObjectItem(c, "adam_lr")->valuedouble;
        double wd = cJSON_GetObjectItem(c, "adam_weight_decay")->valuedouble;
        double clip = cJSON_GetObjectItem(c, "clip_norm")->valuedouble;
        CHECK(tr_adam_init(&ad, n, 0, 0, 0, wd, err) == 0);
        tr_clip_grad_norm(m->grads, n, clip);
        tr_adam_step(&ad, m->params, m->grads, lr);
        compare(ci, "adam step", -1, m->params, after, n);
        tr_adam_free(&ad);
    }
    free(x); free(y); free(out); free(want_out); free(gp); free(gx); free(dx); free(after);
    tr_lstm_free(m);
}

int main(void)
{
    gsl_set_error_handler_off();
    const char *src = getenv("SEQTUNE_SRC");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/lstm_torch_ext.json", src ? src : ".");
    char *text = slurp(path);
    CHECK_MSG(text != NULL, "cannot read the fixture %s", path);
    if (!text)
        return check_done();
    cJSON *doc = cJSON_Parse(text);
    free(text);
    const cJSON *cases = cJSON_GetObjectItem(doc, "cases");
    CHECK_MSG(cJSON_IsArray(cases) && cJSON_GetArraySize(cases) >= 4,
              "fixture %s: expected at least 4 cases", path);
    int ci = 0, n_bi = 0, n_mc = 0, n_sizes = 0, n_sizes_bi = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) {
        int bi = cJSON_IsTrue(cJSON_GetObjectItem(c, "bidirectional"));
        int sized = cJSON_GetArraySize(cJSON_GetObjectItem(c, "layer_units")) >= 2;
        n_bi += bi && cJSON_GetObjectItem(c, "layers")->valueint >= 2;
        n_sizes += sized;
        n_sizes_bi += sized && bi;
        n_mc += strcmp(cJSON_GetObjectItem(c, "head")->valuestring, "multiclass") == 0;
        run_case(ci++, c);
    }
    CHECK_MSG(n_bi >= 1, "the fixture has no bidirectional case with 2+ layers");
    CHECK_MSG(n_mc >= 2, "the fixture has fewer than 2 multiclass cases");
    CHECK_MSG(n_sizes >= 3 && n_sizes_bi >= 1, "the fixture has %d cases with per-layer "
              "sizes (%d bidirectional); expected at least 3 (1)", n_sizes, n_sizes_bi);
    printf("%d cases compared with PyTorch\n", ci);
    cJSON_Delete(doc);
    return check_done();
}
