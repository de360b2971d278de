/*
 * filter.c - the filter language and order keys of tracker/query.h compiled to
 * one parameterised SELECT (interface in tracker/filter.h).
 *
 * Two passes: flt_parse_filter() (filter_parse.c) turns the text into clauses (kind, key, operator,
 * literal) and reports the first bad token with its position; trk_runs_sql()
 * writes the SELECT from fixed fragments only, with one numbered parameter per key
 * and literal. So user text can reach SQLite only as a bound value.
 */
#include "tracker/filter.h"
#include "tracker/query.h"
#include "tracker/filter_int.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- SQL building ------------------------------------------------------------- */

static const char *const op_sql[] = {"=", "!=", "<", "<=", ">", ">="};

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
static void order_prefix(char err[256])
{
    if (strncmp(err, "filter:", 7) == 0) {
        char tmp[256];
        snprintf(tmp, sizeof tmp, "order:%s", err + 7);
        memcpy(err, tmp, strlen(tmp) + 1);
    }
}

/* Parses an order key "KEY [asc|desc]" into c (kind, key, attr) and *desc. */
static int parse_order(const char *text, clause *c, int *desc, char err[256])
{
    parser p = {text, 0, err};
    int rc = flt_parse_key(&p, c);
    if (rc) {
        order_prefix(err);
        return rc;
    }
    flt_skip_ws(&p);
    const char *t = text + p.pos;
    if (strncasecmp(t, "desc", 4) == 0 && (!t[4] || isspace((unsigned char)t[4])))
        *desc = 1, p.pos += 4;
    else if (strncasecmp(t, "asc", 3) == 0 && (!t[3] || isspace((unsigned char)t[3])))
        *desc = 0, p.pos += 3;
    flt_skip_ws(&p);
    if (text[p.pos]) {
        flt_syntax_error(&p, p.pos, "'asc', 'desc' or the end of the order key");
        order_prefix(err);
        return TRK_EINVAL;
    }
    return 0;
}

/* " IN (?a, ?b, ...)" over a clause's literals. */
static void add_list(sqlbuf *q, const clause *c)
{
    add(q, "%s IN (", c->negate ? " NOT" : "");
    for (int i = 0; i < c->n_lit; i++)
        add(q, "%s?%d", i ? ", " : "",
            c->lit[i].is_num ? bind_num(q, c->lit[i].num) : bind_text(q, c->lit[i].text));
    add(q, ")");
}

/* The test of column `col` against the clause's operator and literals (not NULL). */
static void add_test(sqlbuf *q, const char *col, const clause *c)
{
    const literal *l = &c->lit[0];
    switch (c->op) {
    case OP_IN:
        add(q, "%s", col);
        add_list(q, c);
        break;
    case OP_LIKE: /* case-sensitive, as in MLflow: GLOB on the translated pattern */
        add(q, "%s%s GLOB ?%d", c->negate ? "NOT " : "", col, bind_text(q, l->glob));
        break;
    case OP_ILIKE: /* SQLite's LIKE: ASCII case-insensitive */
        add(q, "%s%s LIKE ?%d", c->negate ? "NOT " : "", col, bind_text(q, l->text));
        break;
    default:
        add(q, "%s %s ?%d", col, op_sql[c->op], l->is_num ? bind_num(q, l->num)
                                                          : bind_text(q, l->text));
    }
}

/* One clause as an expression that is 0 or 1, never NULL (so NOT inverts it). */
static void add_clause(sqlbuf *q, const clause *c)
{
    if (c->kind == K_ATTR) {
        const char *col = c->attr->column;
        if (c->op == OP_NULL) {
            add(q, "(%s IS %sNULL)", col, c->negate ? "NOT " : "");
            return;
        }
        add(q, "(%s IS NOT NULL AND ", col);
        add_test(q, col, c);
        add(q, ")");
        return;
    }
    int k = bind_text(q, c->key);
    const char *from = c->kind == K_PARAM    ? "params p WHERE p.run_id"
                       : c->kind == K_METRIC ? "metric_summary p WHERE p.run_id"
                                             : "tags p WHERE p.run_id";
    if (c->op == OP_NULL) { /* missing, or a NaN metric */
        add(q, "(%sEXISTS (SELECT 1 FROM %s = r.id AND p.key = ?%d%s))", c->negate ? "" : "NOT ",
            from, k, c->kind == K_METRIC ? " AND p.last IS NOT NULL" : "");
        return;
    }
    const char *col = c->kind == K_METRIC                      ? "p.last"
                      : c->kind == K_PARAM && c->lit[0].is_num ? "p.num"
                                                               : "p.value";
    if (c->op == OP_LIKE || c->op == OP_ILIKE)
        col = c->kind == K_METRIC ? "p.last" : "p.value";
    if (c->kind == K_TAG && c->op != OP_LIKE && c->op != OP_ILIKE && c->lit[0].is_num) {
        /* tags are text: a number compares the tags that read as numbers, by value */
        add(q, "EXISTS (SELECT 1 FROM %s = r.id AND p.key = ?%d AND p.value GLOB '*[0-9]*'"
               " AND p.value NOT GLOB '*[^0-9.eE+-]*' AND ", from, k);
        add_test(q, "CAST(p.value AS REAL)", c);
        add(q, ")");
        return;
    }
    add(q, "EXISTS (SELECT 1 FROM %s = r.id AND p.key = ?%d AND ", from, k);
    add_test(q, col, c);
    add(q, ")");
}

static void add_node(sqlbuf *q, const node *n)
{
    switch (n->type) {
    case N_CLAUSE:
        add_clause(q, &n->c);
        break;
    case N_NOT:
        add(q, "(NOT ");
        add_node(q, n->a);
        add(q, ")");
        break;
    case N_AND:
    case N_OR:
        add(q, "(");
        add_node(q, n->a);
        add(q, n->type == N_AND ? " AND " : " OR ");
        add_node(q, n->b);
        add(q, ")");
        break;
    }
}

/* Does the subtree test only attributes of the runs row (cheap, no subquery)? */
static int attr_only(const node *n)
{
    if (n->type == N_CLAUSE)
        return n->c.kind == K_ATTR;
    return attr_only(n->a) && (!n->b || attr_only(n->b));
}

/* The filter as " AND ..." conditions on runs r, one per top-level conjunct: cheap
 * attribute tests first, then subqueries. A plain metric comparison on the order
 * key of part 0 (`fold`) tests the joined o.last directly, which narrows the index
 * range. */
static void add_conjuncts(sqlbuf *q, const node *n, const clause *fold, int pass)
{
    if (!n)
        return;
    if (n->type == N_AND) {
        add_conjuncts(q, n->a, fold, pass);
        add_conjuncts(q, n->b, fold, pass);
        return;
    }
    if (attr_only(n) != (pass == 0))
        return;
    const clause *c = &n->c;
    if (fold && n->type == N_CLAUSE && c->kind == K_METRIC && c->op <= OP_GE &&
        strcmp(c->key, fold->key) == 0) {
        add(q, " AND o.last %s ?%d", op_sql[c->op], bind_num(q, c->lit[0].num));
        return;
    }
    add(q, " AND ");
    add_node(q, n);
}

static void add_filters(sqlbuf *q, const node *root, const clause *fold)
{
    add_conjuncts(q, root, fold, 0);
    add_conjuncts(q, root, fold, 1);
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
static void build_sql(sqlbuf *q, int64_t study_id, const node *root, const clause *order,
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
    add_filters(q, root, part == 0 && order && order->kind == K_METRIC ? order : NULL);
    /* A pruned trial's value is its last intermediate value, one or a few folds'
     * worth, not comparable with a complete trial's mean over every fold: ordered
     * by value, complete trials come first either way (as Optuna's best_trial
     * considers complete trials only), then the pruned ones. */
    int by_value = order && order->kind == K_ATTR && strcmp(order->attr->name, "value") == 0;
    if (part == 0 && by_value)
        add(q, " ORDER BY r.state <> 'COMPLETE', %s %s, r.trial_number, r.id", expr,
            desc ? "DESC" : "ASC");
    else if (part == 0 && order)
        add(q, " ORDER BY %s %s, r.trial_number, r.id", expr, desc ? "DESC" : "ASC");
    else
        add(q, " ORDER BY r.trial_number, r.id");
    add(q, " LIMIT ?%d", bind_num(q, limit > 0 ? (double)limit : -1.0));
}
/* ---- the interface of filter.h ------------------------------------------------- */

struct trk_filter {
    node *root; /* NULL: the empty filter */
};

int trk_filter_parse(const char *text, trk_filter **out, char err[256])
{
    *out = NULL;
    parser p = {text ? text : "", 0, err};
    node *root = NULL;
    int rc = flt_parse_filter(&p, &root);
    trk_filter *f = rc == 0 ? malloc(sizeof *f) : NULL;
    if (rc == 0 && !f) {
        snprintf(err, 256, "filter: out of memory");
        rc = TRK_ERR;
    }
    if (rc != 0) {
        flt_node_free(root);
        return rc;
    }
    f->root = root;
    *out = f;
    return 0;
}

void trk_filter_free(trk_filter *f)
{
    if (!f)
        return;
    flt_node_free(f->root);
    free(f);
}

static int visit_keys(const node *n, trk_filter_key_fn fn, void *ctx)
{
    if (!n)
        return 0;
    if (n->type == N_CLAUSE) {
        static const int kinds[] = {[K_PARAM] = TRK_KEY_PARAM, [K_METRIC] = TRK_KEY_METRIC,
                                    [K_TAG] = TRK_KEY_TAG};
        return n->c.kind == K_ATTR ? 0 : fn(kinds[n->c.kind], n->c.key, n->c.pos, ctx);
    }
    int rc = visit_keys(n->a, fn, ctx);
    return rc ? rc : visit_keys(n->b, fn, ctx);
}

int trk_filter_keys(const trk_filter *f, trk_filter_key_fn fn, void *ctx)
{
    return f ? visit_keys(f->root, fn, ctx) : 0;
}

struct trk_order {
    clause c;
};

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
    build_sql(q, study_id, f ? f->root : NULL, o ? &o->c : NULL, desc, part, limit);
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
