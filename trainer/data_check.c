/*
 * data_check.c - degenerate candles, features and labels (data_check.h).
 * One pass per column over the feature matrix; what is reported is the first
 * degenerate thing in the order a user would fix it: the prices, then the
 * labels, then the features.
 */
#include "trainer/data_check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* "candles A..B (date .. date)" of candle rows a..b (0-based, shown 1-based; UTC). */
static void span_text(const tr_candles *c, int a, int b, char out[128])
{
    char t0[32], t1[32];
    tr_format_time(c->ts[a], t0);
    tr_format_time(c->ts[b], t1);
    snprintf(out, 128, "candles %d..%d (%s .. %s)", a + 1, b + 1, t0, t1);
}

/* The first column of m whose finite values are all equal (and at least one is
 * finite); -1 when every column varies. *value receives that constant. */
static int constant_column(const tr_feature_matrix *m, double *value)
{
    for (int j = 0; j < m->cols; j++) {
        int seen = 0, varies = 0;
        float v0 = 0;
        for (int r = 0; r < m->rows && !varies; r++) {
            float v = m->x[(size_t)r * (size_t)m->cols + (size_t)j];
            if (!isfinite(v))
                continue;
            if (!seen) {
                v0 = v;
                seen = 1;
            } else if (v != v0) {
                varies = 1;
            }
        }
        if (seen && !varies) {
            *value = v0;
            return j;
        }
    }
    return -1;
}

int tr_data_check(const tr_candles *c, const tr_feature_matrix *m, const float *y,
                  const tr_label_spec *s, char err[256])
{
    if (m->rows < 1)
        return 0;   /* tr_features_compute already says "no rows" */
    int a = m->first, b = m->first + m->rows - 1;
    char span[128], feat[128] = "";
    span_text(c, a, b, span);
    double cv = 0;
    int j = constant_column(m, &cv);
    if (j >= 0)
        snprintf(feat, sizeof feat, "feature '%.60s' has zero variance (every value is %g)",
                 m->col_names[j], cv);
    int moves = 0;
    for (int t = a + 1; t <= b && !moves; t++)
        moves = c->close[t] != c->close[a];
    if (!moves) {
        snprintf(err, 256, "close is constant (%g) over %s: every label is flat%s%s",
                 c->close[a], span, feat[0] ? "; " : "", feat);
        return -1;
    }
    int n = 0, varies = 0;
    float y0 = 0;
    for (int r = 0; r < m->rows; r++) {
        if (!isfinite(y[r]))
            continue;
        if (n++ == 0)
            y0 = y[r];
        else if (y[r] != y0)
            varies = 1;
    }
    if (n == 0) {
        snprintf(err, 256, "no row of %s has a label: every %d-bar move is within the "
                 "target's deadband (%g)", span, s->horizon, s->deadband);
        return -1;
    }
    if (!varies) {
        snprintf(err, 256, "every label over %s is %g: the target has one class or value "
                 "(check target.deadband and the candles)", span, y0);
        return -1;
    }
    if (feat[0]) {
        snprintf(err, 256, "%s over %s: nothing to learn from; remove it from features",
                 feat, span);
        return -1;
    }
    return 0;
}
