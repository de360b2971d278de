/*
 * report.h - one self-contained HTML report for one or several studies.
 *
 * The file needs no network: inline CSS, charts as inline SVG (reports/svg.h), a
 * Content-Security-Policy that forbids every external load, and two short inline
 * scripts (an error catcher that records script errors in the html element's
 * data-js-error attribute, and sorting/filtering of tables plus legend toggles).
 * With JavaScript off everything is still visible.
 *
 * Sections of study k (ids for the first study; later studies add "-<k+1>", e.g.
 * "summary-2"): summary, best, history, importance, slices, parallel,
 * intermediate, trials, spec. With several studies a "compare" section comes
 * first: side-by-side table, overlaid best-so-far histories, and "what differs"
 * between the specs (flattened JSON paths whose values differ).
 *
 * Large studies stay small: the trials table is written without optional end
 * tags; scatters above REP_SCATTER_DETAIL points become dot paths without
 * tooltips; parallel coordinates and learning curves draw at most
 * REP_MAX_LINES trials (the best quarter plus an even sample of the rest; the
 * chart says so). Every string from the data is HTML-escaped.
 */
#ifndef REPORTS_REPORT_H
#define REPORTS_REPORT_H

#include "reports/buf.h"
#include "reports/model.h"

#define REP_MAX_LINES 1000

/* Appends the whole HTML document for studies[0..n) to out (n >= 1).
 * Returns 0, or -1 with err set (bad arguments, out of memory). */
int rep_render_html(const rep_study *studies, int n, rep_buf *out, char err[256]);

/* The sections alone (what rep_render_html puts inside <main>), for a page that
 * brings its own <head>, CSS and scripts (the live dashboard, reports/serve.h):
 * the comparison when n > 1, then each study's sections; with
 * REP_BODY_NO_TRIALS the "trials" table is left out (the dashboard pages it).
 * Returns 0, or -1 with err set. */
#define REP_BODY_NO_TRIALS 1
int rep_render_body(const rep_study *studies, int n, int flags, rep_buf *out, char err[256]);
/* The report's style sheet and its main script (table sorting and filtering,
 * legend toggles); static text. */
const char *rep_report_css(void);
const char *rep_report_js(void);

/* Renders and writes the report to path durably (temp file in the same folder,
 * fflush + fsync, rename). Returns 0, or -1 with err naming the file. */
int rep_write_html(const rep_study *studies, int n, const char *path, char err[256]);

#endif
