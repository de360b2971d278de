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
    {"duration", "(r.finished - r.started)", A_NUM},
};
#define N_ATTRS ((int)(sizeof attrs / sizeof attrs[0]))

static const char *const op_sql[] = {"=", "!=", "<", "<=", ">", ">="};
enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_LIKE, OP_ILIKE, OP_IN, OP_NULL };

/* Nesting of parentheses and `not` allowed (bounds the parser's recursion). */
#define MAX_DEPTH 64

typedef struct literal {
    int is_num;
    double num;
    char *text;           /* the string, or the number's text */
    char *glob;           /* LIKE only: the pattern as a case-sensitive GLOB */
} literal;

typedef struct clause {
    key_kind kind;
    char *key;            /* param/metric/tag name */
    const attr_def *attr; /* K_ATTR */
    size_t pos;           /* where the key starts in the text */
    int op;               /* OP_* */
    int negate;           /* not in, not like, not ilike, is not null */
    literal *lit;         /* one for comparisons and LIKE, the list for IN, none for NULL */
    int n_lit;
} clause;

typedef enum { N_CLAUSE, N_AND, N_OR, N_NOT } node_type;

typedef struct node {
    node_type type;
    struct node *a, *b;   /* N_AND and N_OR: both; N_NOT: a */
    clause c;             /* N_CLAUSE */
} node;

typedef struct parser {
    const char *src;
    size_t pos;
    char *err;
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
            while (t[len] && !isspace((unsigned char)t[len]) &&
                   !(len > 0 && strchr("(),", t[len])))
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
                                          "worker, seed, started, finished, duration, error");
    }
    if (!*c->key)
        return syntax_error(p, start, "a non-empty key");
    return 0;
}

/* Is the keyword `w` (case-insensitive) at p->pos, not followed by a name character? */
static int word_at(const parser *p, const char *w)
{
    size_t n = strlen(w);
    const char *t = p->src + p->pos;
    return strncasecmp(t, w, n) == 0 && !is_word_char((unsigned char)t[n]);
}

/* The comparison operators and LIKE/ILIKE (after an optional `not`, see parse_op). */
static int parse_cmp_op(parser *p, clause *c)
{
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
    else if (word_at(p, "like"))
        op = OP_LIKE, len = 4;
    else if (word_at(p, "ilike"))
        op = OP_ILIKE, len = 5;
    else if (word_at(p, "in"))
        op = OP_IN, len = 2;
    if (op < 0)
        return syntax_error(p, p->pos, "an operator: = != < <= > >= LIKE ILIKE IN IS NULL");
    c->op = op;
    p->pos += len;
    return 0;
}

/* OP := = | != | < | <= | > | >= | [NOT] LIKE | [NOT] ILIKE | [NOT] IN | IS [NOT] NULL */
static int parse_op(parser *p, clause *c)
{
    skip_ws(p);
    if (word_at(p, "is")) {
        p->pos += 2;
        skip_ws(p);
        if (word_at(p, "not")) {
            c->negate = 1;
            p->pos += 3;
            skip_ws(p);
        }
        if (!word_at(p, "null"))
            return syntax_error(p, p->pos, c->negate ? "NULL after IS NOT" : "NULL or NOT NULL after IS");
        p->pos += 4;
        c->op = OP_NULL;
        return 0;
    }
    if (word_at(p, "not")) {
        size_t at = p->pos;
        p->pos += 3;
        skip_ws(p);
        int rc = parse_cmp_op(p, c);
        if (rc)
            return rc;
        if (c->op != OP_LIKE && c->op != OP_ILIKE && c->op != OP_IN)
            return syntax_error(p, at, "an operator (NOT goes before LIKE, ILIKE or IN)");
        c->negate = 1;
        return 0;
    }
    return parse_cmp_op(p, c);
}

/* The LIKE pattern as a GLOB pattern (% -> *, _ -> ?, GLOB's own *?[ quoted). */
static char *like_to_glob(const char *like)
{
    char *g = malloc(3 * strlen(like) + 1), *o = g;
    if (!g)
        return NULL;
    for (const char *k = like; *k; k++) {
        if (*k == '%')
            *o++ = '*';
        else if (*k == '_')
            *o++ = '?';
        else if (*k == '*' || *k == '?' || *k == '[')
            *o++ = '[', *o++ = *k, *o++ = ']';
        else
            *o++ = *k;
    }
    *o = '\0';
    return g;
}

/* One literal at p->pos into l. */
static int parse_one_literal(parser *p, literal *l)
{
    skip_ws(p);
    size_t start = p->pos;
    char q = p->src[start];
    if (q == '\'' || q == '"') {
        size_t end;
        l->text = read_quoted(p, q, &end);
        if (!l->text)
            return syntax_error(p, start, "a closing quote");
        p->pos = end;
        return 0;
    }
    char *end = NULL;
    const char *t = p->src + start;
    if (!(isdigit((unsigned char)*t) || *t == '-' || *t == '+' || *t == '.'))
        return syntax_error(p, start, "a number or a quoted string");
    l->num = strtod(t, &end);
    if (end == t || (*end && !isspace((unsigned char)*end) && *end != ')' && *end != ',') ||
        !isfinite(l->num))
        return syntax_error(p, start, "a number or a quoted string");
    l->is_num = 1;
    l->text = strndup(t, (size_t)(end - t));
    p->pos = (size_t)(end - p->src);
    if (!l->text) {
        snprintf(p->err, 256, "filter: out of memory");
        return TRK_ERR;
    }
    return 0;
}

/* Type checks of one literal against the clause's key and operator, reported at
 * the literal (position `start`). */
static int check_literal(parser *p, clause *c, literal *l, size_t start)
{
    int like = c->op == OP_LIKE || c->op == OP_ILIKE;
    if (like && l->is_num)
        return syntax_error(p, start, "a quoted pattern after LIKE");
    if (c->kind == K_METRIC && !l->is_num)
        return syntax_error(p, start, "a number (metrics compare to numbers)");
    if (c->kind == K_METRIC && like)
        return syntax_error(p, start, "a comparison operator for a metric");
    if (c->kind == K_ATTR && c->attr->type == A_NUM && !l->is_num)
        return syntax_error(p, start, "a number");
    if (c->kind == K_ATTR && c->attr->type != A_NUM && l->is_num)
        return syntax_error(p, start, "a quoted string");
    if (c->kind == K_ATTR && c->attr->type == A_STATE && !like) {
        for (char *k = l->text; *k; k++)
            *k = (char)toupper((unsigned char)*k);
        if (trk_state_parse(l->text) < 0)
            return syntax_error(p, start, "a state: 'RUNNING', 'COMPLETE', 'PRUNED' or 'FAIL'");
    }
    if (c->op == OP_LIKE && !(l->glob = like_to_glob(l->text))) {
        snprintf(p->err, 256, "filter: out of memory");
        return TRK_ERR;
    }
    if (c->n_lit > 0 && c->lit[0].is_num != l->is_num)
        return syntax_error(p, start, l->is_num ? "a quoted string (the list holds strings)"
                                                : "a number (the list holds numbers)");
    return 0;
}

/* LITERAL, or for IN a parenthesised list of them (all numbers or all strings). */
static int parse_literals(parser *p, clause *c)
{
    if (c->op == OP_NULL)
        return 0;
    skip_ws(p);
    int list = c->op == OP_IN;
    if (list) {
        if (p->src[p->pos] != '(')
            return syntax_error(p, p->pos, "'(' and a list of values after IN");
        p->pos++;
    }
    for (;;) {
        literal *grown = realloc(c->lit, sizeof *grown * (size_t)(c->n_lit + 1));
        if (!grown) {
            snprintf(p->err, 256, "filter: out of memory");
            return TRK_ERR;
        }
        c->lit = grown;
        literal l = {0};
        skip_ws(p);
        size_t start = p->pos;
        int rc = parse_one_literal(p, &l);
        if (rc == 0)
            rc = check_literal(p, c, &l, start);
        if (rc) {
            free(l.text);
            free(l.glob);
            return rc;
        }
        c->lit[c->n_lit++] = l;
        if (!list)
            return 0;
        skip_ws(p);
        if (p->src[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->src[p->pos] == ')') {
            p->pos++;
            return 0;
        }
        return syntax_error(p, p->pos, "',' or ')' in the IN list");
    }
}

static void clause_clear(clause *c)
{
    free(c->key);
    for (int i = 0; i < c->n_lit; i++) {
        free(c->lit[i].text);
        free(c->lit[i].glob);
    }
    free(c->lit);
}

static void node_free(node *n)
{
    if (!n)
        return;
    node_free(n->a);
    node_free(n->b);
    if (n->type == N_CLAUSE)
        clause_clear(&n->c);
    free(n);
}

static node *node_new(parser *p, node_type t)
{
    node *n = calloc(1, sizeof *n);
    if (!n)
        snprintf(p->err, 256, "filter: out of memory");
    else
        n->type = t;
    return n;
}

static int parse_or(parser *p, node **out, int depth);

/* FACTOR := NOT FACTOR | '(' EXPR ')' | KEY OP LITERALS */
static int parse_factor(parser *p, node **out, int depth)
{
    *out = NULL;
    skip_ws(p);
    if (depth > MAX_DEPTH)
        return syntax_error(p, p->pos, "at most 64 nested parentheses or NOTs");
    int rc;
    if (word_at(p, "not")) {
        p->pos += 3;
        if (!(*out = node_new(p, N_NOT)))
            return TRK_ERR;
        return parse_factor(p, &(*out)->a, depth + 1);
    }
    if (p->src[p->pos] == '(') {
        p->pos++;
        if ((rc = parse_or(p, out, depth + 1)) != 0)
            return rc;
        skip_ws(p);
        if (p->src[p->pos] != ')')
            return syntax_error(p, p->pos, "')', 'and' or 'or'");
        p->pos++;
        return 0;
    }
    if (!(*out = node_new(p, N_CLAUSE)))
        return TRK_ERR;
    clause *c = &(*out)->c;
    skip_ws(p);
    c->pos = p->pos;
    if ((rc = parse_key(p, c)) || (rc = parse_op(p, c)) || (rc = parse_literals(p, c)))
        return rc;
    return 0;
}

/* TERM := FACTOR (AND FACTOR)*; EXPR := TERM (OR TERM)* */
static int parse_chain(parser *p, node **out, int depth, int is_or)
{
    int rc = is_or ? parse_chain(p, out, depth, 0) : parse_factor(p, out, depth);
    const char *word = is_or ? "or" : "and";
    while (rc == 0) {
        skip_ws(p);
        if (!word_at(p, word))
            return 0;
        p->pos += strlen(word);
        skip_ws(p);
        if (!p->src[p->pos])
            return syntax_error(p, p->pos, is_or ? "a clause after 'or'" : "a clause after 'and'");
        node *n = node_new(p, is_or ? N_OR : N_AND);
        if (!n)
            return TRK_ERR;
        n->a = *out;
        *out = n;
        rc = is_or ? parse_chain(p, &n->b, depth, 0) : parse_factor(p, &n->b, depth);
    }
    return rc;
}

static int parse_or(parser *p, node **out, int depth)
{
    return parse_chain(p, out, depth, 1);
}

/* Parses a whole filter into *root (NULL for an empty filter); on failure the
 * caller frees the partial tree. */
static int parse_filter(parser *p, node **root)
{
    *root = NULL;
    skip_ws(p);
    if (!p->src[p->pos])
        return 0;
    int rc = parse_or(p, root, 0);
    if (rc)
        return rc;
    skip_ws(p);
    if (p->src[p->pos])
        return syntax_error(p, p->pos, "'and', 'or' or the end of the filter");
    return 0;
}

int trk_filter_check(const char *filter, char err[256])
{
    parser p = {filter ? filter : "", 0, err};
    node *root = NULL;
    int rc = parse_filter(&p, &root);
    node_free(root);
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
    parser p = {text, 0, err};
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
    int rc = parse_filter(&p, &root);
    trk_filter *f = rc == 0 ? malloc(sizeof *f) : NULL;
    if (rc == 0 && !f) {
        snprintf(err, 256, "filter: out of memory");
        rc = TRK_ERR;
    }
    if (rc != 0) {
        node_free(root);
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
    node_free(f->root);
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
