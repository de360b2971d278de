/*
 * serve.c - the dashboard's HTTP side (serve.h): the libmicrohttpd daemon, the
 * checks every request passes before it reaches a page or the API (method,
 * Host, path, size), the security headers every response carries, and the
 * pool of read-only store handles.
 *
 * The path is not unescaped by libmicrohttpd (its unescape callback is a no-op
 * here): it is split at '/' first and each segment decoded on its own, so an
 * encoded "%2F" or "%2e%2e" cannot change which route a request takes (a study
 * name may hold a '/'); a segment that decodes to "." or "..", has a ".." part
 * between slashes, or holds a control byte is refused with 400.
 */
#include "reports/serve.h"
#include "reports/serve_int.h"

#include "tracker/store.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SV_STORES 8
#define SV_CONN_TIMEOUT_S 15
#define SV_CONN_MEMORY (64 * 1024)
#define SV_MAX_URL 4096

static const char CSP[] =
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
    "img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

struct rep_server {
    struct MHD_Daemon *d;
    sv_ctx ctx;
    int port;
    int loopback;
    char bound[128];             /* the --host value as given */
    char hostname[256];          /* gethostname(), accepted in Host */
    char **allow;
    int n_allow;
    pthread_t warm;              /* loads the studies ahead of the first request */
    int warm_started;
    atomic_int stop;
};

/* The background thread: loads the studies ahead of the first request, then
 * keeps the ones in use fresh (serve_cache.c), until the server stops. */
static void *warm_main(void *p)
{
    rep_server *sv = p;
    sv_warm(&sv->ctx, &sv->stop);
    while (!sv->stop) {
        for (int i = 0; i < 10 && !sv->stop; i++) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (!sv->stop)
            sv_cache_tick(&sv->ctx, sv_study_page_refresh);
    }
    return NULL;
}

double sv_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* ---- the store pool ---------------------------------------------------------- */

trk_store *sv_store_get(sv_ctx *c)
{
    pthread_mutex_lock(&c->pool_lock);
    for (;;) {
        for (int i = 0; i < c->n_stores; i++)
            if (!c->busy[i]) {
                c->busy[i] = 1;
                pthread_mutex_unlock(&c->pool_lock);
                return c->stores[i];
            }
        pthread_cond_wait(&c->pool_cond, &c->pool_lock);
    }
}

void sv_store_put(sv_ctx *c, trk_store *s)
{
    pthread_mutex_lock(&c->pool_lock);
    for (int i = 0; i < c->n_stores; i++)
        if (c->stores[i] == s)
            c->busy[i] = 0;
    pthread_cond_signal(&c->pool_cond);
    pthread_mutex_unlock(&c->pool_lock);
}

/* ---- small helpers the endpoints share ---------------------------------------- */

const char *sv_arg(const sv_req *r, const char *key)
{
    for (int i = 0; i < r->n_args; i++)
        if (strcmp(r->key[i], key) == 0)
            return r->val[i];
    return NULL;
}

void sv_json_num(cJSON *o, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

void sv_json_str(cJSON *o, const char *key, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

void sv_error(sv_reply *out, int status, int json, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rep_buf_free(&out->body);
    rep_buf_init(&out->body);
    out->status = status;
    if (json) {
        out->type = "application/json";
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "error", msg);
        cJSON_AddNumberToObject(o, "status", status);
        char *text = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        rep_buf_put(&out->body, text ? text : "{\"error\": \"out of memory\"}");
        rep_buf_put(&out->body, "\n");
        cJSON_free(text);
    } else {
        out->type = "text/html; charset=utf-8";
        rep_buf_printf(&out->body, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<title>%d</title></head><body><h1>%d</h1><p>", status, status);
        rep_buf_esc(&out->body, msg);
        rep_buf_put(&out->body, "</p><p><a href=\"/\">studies</a></p></body></html>\n");
    }
}

int sv_args_check(const sv_req *r, const char *const *known, sv_reply *out, int json)
{
    for (int i = 0; i < r->n_args; i++) {
        int ok = 0;
        for (int k = 0; known[k] && !ok; k++)
            ok = strcmp(r->key[i], known[k]) == 0;
        if (!ok) {
            sv_error(out, 400, json, "query parameter '%.60s': unknown here", r->key[i]);
            return -1;
        }
    }
    return 0;
}

int sv_arg_long(const sv_req *r, const char *key, long lo, long hi, long def, long *v,
                sv_reply *out, int json)
{
    const char *t = sv_arg(r, key);
    *v = def;
    if (!t)
        return 0;
    char *end = NULL;
    long x = *t && (isdigit((unsigned char)*t) || *t == '-') ? strtol(t, &end, 10) : 0;
    if (!end || *end || x < lo || x > hi) {
        sv_error(out, 400, json, "query parameter '%s': expected an integer in [%ld, %ld], "
                 "got '%.40s'", key, lo, hi, t);
        return -1;
    }
    *v = x;
    return 0;
}

void sv_url_esc(rep_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            rep_buf_putn(b, (const char *)p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rep_buf_putn(b, e, 3);
        }
    }
}

/* Decodes %XX and (query only) '+' in place; -1 on a bad escape or a NUL. */
static int url_decode(char *s, int plus)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '%') {
            if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
                return -1;
            char h[3] = {p[1], p[2], 0};
            int v = (int)strtol(h, NULL, 16);
            if (v == 0)
                return -1;
            *o++ = (char)v;
            p += 2;
        } else {
            *o++ = plus && *p == '+' ? ' ' : *p;
        }
    }
    *o = '\0';
    return 0;
}

/* ---- request checks ------------------------------------------------------------ */

static int is_ip_literal(const char *h)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

/* The Host header must name this server: a loopback name or address when bound
 * to loopback, else the bound name, this machine's name, a --allow-host name or
 * an IP literal (DNS rebinding needs a DNS name). A port, when given, must be
 * ours. */
static int host_ok(const rep_server *sv, const char *host)
{
    if (!host || !*host || strlen(host) > 255)
        return 0;
    const char *name = host, *port = NULL;
    size_t nlen;
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (!close)
            return 0;
        name = host + 1;
        nlen = (size_t)(close - name);
        if (close[1] == ':')
            port = close + 2;
        else if (close[1])
            return 0;
    } else {
        const char *colon = strchr(host, ':');
        if (colon && strchr(colon + 1, ':'))
            return 0;
        nlen = colon ? (size_t)(colon - host) : strlen(host);
        port = colon ? colon + 1 : NULL;
    }
    if (port) {
        char *end = NULL;
        long p = isdigit((unsigned char)*port) ? strtol(port, &end, 10) : -1;
        if (!end || *end || p != sv->port)
            return 0;
    }
    char h[256];
    snprintf(h, sizeof h, "%.*s", (int)nlen, name);
    for (char *p = h; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (!*h)
        return 0;
    if (strcmp(h, "localhost") == 0 || strcmp(h, "127.0.0.1") == 0 || strcmp(h, "::1") == 0)
        return 1;
    if (strcasecmp(h, sv->bound) == 0)
        return 1;
    for (int i = 0; i < sv->n_allow; i++)
        if (strcasecmp(h, sv->allow[i]) == 0)
            return 1;
    if (sv->loopback)
        return 0;
    return is_ip_literal(h) || (sv->hostname[0] && strcasecmp(h, sv->hostname) == 0);
}

typedef struct arg_list {
    sv_req *r;
    char *store[SV_MAX_ARGS * 2];
    int n_store;
    int bad;
} arg_list;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    arg_list *a = cls;
    if (a->r->n_args == SV_MAX_ARGS) {
        a->bad = 1;
        return MHD_NO;
    }
    char *k = strdup(key ? key : ""), *v = strdup(value ? value : "");
    if (!k || !v || url_decode(k, 1) || url_decode(v, 1)) {
        free(k);
        free(v);
        a->bad = 2;
        return MHD_NO;
    }
    a->store[a->n_store++] = k;
    a->store[a->n_store++] = v;
    a->r->key[a->r->n_args] = k;
    a->r->val[a->r->n_args++] = v;
    return MHD_YES;
}

/* 1 when a decoded segment is "." or "..", or has ".." between slashes or
 * backslashes (an encoded "..%2F"): never a study name worth serving. */
static int has_dot_part(const char *seg)
{
    if (strcmp(seg, ".") == 0)
        return 1;
    for (const char *p = seg; *p;) {
        size_t n = strcspn(p, "/\\");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return 1;
        p += n;
        if (*p)
            p++;
    }
    return 0;
}

/* Splits and decodes the path into r (segments point into buf). 0, or -1 with
 * the reason in why. */
static int parse_path(const char *url, char *buf, size_t cap, sv_req *r, const char **why)
{
    if (strlen(url) >= cap) {
        *why = "the path is too long";
        return -1;
    }
    snprintf(buf, cap, "%s", url);
    if (buf[0] != '/') {
        *why = "the path must start with '/'";
        return -1;
    }
    char *q = strchr(buf, '?');
    if (q)
        *q = '\0';
    char *p = buf + 1;
    while (*p) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        if (*p) {
            if (r->n_seg == SV_MAX_SEGS) {
                *why = "the path has too many parts";
                return -1;
            }
            if (url_decode(p, 0) != 0) {
                *why = "the path has a bad percent escape";
                return -1;
            }
            if (has_dot_part(p)) {
                *why = "'.' and '..' are not allowed in paths";
                return -1;
            }
            for (const unsigned char *c = (const unsigned char *)p; *c; c++)
                if (*c < 0x20 || *c == 0x7f) {
                    *why = "the path holds a control character";
                    return -1;
                }
            r->seg[r->n_seg++] = p;
        } else if (slash && slash[1]) {
            *why = "empty path segment";
            return -1;
        }
        if (!slash)
            break;
        p = slash + 1;
    }
    return 0;
}

static void add_security_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    rep_server *sv = cls;
    /* First call per request: headers only. Answer at once (no body is read). */
    if (*con_cls == NULL) {
        *con_cls = (void *)1;
        if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
            return MHD_YES;
    }
    sv_reply rep = {200, "text/html; charset=utf-8", {0}, NULL};
    rep_buf_init(&rep.body);
    sv_req req;
    memset(&req, 0, sizeof req);
    arg_list args = {&req, {0}, 0, 0};
    char path[SV_MAX_URL];
    const char *why = NULL;
    int json = strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        sv_error(&rep, 405, json, "method %.16s: this server is read-only (GET and HEAD only)",
                 method);
        rep.allow = "GET, HEAD";
        *upload_size = 0;
    } else if (!host_ok(sv, MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                           MHD_HTTP_HEADER_HOST))) {
        sv_error(&rep, 421, json, "Host header: not a name of this server");
    } else if (parse_path(url, path, sizeof path, &req, &why) != 0) {
        sv_error(&rep, 400, json, "path: %s", why);
    } else {
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &args);
        if (args.bad == 1)
            sv_error(&rep, 400, json, "query: more than %d parameters", SV_MAX_ARGS);
        else if (args.bad)
            sv_error(&rep, 400, json, "query: a bad percent escape");
        else if (json)
            sv_api(&sv->ctx, &req, &rep);
        else
            sv_page(&sv->ctx, &req, &rep);
    }
    for (int i = 0; i < args.n_store; i++)
        free(args.store[i]);
    if (rep.body.oom) {
        rep_buf_free(&rep.body);
        rep_buf_init(&rep.body);
        sv_error(&rep, 500, json, "out of memory");
    }
    size_t len = rep.body.len;
    /* For HEAD libmicrohttpd sends the headers (with this length) and no body. */
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, rep.body.data ? rep.body.data : (void *)"",
                                        rep.body.data ? MHD_RESPMEM_MUST_FREE
                                                      : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        rep_buf_free(&rep.body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", rep.type);
    if (rep.allow)
        MHD_add_response_header(resp, "Allow", rep.allow);
    add_security_headers(resp);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)rep.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* No unescaping by libmicrohttpd: parse_path and collect_arg decode. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

static void ctx_free(sv_ctx *c)
{
    sv_cache_free(c);
    for (int i = 0; i < c->n_stores; i++)
        trk_store_close(c->stores[i]);
    free(c->stores);
    free(c->busy);
    pthread_mutex_destroy(&c->pool_lock);
    pthread_cond_destroy(&c->pool_cond);
    pthread_mutex_destroy(&c->cache_lock);
}

rep_server *rep_serve_start(const rep_serve_opts *o, char err[256])
{
    const char *host = o->host && *o->host ? o->host : "127.0.0.1";
    if (o->port < 0 || o->port > 65535) {
        snprintf(err, 256, "--port %d: expected 0-65535", o->port);
        return NULL;
    }
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", o->port);
    int gai = getaddrinfo(host, portstr, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(err, 256, "--host %.100s: %s", host, gai ? gai_strerror(gai) : "no address");
        return NULL;
    }
    rep_server *sv = calloc(1, sizeof *sv);
    if (!sv) {
        freeaddrinfo(ai);
        snprintf(err, 256, "serve: out of memory");
        return NULL;
    }
    snprintf(sv->bound, sizeof sv->bound, "%s", host);
    if (gethostname(sv->hostname, sizeof sv->hostname - 1) != 0)
        sv->hostname[0] = '\0';
    if (ai->ai_family == AF_INET) {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)ai->ai_addr;
        sv->loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
    } else if (ai->ai_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ai->ai_addr;
        sv->loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
    }
    sv->allow = calloc((size_t)(o->n_allow_hosts > 0 ? o->n_allow_hosts : 1), sizeof *sv->allow);
    for (int i = 0; sv->allow && i < o->n_allow_hosts; i++)
        if ((sv->allow[sv->n_allow] = strdup(o->allow_hosts[i])) != NULL)
            sv->n_allow++;
    sv_ctx *c = &sv->ctx;
    pthread_mutex_init(&c->pool_lock, NULL);
    pthread_cond_init(&c->pool_cond, NULL);
    pthread_mutex_init(&c->cache_lock, NULL);
    c->stores = calloc(SV_STORES, sizeof *c->stores);
    c->busy = calloc(SV_STORES, sizeof *c->busy);
    if (!c->stores || !c->busy || !sv->allow) {
        snprintf(err, 256, "serve: out of memory");
        goto fail;
    }
    for (; c->n_stores < SV_STORES; c->n_stores++) {
        c->stores[c->n_stores] = trk_store_open(o->db_path, TRK_READONLY, err);
        if (!c->stores[c->n_stores])
            goto fail;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    unsigned max_conn = (unsigned)(o->max_connections > 0 ? o->max_connections : 256);
    sv->d = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, handle, sv,
                             MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                             MHD_OPTION_CONNECTION_LIMIT, max_conn,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SV_CONN_TIMEOUT_S,
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SV_CONN_MEMORY,
                             MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)512,
                             MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
                             MHD_OPTION_END);
    if (!sv->d) {
        snprintf(err, 256, "--host %.80s --port %d: cannot listen there (in use, or not an "
                 "address of this machine)", host, o->port);
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(sv->d, MHD_DAEMON_INFO_BIND_PORT);
    sv->port = di ? di->port : o->port;
    freeaddrinfo(ai);
    sv->warm_started = pthread_create(&sv->warm, NULL, warm_main, sv) == 0;
    return sv;
fail:
    freeaddrinfo(ai);
    ctx_free(c);
    for (int i = 0; i < sv->n_allow; i++)
        free(sv->allow[i]);
    free(sv->allow);
    free(sv);
    return NULL;
}

int rep_serve_port(const rep_server *sv)
{
    return sv->port;
}

int rep_serve_is_loopback(const rep_server *sv)
{
    return sv->loopback;
}

void rep_serve_stop(rep_server *sv)
{
    if (!sv)
        return;
    sv->stop = 1;
    if (sv->warm_started)
        pthread_join(sv->warm, NULL);
    MHD_stop_daemon(sv->d);
    ctx_free(&sv->ctx);
    for (int i = 0; i < sv->n_allow; i++)
        free(sv->allow[i]);
    free(sv->allow);
    free(sv);
}
