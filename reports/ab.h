/*
 * ab.h - the registry's pages (issue 16): one A/B comparison (`seqtune report
 * --ab ID`: both equity curves, the cumulative loss difference over time, the
 * figures and the verdict with its reasons) and one registered model's history
 * (`seqtune report --model NAME`: its versions, the moves of its aliases over
 * time, and the A/B comparisons it took part in).
 *
 * Both are self-contained HTML files like the study report (reports/report.h):
 * its style sheet and script, inline SVG charts (reports/svg.h), every string
 * from the store escaped. They read the store through tracker/registry.h.
 */
#ifndef REP_AB_H
#define REP_AB_H

#include "reports/buf.h"
#include "tracker/store.h"

#include <stdint.h>

/* A table cell's text for a version's holdout metrics (a JSON object): the
 * first four numeric ones, "name value" each, escaped; nothing for NULL. */
void rep_metrics_cell(rep_buf *b, const char *metrics_json);

/* The section of comparison `id` (id "ab-<id>") appended to b. 0, or a TRK_E*
 * code with err (TRK_ENOTFOUND: no such comparison). */
int rep_ab_section(rep_buf *b, trk_store *s, int64_t id, char err[256]);

/* The section of model `name`'s history (id "model"). 0, or a TRK_E* code. */
int rep_model_section(rep_buf *b, trk_store *s, const char *name, char err[256]);

/* The whole page of comparison `id` (model_name NULL) or of model `model_name`,
 * written durably to `path`. 0, or a TRK_E* code / -1 with err. */
int rep_registry_write_html(trk_store *s, int64_t id, const char *model_name, const char *path,
                            char err[256]);

#endif
