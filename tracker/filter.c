/*
 * filter.c - the filter language and order keys of tracker/query.h compiled to
 * one parameterised SELECT (interface in tracker/filter.h).
 *
 * Two passes: parse_filter() turns the text into clauses (kind, key, operator,
 * literal) and reports the first bad token with its position; trk_runs_sql()
 * writes the SELECT from fixed fragments only, with one numbered parameter per key
 * and literal. So user text can reach SQLite only as a bound value.
 */
#include "tracker/filter.h"
#include "tracker/query.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
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

typedef trk_sql sqlbuf;
typedef trk_sql_binding binding;

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
/* ---- the interface of filter.h ------------------------------------------------- */

struct trk_filter {
    clause *cl;
    int n;
};

struct trk_order {
    clause c;
};

int trk_filter_parse(const char *text, trk_filter **out, char err[256])
{
    *out = NULL;
    parser p = {text ? text : "", 0, err, NULL, 0, 0};
    int rc = parse_filter(&p);
    trk_filter *f = rc == 0 ? malloc(sizeof *f) : NULL;
    if (rc == 0 && !f) {
        snprintf(err, 256, "filter: out of memory");
        rc = TRK_ERR;
    }
    if (rc != 0) {
        clauses_free(p.cl, p.n);
        return rc;
    }
    f->cl = p.cl;
    f->n = p.n;
    *out = f;
    return 0;
}

void trk_filter_free(trk_filter *f)
{
    if (!f)
        return;
    clauses_free(f->cl, f->n);
    free(f);
}

int trk_order_parse(const char *text, trk_order **out, int *desc, char err[256])
{
    *out = calloc(1, sizeof **out);
    if (!*out) {
        snprintf(err, 256, "order: out of memory");
        return TRK_ERR;
    }
    int rc = parse_order(text, &(*out)->c, desc, err);
    if (rc != 0) {
        trk_order_free(*out);
        *out = NULL;
    }
    return rc;
}

void trk_order_free(trk_order *o)
{
    if (!o)
        return;
    free(o->c.key);
    free(o);
}

int trk_order_may_miss(const trk_order *o)
{
    /* trial_number and run_id are never missing */
    return o && !(o->c.kind == K_ATTR && (strcmp(o->c.attr->name, "trial_number") == 0 ||
                                          strcmp(o->c.attr->name, "run_id") == 0));
}

void trk_runs_sql(trk_sql *q, int64_t study_id, const trk_filter *f, const trk_order *o,
                  int desc, int part, long limit)
{
    build_sql(q, study_id, f ? f->cl : NULL, f ? f->n : 0, o ? &o->c : NULL, desc, part, limit);
}

int trk_sql_prepare(trk_store *s, const trk_sql *q, sqlite3_stmt **st, char err[256])
{
    *st = NULL;
    if (q->oom) {
        snprintf(err, 256, "query: out of memory");
        return TRK_ERR;
    }
    if (sqlite3_prepare_v2(s->db, q->s, -1, st, NULL) != SQLITE_OK)
        return trk_sql_fail(s, "preparing the runs query", err);
    for (int i = 0; i < q->nb; i++) {
        if (q->b[i].is_num)
            sqlite3_bind_double(*st, i + 1, q->b[i].num);
        else
            sqlite3_bind_text(*st, i + 1, q->b[i].text, -1, SQLITE_STATIC);
    }
    return 0;
}

void trk_sql_free(trk_sql *q)
{
    free(q->s);
    free(q->b);
    memset(q, 0, sizeof *q);
}
