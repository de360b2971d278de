/*
 * filter_parse.c - the filter language of tracker/query.h parsed into clauses
 * and a tree of and/or/not (filter_int.h), reporting the first bad token with
 * its position; filter.c writes the SQL from that tree.
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

/* ---- filter parsing ---------------------------------------------------------- */

static const attr_def attrs[] = {
    {"run_id", "r.id", A_NUM},         {"trial_number", "r.trial_number", A_NUM},
    {"state", "r.state", A_STATE},     {"status", "r.state", A_STATE},
    {"value", "r.value", A_NUM},       {"worker", "r.worker", A_NUM},
    {"seed", "r.seed", A_NUM},         {"started", "r.started", A_NUM},
    {"finished", "r.finished", A_NUM}, {"error", "r.error", A_TEXT},
    {"duration", "(r.finished - r.started)", A_NUM},
};
#define N_ATTRS ((int)(sizeof attrs / sizeof attrs[0]))

void flt_skip_ws(parser *p)
{
    while (isspace((unsigned char)p->src[p->pos]))
        p->pos++;
}

/* "filter: position P: unexpected 'TOKEN' (expected WHAT)"; returns TRK_EINVAL. */
int flt_syntax_error(parser *p, size_t at, const char *expected)
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
int flt_parse_key(parser *p, clause *c)
{
    flt_skip_ws(p);
    size_t start = p->pos, i = p->pos;
    if (p->src[i] == '`') {
        size_t end;
        char *name = read_quoted(p, '`', &end);
        if (!name)
            return flt_syntax_error(p, start, "a closing backtick");
        c->kind = K_ATTR;
        c->key = name;
        p->pos = end;
    } else {
        while (isalpha((unsigned char)p->src[i]) || p->src[i] == '_')
            i++;
        if (i == start)
            return flt_syntax_error(p, start, "a key such as params.units, metrics.sharpe or state");
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
                return flt_syntax_error(p, start, "params., metrics., tags. or attributes.");
#undef IS
            p->pos = i + 1;
            char q = p->src[p->pos];
            if (q == '`' || q == '"') {
                size_t end;
                c->key = read_quoted(p, q, &end);
                if (!c->key)
                    return flt_syntax_error(p, p->pos, q == '`' ? "a closing backtick"
                                                            : "a closing double quote");
                p->pos = end;
            } else {
                size_t k = p->pos;
                while (is_word_char((unsigned char)p->src[k]))
                    k++;
                if (k == p->pos)
                    return flt_syntax_error(p, p->pos, "a name after the dot");
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
            return flt_syntax_error(p, start, "an attribute: run_id, trial_number, state, value, "
                                          "worker, seed, started, finished, duration, error");
    }
    if (!*c->key)
        return flt_syntax_error(p, start, "a non-empty key");
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
        return flt_syntax_error(p, p->pos, "an operator: = != < <= > >= LIKE ILIKE IN IS NULL");
    c->op = op;
    p->pos += len;
    return 0;
}

/* OP := = | != | < | <= | > | >= | [NOT] LIKE | [NOT] ILIKE | [NOT] IN | IS [NOT] NULL */
static int parse_op(parser *p, clause *c)
{
    flt_skip_ws(p);
    if (word_at(p, "is")) {
        p->pos += 2;
        flt_skip_ws(p);
        if (word_at(p, "not")) {
            c->negate = 1;
            p->pos += 3;
            flt_skip_ws(p);
        }
        if (!word_at(p, "null"))
            return flt_syntax_error(p, p->pos, c->negate ? "NULL after IS NOT" : "NULL or NOT NULL after IS");
        p->pos += 4;
        c->op = OP_NULL;
        return 0;
    }
    if (word_at(p, "not")) {
        size_t at = p->pos;
        p->pos += 3;
        flt_skip_ws(p);
        int rc = parse_cmp_op(p, c);
        if (rc)
            return rc;
        if (c->op != OP_LIKE && c->op != OP_ILIKE && c->op != OP_IN)
            return flt_syntax_error(p, at, "an operator (NOT goes before LIKE, ILIKE or IN)");
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
    flt_skip_ws(p);
    size_t start = p->pos;
    char q = p->src[start];
    if (q == '\'' || q == '"') {
        size_t end;
        l->text = read_quoted(p, q, &end);
        if (!l->text)
            return flt_syntax_error(p, start, "a closing quote");
        p->pos = end;
        return 0;
    }
    char *end = NULL;
    const char *t = p->src + start;
    if (!(isdigit((unsigned char)*t) || *t == '-' || *t == '+' || *t == '.'))
        return flt_syntax_error(p, start, "a number or a quoted string");
    l->num = strtod(t, &end);
    if (end == t || (*end && !isspace((unsigned char)*end) && *end != ')' && *end != ',') ||
        !isfinite(l->num))
        return flt_syntax_error(p, start, "a number or a quoted string");
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
        return flt_syntax_error(p, start, "a quoted pattern after LIKE");
    if (c->kind == K_METRIC && !l->is_num)
        return flt_syntax_error(p, start, "a number (metrics compare to numbers)");
    if (c->kind == K_METRIC && like)
        return flt_syntax_error(p, start, "a comparison operator for a metric");
    if (c->kind == K_ATTR && c->attr->type == A_NUM && !l->is_num)
        return flt_syntax_error(p, start, "a number");
    if (c->kind == K_ATTR && c->attr->type != A_NUM && l->is_num)
        return flt_syntax_error(p, start, "a quoted string");
    if (c->kind == K_ATTR && c->attr->type == A_STATE && !like) {
        for (char *k = l->text; *k; k++)
            *k = (char)toupper((unsigned char)*k);
        if (trk_state_parse(l->text) < 0)
            return flt_syntax_error(p, start, "a state: 'RUNNING', 'COMPLETE', 'PRUNED' or 'FAIL'");
    }
    if (c->op == OP_LIKE && !(l->glob = like_to_glob(l->text))) {
        snprintf(p->err, 256, "filter: out of memory");
        return TRK_ERR;
    }
    if (c->n_lit > 0 && c->lit[0].is_num != l->is_num)
        return flt_syntax_error(p, start, l->is_num ? "a quoted string (the list holds strings)"
                                                : "a number (the list holds numbers)");
    return 0;
}

/* LITERAL, or for IN a parenthesised list of them (all numbers or all strings). */
static int parse_literals(parser *p, clause *c)
{
    if (c->op == OP_NULL)
        return 0;
    flt_skip_ws(p);
    int list = c->op == OP_IN;
    if (list) {
        if (p->src[p->pos] != '(')
            return flt_syntax_error(p, p->pos, "'(' and a list of values after IN");
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
        flt_skip_ws(p);
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
        flt_skip_ws(p);
        if (p->src[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->src[p->pos] == ')') {
            p->pos++;
            return 0;
        }
        return flt_syntax_error(p, p->pos, "',' or ')' in the IN list");
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

void flt_node_free(node *n)
{
    if (!n)
        return;
    flt_node_free(n->a);
    flt_node_free(n->b);
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
    flt_skip_ws(p);
    if (depth > MAX_DEPTH)
        return flt_syntax_error(p, p->pos, "at most 64 nested parentheses or NOTs");
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
        flt_skip_ws(p);
        if (p->src[p->pos] != ')')
            return flt_syntax_error(p, p->pos, "')', 'and' or 'or'");
        p->pos++;
        return 0;
    }
    if (!(*out = node_new(p, N_CLAUSE)))
        return TRK_ERR;
    clause *c = &(*out)->c;
    flt_skip_ws(p);
    c->pos = p->pos;
    if ((rc = flt_parse_key(p, c)) || (rc = parse_op(p, c)) || (rc = parse_literals(p, c)))
        return rc;
    return 0;
}

/* TERM := FACTOR (AND FACTOR)*; EXPR := TERM (OR TERM)* */
static int parse_chain(parser *p, node **out, int depth, int is_or)
{
    int rc = is_or ? parse_chain(p, out, depth, 0) : parse_factor(p, out, depth);
    const char *word = is_or ? "or" : "and";
    while (rc == 0) {
        flt_skip_ws(p);
        if (!word_at(p, word))
            return 0;
        p->pos += strlen(word);
        flt_skip_ws(p);
        if (!p->src[p->pos])
            return flt_syntax_error(p, p->pos, is_or ? "a clause after 'or'" : "a clause after 'and'");
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
int flt_parse_filter(parser *p, node **root)
{
    *root = NULL;
    flt_skip_ws(p);
    if (!p->src[p->pos])
        return 0;
    int rc = parse_or(p, root, 0);
    if (rc)
        return rc;
    flt_skip_ws(p);
    if (p->src[p->pos])
        return flt_syntax_error(p, p->pos, "'and', 'or' or the end of the filter");
    return 0;
}

int trk_filter_check(const char *filter, char err[256])
{
    parser p = {filter ? filter : "", 0, err};
    node *root = NULL;
    int rc = flt_parse_filter(&p, &root);
    flt_node_free(root);
    return rc;
}

