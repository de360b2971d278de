/*
 * report_int.h - what the report's files share (private to reports/): the
 * per-study view that several sections read, the small helpers they call and
 * the sections themselves, which rep_render_body (report.c) lists in order.
 */
#ifndef REPORTS_REPORT_INT_H
#define REPORTS_REPORT_INT_H

#include "reports/buf.h"
#include "reports/model.h"
#include "reports/svg.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define COLOR_COMPLETE "#0072B2"
#define COLOR_PRUNED "#E69F00"
#define COLOR_FAIL "#D55E00"
#define COLOR_BEST "#000000"

/* What the sections of one study share. */
typedef struct {
    const rep_study *s;
    int k;                 /* study index (section id suffix) */
    int np;                /* parameter columns */
    const char **keys;     /* borrowed from the first trial holding each key */
    int *categorical;      /* 1 when some trial has a non-numeric value */
    int *logscale;         /* from the spec's search.space.KEY.log */
    const char ***cats;    /* categorical: distinct texts in order of appearance */
    int *ncats;
    int *order;            /* trial indexes sorted by trial number */
    double *plotv;         /* value to plot per trial (pruned: value or last step) */
    int best;              /* trial index of the best trial, -1 none */
    cJSON *spec;           /* parsed spec or NULL */
} view;

typedef struct {
    const view *v;
    const int *idx;   /* point i -> trial index */
} tip_ctx;

/* ---- helpers (report_view.c) ---- */
/* An element id: base for the first study, base-<k+1> after. */
void rep_put_id(rep_buf *b, const char *base, int k);
void rep_make_id(char *out, size_t n, const char *base, int k);
void rep_section_open(rep_buf *b, const char *base, int k, const char *title,
                      const rep_study *s);
int rep_state_ok(rep_state st);
char rep_state_letter(rep_state st);
const rep_param *rep_trial_param(const rep_trial *t, const char *key);
int rep_better(const rep_study *s, double a, double b);
int rep_sort_by_key(int *idx, const double *keys, int n);
int rep_view_build(view *v, const rep_study *s, int k, char err[256]);
void rep_view_free(view *v);
double rep_param_coord(const view *v, int i, int j);   /* NaN: absent from trial i */
/* Parameter j's condition from the spec ("layers >= 3"): 1 and out, or 0 when
 * it is always active. */
int rep_param_condition(const view *v, int j, char out[160]);
void rep_param_esc(rep_buf *b, const rep_param *pa);
void rep_trial_tip(void *ctx, int i, rep_buf *b);
int rep_robust_y(rep_chart *c, const double *y, int n, int maximize);

/* The numbers of the Pareto section (sections_pareto.c): the complete trials
 * with every objective's value, in trial-number order, as loss vectors
 * (maximised objectives negated), which of them are on the front, the
 * reference point and the hypervolume of the front of the first i + 1. */
typedef struct rep_pareto {
    int m, n;
    int *idx;              /* trial index of point i */
    char *on_front;
    double *loss;          /* (n, m) */
    double ref[REP_MAX_OBJECTIVES];
    double *hv;
} rep_pareto;
/* n 0 (and nothing allocated) for a study with fewer than 2 objectives.
 * 0, or -1 out of memory. Free with rep_pareto_free. */
int rep_pareto_build(const rep_study *s, rep_pareto *p);
void rep_pareto_free(rep_pareto *p);

/* ---- sections, in page order ---- */
void rep_section_compare(rep_buf *b, const view *vs, int n);       /* report_compare.c */
void rep_section_summary(rep_buf *b, const view *v);               /* sections_study.c */
void rep_section_best(rep_buf *b, const view *v);
void rep_section_history(rep_buf *b, const view *v);
void rep_section_pareto(rep_buf *b, const view *v);                /* sections_pareto.c */
void rep_section_importance(rep_buf *b, const view *v);            /* sections_params.c */
void rep_section_slices(rep_buf *b, const view *v);
void rep_section_parallel(rep_buf *b, const view *v);
void rep_section_intermediate(rep_buf *b, const view *v);
void rep_section_trials(rep_buf *b, const view *v);                /* sections_trials.c */
void rep_section_spec(rep_buf *b, const view *v);

#endif
