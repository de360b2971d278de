/*
 * test_svg.c - golden checks on the chart module: nice ticks for known linear, log
 * and date ranges, pixel coordinates of known points, decimation bounds, the
 * palette, and escaping of labels and tooltips.
 */
#include "reports/svg.h"
#include "tests/check.h"

#include <gsl/gsl_errno.h>
#include <string.h>

/* Checks rep_ticks against the expected values and labels. */
static void check_ticks(rep_axis_kind kind, double lo, double hi, int target, int want_n,
                        const double *want_v, const char *const *want_l, double want_d0,
                        double want_d1)
{
    rep_tick t[REP_MAX_TICKS];
    double d0, d1;
    int n = rep_ticks(kind, lo, hi, target, t, REP_MAX_TICKS, &d0, &d1);
    CHECK_MSG(n == want_n, "range [%g, %g]: %d ticks, expected %d", lo, hi, n, want_n);
    for (int i = 0; i < n && i < want_n; i++) {
        CHECK_MSG(fabs(t[i].v - want_v[i]) <= 1e-9 * fmax(1, fabs(want_v[i])),
                  "range [%g, %g] tick %d = %.12g, expected %.12g", lo, hi, i, t[i].v, want_v[i]);
        CHECK_MSG(strcmp(t[i].label, want_l[i]) == 0, "range [%g, %g] label %d = '%s', expected '%s'",
                  lo, hi, i, t[i].label, want_l[i]);
    }
    CHECK_NEAR(d0, want_d0, 1e-9);
    CHECK_NEAR(d1, want_d1, 1e-9);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void test_ticks_linear(void)
{
    const double v1[] = {0, 2, 4, 6, 8, 10};
    const char *l1[] = {"0", "2", "4", "6", "8", "10"};
    check_ticks(REP_AXIS_LINEAR, 0, 9.3, 5, 6, v1, l1, 0, 10);
    const double v2[] = {0, 0.02, 0.04, 0.06, 0.08, 0.10};
    const char *l2[] = {"0.00", "0.02", "0.04", "0.06", "0.08", "0.10"};
    check_ticks(REP_AXIS_LINEAR, 0.013, 0.087, 5, 6, v2, l2, 0, 0.1);
    const double v3[] = {-50, 0, 50, 100, 150};
    const char *l3[] = {"-50", "0", "50", "100", "150"};
    check_ticks(REP_AXIS_LINEAR, -37, 122, 5, 5, v3, l3, -50, 150);
    /* Degenerate range: widened by 10% around the value. */
    const double v4[] = {0.6, 0.65, 0.7, 0.75, 0.8};
    const char *l4[] = {"0.60", "0.65", "0.70", "0.75", "0.80"};
    check_ticks(REP_AXIS_LINEAR, 0.7, 0.7, 5, 5, v4, l4, 0.6, 0.8);
}

static void test_ticks_log(void)
{
    const double v1[] = {1e-4, 1e-3, 1e-2};
    const char *l1[] = {"1e-4", "1e-3", "1e-2"};
    check_ticks(REP_AXIS_LOG, 1e-4, 1e-2, 5, 3, v1, l1, 1e-4, 1e-2);
    const double v2[] = {10, 100, 1000};
    const char *l2[] = {"10", "100", "1000"};
    check_ticks(REP_AXIS_LOG, 16, 256, 5, 3, v2, l2, 10, 1000);
    /* Twelve decades with target 5: every second decade. */
    rep_tick t[REP_MAX_TICKS];
    double d0, d1;
    int n = rep_ticks(REP_AXIS_LOG, 1e-6, 1e6, 5, t, REP_MAX_TICKS, &d0, &d1);
    CHECK_INT(n, 7);
    CHECK(strcmp(t[1].label, "1e-4") == 0);
}

static void test_ticks_time(void)
{
    const double day = 86400, jan1 = 1640995200; /* 2022-01-01 00:00 UTC */
    const double v1[] = {jan1, jan1 + day, jan1 + 2 * day, jan1 + 3 * day};
    const char *l1[] = {"2022-01-01", "2022-01-02", "2022-01-03", "2022-01-04"};
    check_ticks(REP_AXIS_TIME, jan1, jan1 + 3 * day, 5, 4, v1, l1, jan1, jan1 + 3 * day);
    const double mar1 = 1646092800, feb1 = 1643673600;
    const double v2[] = {jan1, feb1, mar1};
    const char *l2[] = {"2022-01", "2022-02", "2022-03"};
    check_ticks(REP_AXIS_TIME, jan1, mar1, 5, 3, v2, l2, jan1, mar1);
    /* Two months not starting on a month boundary: monthly ticks would be only
     * two, so the 1st and the 15th of each month. */
    const double v2b[] = {jan1 + 14 * day, feb1, feb1 + 14 * day, mar1};
    const char *l2b[] = {"2022-01-15", "2022-02-01", "2022-02-15", "2022-03-01"};
    check_ticks(REP_AXIS_TIME, jan1 + 10 * day, mar1 + 10 * day, 5, 4, v2b, l2b, jan1 + 10 * day,
                mar1 + 10 * day);
    /* Eighteen months from mid-year: quarterly ticks on calendar quarters. */
    rep_tick tt[REP_MAX_TICKS];
    double e0, e1;
    int nt = rep_ticks(REP_AXIS_TIME, 1625097600 + 20 * day, 1625097600 + 560 * day, 5, tt,
                       REP_MAX_TICKS, &e0, &e1); /* 2021-07-21 .. 2023-01-11 */
    CHECK_INT(nt, 6);
    CHECK(strcmp(tt[0].label, "2021-10") == 0 && strcmp(tt[5].label, "2023-01") == 0);
    const double y2018 = 1514764800, y2023 = 1672531200;
    const double v3[] = {y2018, 1546300800, 1577836800, 1609459200, jan1, y2023};
    const char *l3[] = {"2018", "2019", "2020", "2021", "2022", "2023"};
    check_ticks(REP_AXIS_TIME, y2018, y2023, 5, 6, v3, l3, y2018, y2023);
    /* Ten hours: 2-hour steps labelled with day and time. */
    const double v4[] = {jan1, jan1 + 7200, jan1 + 14400, jan1 + 21600, jan1 + 28800, jan1 + 36000};
    const char *l4[] = {"01-01 00:00", "01-01 02:00", "01-01 04:00", "01-01 06:00",
                        "01-01 08:00", "01-01 10:00"};
    check_ticks(REP_AXIS_TIME, jan1, jan1 + 36000, 5, 6, v4, l4, jan1, jan1 + 36000);
    /* 90 seconds: 30 s steps (15 s would give 7 ticks), seconds in the label. */
    rep_tick t[REP_MAX_TICKS];
    double d0, d1;
    int n = rep_ticks(REP_AXIS_TIME, jan1 + 5, jan1 + 95, 5, t, REP_MAX_TICKS, &d0, &d1);
    CHECK_INT(n, 3);
    CHECK(strcmp(t[0].label, "00:00:30") == 0);
    CHECK(strcmp(t[2].label, "00:01:30") == 0);
}

static void test_coordinates(void)
{
    rep_buf b;
    rep_buf_init(&b);
    rep_chart c;
    rep_chart_init(&c, &b, "t1", 0, 0, REP_AXIS_LINEAR, REP_AXIS_LINEAR);
    const double x[] = {0, 9.3, 5}, y[] = {0, 9.3, 2.5};
    rep_chart_fit(&c, x, y, 3);
    rep_chart_begin(&c, "T", "x", "y");
    /* Plot area: x 64..704 (640 px), y 30..314 (284 px); domain [0,10] both. */
    CHECK_NEAR(rep_chart_px(&c, 5), 384.0, 1e-12);
    CHECK_NEAR(rep_chart_px(&c, 0), 64.0, 1e-12);
    CHECK_NEAR(rep_chart_px(&c, 10), 704.0, 1e-12);
    CHECK_NEAR(rep_chart_py(&c, 0), 314.0, 1e-12);
    CHECK_NEAR(rep_chart_py(&c, 2.5), 243.0, 1e-12);
    rep_chart_scatter(&c, x, y, 3, "#0072B2", 2, 1, NULL, NULL, "pts");
    rep_chart_end(&c);
    CHECK_STR_CONTAINS(b.data, "<circle cx=\"384.0\" cy=\"243.0\" r=\"2.0\">");
    CHECK_STR_CONTAINS(b.data, "<circle cx=\"659.2\" cy=\"49.9\"");
    CHECK_STR_CONTAINS(b.data, "viewBox=\"0 0 720 360\"");
    CHECK(b.data && strncmp(b.data, "<svg", 4) == 0);
    CHECK(b.len > 0 && strcmp(b.data + b.len - 6, "</svg>") == 0);
    rep_buf_free(&b);

    rep_buf_init(&b);
    rep_chart_init(&c, &b, "t2", 0, 0, REP_AXIS_LOG, REP_AXIS_LINEAR);
    const double lx[] = {1e-4, 1e-2}, ly[] = {0, 1};
    rep_chart_fit(&c, lx, ly, 2);
    rep_chart_begin(&c, "L", "lr", "v");
    CHECK_NEAR(rep_chart_px(&c, 1e-3), 384.0, 1e-9);
    CHECK_NEAR(rep_chart_px(&c, 1e-4), 64.0, 1e-9);
    rep_chart_end(&c);
    rep_buf_free(&b);
}

static void test_decimation(void)
{
    enum { N = 100000 };
    static double x[N], y[N];
    for (int i = 0; i < N; i++) {
        x[i] = i;
        y[i] = sin(i * 0.001) + (i == 54321 ? 5 : 0); /* one spike must survive */
    }
    rep_buf b;
    rep_buf_init(&b);
    rep_chart c;
    rep_chart_init(&c, &b, "dec", 0, 0, REP_AXIS_LINEAR, REP_AXIS_LINEAR);
    rep_chart_fit(&c, x, y, N);
    rep_chart_begin(&c, "D", "i", "v");
    size_t before = b.len;
    rep_chart_line(&c, x, y, N, "#000000", 1, 1, "line");
    int pts = count(b.data + before, "L") + 1;
    CHECK_MSG(pts <= 4 * 642, "decimated line has %d points for 640 columns", pts);
    CHECK_MSG(pts >= 640, "decimated line has only %d points", pts);
    char spike[32];
    snprintf(spike, sizeof spike, ",%.1f", rep_chart_py(&c, y[54321]));
    CHECK_STR_CONTAINS(b.data + before, spike);
    /* Dense scatter: no per-point elements, one path, bounded by distinct cells. */
    before = b.len;
    rep_chart_scatter(&c, x, y, N, "#0072B2", 2, 0.5, NULL, NULL, "dense");
    CHECK_INT(count(b.data + before, "<circle"), 0);
    CHECK(count(b.data + before, "h0") < N / 10);
    rep_chart_end(&c);
    CHECK_MSG(b.len < 200000, "chart with 2 x 100000 points is %zu bytes", b.len);
    rep_buf_free(&b);
}

static void tip(void *ctx, int i, rep_buf *b)
{
    (void)ctx;
    rep_buf_printf(b, "p%d ", i);
    rep_buf_esc(b, "<script>alert(1)</script>");
}

static void test_escaping(void)
{
    rep_buf b;
    rep_buf_init(&b);
    rep_buf_esc(&b, "<a href='x'>&\"\x01");
    CHECK(strcmp(b.data, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;\xEF\xBF\xBD") == 0);
    rep_buf_free(&b);

    const char *evil = "\"><img src=x onerror=alert(1)>";
    rep_chart c;
    rep_buf_init(&b);
    rep_chart_init(&c, &b, "esc", 0, 0, REP_AXIS_CATEGORY, REP_AXIS_LINEAR);
    const char *cats[2] = {evil, "<b>"};
    c.xcats = cats;
    c.n_xcats = 2;
    const double x[] = {0, 1}, y[] = {1, 2};
    rep_chart_fit(&c, x, y, 2);
    rep_chart_begin(&c, evil, evil, "<script>");
    rep_chart_scatter(&c, x, y, 2, "#000000", 2, 1, tip, NULL, evil);
    const char *names[1] = {evil};
    const char *cols[1] = {"#000000"};
    rep_chart_legend(&c, names, cols, 1);
    rep_chart_end(&c);
    CHECK(strstr(b.data, "<img") == NULL);
    CHECK(strstr(b.data, "<script") == NULL);
    CHECK(strstr(b.data, "<b>") == NULL);
    CHECK_STR_CONTAINS(b.data, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    CHECK_STR_CONTAINS(b.data, "<title>p1 &lt;script&gt;alert(1)&lt;/script&gt;</title>");
    rep_buf_free(&b);

    rep_buf_init(&b);
    rep_svg_hbars(&b, "bars", "imp", cats, y, 2, "#0072B2", "x");
    CHECK(strstr(b.data, "<img") == NULL && strstr(b.data, "<b>") == NULL);
    rep_buf_free(&b);
}

static void test_palette(void)
{
    CHECK(strcmp(rep_palette(1), "#E69F00") == 0);
    CHECK(strcmp(rep_palette(5), "#0072B2") == 0);
    CHECK(strcmp(rep_palette(9), "#E69F00") == 0);
    char col[8];
    rep_color_scale(0, col);
    CHECK(strcmp(col, "#440154") == 0);
    rep_color_scale(1, col);
    CHECK(strcmp(col, "#fde725") == 0);
    rep_color_scale(0.5, col);
    CHECK(strcmp(col, "#21918c") == 0);
}

int main(void)
{
    gsl_set_error_handler_off();
    test_ticks_linear();
    test_ticks_log();
    test_ticks_time();
    test_coordinates();
    test_decimation();
    test_escaping();
    test_palette();
    return check_done();
}
