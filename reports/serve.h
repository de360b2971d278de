/*
 * serve.h - `seqtune serve`: a live, read-only dashboard over the experiment
 * store, on GNU libmicrohttpd.
 *
 * What it serves (reports/serve_pages.c, reports/serve_api.c):
 *   /                               the study list (HTML)
 *   /studies/NAME                   a study: the report's sections, updated live
 *   /studies/NAME/trials            the trial table: filter, order, pages
 *   /studies/NAME/trials/N          one trial: params, per-fold and per-epoch curves
 *   /compare?study=A&study=B        the report's multi-study comparison
 *   /models[/NAME], /ab[/ID]        registered models and A/B comparisons
 *                                   (reports/serve_models.c)
 *   /api/studies[/NAME[/trials[/N] | /updates]]   the same as JSON (README)
 *   /api/models[/NAME], /api/ab[/ID]
 *   /static/serve.js                the pages' one script (built in, not a file)
 *
 * Read-only: the store is opened with TRK_READONLY (SQLite read-only, WAL
 * readers never block the coordinator), only GET and HEAD are answered, and
 * nothing but the store's contents is served. Every response carries a strict
 * Content-Security-Policy (scripts from this server only, no inline script, no
 * frames, no external loads) and `X-Content-Type-Options: nosniff`; the Host
 * header must name this server (DNS rebinding); requests are bounded in size,
 * connections in number and idle time. Filters go through the tracker's filter
 * compiler (tracker/query.h); no SQL is built here.
 */
#ifndef REPORTS_SERVE_H
#define REPORTS_SERVE_H

typedef struct rep_server rep_server;

typedef struct rep_serve_opts {
    const char *db_path;         /* the store (must exist) */
    const char *host;            /* address to bind; NULL = "127.0.0.1" */
    int port;                    /* 0 = any free port (see rep_serve_port) */
    int max_connections;         /* 0 = 256 */
    const char *const *allow_hosts; /* extra names accepted in Host (e.g. a DNS name) */
    int n_allow_hosts;
} rep_serve_opts;

/* Opens the store read-only and starts answering on the given address in
 * background threads. Returns the server, or NULL with err set (bad address,
 * port in use, not a seqtune store). Stop and free it with rep_serve_stop. */
rep_server *rep_serve_start(const rep_serve_opts *o, char err[256]);

/* The bound port, and 1 when the bound address is a loopback address. */
int rep_serve_port(const rep_server *sv);
int rep_serve_is_loopback(const rep_server *sv);

/* Stops answering (open requests finish first), closes the store, frees sv. */
void rep_serve_stop(rep_server *sv);

#endif
