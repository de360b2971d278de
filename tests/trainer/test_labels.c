/*
 * test_labels.c - direction and return labels on a hand-made series: the
 * deadband (dropped or kept), rows past the end, the horizon, bad specs.
 */
#include "tests/check.h"
#include "trainer/labels.h"

int main(void)
{
    tr_candles c;
    char err[256];
    const double cl[6] = {100, 101, 100, 100, 103, 102};
    CHECK(tr_candles_alloc(&c, 6, err) == 0);
    for (int i = 0; i < 6; i++) {
        c.ts[i] = 3600 * i;
        c.open[i] = c.high[i] = c.low[i] = c.close[i] = cl[i];
        c.volume[i] = 1;
    }
    tr_candles_index(&c);
    float y[6];
    tr_label_spec s = {TR_TARGET_DIRECTION, 1, 0.0, 0};
    CHECK(tr_labels_make(&c, 0, 6, &s, y, err) == 0);
    CHECK(y[0] == 1 && y[1] == 0 && isnan(y[2]) && y[3] == 1 && y[4] == 0 && isnan(y[5]));
    s.keep_deadband = 1;
    CHECK(tr_labels_make(&c, 0, 6, &s, y, err) == 0);
    CHECK(y[2] == 0 && isnan(y[5]));
    /* log(101/100) = 0.00995 < 0.015: inside the band. */
    s = (tr_label_spec){TR_TARGET_DIRECTION, 1, 0.015, 0};
    CHECK(tr_labels_make(&c, 0, 6, &s, y, err) == 0);
    CHECK(isnan(y[0]) && isnan(y[1]) && y[3] == 1 && isnan(y[4]));
    /* horizon 2 from row 1 (the matrix starts at candle 1): rows 1..5. */
    s = (tr_label_spec){TR_TARGET_RETURN, 2, 0.0, 0};
    CHECK(tr_labels_make(&c, 1, 5, &s, y, err) == 0);
    CHECK_NEAR(y[0], log(100.0 / 101.0), 1e-7);
    CHECK_NEAR(y[1], log(103.0 / 100.0), 1e-7);
    CHECK_NEAR(y[2], log(102.0 / 100.0), 1e-7);
    CHECK(isnan(y[3]) && isnan(y[4]));
    s.horizon = 0;
    CHECK(tr_labels_make(&c, 0, 6, &s, y, err) < 0);
    CHECK_STR_CONTAINS(err, "horizon");
    s = (tr_label_spec){TR_TARGET_DIRECTION, 1, -0.1, 0};
    CHECK(tr_labels_make(&c, 0, 6, &s, y, err) < 0);
    CHECK_STR_CONTAINS(err, "deadband");
    tr_target_kind k;
    CHECK(tr_target_parse("return", &k, err) == 0 && k == TR_TARGET_RETURN);
    CHECK(tr_target_parse("prices", &k, err) < 0);
    CHECK_STR_CONTAINS(err, "direction, return");
    /* multiclass (issue 17): closes 100 101 100 100 103 102, deadband 0.015:
     * +0.00995 flat, -0.00995 flat, 0 flat, +0.0296 up, -0.0098 flat, none */
    s = (tr_label_spec){TR_TARGET_MULTICLASS, 1, 0.015, 0};
    CHECK(tr_labels_make(&c, 0, 6, &s, y, err) == 0);
    CHECK(y[0] == 1 && y[1] == 1 && y[2] == 1 && y[3] == 2 && y[4] == 1 && isnan(y[5]));
    s.deadband = 0.005;   /* now 101->100 is down, 100->101 up, 103->102 down */
    CHECK(tr_labels_make(&c, 0, 6, &s, y, err) == 0);
    CHECK(y[0] == 2 && y[1] == 0 && y[2] == 1 && y[3] == 2 && y[4] == 0);
    s.deadband = 0;       /* the flat class needs a band */
    CHECK(tr_labels_make(&c, 0, 6, &s, y, err) < 0);
    CHECK_STR_CONTAINS(err, "multiclass");
    CHECK(tr_target_parse("multiclass", &k, err) == 0 && k == TR_TARGET_MULTICLASS);
    CHECK(tr_target_parse("price", &k, err) == 0 && k == TR_TARGET_PRICE);
    /* price: the label is the log return over the horizon, as for return */
    s = (tr_label_spec){TR_TARGET_PRICE, 2, 0.0, 0};
    CHECK(tr_labels_make(&c, 1, 5, &s, y, err) == 0);
    CHECK_NEAR(y[1], log(103.0 / 100.0), 1e-7);
    tr_candles_free(&c);
    return check_done();
}
