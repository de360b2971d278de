/*
 * cli.c - shared helpers for the subcommands: error format, option parsing with
 * hints, "did you mean" suggestions, number parsing. Only cmd_* functions print.
 */
#include "experiments/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const exp_cmd *exp_cmd_find(const char *name)
{
    for (const exp_cmd *c = exp_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

/* Whether msg already names `what` as one of its own "WHAT:" prefixes: at its start or
 * after a space, a quote or an opening bracket, followed by a colon. */
static int names_what(const char *msg, const char *what)
{
    size_t n = strlen(what);
    if (n == 0)
        return 0;
    for (const char *p = strstr(msg, what); p; p = strstr(p + 1, what))
        if (p[n] == ':' && (p == msg || strchr(" '\"(", p[-1])))
            return 1;
    return 0;
}

void exp_cli_error(const char *what, const char *fmt, ...)
{
    char small[1024], *buf = small;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n >= (int)sizeof small && (buf = malloc((size_t)n + 1)) != NULL)
        vsnprintf(buf, (size_t)n + 1, fmt, again);
    else if (!buf)
        buf = small;   /* out of memory: the message cut at 1023 bytes */
    va_end(again);
    va_end(ap);
    if (n < 0)
        snprintf(small, sizeof small, "(unprintable message)");
    if (names_what(buf, what))
        fprintf(stderr, "seqtune: %s\n", buf);   /* the message names it already */
    else
        fprintf(stderr, "seqtune: %s: %s\n", what, buf);
    if (buf != small)
        free(buf);
}

void exp_cli_usage(const char *name, FILE *out)
{
    const exp_cmd *c = exp_cmd_find(name);
    if (c)
        fputs(c->usage, out);
}

int exp_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return INT_MAX / 2;
    int prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            int m = sub < del ? sub : del;
            cur[j] = m < ins ? m : ins;
        }
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb];
}

const char *exp_closest(const char *word, const char *const *candidates, int n)
{
    const char *best = NULL;
    int best_d = INT_MAX;
    for (int i = 0; i < n; i++) {
        int d = exp_edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    int limit = (int)strlen(word) / 3;
    if (limit < 2)
        limit = 2;
    return best_d <= limit ? best : NULL;
}

int exp_cli_getopt(int argc, char **argv, const char *cmd, const char *shortopts,
                   const struct option *longopts)
{
    opterr = 0;
    int longindex = -1;
    int c = getopt_long(argc, argv, shortopts, longopts, &longindex);
    if (c != '?' && c != ':')
        return c;
    const char *bad = argv[optind - 1] ? argv[optind - 1] : "?";
    if (optopt && strchr(shortopts, optopt) && optopt != '?') {
        exp_cli_error(cmd, "option '-%c' needs a value (see 'seqtune %s --help')", optopt, cmd);
        return '?';
    }
    for (const struct option *o = longopts; o->name; o++) {
        size_t n = strlen(o->name);
        if (strncmp(bad, "--", 2) == 0 && strncmp(bad + 2, o->name, n) == 0 &&
            (bad[2 + n] == '\0' || bad[2 + n] == '=') && o->has_arg == required_argument) {
            exp_cli_error(cmd, "option '--%s' needs a value (see 'seqtune %s --help')", o->name, cmd);
            return '?';
        }
    }
    const char *names[64];
    int n = 0;
    for (const struct option *o = longopts; o->name && n < 64; o++)
        names[n++] = o->name;
    const char *word = bad;
    while (*word == '-')
        word++;
    char head[64];
    snprintf(head, sizeof head, "%.*s", (int)strcspn(word, "="), word);
    const char *hint = exp_closest(head, names, n);
    if (hint)
        exp_cli_error(cmd, "unknown option '%s' (did you mean '--%s'?)", bad, hint);
    else
        exp_cli_error(cmd, "unknown option '%s' (see 'seqtune %s --help')", bad, cmd);
    return '?';
}

int exp_parse_long(const char *text, long lo, long hi, const char *cmd,
                   const char *what, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' || v < lo || v > hi) {
        exp_cli_error(cmd, "%s: expected a whole number in [%ld, %ld], got '%s'", what, lo, hi, text);
        return -1;
    }
    *out = v;
    return 0;
}

const char *exp_db_path(const char *opt_db)
{
    if (opt_db && *opt_db)
        return opt_db;
    const char *env = getenv("SEQTUNE_DB");
    if (env && *env)
        return env;
    return "seqtune.db";
}

double exp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
