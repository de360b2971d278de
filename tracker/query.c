/*
 * query.c - the read API of tracker/query.h: study listings, the filter language
 * compiled to one parameterised SELECT, run and metric reads, tags, artifacts,
 * intermediate values for optimizer replay.
 *
 * The filter compiler works in two passes: parse() turns the text into clauses
 * (kind, key, operator, literal) and reports the first bad token with its
 * position; build_sql() writes the SELECT from fixed fragments only, with one
 * numbered parameter per key and literal. So user text can reach SQLite only as
 * a bound value.
 */
#include "tracker/query.h"
#include "tracker/store_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- filter parsing ---------------------------------------------------------- */

typedef enum { K_PARAM, K_METRIC, K_TAG, K_ATTR } key_kind;
typedef enum { A_NUM, A_TEXT, A_STATE } attr_type;

typedef struct attr_def {
    const char *name;
    const char *column;
    attr_type type;
} attr_def;

static const attr_def attrs[] = {
    {"run_id", "r.id", A_NUM},         {"trial_number", "r.trial_number", A_NUM},
    {"state", "r.state", A_STATE},     {"status", "r.state", A_STATE},
    {"value", "r.value", A_NUM},       {"worker", "r.worker", A_NUM},
    {"seed", "r.seed", A_NUM},         {"started", "r.started", A_NUM},
    {"finished", "r.finished", A_NUM}, {"error", "r.error", A_TEXT},
};
#define N_ATTRS ((int)(sizeof attrs / sizeof attrs[0]))

static const char *const op_sql[] = {"=", "!=", "<", "<=", ">", ">=", "LIKE", "LIKE"};
enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_LIKE, OP_ILIKE };

typedef struct clause {
    key_kind kind;
    char *key;            /* param/metric/tag name */
    const attr_def *attr; /* K_ATTR */
    int op;
    int is_num;
    double num;
    char *text;           /* string literal, or the number's text */
} clause;

typedef struct parser {
    const char *src;
    size_t pos;
    char *err;
    clause *cl;
    int n, cap;
} parser;

static void skip_ws(parser *p)
{
    while (isspace((unsigned char)p->src[p->pos]))
        p->pos++;
}

/* "filter: position P: unexpected 'TOKEN' (expected WHAT)"; returns TRK_EINVAL. */
static int syntax_error(parser *p, size_t at, const char *expected)
{
    const char *t = p->src + at;
    if (!*t) {
        snprintf(p->err, 256, "filter: position %zu: unexpected end of filter (expected %s)",
                 at + 1, expected);
    } else {
        int len = 0;
        if (*t == '\'' || *t == '"' || *t == '`') {
            const char *close = strchr(t + 1, *t);
            len = close ? (int)(close - t + 1) : (int)strlen(t);
        } else {
            while (t[len] && !isspace((unsigned char)t[len]))
                len++;
        }
        if (len > 40)
            len = 40;
        snprintf(p->err, 256, "filter: position %zu: unexpected '%.*s' (expected %s)", at + 1,
                 len, t, expected);
    }
    return TRK_EINVAL;
}

static int is_word_char(int c)
{
    return isalnum(c) || c == '_' || c == '.' || c == '-' || c == '/' || c == ':';
}

/* A quoted run of text starting at p->pos (quote char q, doubled q = literal q). */
static char *read_quoted(parser *p, char q, size_t *end)
{
    size_t i = p->pos + 1, cap = strlen(p->src) + 1, n = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (;;) {
        char c = p->src[i];
        if (!c) {
            free(out);
            return NULL;
        }
        if (c == q) {
            if (p->src[i + 1] == q) {
                out[n++] = q;
                i += 2;
                continue;
            }
            break;
        }
        out[n++] = c;
        i++;
    }
    out[n] = '\0';
    *end = i + 1;
    return out;
}

/* KEY: params.NAME | metrics.NAME | tags.NAME | attributes.NAME | NAME (see query.h). */
static int parse_key(parser *p, clause *c)
{
    skip_ws(p);
    size_t start = p->pos, i = p->pos;
    if (p->src[i] == '`') {
        size_t end;
        char *name = read_quoted(p, '`', &end);
        if (!name)
            return syntax_error(p, start, "a closing backtick");
        c->kind = K_ATTR;
        c->key = name;
        p->pos = end;
    } else {
        while (isalpha((unsigned char)p->src[i]) || p->src[i] == '_')
            i++;
        if (i == start)
            return syntax_error(p, start, "a key such as params.units, metrics.sharpe or state");
        size_t plen = i - start;
        const char *w = p->src + start;
        if (p->src[i] == '.') {
#define IS(s) (plen == strlen(s) && strncasecmp(w, s, plen) == 0)
            if (IS("params") || IS("param"))
                c->kind = K_PARAM;
            else if (IS("metrics") || IS("metric"))
                c->kind = K_METRIC;
            else if (IS("tags") || IS("tag"))
                c->kind = K_TAG;
            else if (IS("attributes") || IS("attribute") || IS("attr") || IS("run"))
                c->kind = K_ATTR;
            else
                return syntax_error(p, start, "params., metrics., tags. or attributes.");
#undef IS
            p->pos = i + 1;
            char q = p->src[p->pos];
            if (q == '`' || q == '"') {
                size_t end;
                c->key = read_quoted(p, q, &end);
                if (!c->key)
                    return syntax_error(p, p->pos, q == '`' ? "a closing backtick"
                                                            : "a closing double quote");
                p->pos = end;
            } else {
                size_t k = p->pos;
                while (is_word_char((unsigned char)p->src[k]))
                    k++;
                if (k == p->pos)
                    return syntax_error(p, p->pos, "a name after the dot");
                c->key = strndup(p->src + p->pos, k - p->pos);
                p->pos = k;
            }
        } else {
            c->kind = K_ATTR;
            c->key = strndup(w, plen);
            p->pos = i;
        }
        if (!c->key) {
            snprintf(p->err, 256, "filter: out of memory");
            return TRK_ERR;
        }
    }
    if (c->kind == K_ATTR) {
        for (int a = 0; a < N_ATTRS; a++)
            if (strcasecmp(c->key, attrs[a].name) == 0)
                c->attr = &attrs[a];
        if (!c->attr)
            return syntax_error(p, start, "an attribute: run_id, trial_number, state, value, "
                                          "worker, seed, started, finished, error");
    }
    if (!*c->key)
        return syntax_error(p, start, "a non-empty key");
    return 0;
}

static int parse_op(parser *p, clause *c)
{
    skip_ws(p);
    const char *t = p->src + p->pos;
    int op = -1;
    size_t len = 0;
    if (t[0] == '!' && t[1] == '=')
        op = OP_NE, len = 2;
    else if (t[0] == '<' && t[1] == '>')
        op = OP_NE, len = 2;
    else if (t[0] == '<' && t[1] == '=')
        op = OP_LE, len = 2;
    else if (t[0] == '>' && t[1] == '=')
        op = OP_GE, len = 2;
    else if (t[0] == '=' && t[1] == '=')
        op = OP_EQ, len = 2;
    else if (t[0] == '=')
        op = OP_EQ, len = 1;
    else if (t[0] == '<')
        op = OP_LT, len = 1;
    else if (t[0] == '>')
        op = OP_GT, len = 1;
    else if (strncasecmp(t, "LIKE", 4) == 0 && !is_word_char((unsigned char)t[4]))
        op = OP_LIKE, len = 4;
    else if (strncasecmp(t, "ILIKE", 5) == 0 && !is_word_char((unsigned char)t[5]))
        op = OP_ILIKE, len = 5;
    if (op < 0)
        return syntax_error(p, p->pos, "an operator: = != < <= > >= LIKE ILIKE");
    c->op = op;
    p->pos += len;
    return 0;
}

static int parse_literal(parser *p, clause *c)
{
    skip_ws(p);
    size_t start = p->pos;
    char q = p->src[start];
    if (q == '\'' || q == '"') {
        size_t end;
        c->text = read_quoted(p, q, &end);
        if (!c->text)
            return syntax_error(p, start, "a closing quote");
        p->pos = end;
    } else {
        char *end = NULL;
        const char *t = p->src + start;
        if (!(isdigit((unsigned char)*t) || *t == '-' || *t == '+' || *t == '.'))
            return syntax_error(p, start, "a number or a quoted string");
        c->num = strtod(t, &end);
        if (end == t || (*end && !isspace((unsigned char)*end)) || !isfinite(c->num))
            return syntax_error(p, start, "a number or a quoted string");
        c->is_num = 1;
        c->text = strndup(t, (size_t)(end - t));
        p->pos = (size_t)(end - p->src);
        if (!c->text) {
            snprintf(p->err, 256, "filter: out of memory");
            return TRK_ERR;
        }
    }
    /* Type checks, reported at the literal. */
    int like = c->op == OP_LIKE || c->op == OP_ILIKE;
    if (like && c->is_num)
        return syntax_error(p, start, "a quoted pattern after LIKE");
    if (c->kind == K_METRIC && !c->is_num)
        return syntax_error(p, start, "a number (metrics compare to numbers)");
    if (c->kind == K_METRIC && like)
        return syntax_error(p, start, "a comparison operator for a metric");
    if (c->kind == K_ATTR && c->attr->type == A_NUM && !c->is_num)
        return syntax_error(p, start, "a number");
    if (c->kind == K_ATTR && c->attr->type != A_NUM && c->is_num)
        return syntax_error(p, start, "a quoted string");
    if (c->kind == K_ATTR && c->attr->type == A_STATE && !like) {
        for (char *k = c->text; *k; k++)
            *k = (char)toupper((unsigned char)*k);
        if (trk_state_parse(c->text) < 0)
            return syntax_error(p, start, "a state: 'RUNNING', 'COMPLETE', 'PRUNED' or 'FAIL'");
    }
    return 0;
}

static void clauses_free(clause *cl, int n)
{
    for (int i = 0; i < n; i++) {
        free(cl[i].key);
        free(cl[i].text);
    }
    free(cl);
}

/* Parses a whole filter into p->cl; an empty filter has no clauses. */
static int parse_filter(parser *p)
{
    skip_ws(p);
    if (!p->src[p->pos])
        return 0;
    for (;;) {
        if (p->n == p->cap) {
            int cap = p->cap ? 2 * p->cap : 8;
            clause *cl = realloc(p->cl, sizeof *cl * (size_t)cap);
            if (!cl) {
                snprintf(p->err, 256, "filter: out of memory");
                return TRK_ERR;
            }
            p->cl = cl;
            p->cap = cap;
        }
        clause *c = &p->cl[p->n++];
        memset(c, 0, sizeof *c);
        int rc;
        if ((rc = parse_key(p, c)) || (rc = parse_op(p, c)) || (rc = parse_literal(p, c)))
            return rc;
        skip_ws(p);
        if (!p->src[p->pos])
            return 0;
        const char *t = p->src + p->pos;
        if (strncasecmp(t, "and", 3) == 0 && (isspace((unsigned char)t[3]) || !t[3])) {
            p->pos += 3;
            skip_ws(p);
            if (!p->src[p->pos])
                return syntax_error(p, p->pos, "a clause after 'and'");
            continue;
        }
        if (strncasecmp(t, "or", 2) == 0 && (isspace((unsigned char)t[2]) || !t[2]))
            return syntax_error(p, p->pos, "'and' (only 'and' joins clauses)");
        return syntax_error(p, p->pos, "'and' or the end of the filter");
    }
}

int trk_filter_check(const char *filter, char err[256])
{
    parser p = {filter ? filter : "", 0, err, NULL, 0, 0};
    int rc = parse_filter(&p);
    clauses_free(p.cl, p.n);
    return rc;
}

/* ---- SQL building ------------------------------------------------------------- */

typedef struct binding {
    int is_num;
    double num;
    const char *text;
} binding;

typedef struct sqlbuf {
    char *s;
    size_t len, cap;
    int oom;
    binding *b;
    int nb, bcap;
} sqlbuf;

/* Appends a fixed fragment; `%d` placeholders are filled with parameter indexes. */
static void add(sqlbuf *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(sqlbuf *q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[512];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        q->oom = 1;
        return;
    }
    if (q->len + (size_t)n + 1 > q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 1024;
        while (cap < q->len + (size_t)n + 1)
            cap *= 2;
        char *s = realloc(q->s, cap);
        if (!s) {
            q->oom = 1;
            return;
        }
        q->s = s;
        q->cap = cap;
    }
    memcpy(q->s + q->len, tmp, (size_t)n + 1);
    q->len += (size_t)n;
}

/* Registers a bound value and returns its 1-based parameter index. */
static int bind_text(sqlbuf *q, const char *text)
{
    if (q->nb == q->bcap) {
        int cap = q->bcap ? 2 * q->bcap : 16;
        binding *b = realloc(q->b, sizeof *b * (size_t)cap);
        if (!b) {
            q->oom = 1;
            return 1;
        }
        q->b = b;
        q->bcap = cap;
    }
    q->b[q->nb] = (binding){0, 0, text};
    return ++q->nb;
}

static int bind_num(sqlbuf *q, double v)
{
    int i = bind_text(q, NULL);
    if (!q->oom) {
        q->b[i - 1].is_num = 1;
        q->b[i - 1].num = v;
    }
    return i;
}

/* Rewrites a parser message "filter: ..." as "order: ...". */
static void order_prefix(char *err)
{
    if (strncmp(err, "filter:", 7) == 0) {
        memmove(err + 5, err + 6, strlen(err + 6) + 1);
        memcpy(err, "order", 5);
    }
}

/* Parses an order key "KEY [asc|desc]" into c (kind, key, attr) and *desc. */
static int parse_order(const char *text, clause *c, int *desc, char err[256])
{
    parser p = {text, 0, err, NULL, 0, 0};
    int rc = parse_key(&p, c);
    if (rc) {
        order_prefix(err);
        return rc;
    }
    skip_ws(&p);
    const char *t = text + p.pos;
    if (strncasecmp(t, "desc", 4) == 0 && (!t[4] || isspace((unsigned char)t[4])))
        *desc = 1, p.pos += 4;
    else if (strncasecmp(t, "asc", 3) == 0 && (!t[3] || isspace((unsigned char)t[3])))
        *desc = 0, p.pos += 3;
    skip_ws(&p);
    if (text[p.pos]) {
        syntax_error(&p, p.pos, "'asc', 'desc' or the end of the order key");
        order_prefix(err);
        return TRK_EINVAL;
    }
    return 0;
}

/* The filter clauses as " AND ..." conditions on runs r: cheap attribute tests
 * first, then subqueries. A metric clause on the order key of part 0 (`fold`)
 * tests the joined o.last directly, which narrows the index range. */
static void add_filters(sqlbuf *q, const clause *cl, int n, const clause *fold)
{
    for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < n; i++) {
        const clause *c = &cl[i];
        if ((c->kind == K_ATTR) != (pass == 0))
            continue;
        if (fold && c->kind == K_METRIC && strcmp(c->key, fold->key) == 0) {
            add(q, " AND o.last %s ?%d", op_sql[c->op], bind_num(q, c->num));
            continue;
        }
        const char *op = op_sql[c->op];
        int like = c->op == OP_LIKE || c->op == OP_ILIKE;
        switch (c->kind) {
        case K_ATTR:
            add(q, " AND %s %s ?%d", c->attr->column, op,
                c->is_num ? bind_num(q, c->num) : bind_text(q, c->text));
            break;
        case K_PARAM: {
            int k = bind_text(q, c->key);
            if (c->is_num && !like)
                add(q, " AND EXISTS (SELECT 1 FROM params p WHERE p.run_id = r.id AND p.key = ?%d"
                       " AND p.num %s ?%d)", k, op, bind_num(q, c->num));
            else
                add(q, " AND EXISTS (SELECT 1 FROM params p WHERE p.run_id = r.id AND p.key = ?%d"
                       " AND p.value %s ?%d)", k, op, bind_text(q, c->text));
            break;
        }
        case K_METRIC: {
            int k = bind_text(q, c->key);
            add(q, " AND EXISTS (SELECT 1 FROM metric_summary m WHERE m.run_id = r.id"
                   " AND m.key = ?%d AND m.last %s ?%d)", k, op, bind_num(q, c->num));
            break;
        }
        case K_TAG: {
            int k = bind_text(q, c->key);
            add(q, " AND EXISTS (SELECT 1 FROM tags t WHERE t.run_id = r.id AND t.key = ?%d"
                   " AND t.value %s ?%d)", k, op, bind_text(q, c->text));
            break;
        }
        }
    }
}

/* Where an order key lives: its table (NULL for a runs column) and value expression. */
static void order_source(const clause *o, const char **table, const char **expr)
{
    *table = NULL;
    *expr = "r.trial_number";
    if (!o)
        return;
    switch (o->kind) {
    case K_PARAM: *table = "params"; *expr = "coalesce(o.num, o.value)"; break;
    case K_METRIC: *table = "metric_summary"; *expr = "o.last"; break;
    case K_TAG: *table = "tags"; *expr = "o.value"; break;
    case K_ATTR: *expr = o->attr->column; break;
    }
}

/*
 * The SELECT for one part of a study's runs. An ordered query is two parts, run one
 * after the other: part 0 the runs that have the order key, sorted by it (driven by
 * the key's index, so a LIMIT stops early), part 1 the runs without it (missing or
 * NaN), by trial_number. Ties always go by trial_number, then run id.
 */
static void build_sql(sqlbuf *q, int64_t study_id, const clause *cl, int n, const clause *order,
                      int desc, int part, long limit)
{
    const char *table, *expr;
    order_source(order, &table, &expr);
    add(q, "SELECT r.id, r.study_id, r.trial_number, r.state, r.value, r.started, r.finished,"
           " r.worker, r.seed, r.error");
    int sid = bind_num(q, (double)study_id);
    if (part == 0 && table) {
        int k = bind_text(q, order->key);
        add(q, " FROM %s o JOIN runs r ON r.id = o.run_id WHERE o.key = ?%d", table, k);
        if (order->kind == K_METRIC)
            add(q, " AND o.study_id = ?%d AND o.last IS NOT NULL", sid);
        add(q, " AND r.study_id = ?%d", sid);
    } else if (part == 1 && table) {
        int k = bind_text(q, order->key);
        add(q, " FROM runs r WHERE r.study_id = ?%d AND NOT EXISTS (SELECT 1 FROM %s o"
               " WHERE o.run_id = r.id AND o.key = ?%d AND %s IS NOT NULL)", sid, table, k, expr);
    } else {
        add(q, " FROM runs r WHERE r.study_id = ?%d", sid);
        if (order && order->kind == K_ATTR)
            add(q, " AND %s IS %sNULL", expr, part == 0 ? "NOT " : "");
    }
    add_filters(q, cl, n, part == 0 && order && order->kind == K_METRIC ? order : NULL);
    if (part == 0 && order)
        add(q, " ORDER BY %s %s, r.trial_number, r.id", expr, desc ? "DESC" : "ASC");
    else
        add(q, " ORDER BY r.trial_number, r.id");
    add(q, " LIMIT ?%d", bind_num(q, limit > 0 ? (double)limit : -1.0));
}

/* ---- run rows ------------------------------------------------------------------ */

/* Fills r from a row of (id, study_id, trial_number, state, value, started,
 * finished, worker, seed, error). */
static void run_from_row(sqlite3_stmt *st, trk_run *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->study_id = sqlite3_column_int64(st, 1);
    r->trial_number = sqlite3_column_int(st, 2);
    int state = trk_state_parse((const char *)sqlite3_column_text(st, 3));
    r->state = state < 0 ? TRK_FAIL : (trk_state)state;
    r->value = trk_column_double(st, 4);
    r->started = trk_column_double(st, 5);
    r->finished = trk_column_double(st, 6);
    r->worker = sqlite3_column_int(st, 7);
    r->seed = sqlite3_column_int64(st, 8);
    r->error = trk_column_strdup(st, 9);
}

static int load_params(trk_store *s, trk_run *r, char err[256])
{
    sqlite3_stmt *st = trk_stmt(s, ST_PARAMS_OF_RUN, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, r->id);
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->n_params == cap) {
            cap = cap ? 2 * cap : 8;
            trk_param *p = realloc(r->params, sizeof *p * (size_t)cap);
            if (!p)
                goto oom;
            r->params = p;
        }
        trk_param *p = &r->params[r->n_params++];
        p->key = trk_column_strdup(st, 0);
        p->value = trk_column_strdup(st, 1);
        p->num = trk_column_double(st, 2);
        if (!p->key || !p->value)
            goto oom;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return trk_sql_fail(s, "reading params", err);
    return 0;
oom:
    sqlite3_reset(st);
    snprintf(err, 256, "run %lld: out of memory reading params", (long long)r->id);
    return TRK_ERR;
}

#define PARAM_CHUNK 256

typedef struct id_index {
    int64_t id;
    int index;
} id_index;

static int cmp_id_index(const void *a, const void *b)
{
    int64_t x = ((const id_index *)a)->id, y = ((const id_index *)b)->id;
    return (x > y) - (x < y);
}

/* Appends one param row to run r; -1 when out of memory. */
static int add_param(trk_run *r, int *cap, sqlite3_stmt *st, int col)
{
    if (r->n_params == *cap) {
        *cap = *cap ? 2 * *cap : 8;
        trk_param *p = realloc(r->params, sizeof *p * (size_t)*cap);
        if (!p)
            return -1;
        r->params = p;
    }
    trk_param *p = &r->params[r->n_params];
    p->key = trk_column_strdup(st, col);
    p->value = trk_column_strdup(st, col + 1);
    p->num = trk_column_double(st, col + 2);
    if (!p->key || !p->value) {
        free(p->key);
        free(p->value);
        return -1;
    }
    r->n_params++;
    return 0;
}

/* Loads the params of n runs, PARAM_CHUNK runs per statement (one statement per
 * run costs a lock and a VDBE start each: 30,000 runs took ~0.3 s that way). */
static int load_params_many(trk_store *s, trk_run *runs, int n, char err[256])
{
    if (n <= 8) {
        for (int i = 0; i < n; i++)
            if (load_params(s, &runs[i], err) != 0)
                return TRK_ERR;
        return 0;
    }
    char sql[64 + PARAM_CHUNK * 2 + 64];
    size_t len = (size_t)snprintf(sql, sizeof sql,
                                  "SELECT run_id, key, value, num FROM params WHERE run_id IN (");
    for (int i = 0; i < PARAM_CHUNK; i++)
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s?", i ? "," : "");
    snprintf(sql + len, sizeof sql - len, ") ORDER BY run_id, key");
    sqlite3_stmt *st = NULL;
    id_index map[PARAM_CHUNK];
    int caps[PARAM_CHUNK], rc = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return trk_sql_fail(s, "preparing the params query", err);
    for (int base = 0; base < n && rc == 0; base += PARAM_CHUNK) {
        int m = n - base < PARAM_CHUNK ? n - base : PARAM_CHUNK;
        sqlite3_reset(st);
        for (int i = 0; i < PARAM_CHUNK; i++)
            sqlite3_bind_int64(st, i + 1, i < m ? runs[base + i].id : 0);
        for (int i = 0; i < m; i++) {
            map[i] = (id_index){runs[base + i].id, base + i};
            caps[i] = runs[base + i].n_params;
        }
        qsort(map, (size_t)m, sizeof map[0], cmp_id_index);
        int step, k = 0;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(st, 0);
            while (k < m && map[k].id < id)
                k++;
            if (k == m || map[k].id != id)
                continue;
            trk_run *r = &runs[map[k].index];
            if (add_param(r, &caps[map[k].index - base], st, 1) != 0) {
                snprintf(err, 256, "run %lld: out of memory reading params", (long long)id);
                rc = TRK_ERR;
                break;
            }
        }
        if (rc == 0 && step != SQLITE_DONE)
            rc = trk_sql_fail(s, "reading params", err);
    }
    sqlite3_finalize(st);
    return rc;
}

void trk_run_clear(trk_run *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_params; i++) {
        free(r->params[i].key);
        free(r->params[i].value);
    }
    free(r->params);
    free(r->error);
    memset(r, 0, sizeof *r);
}

void trk_run_list_free(trk_run_list *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->n; i++)
        trk_run_clear(&l->runs[i]);
    free(l->runs);
    l->runs = NULL;
    l->n = 0;
}

/* Runs one part of a runs query, appending rows to out (capacity *cap). */
static int run_part(trk_store *s, int64_t study_id, const parser *p, const clause *order,
                    int desc, int part, long limit, trk_run_list *out, int *cap, char err[256])
{
    sqlbuf sb = {0};
    sqlite3_stmt *st = NULL;
    int rc = 0, step;
    build_sql(&sb, study_id, p->cl, p->n, order, desc, part, limit);
    if (sb.oom) {
        snprintf(err, 256, "query: out of memory");
        rc = TRK_ERR;
        goto out;
    }
    if (sqlite3_prepare_v2(s->db, sb.s, -1, &st, NULL) != SQLITE_OK) {
        rc = trk_sql_fail(s, "preparing the runs query", err);
        goto out;
    }
    for (int i = 0; i < sb.nb; i++) {
        if (sb.b[i].is_num)
            sqlite3_bind_double(st, i + 1, sb.b[i].num);
        else
            sqlite3_bind_text(st, i + 1, sb.b[i].text, -1, SQLITE_STATIC);
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == *cap) {
            int c = *cap ? 2 * *cap : 64;
            trk_run *r = realloc(out->runs, sizeof *r * (size_t)c);
            if (!r) {
                snprintf(err, 256, "query: out of memory");
                rc = TRK_ERR;
                goto out;
            }
            out->runs = r;
            *cap = c;
        }
        run_from_row(st, &out->runs[out->n++]);
    }
    if (step != SQLITE_DONE)
        rc = trk_sql_fail(s, "running the runs query", err);
out:
    sqlite3_finalize(st);
    free(sb.s);
    free(sb.b);
    return rc;
}

int trk_runs_query(trk_store *s, int64_t study_id, const trk_query *qy, trk_run_list *out,
                   char err[256])
{
    static const trk_query none = {0};
    const trk_query *q = qy ? qy : &none;
    parser p = {q->filter ? q->filter : "", 0, err, NULL, 0, 0};
    clause order = {0};
    int have_order = q->order_by && *q->order_by, desc = q->desc, rc, cap = 0;
    int began = 0;
    out->runs = NULL;
    out->n = 0;
    if ((rc = parse_filter(&p)) != 0)
        goto fail;
    if (have_order && (rc = parse_order(q->order_by, &order, &desc, err)) != 0)
        goto fail;
    began = trk_read_begin(s); /* the runs and their params from one snapshot */
    const clause *o = have_order ? &order : NULL;
    if ((rc = run_part(s, study_id, &p, o, desc, 0, q->limit, out, &cap, err)) != 0)
        goto fail;
    /* trial_number and run_id are never missing: no second part */
    int two = o && !(o->kind == K_ATTR && (strcmp(o->attr->name, "trial_number") == 0 ||
                                          strcmp(o->attr->name, "run_id") == 0));
    if (two && (q->limit <= 0 || out->n < q->limit) &&
        (rc = run_part(s, study_id, &p, o, desc, 1, q->limit > 0 ? q->limit - out->n : 0, out,
                       &cap, err)) != 0)
        goto fail;
    if ((rc = load_params_many(s, out->runs, out->n, err)) != 0)
        goto fail;
    goto done;
fail:
    trk_run_list_free(out);
done:
    trk_read_end(s, began);
    clauses_free(p.cl, p.n);
    free(order.key);
    return rc;
}

int trk_run_get(trk_store *s, int64_t run_id, trk_run *out, char err[256])
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = trk_stmt(s, ST_RUN_BY_ID, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        run_from_row(st, out);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) {
        snprintf(err, 256, "run %lld: no such run in %s", (long long)run_id, s->path);
        return TRK_ENOTFOUND;
    }
    if (rc != SQLITE_ROW)
        return trk_sql_fail(s, "reading a run", err);
    if ((rc = load_params(s, out, err)) != 0) {
        trk_run_clear(out);
        return rc;
    }
    return 0;
}

/* ---- studies ------------------------------------------------------------------- */

void trk_study_info_clear(trk_study_info *st)
{
    if (!st)
        return;
    free(st->name);
    free(st->direction);
    free(st->status);
    memset(st, 0, sizeof *st);
}

void trk_studies_free(trk_study_info *list, int n)
{
    for (int i = 0; i < n; i++)
        trk_study_info_clear(&list[i]);
    free(list);
}

/* Fills best_* of a study from its COMPLETE runs. */
static int fill_best(trk_store *s, trk_study_info *si, char err[256])
{
    si->best_value = NAN;
    si->best_run_id = 0;
    si->best_trial_number = -1;
    sqlite3_stmt *st = trk_stmt(s, strcmp(si->direction, "maximize") == 0 ? ST_BEST_MAX
                                                                          : ST_BEST_MIN, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, si->id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        si->best_run_id = sqlite3_column_int64(st, 0);
        si->best_value = trk_column_double(st, 1);
        si->best_trial_number = sqlite3_column_int(st, 2);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return trk_sql_fail(s, "finding the best run", err);
    return 0;
}

/* Lists studies, all of them (name NULL) or the one named. */
static int studies_select(trk_store *s, const char *name, trk_study_info **out, int *n,
                          char err[256])
{
    *out = NULL;
    *n = 0;
    int cap = 0, rc, began = trk_read_begin(s);
    sqlite3_stmt *st = trk_stmt(s, ST_STUDIES, err);
    if (!st) {
        trk_read_end(s, began);
        return TRK_ERR;
    }
    if (name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            trk_study_info *l = realloc(*out, sizeof *l * (size_t)cap);
            if (!l)
                goto oom;
            *out = l;
        }
        trk_study_info *si = &(*out)[(*n)++];
        memset(si, 0, sizeof *si);
        si->id = sqlite3_column_int64(st, 0);
        si->name = trk_column_strdup(st, 1);
        si->direction = trk_column_strdup(st, 2);
        si->status = trk_column_strdup(st, 3);
        si->created = trk_column_double(st, 4);
        si->n_runs = sqlite3_column_int(st, 5);
        si->n_running = sqlite3_column_int(st, 6);
        si->n_complete = sqlite3_column_int(st, 7);
        si->n_pruned = sqlite3_column_int(st, 8);
        si->n_fail = sqlite3_column_int(st, 9);
        if (!si->name || !si->direction || !si->status)
            goto oom;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        trk_sql_fail(s, "listing studies", err);
        goto fail;
    }
    for (int i = 0; i < *n; i++)
        if (fill_best(s, &(*out)[i], err) != 0)
            goto fail;
    trk_read_end(s, began);
    return 0;
oom:
    sqlite3_reset(st);
    snprintf(err, 256, "listing studies: out of memory");
fail:
    trk_read_end(s, began);
    trk_studies_free(*out, *n);
    *out = NULL;
    *n = 0;
    return TRK_ERR;
}

int trk_studies_list(trk_store *s, trk_study_info **out, int *n, char err[256])
{
    return studies_select(s, NULL, out, n, err);
}

int trk_study_get(trk_store *s, const char *name, trk_study_info *out, char err[256])
{
    trk_study_info *l = NULL;
    int n = 0, rc = studies_select(s, name, &l, &n, err);
    memset(out, 0, sizeof *out);
    if (rc)
        return rc;
    if (n == 0) {
        free(l);
        snprintf(err, 256, "no study named '%s' in %s", name, s->path);
        return TRK_ENOTFOUND;
    }
    *out = l[0];
    free(l);
    return 0;
}

/* Reads one text column of one row of a cached statement keyed by id. */
static int one_text(trk_store *s, int sid, int64_t id, char **out, sqlite3_stmt **keep,
                    char err[256])
{
    *out = NULL;
    sqlite3_stmt *st = trk_stmt(s, sid, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        snprintf(err, 256, "study %lld: no such study", (long long)id);
        return TRK_ENOTFOUND;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return trk_sql_fail(s, "reading a study", err);
    }
    *out = trk_column_strdup(st, 0);
    *keep = st;
    return 0;
}

int trk_study_spec(trk_store *s, int64_t study_id, char **spec_json, char err[256])
{
    sqlite3_stmt *st = NULL;
    int rc = one_text(s, ST_STUDY_SPEC, study_id, spec_json, &st, err);
    if (st)
        sqlite3_reset(st);
    return rc;
}

int trk_study_result(trk_store *s, int64_t study_id, char **result_json,
                     int64_t *best_run_id, int64_t *model_artifact_id, char err[256])
{
    sqlite3_stmt *st = NULL;
    int rc = one_text(s, ST_STUDY_RESULT_GET, study_id, result_json, &st, err);
    if (st) {
        if (best_run_id)
            *best_run_id = sqlite3_column_int64(st, 1);
        if (model_artifact_id)
            *model_artifact_id = sqlite3_column_int64(st, 2);
        sqlite3_reset(st);
    }
    return rc;
}

/* ---- metrics, tags, artifacts, intermediates ------------------------------------ */

int trk_metric_history(trk_store *s, int64_t run_id, const char *key,
                       trk_metric_point **out, int *n, char err[256])
{
    *out = NULL;
    *n = 0;
    int cap = 0, rc;
    sqlite3_stmt *st = trk_stmt(s, ST_METRIC_HISTORY, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            trk_metric_point *p = realloc(*out, sizeof *p * (size_t)cap);
            if (!p) {
                sqlite3_reset(st);
                free(*out);
                *out = NULL;
                *n = 0;
                snprintf(err, 256, "metric history: out of memory");
                return TRK_ERR;
            }
            *out = p;
        }
        (*out)[(*n)++] = (trk_metric_point){sqlite3_column_int64(st, 0), trk_column_double(st, 1),
                                            trk_column_double(st, 2)};
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return trk_sql_fail(s, "reading a metric history", err);
    }
    return 0;
}

void trk_metric_summaries_free(trk_metric_summary *m, int n)
{
    for (int i = 0; i < n; i++)
        free(m[i].key);
    free(m);
}

int trk_metric_summaries(trk_store *s, int64_t run_id, trk_metric_summary **out, int *n,
                         char err[256])
{
    *out = NULL;
    *n = 0;
    int cap = 0, rc;
    sqlite3_stmt *st = trk_stmt(s, ST_METRIC_SUMMARY, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            trk_metric_summary *m = realloc(*out, sizeof *m * (size_t)cap);
            if (!m)
                goto oom;
            *out = m;
        }
        trk_metric_summary *m = &(*out)[(*n)++];
        m->key = trk_column_strdup(st, 0);
        m->min = trk_column_double(st, 1);
        m->max = trk_column_double(st, 2);
        m->last = trk_column_double(st, 3);
        m->last_step = sqlite3_column_int64(st, 4);
        m->count = sqlite3_column_int64(st, 5);
        if (!m->key)
            goto oom;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        trk_metric_summaries_free(*out, *n);
        *out = NULL;
        *n = 0;
        return trk_sql_fail(s, "reading metric summaries", err);
    }
    return 0;
oom:
    sqlite3_reset(st);
    trk_metric_summaries_free(*out, *n);
    *out = NULL;
    *n = 0;
    snprintf(err, 256, "metric summaries: out of memory");
    return TRK_ERR;
}

void trk_kv_free(trk_kv *kv, int n)
{
    for (int i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static int read_kv(trk_store *s, int sid, int64_t id, trk_kv **out, int *n, char err[256])
{
    *out = NULL;
    *n = 0;
    int cap = 0, rc;
    sqlite3_stmt *st = trk_stmt(s, sid, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            trk_kv *kv = realloc(*out, sizeof *kv * (size_t)cap);
            if (!kv)
                goto oom;
            *out = kv;
        }
        trk_kv *kv = &(*out)[(*n)++];
        kv->key = trk_column_strdup(st, 0);
        kv->value = trk_column_strdup(st, 1);
        if (!kv->key || !kv->value)
            goto oom;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        trk_kv_free(*out, *n);
        *out = NULL;
        *n = 0;
        return trk_sql_fail(s, "reading tags", err);
    }
    return 0;
oom:
    sqlite3_reset(st);
    trk_kv_free(*out, *n);
    *out = NULL;
    *n = 0;
    snprintf(err, 256, "tags: out of memory");
    return TRK_ERR;
}

int trk_run_tags(trk_store *s, int64_t run_id, trk_kv **out, int *n, char err[256])
{
    return read_kv(s, ST_RUN_TAGS, run_id, out, n, err);
}

int trk_study_tags(trk_store *s, int64_t study_id, trk_kv **out, int *n, char err[256])
{
    return read_kv(s, ST_STUDY_TAGS, study_id, out, n, err);
}

void trk_artifacts_free(trk_artifact *a, int n)
{
    for (int i = 0; i < n; i++) {
        free(a[i].kind);
        free(a[i].path);
    }
    free(a);
}

int trk_artifacts_list(trk_store *s, int64_t study_id, int64_t run_id, trk_artifact **out,
                       int *n, char err[256])
{
    *out = NULL;
    *n = 0;
    int cap = 0, rc;
    sqlite3_stmt *st = trk_stmt(s, run_id > 0 ? ST_ARTIFACTS_RUN : ST_ARTIFACTS_STUDY, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, run_id > 0 ? run_id : study_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            trk_artifact *a = realloc(*out, sizeof *a * (size_t)cap);
            if (!a)
                goto oom;
            *out = a;
        }
        trk_artifact *a = &(*out)[(*n)++];
        memset(a, 0, sizeof *a);
        a->id = sqlite3_column_int64(st, 0);
        a->run_id = sqlite3_column_int64(st, 1);
        a->kind = trk_column_strdup(st, 2);
        a->path = trk_column_strdup(st, 3);
        a->bytes = sqlite3_column_int64(st, 4);
        const unsigned char *h = sqlite3_column_text(st, 5);
        snprintf(a->sha256, sizeof a->sha256, "%s", h ? (const char *)h : "");
        if (!a->kind || !a->path)
            goto oom;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        trk_artifacts_free(*out, *n);
        *out = NULL;
        *n = 0;
        return trk_sql_fail(s, "reading artifacts", err);
    }
    return 0;
oom:
    sqlite3_reset(st);
    trk_artifacts_free(*out, *n);
    *out = NULL;
    *n = 0;
    snprintf(err, 256, "artifacts: out of memory");
    return TRK_ERR;
}

int trk_study_intermediates(trk_store *s, int64_t study_id, trk_intermediate **out,
                            int *n, char err[256])
{
    *out = NULL;
    *n = 0;
    int cap = 0, rc;
    sqlite3_stmt *st = trk_stmt(s, ST_INTERMEDIATES, err);
    if (!st)
        return TRK_ERR;
    sqlite3_bind_int64(st, 1, study_id);
    sqlite3_bind_text(st, 2, TRK_INTERMEDIATE_KEY, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        trk_intermediate v = {sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1),
                              sqlite3_column_int64(st, 2), trk_column_double(st, 3)};
        if (*n > 0 && (*out)[*n - 1].run_id == v.run_id && (*out)[*n - 1].step == v.step) {
            (*out)[*n - 1].value = v.value; /* a re-logged step: the last one wins */
            continue;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            trk_intermediate *p = realloc(*out, sizeof *p * (size_t)cap);
            if (!p) {
                sqlite3_reset(st);
                free(*out);
                *out = NULL;
                *n = 0;
                snprintf(err, 256, "intermediate values: out of memory");
                return TRK_ERR;
            }
            *out = p;
        }
        (*out)[(*n)++] = v;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return trk_sql_fail(s, "reading intermediate values", err);
    }
    return 0;
}
