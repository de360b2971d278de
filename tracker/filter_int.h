/*
 * filter_int.h - the parsed form of a filter or order key, shared by the
 * parser (filter_parse.c) and the SQL writer (filter.c). Private to tracker/.
 */
#ifndef SEQTUNE_TRACKER_FILTER_INT_H
#define SEQTUNE_TRACKER_FILTER_INT_H

#include <stddef.h>

typedef enum { K_PARAM, K_METRIC, K_TAG, K_ATTR } key_kind;
typedef enum { A_NUM, A_TEXT, A_STATE } attr_type;

typedef struct attr_def {
    const char *name;
    const char *column;
    attr_type type;
} attr_def;


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

/* filter_parse.c: whitespace; a syntax error at `at` naming what was expected
 * (written to p->err, returns -1); one key (param/metric/tag/attribute) into c;
 * the whole filter into a tree (*root NULL for an empty filter; on error the
 * caller frees the partial tree); a tree's memory. */
void flt_skip_ws(parser *p);
int flt_syntax_error(parser *p, size_t at, const char *expected);
int flt_parse_key(parser *p, clause *c);
int flt_parse_filter(parser *p, node **root);
void flt_node_free(node *n);

#endif
