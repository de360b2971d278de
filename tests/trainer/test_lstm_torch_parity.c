/*
 * test_lstm_torch_parity - the C LSTM against PyTorch's nn.LSTM + nn.Linear.
 *
 * tests/fixtures/lstm_torch.json (written by tests/make_lstm_fixture.py, PyTorch
 * 1.13 in float64 on float32-exact weights and inputs) holds four shapes (1-3
 * layers, both heads, units not multiples of 16). For each: the parameters are
 * loaded into the C slab, one forward + backward runs in float32, and every tensor
 * must match:  max_i |c_i - torch_i| <= 1e-5 * max_i |torch_i|  (relative to the
 * tensor's largest magnitude): the head outputs, the loss, each parameter gradient
 * (named), the input gradient, and the parameters after one clip_grad_norm_(0.5) +
 * Adam(lr 0.01, weight_decay 0.01) step. Torch is not needed to run this test.
 * It also checks that cblas_sgemm is OpenBLAS's, not GSL's reference CBLAS (which
 * wins when -lgslcblas precedes -lopenblas on the link line, and is ~30x slower).
 */
#define _GNU_SOURCE
#include <cblas.h>
#include <cjson/cJSON.h>
#include <dlfcn.h>
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

/* Copies a JSON number array of exactly n entries into out; -1 on mismatch. */
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
        fprintf(stderr, "case %d %-12s layer %2d rel %.3g\n", ci, name, layer,
                maxw > 0 ? maxd / maxw : maxd);
}

static void run_case(int ci, const cJSON *c)
{
    char err[256];
    int F = cJSON_GetObjectItem(c, "n_features")->valueint;
    int H = cJSON_GetObjectItem(c, "units")->valueint;
    int L = cJSON_GetObjectItem(c, "layers")->valueint;
    int T = cJSON_GetObjectItem(c, "seq_len")->valueint;
    int B = cJSON_GetObjectItem(c, "batch")->valueint;
    const char *head = cJSON_GetObjectItem(c, "head")->valuestring;
    tr_lstm_config cfg = {.n_features = F, .units = H, .layers = L, .seq_len = T,
                          .max_batch = B, .dropout = 0.0f,
                          .head = strcmp(head, "direction") == 0 ? TR_HEAD_DIRECTION
                                                                 : TR_HEAD_RETURN};
    tr_lstm *m = tr_lstm_new(&cfg, err);
    CHECK_MSG(m != NULL, "%s", err);
    if (!m)
        return;
    size_t n = m->n_params, nx = (size_t)B * T * F;
    float *x = malloc(nx * sizeof(float)), *y = malloc(B * sizeof(float));
    float *out = malloc(B * sizeof(float)), *want_out = malloc(B * sizeof(float));
    float *gp = malloc(n * sizeof(float)), *gx = malloc(nx * sizeof(float));
    float *dx = malloc(nx * sizeof(float)), *after = malloc(n * sizeof(float));
    int bad = get_array(c, "params", m->params, n) || get_array(c, "x", x, nx) ||
              get_array(c, "y", y, B) || get_array(c, "out", want_out, B) ||
              get_array(c, "grad_params", gp, n) || get_array(c, "grad_x", gx, nx) ||
              get_array(c, "params_after_step", after, n);
    CHECK_MSG(!bad, "case %d: fixture arrays do not match the architecture", ci);
    if (!bad) {
        float loss = tr_lstm_forward(m, x, y, B, 0, 0, out);
        float want_loss = (float)cJSON_GetObjectItem(c, "loss")->valuedouble;
        compare(ci, "out", -1, out, want_out, B);
        compare(ci, "loss", -1, &loss, &want_loss, 1);
        tr_lstm_zero_grad(m);
        tr_lstm_backward(m, dx);
        for (int l = 0; l < L; l++) {
            size_t K = l == 0 ? (size_t)F : (size_t)H, G = 4 * (size_t)H;
            compare(ci, "grad w_ih", l, m->g.w_ih[l], gp + (m->g.w_ih[l] - m->grads), G * K);
            compare(ci, "grad w_hh", l, m->g.w_hh[l], gp + (m->g.w_hh[l] - m->grads), G * H);
            compare(ci, "grad b_ih", l, m->g.b_ih[l], gp + (m->g.b_ih[l] - m->grads), G);
            compare(ci, "grad b_hh", l, m->g.b_hh[l], gp + (m->g.b_hh[l] - m->grads), G);
        }
        compare(ci, "grad w_head", -1, m->g.w_head, gp + (m->g.w_head - m->grads), H);
        compare(ci, "grad b_head", -1, m->g.b_head, gp + (m->g.b_head - m->grads), 1);
        compare(ci, "grad input", -1, dx, gx, nx);

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
    Dl_info info;
    CHECK(dladdr((void *)cblas_sgemm, &info) != 0);
    CHECK_STR_CONTAINS(info.dli_fname, "openblas");
    const char *src = getenv("SEQTUNE_SRC");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/lstm_torch.json", src ? src : ".");
    char *text = slurp(path);
    CHECK_MSG(text != NULL, "cannot read the fixture %s", path);
    if (!text)
        return check_done();
    cJSON *doc = cJSON_Parse(text);
    free(text);
    const cJSON *cases = cJSON_GetObjectItem(doc, "cases");
    CHECK_MSG(cJSON_IsArray(cases) && cJSON_GetArraySize(cases) >= 4,
              "fixture %s: expected at least 4 cases", path);
    int ci = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) run_case(ci++, c);
    cJSON_Delete(doc);
    return check_done();
}
