/*
 * labels.c - direction and return targets from future closes (see labels.h).
 */
#include "trainer/labels.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int tr_target_parse(const char *name, tr_target_kind *kind, char err[256])
{
    if (!strcmp(name, "direction"))
        *kind = TR_TARGET_DIRECTION;
    else if (!strcmp(name, "return"))
        *kind = TR_TARGET_RETURN;
    else if (!strcmp(name, "multiclass"))
        *kind = TR_TARGET_MULTICLASS;
    else if (!strcmp(name, "price"))
        *kind = TR_TARGET_PRICE;
    else {
        snprintf(err, 256, "target kind '%.100s' is not one of: direction, return, multiclass, "
                 "price", name);
        return -1;
    }
    return 0;
}

int tr_labels_make(const tr_candles *c, int first, int rows, const tr_label_spec *s, float *y,
                   char err[256])
{
    if (s->horizon < 1) {
        snprintf(err, 256, "target horizon %d must be at least 1", s->horizon);
        return -1;
    }
    if (!(s->deadband >= 0) || !isfinite(s->deadband)) {
        snprintf(err, 256, "target deadband %g must be a finite number >= 0", s->deadband);
        return -1;
    }
    if (s->kind == TR_TARGET_MULTICLASS && !(s->deadband > 0)) {
        snprintf(err, 256, "target deadband %g must be > 0 for multiclass (it is the flat "
                 "class's band)", s->deadband);
        return -1;
    }
    if (first < 0 || rows < 0 || first + rows > c->n) {
        snprintf(err, 256, "label rows %d..%d outside the %d candles", first, first + rows, c->n);
        return -1;
    }
    for (int r = 0; r < rows; r++) {
        int t = first + r;
        y[r] = NAN;
        if (t + s->horizon >= c->n)
            continue;
        double ret = log(c->close[t + s->horizon] / c->close[t]);
        if (!isfinite(ret))
            continue;
        if (s->kind == TR_TARGET_RETURN || s->kind == TR_TARGET_PRICE)
            y[r] = (float)ret;
        else if (s->kind == TR_TARGET_MULTICLASS)
            y[r] = ret > s->deadband ? 2.0f : ret < -s->deadband ? 0.0f : 1.0f;
        else if (ret > s->deadband)
            y[r] = 1.0f;
        else if (ret < -s->deadband || s->keep_deadband)
            y[r] = 0.0f;
    }
    return 0;
}
