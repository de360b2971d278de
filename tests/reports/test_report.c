/*
 * test_report.c - the HTML report: every section present with its stable id,
 * injected HTML in every kind of string shows only as text, an empty study
 * renders, a 10,000-trial study stays under 5 MB, the write is durable (no temp
 * file left) and bad paths fail with the path named.
 *
 * With `--fixtures DIR` it instead writes DIR/report.html (two studies) and
 * DIR/xss.html (hostile strings everywhere) for test_browser.sh.
 */
#include "reports/report.h"
#include "tests/support/synth_study.h"
#include "tests/check.h"

#include <dirent.h>
#include <gsl/gsl_errno.h>
#include <sys/stat.h>
#include <unistd.h>

#define EVIL_SCRIPT "<script>alert(1)</script>"
#define EVIL_IMG "\"><img src=x onerror=alert(1)>"

static const char *const SECTIONS[9] = {"summary", "best", "history", "importance", "slices",
                                        "parallel", "intermediate", "trials", "spec"};

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static char *str_dup(const char *s)
{
    char *p = malloc(strlen(s) + 1);
    if (p)
        strcpy(p, s);
    return p;
}

/* Replaces a heap string field with a hostile one. */
static void set(char **field, const char *s)
{
    free(*field);
    *field = str_dup(s);
}

/* A synthetic study whose every string from the store carries injected HTML. */
static int make_evil(rep_study *s, char err[256])
{
    if (rep_study_synth(s, EVIL_SCRIPT, 40, 200, 3, err) != 0)
        return -1;
    set(&s->metric, EVIL_IMG);
    set(&s->data_file, EVIL_SCRIPT ".csv");
    set(&s->fold_layout, EVIL_IMG);
    set(&s->spec_json, "{\"name\":\"" "<script>alert(1)<\\/script>" "\",\"note\":\"\\\"><img src=x "
        "onerror=alert(1)>\",\"search\":{\"space\":{\"lr" "<img src=x onerror=alert(1)>"
        "\":{\"type\":\"float\",\"log\":true}}}}");
    for (int i = 0; i < s->n_trials; i++) {
        rep_trial *t = &s->trials[i];
        set(&t->params[0].key, "lr" "<img src=x onerror=alert(1)>");
        set(&t->params[5].text, i % 2 ? EVIL_SCRIPT : EVIL_IMG);
        set(&t->tags[0].key, EVIL_IMG);
        set(&t->tags[0].value, EVIL_SCRIPT);
        set(&t->worker, EVIL_IMG);
        if (t->state == REP_FAIL || i == 3) {
            t->state = REP_FAIL;
            t->value = NAN;
            set(&t->error, EVIL_SCRIPT EVIL_IMG);
        }
    }
    return 0;
}

static void check_sections(const char *html, int k)
{
    for (int j = 0; j < 9; j++) {
        char id[64];
        if (k == 0)
            snprintf(id, sizeof id, "<section id=\"%s\">", SECTIONS[j]);
        else
            snprintf(id, sizeof id, "<section id=\"%s-%d\">", SECTIONS[j], k + 1);
        CHECK_MSG(count(html, id) == 1, "section %s appears %d times", id, count(html, id));
    }
}

static void test_sections_and_compare(void)
{
    rep_study s[2];
    char err[256];
    CHECK_INT(rep_study_synth(&s[0], "alpha", 120, 500, 1, err), 0);
    CHECK_INT(rep_study_synth(&s[1], "beta", 60, 500, 2, err), 0);
    rep_buf b;
    rep_buf_init(&b);
    CHECK_INT(rep_render_html(s, 1, &b, err), 0);
    check_sections(b.data, 0);
    CHECK_INT(count(b.data, "id=\"compare\""), 0);
    CHECK_INT(count(b.data, "<script"), 2);
    CHECK_STR_CONTAINS(b.data, "PED-ANOVA");
    CHECK_STR_CONTAINS(b.data, "Deflated Sharpe Ratio");
    CHECK_STR_CONTAINS(b.data, "2021-10-01 00:00:00 UTC");
    CHECK(strstr(b.data, "http://") == strstr(b.data, "http://www.w3.org/2000/svg"));
    CHECK(strstr(b.data, "https://") == NULL);
    rep_buf_free(&b);

    rep_buf_init(&b);
    CHECK_INT(rep_render_html(s, 2, &b, err), 0);
    check_sections(b.data, 0);
    check_sections(b.data, 1);
    CHECK_INT(count(b.data, "<section id=\"compare\">"), 1);
    /* The specs differ in name, n_trials and seed only. */
    CHECK_STR_CONTAINS(b.data, "<tr><td>search.n_trials</td><td>120</td><td>60</td></tr>");
    CHECK_STR_CONTAINS(b.data, "<tr><td>search.sampler.seed</td><td>1</td><td>2</td></tr>");
    CHECK_INT(count(b.data, "<tr><td>search.space."), 0);
    rep_buf_free(&b);
    rep_study_free(&s[0]);
    rep_study_free(&s[1]);
}

static void test_xss(void)
{
    rep_study s[2];
    char err[256];
    CHECK_INT(make_evil(&s[0], err), 0);
    CHECK_INT(rep_study_synth(&s[1], "plain", 30, 100, 4, err), 0);
    rep_buf b;
    rep_buf_init(&b);
    CHECK_INT(rep_render_html(s, 2, &b, err), 0);
    CHECK_INT(count(b.data, "<script"), 2);
    CHECK_INT(count(b.data, "<img"), 0);
    CHECK_INT(count(b.data, EVIL_SCRIPT), 0);
    CHECK_INT(count(b.data, "onerror=alert(1)>"), 0);
    CHECK(count(b.data, "&lt;script&gt;alert(1)&lt;/script&gt;") > 40);
    CHECK(count(b.data, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;") > 40);
    rep_buf_free(&b);
    rep_study_free(&s[0]);
    rep_study_free(&s[1]);
}

static void test_empty_study(void)
{
    rep_study s;
    rep_study_init(&s);
    s.name = str_dup("empty");
    rep_buf b;
    rep_buf_init(&b);
    char err[256];
    CHECK_INT(rep_render_html(&s, 1, &b, err), 0);
    check_sections(b.data, 0);
    CHECK_STR_CONTAINS(b.data, "No trial has completed yet.");
    rep_buf_free(&b);
    CHECK(rep_render_html(&s, 0, &b, err) < 0);
    CHECK_STR_CONTAINS(err, "at least one study");
    rep_buf_free(&b);
    rep_study_free(&s);
}

/* Unknown fields everywhere: NULL strings, no params, no steps, an invalid spec,
 * states out of order, a maximised objective. */
static void test_sparse_study(void)
{
    rep_study s;
    rep_study_init(&s);
    s.spec_json = str_dup("{not json <b>");
    s.maximize = 1;
    s.n_trials = 4;
    s.trials = calloc(4, sizeof *s.trials);
    for (int i = 0; i < 4; i++) {
        s.trials[i].number = 3 - i;
        static const rep_state st[4] = {REP_COMPLETE, REP_PRUNED, REP_FAIL, REP_RUNNING};
        s.trials[i].state = st[i];
        s.trials[i].value = i == 0 ? 1.5 : NAN;
        s.trials[i].started = s.trials[i].finished = NAN;
    }
    rep_buf b;
    rep_buf_init(&b);
    char err[256];
    CHECK_INT(rep_render_html(&s, 1, &b, err), 0);
    check_sections(b.data, 0);
    CHECK_STR_CONTAINS(b.data, "not valid JSON");
    CHECK_STR_CONTAINS(b.data, "{not json &lt;b&gt;");
    CHECK_STR_CONTAINS(b.data, "Trial #3, value = 1.5");
    CHECK_STR_CONTAINS(b.data, "Not available: the trials have no parameters");
    rep_buf_free(&b);
    rep_study_free(&s);
}

/* Three diverged trials must not squash the history: they go off the chart, and
 * the page says so. */
static void test_diverged_trials_off_chart(void)
{
    rep_study s;
    char err[256];
    CHECK_INT(rep_study_synth(&s, "diverged", 200, 0, 9, err), 0);
    int changed = 0;
    for (int i = 0; i < s.n_trials && changed < 3; i++)
        if (s.trials[i].state == REP_COMPLETE && i != s.result.best_trial) {
            s.trials[i].value = 1e6;
            changed++;
        }
    rep_buf b;
    rep_buf_init(&b);
    CHECK_INT(rep_render_html(&s, 1, &b, err), 0);
    CHECK_STR_CONTAINS(b.data, "3 trial values far beyond the rest");
    const char *hist = b.data ? strstr(b.data, "<svg id=\"hist\"") : NULL;
    const char *end = hist ? strstr(hist, "</svg>") : NULL;
    CHECK(hist && end);
    if (hist && end) {
        size_t n = (size_t)(end - hist);
        char *chart = malloc(n + 1);
        memcpy(chart, hist, n);
        chart[n] = '\0';
        CHECK(strstr(chart, "\">1000000<") == NULL && strstr(chart, "\">1e+06<") == NULL);
        CHECK_STR_CONTAINS(chart, ">0.70<");
        free(chart);
    }
    rep_buf_free(&b);
    rep_study_free(&s);
}

static void test_fill_from_spec(void)
{
    rep_study s;
    char err[256];
    CHECK_INT(rep_study_synth(&s, "fill", 5, 0, 1, err), 0);
    free(s.data_file);
    free(s.metric);
    free(s.fold_layout);
    s.data_file = s.metric = s.fold_layout = NULL;
    CHECK_INT(rep_study_fill_from_spec(&s, err), 0);
    CHECK(s.data_file && strcmp(s.data_file, "data/btcusdt_1h.csv") == 0);
    CHECK(s.metric && strcmp(s.metric, "val_log_loss") == 0);
    CHECK(s.fold_layout && strcmp(s.fold_layout, "5 expanding walk-forward folds, validation 15% "
                                  "of each training span, holdout 15%, embargo 0 bars") == 0);
    set(&s.spec_json, "{\"objective\":{\"builtin\":\"branin\"}}");
    set(&s.fold_layout, "kept");
    CHECK_INT(rep_study_fill_from_spec(&s, err), 0);
    CHECK(strcmp(s.fold_layout, "kept") == 0);
    free(s.fold_layout);
    s.fold_layout = NULL;
    CHECK_INT(rep_study_fill_from_spec(&s, err), 0);
    CHECK_STR_CONTAINS(s.fold_layout, "builtin objective 'branin'");
    set(&s.spec_json, "{bad");
    CHECK(rep_study_fill_from_spec(&s, err) < 0);
    CHECK_STR_CONTAINS(err, "study 'fill': not valid JSON");
    rep_study_free(&s);
}

static int count_tmp_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ".tmp.") != NULL;
    if (d)
        closedir(d);
    return n;
}

static void test_large_and_durable(void)
{
    rep_study s;
    char err[256];
    CHECK_INT(rep_study_synth(&s, "large", 10000, 5000, 5, err), 0);
    char dir[] = "/tmp/seqtune-rep-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/large.html", dir);
    CHECK_INT(rep_write_html(&s, 1, path, err), 0);
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
    CHECK_MSG(st.st_size > 100000 && st.st_size < 5000000, "10,000-trial report is %lld bytes",
              (long long)st.st_size);
    fprintf(stderr, "10,000-trial report: %lld bytes\n", (long long)st.st_size);
    /* Rewriting over an existing report replaces it and leaves no temp file. */
    CHECK_INT(rep_write_html(&s, 1, path, err), 0);
    CHECK_INT(count_tmp_files(dir), 0);
    unlink(path);
    /* A target that cannot be replaced (a directory): error, and no temp file left. */
    char sub[160];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    CHECK_INT(mkdir(sub, 0755), 0);
    CHECK(rep_write_html(&s, 1, sub, err) < 0);
    CHECK_STR_CONTAINS(err, "cannot rename");
    CHECK_INT(count_tmp_files(dir), 0);
    rmdir(sub);
    rmdir(dir);
    char bad[] = "/nonexistent-dir-seqtune/report.html";
    CHECK(rep_write_html(&s, 1, bad, err) < 0);
    CHECK_STR_CONTAINS(err, "/nonexistent-dir-seqtune/report.html");
    rep_study_free(&s);
}

/* Buy-and-hold and a one-bar momentum strategy (10 bps per position change) on
 * the last 15% of the real 1h candles: real timestamps and curves for the
 * browser fixture's first study. Returns 0, or -1 when the file is unreadable. */
static int use_real_candles(rep_study *s, const char *data_dir)
{
    char path[4096], line[256];
    snprintf(path, sizeof path, "%s/btcusdt_binance_1h_2021-10-01_2022-10-31.csv", data_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int cap = 16384, n = 0;
    double *t = malloc((size_t)cap * sizeof *t), *c = malloc((size_t)cap * sizeof *c);
    while (t && c && n < cap && fgets(line, sizeof line, f)) {
        double ts, o, h, l, cl;
        if (sscanf(line, "%lf,%lf,%lf,%lf,%lf", &ts, &o, &h, &l, &cl) == 5) {
            t[n] = ts;
            c[n++] = cl;
        }
    }
    fclose(f);
    int h0 = (int)(n * 0.85), m = n - h0;
    rep_result *r = &s->result;
    if (!t || !c || m < 10 || m > r->n_curve) {
        free(t);
        free(c);
        return -1;
    }
    set(&s->data_file, "btcusdt_binance_1h_2021-10-01_2022-10-31.csv");
    s->data_start = t[0];
    s->data_end = t[n - 1];
    double span = (t[h0] - t[0]) / 6.0;
    for (int k = 0; k < s->n_folds; k++) {
        s->folds[k].train_start = t[0];
        s->folds[k].train_end = s->folds[k].test_start = t[0] + span * (k + 1);
        s->folds[k].test_end = t[0] + span * (k + 2);
    }
    double eq = 1, peak = 1, dd = 0, pos = 0;
    for (int i = 0; i < m; i++) {
        int j = h0 + i;
        double ret = i ? c[j] / c[j - 1] - 1 : 0;
        double next = i && c[j] > c[j - 1] ? 1 : 0;
        eq *= 1 + pos * ret - (next != pos ? 0.001 : 0);
        pos = next;
        r->curve_t[i] = t[j];
        r->curve_bh[i] = c[j] / c[h0];
        r->curve_model[i] = eq;
        peak = fmax(peak, r->curve_bh[i]);
        dd = fmin(dd, r->curve_bh[i] / peak - 1);
    }
    r->n_curve = m;
    r->buy_hold.total_return = c[n - 1] / c[h0] - 1;
    r->buy_hold.max_drawdown = dd;
    r->holdout.total_return = eq - 1;
    free(t);
    free(c);
    return 0;
}

static int write_fixtures(const char *dir)
{
    rep_study s[2];
    char err[256], path[4096];
    if (rep_study_synth(&s[0], "btc-1h-direction", 150, 1500, 11, err) != 0 ||
        rep_study_synth(&s[1], "btc-1h-wider", 90, 1500, 12, err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const char *data = check_data_dir();
    if (!data || use_real_candles(&s[0], data) != 0)
        fprintf(stderr, "note: real 1h candles not found; the fixture uses synthetic curves\n");
    snprintf(path, sizeof path, "%s/report.html", dir);
    int rc = rep_write_html(s, 2, path, err);
    rep_study_free(&s[0]);
    rep_study_free(&s[1]);
    if (rc == 0 && (rc = make_evil(&s[0], err)) == 0 &&
        (rc = rep_study_synth(&s[1], "plain", 30, 100, 4, err)) == 0) {
        snprintf(path, sizeof path, "%s/xss.html", dir);
        rc = rep_write_html(s, 2, path, err);
        rep_study_free(&s[1]);
    }
    rep_study_free(&s[0]);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc == 3 && strcmp(argv[1], "--fixtures") == 0)
        return write_fixtures(argv[2]);
    test_sections_and_compare();
    test_xss();
    test_empty_study();
    test_sparse_study();
    test_fill_from_spec();
    test_diverged_trials_off_chart();
    test_large_and_durable();
    return check_done();
}
