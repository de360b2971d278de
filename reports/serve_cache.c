/*
 * serve_cache.c - the studies the dashboard keeps in memory between requests.
 *
 * Loading a study of 100,000 trials through the read API takes seconds, so a
 * study is loaded in full once (rep_study_load) and then refreshed with only
 * what changed: the runs whose `finished` time is later than the latest one
 * already seen (the cursor, on the store's clock) and the runs still RUNNING,
 * both asked through the tracker's filter compiler ("finished > T",
 * "state = 'RUNNING'"); when the counts per state have not moved only the
 * running ones are read, and for a study with none running nothing is. A change of the study's status (its result appears when
 * it completes) or fewer runs than cached (a deletion) reloads it in full.
 * Every change bumps the study's generation, which keys the rendered page.
 * A background thread (sv_cache_tick, every second) keeps the studies that were
 * asked for in the last two minutes fresh, so that a request seldom waits for a
 * refresh itself.
 */
#include "reports/serve_int.h"

#include "reports/load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SV_INDEX_MAX (1 << 24)
#define SV_FRESH_S 1.0        /* the background refresh runs this often */
#define SV_KEEP_FRESH_S 120.0 /* ...for studies asked for within this time */

static void trial_clear(rep_trial *t)
{
    for (int j = 0; j < t->n_params; j++) {
        free(t->params[j].key);
        free(t->params[j].text);
    }
    free(t->params);
    free(t->steps);
    free(t->worker);
    free(t->error);
    for (int j = 0; j < t->n_tags; j++) {
        free(t->tags[j].key);
        free(t->tags[j].value);
    }
    free(t->tags);
    memset(t, 0, sizeof *t);
}

/* A run of the store as a report trial, with its intermediate values. */
static int trial_from_run(trk_store *s, const trk_run *r, rep_trial *t, char err[256])
{
    if (rep_trial_from_run(r, t))
        goto oom;
    if (r->state == TRK_COMPLETE && rep_trial_values_load(s, r->id, t, err)) {
        trial_clear(t);
        return -1;
    }
    trk_metric_point *m = NULL;
    int n = 0;
    if (trk_metric_history(s, r->id, TRK_INTERMEDIATE_KEY, &m, &n, err) != 0) {
        trial_clear(t);
        return -1;
    }
    int max_step = -1;
    for (int i = 0; i < n; i++)
        if (m[i].step > max_step && m[i].step < 100000)
            max_step = (int)m[i].step;
    if (max_step >= 0) {
        t->steps = malloc(sizeof *t->steps * (size_t)(max_step + 1));
        if (!t->steps) {
            free(m);
            goto oom;
        }
        for (int f = 0; f <= max_step; f++)
            t->steps[f] = NAN;
        for (int i = 0; i < n; i++) /* by step, then logging order: the last wins */
            if (m[i].step >= 0 && m[i].step <= max_step)
                t->steps[m[i].step] = m[i].value;
        t->n_steps = max_step + 1;
    }
    free(m);
    return 0;
oom:
    trial_clear(t);
    snprintf(err, 256, "trial %d: out of memory", r->trial_number);
    return -1;
}

static int index_of(const sv_study *cs, int number)
{
    if (number >= 0 && number < cs->index_cap)
        return cs->index[number];
    for (int i = 0; i < cs->st.n_trials; i++) /* numbers outside the index */
        if (cs->st.trials[i].number == number)
            return i;
    return -1;
}

static int index_set(sv_study *cs, int number, int i)
{
    if (number < 0 || number >= SV_INDEX_MAX)
        return 0;
    if (number >= cs->index_cap) {
        int cap = cs->index_cap ? cs->index_cap : 1024;
        while (cap <= number)
            cap *= 2;
        int *ix = realloc(cs->index, sizeof *ix * (size_t)cap);
        if (!ix)
            return -1;
        for (int k = cs->index_cap; k < cap; k++)
            ix[k] = -1;
        cs->index = ix;
        cs->index_cap = cap;
    }
    cs->index[number] = i;
    return 0;
}

static int full_load(sv_study *cs, trk_store *s, const char *status, char err[256])
{
    rep_study_free(&cs->st);
    cs->loaded = 0;
    free(cs->index);
    cs->index = NULL;
    cs->index_cap = 0;
    cs->cursor = 0;
    if (rep_study_load(s, cs->name, &cs->st, err) != 0)
        return -1;
    for (int i = 0; i < cs->st.n_trials; i++) {
        const rep_trial *t = &cs->st.trials[i];
        if (index_set(cs, t->number, i) != 0) {
            snprintf(err, 256, "study '%s': out of memory", cs->name);
            return -1;
        }
        if (isfinite(t->finished) && t->finished > cs->cursor)
            cs->cursor = t->finished;
    }
    free(cs->status);
    cs->status = strdup(status);
    cs->loaded = cs->status != NULL;
    cs->gen++;
    return cs->loaded ? 0 : -1;
}

/* Puts the runs of l into the cached study (replacing trials with the same
 * number); returns how many changed, or -1. */
static int apply_runs(sv_study *cs, trk_store *s, const trk_run_list *l, char err[256])
{
    int changed = 0;
    for (int k = 0; k < l->n; k++) {
        const trk_run *r = &l->runs[k];
        rep_trial t;
        if (trial_from_run(s, r, &t, err) != 0)
            return -1;
        int i = index_of(cs, r->trial_number);
        if (i >= 0) {
            const rep_trial *o = &cs->st.trials[i];
            int same = o->state == t.state && o->n_steps == t.n_steps &&
                       (o->finished == t.finished || (isnan(o->finished) && isnan(t.finished)));
            trial_clear(&cs->st.trials[i]);
            cs->st.trials[i] = t;
            changed += !same;
        } else {
            rep_trial *tr = realloc(cs->st.trials, sizeof *tr * (size_t)(cs->st.n_trials + 1));
            if (!tr) {
                trial_clear(&t);
                snprintf(err, 256, "study '%s': out of memory", cs->name);
                return -1;
            }
            cs->st.trials = tr;
            cs->st.trials[cs->st.n_trials] = t;
            if (index_set(cs, t.number, cs->st.n_trials) != 0)
                return -1;
            cs->st.n_trials++;
            changed++;
        }
        if (isfinite(r->finished) && r->finished > cs->cursor)
            cs->cursor = r->finished;
    }
    return changed;
}

/* Brings the locked study up to date with `info` (read just before). */
static int refresh_with(sv_study *cs, trk_store *s, trk_study_info *info, int *status,
                        char err[256])
{
    int rc = 0;
    int full = !cs->loaded || !cs->status || strcmp(info->status, cs->status) != 0 ||
               info->n_runs < cs->st.n_trials;
    /* A trial cannot start or finish without changing the counts per state, so
     * equal counts leave only the running trials' new intermediate values. */
    int counts[5] = {info->n_runs, info->n_running, info->n_complete, info->n_pruned,
                     info->n_fail};
    int same = memcmp(counts, cs->counts, sizeof counts) == 0;
    if (full) {
        rc = full_load(cs, s, info->status, err);
    } else if (!same || info->n_running > 0) {
        char f[64];
        snprintf(f, sizeof f, "finished > %.17g", cs->cursor);
        trk_query q1 = {.filter = f}, q2 = {.filter = "state = 'RUNNING'"};
        trk_run_list done = {0}, running = {0};
        int c1 = 0, c2 = 0;
        rc = (!same && trk_runs_query(s, info->id, &q1, &done, err)) ||
             trk_runs_query(s, info->id, &q2, &running, err);
        if (rc == 0 && ((c1 = apply_runs(cs, s, &done, err)) < 0 ||
                        (c2 = apply_runs(cs, s, &running, err)) < 0))
            rc = -1;
        if (c1 + c2 > 0)
            cs->gen++;
        trk_run_list_free(&done);
        trk_run_list_free(&running);
        if (rc != 0)
            cs->loaded = 0; /* half applied: the next request reloads */
    }
    if (rc == 0)
        memcpy(cs->counts, counts, sizeof counts);
    if (rc != 0)
        *status = 500;
    cs->refreshed = sv_now();
    return rc ? -1 : 0;
}

static int refresh(sv_study *cs, trk_store *s, int *status, char err[256])
{
    trk_study_info info;
    int rc = trk_study_get(s, cs->name, &info, err);
    if (rc != 0) {
        *status = rc == TRK_ENOTFOUND ? 404 : 500;
        return -1;
    }
    rc = refresh_with(cs, s, &info, status, err);
    trk_study_info_clear(&info);
    return rc;
}

void sv_cache_tick(sv_ctx *c, void (*after)(sv_study *cs))
{
    trk_store *s = sv_store_get(c);
    pthread_mutex_lock(&c->cache_lock);
    sv_study *first = c->studies; /* entries live until shutdown: safe to walk */
    pthread_mutex_unlock(&c->cache_lock);
    for (sv_study *cs = first; cs; cs = cs->next) {
        pthread_mutex_lock(&cs->lock);
        int wanted = cs->loaded && sv_now() - cs->accessed < SV_KEEP_FRESH_S &&
                     sv_now() - cs->refreshed >= SV_FRESH_S;
        pthread_mutex_unlock(&cs->lock);
        if (!wanted)
            continue;
        /* The store's counts are read without the study's lock, so that pages
         * are served meanwhile; only a change is applied under it. */
        trk_study_info info;
        char err[256];
        int status;
        if (trk_study_get(s, cs->name, &info, err) != 0)
            continue;
        pthread_mutex_lock(&cs->lock);
        if (refresh_with(cs, s, &info, &status, err) == 0 && after)
            after(cs);
        pthread_mutex_unlock(&cs->lock);
        trk_study_info_clear(&info);
    }
    sv_store_put(c, s);
}

sv_study *sv_study_acquire(sv_ctx *c, trk_store *s, const char *name, double max_age_s,
                           int *status, char err[256])
{
    pthread_mutex_lock(&c->cache_lock);
    sv_study *cs = c->studies;
    while (cs && strcmp(cs->name, name) != 0)
        cs = cs->next;
    if (!cs) {
        /* Only studies of the store get an entry: unknown names cost nothing. */
        int64_t id;
        int rc = trk_study_find(s, name, &id, err);
        if (rc != 0) {
            pthread_mutex_unlock(&c->cache_lock);
            *status = rc == TRK_ENOTFOUND ? 404 : 500;
            return NULL;
        }
        cs = calloc(1, sizeof *cs);
        if (!cs || !(cs->name = strdup(name))) {
            free(cs);
            pthread_mutex_unlock(&c->cache_lock);
            *status = 500;
            snprintf(err, 256, "out of memory");
            return NULL;
        }
        pthread_mutex_init(&cs->lock, NULL);
        rep_study_init(&cs->st);
        rep_buf_init(&cs->page);
        cs->next = c->studies;
        c->studies = cs;
    }
    pthread_mutex_unlock(&c->cache_lock);
    pthread_mutex_lock(&cs->lock);
    cs->accessed = sv_now();
    if (!cs->loaded || sv_now() - cs->refreshed >= max_age_s) {
        if (refresh(cs, s, status, err) != 0) {
            pthread_mutex_unlock(&cs->lock);
            return NULL;
        }
    }
    return cs;
}

void sv_cache_free(sv_ctx *c)
{
    sv_study *cs = c->studies;
    while (cs) {
        sv_study *next = cs->next;
        rep_study_free(&cs->st);
        rep_buf_free(&cs->page);
        free(cs->index);
        free(cs->status);
        free(cs->name);
        pthread_mutex_destroy(&cs->lock);
        free(cs);
        cs = next;
    }
    c->studies = NULL;
}
