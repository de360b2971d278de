/*
 * test_pareto_section.c - the report's Pareto section (reports/sections_pareto.c)
 * on a study whose answer is worked out by hand: one objective minimised and
 * one maximised, a dominated trial, a failed one and a duplicate. The front,
 * the reference point (worst + 10 % of the range, in loss space) and the
 * hypervolume after each trial equal the hand figures; the page has the
 * section, the front's rows and the objective names escaped; a
 * single-objective study has no such section.
 */
#include "reports/report.h"
#include "reports/report_int.h"
#include "tests/check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EVIL "<script>alert(1)</script>"

/* Trials (f minimised, g maximised), by number:
 *   0: f 2,   g 1    loss (2, -1)
 *   1: f 1,   g 0    loss (1, 0)
 *   2: f 3,   g 0.5  loss (3, -0.5)    dominated by 0
 *   3: FAIL
 *   4: f 0.5, g 2    loss (0.5, -2)    dominates every other
 *   5: f 1,   g 0    a copy of 1
 * Reference: f 3 + 0.1 (3 - 0.5) = 3.25; g-loss 0 + 0.1 (0 - -2) = 0.2.
 * Hypervolume: after 0: 1.25 x 1.2 = 1.5; after 1: 1.5 + 2.25 x 0.2 - 1.25 x 0.2
 * = 1.7; after 2: 1.7; after 4: 2.75 x 2.2 = 6.05; after 5: 6.05. */
static void build(rep_study *s, int n_obj)
{
    static const double f[6] = {2, 1, 3, NAN, 0.5, 1}, g[6] = {1, 0, 0.5, NAN, 2, 0};
    rep_study_init(s);
    s->name = strdup("moo");
    s->metric = strdup("f");
    s->n_objectives = n_obj;
    s->objective_names[0] = strdup("f");
    s->objective_names[1] = strdup(n_obj > 1 ? "g" EVIL : "unused");
    s->objective_maximize[1] = 1;
    if (n_obj < 2) {   /* a single-objective study has one name */
        free(s->objective_names[1]);
        s->objective_names[1] = NULL;
    }
    s->trials = calloc(6, sizeof *s->trials);
    s->n_trials = 6;
    for (int i = 0; i < 6; i++) {
        rep_trial *t = &s->trials[5 - i];   /* stored out of order */
        t->number = i;
        t->state = i == 3 ? REP_FAIL : REP_COMPLETE;
        t->value = f[i];
        t->started = t->finished = NAN;
        t->worker = strdup("rank 1");
        t->params = calloc(1, sizeof *t->params);
        if (i != 3) {
            t->n_values = 2;
            t->values[0] = f[i];
            t->values[1] = g[i];
        }
    }
}

static void test_front_reference_and_hypervolume(void)
{
    rep_study s;
    build(&s, 2);
    rep_pareto p;
    CHECK_INT(rep_pareto_build(&s, &p), 0);
    CHECK_INT(p.m, 2);
    CHECK_INT(p.n, 5);
    static const int numbers[5] = {0, 1, 2, 4, 5};
    static const double hv[5] = {1.5, 1.7, 1.7, 6.05, 6.05};
    for (int i = 0; i < p.n && i < 5; i++) {
        CHECK_INT(s.trials[p.idx[i]].number, numbers[i]);
        CHECK_INT(p.on_front[i], numbers[i] == 4);
        CHECK_NEAR(p.hv[i], hv[i], 1e-12);
    }
    CHECK_NEAR(p.ref[0], 3.25, 1e-12);
    CHECK_NEAR(p.ref[1], 0.2, 1e-12);
    CHECK_NEAR(p.loss[1 * 2 + 1], 0.0, 0);   /* trial 1's g negated */
    CHECK_NEAR(p.loss[3 * 2 + 1], -2.0, 0);
    rep_pareto_free(&p);
    rep_study_free(&s);
}

static void test_page_has_the_section(void)
{
    rep_study s;
    char err[256];
    build(&s, 2);
    rep_buf b;
    rep_buf_init(&b);
    CHECK_INT(rep_render_html(&s, 1, &b, err), 0);
    const char *html = b.data;
    CHECK_STR_CONTAINS(html, "<section id=\"pareto\">");
    CHECK_STR_CONTAINS(html, "<a href=\"#pareto\">pareto</a>");
    CHECK_STR_CONTAINS(html, "5 complete trials, 1 on the Pareto front");
    CHECK_STR_CONTAINS(html, "<tr><td class=\"n\">4</td><td class=\"n\">0.5</td><td class=\"n\">2</td></tr>");
    CHECK_STR_CONTAINS(html, "Final hypervolume 6.05.");
    CHECK_STR_CONTAINS(html, "(f 3.25, g&lt;script&gt;alert(1)&lt;/script&gt; -0.2)");
    CHECK(strstr(html, EVIL) == NULL);
    rep_buf_free(&b);
    rep_study_free(&s);

    build(&s, 1);
    rep_buf_init(&b);
    CHECK_INT(rep_render_html(&s, 1, &b, err), 0);
    CHECK(strstr(b.data, "id=\"pareto\"") == NULL && strstr(b.data, "#pareto") == NULL);
    rep_buf_free(&b);
    rep_study_free(&s);
}

int main(void)
{
    test_front_reference_and_hypervolume();
    test_page_has_the_section();
    return check_done();
}
