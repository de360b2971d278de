/*
 * spec_read.c - the spec reader's tools (spec_internal.h): JSON values checked
 * against a type and a range with the error sentences every spec error uses
 * (`PATH: expected ..., got ...`, "did you mean" hints), and the generic reader
 * and printer of a section from its rows in the field table (spec_fields.c).
 */
#include "experiments/spec.h"
#include "experiments/spec_internal.h"

#include "experiments/cli.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int exp_rd_name_index(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

int exp_rd_count_names(const char *const *names)
{
    int n = 0;
    while (names[n])
        n++;
    return n;
}


/* A short rendering of a JSON value for "got ..." (NULL = "nothing"). */
void exp_rd_show(const cJSON *v, char out[96])
{
    if (!v) {
        snprintf(out, 96, "nothing");
        return;
    }
    char *t = cJSON_PrintUnformatted(v);
    if (!t) {
        snprintf(out, 96, "a value");
        return;
    }
    if (strlen(t) > 80)
        snprintf(out, 96, "%.77s...", t);
    else
        snprintf(out, 96, "%s", t);
    free(t);
}

void exp_rd_expect(ctx *c, const char *path, const char *expected, const cJSON *got)
{
    char g[96];
    exp_rd_show(got, g);
    exp_errors_add(c->errs, "%s: expected %s, got %s", path, expected, g);
}

void exp_rd_join(char out[256], const char *parent, const char *key)
{
    int n;
    if (!parent || !*parent)
        n = snprintf(out, 256, "%s", key);
    else
        n = snprintf(out, 256, "%s.%s", parent, key);
    if (n >= 256)
        out[255] = '\0';   /* an absurdly long path is cut, never overflowed */
}

/* A list of names as "a, b, c". */
void exp_rd_list_names(const char *const *names, char *out, size_t cap)
{
    size_t off = 0;
    out[0] = '\0';
    for (int i = 0; names[i] && off < cap; i++)
        off += (size_t)snprintf(out + off, cap - off, "%s%s", i ? ", " : "", names[i]);
}

/* Reports keys of `obj` not in `allowed` (with a hint) and duplicate keys. */
void exp_rd_check_keys(ctx *c, const cJSON *obj, const char *path, const char *const *allowed)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        char p[256];
        exp_rd_join(p, path, it->string ? it->string : "");
        for (const cJSON *prev = obj->child; prev != it; prev = prev->next)
            if (prev->string && it->string && strcmp(prev->string, it->string) == 0) {
                exp_errors_add(c->errs, "%s: expected each key once, got it twice", p);
                break;
            }
        if (it->string && exp_rd_name_index(allowed, it->string) >= 0)
            continue;
        char list[512];
        exp_rd_list_names(allowed, list, sizeof list);
        const char *hint = exp_closest(it->string ? it->string : "", (const char *const *)allowed,
                                       exp_rd_count_names(allowed));
        if (hint)
            exp_errors_add(c->errs, "%s: expected one of the keys %s, got unknown key \"%s\" "
                           "(did you mean \"%s\"?)", p, list, it->string, hint);
        else
            exp_errors_add(c->errs, "%s: expected one of the keys %s, got unknown key \"%s\"",
                           p, list, it->string);
    }
}

/* The object at obj[key]; NULL (and an error when present but not an object or
 * when `required`) otherwise. */
const cJSON *exp_rd_get_object(ctx *c, const cJSON *obj, const char *path, const char *key,
                               int required)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    char p[256];
    exp_rd_join(p, path, key);
    if (!v) {
        if (required)
            exp_rd_expect(c, p, "an object (required)", NULL);
        return NULL;
    }
    if (!cJSON_IsObject(v)) {
        exp_rd_expect(c, p, "an object", v);
        return NULL;
    }
    return v;
}

int exp_rd_is_integer(double v)
{
    return isfinite(v) && v == floor(v) && fabs(v) <= 9007199254740992.0;
}

/* obj[key] as an integer in [lo, hi]; missing leaves *out (the default). */
void exp_rd_get_int(ctx *c, const cJSON *obj, const char *path, const char *key,
                    long long lo, long long hi, int required, long long *out)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    char p[256], e[128];
    exp_rd_join(p, path, key);
    if (hi == LLONG_MAX)
        snprintf(e, sizeof e, "an integer >= %lld%s", lo, required && !v ? " (required)" : "");
    else
        snprintf(e, sizeof e, "an integer in [%lld, %lld]%s", lo, hi,
                 required && !v ? " (required)" : "");
    if (!v) {
        if (required)
            exp_rd_expect(c, p, e, NULL);
        return;
    }
    if (!cJSON_IsNumber(v) || !exp_rd_is_integer(v->valuedouble) || v->valuedouble < (double)lo ||
        v->valuedouble > (double)hi) {
        exp_rd_expect(c, p, e, v);
        return;
    }
    *out = (long long)v->valuedouble;
}

void exp_rd_get_int32(ctx *c, const cJSON *obj, const char *path, const char *key,
                      int lo, int hi, int *out)
{
    long long v = *out;
    exp_rd_get_int(c, obj, path, key, lo, hi == INT_MAX ? LLONG_MAX : hi, 0, &v);
    *out = (int)v;
}

/* The range [lo, hi] with open ends as words ("a number > 0", "a number in [0, 1)"). */
void exp_rd_range_text(double lo, int lo_open, double hi, int hi_open, char out[128])
{
    if (isinf(hi) && isinf(lo))
        snprintf(out, 128, "a number");
    else if (isinf(hi))
        snprintf(out, 128, "a number %s %g", lo_open ? ">" : ">=", lo);
    else
        snprintf(out, 128, "a number in %c%g, %g%c", lo_open ? '(' : '[', lo, hi,
                 hi_open ? ')' : ']');
}

int exp_rd_in_range(double v, double lo, int lo_open, double hi, int hi_open)
{
    if (!isfinite(v))
        return 0;
    if (lo_open ? !(v > lo) : !(v >= lo))
        return 0;
    if (hi_open ? !(v < hi) : !(v <= hi))
        return 0;
    return 1;
}

/* obj[key] as a number in the range; missing leaves *out (the default). */
void exp_rd_get_num(ctx *c, const cJSON *obj, const char *path, const char *key,
                    double lo, int lo_open, double hi, int hi_open, double *out)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (!v)
        return;
    char p[256], e[128];
    exp_rd_join(p, path, key);
    exp_rd_range_text(lo, lo_open, hi, hi_open, e);
    if (!cJSON_IsNumber(v) || !exp_rd_in_range(v->valuedouble, lo, lo_open, hi, hi_open)) {
        exp_rd_expect(c, p, e, v);
        return;
    }
    *out = v->valuedouble;
}

void exp_rd_get_bool(ctx *c, const cJSON *obj, const char *path, const char *key, int *out)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (!v)
        return;
    char p[256];
    exp_rd_join(p, path, key);
    if (!cJSON_IsBool(v)) {
        exp_rd_expect(c, p, "true or false", v);
        return;
    }
    *out = cJSON_IsTrue(v);
}

/* A string value that must be one of `names`; returns its index or -1. */
int exp_rd_check_enum(ctx *c, const cJSON *v, const char *p, const char *const *names)
{
    char list[256], e[320];
    exp_rd_list_names(names, list, sizeof list);
    snprintf(e, sizeof e, "one of %s", list);
    if (!cJSON_IsString(v)) {
        exp_rd_expect(c, p, e, v);
        return -1;
    }
    int i = exp_rd_name_index(names, v->valuestring);
    if (i >= 0)
        return i;
    const char *hint = exp_closest(v->valuestring, names, exp_rd_count_names(names));
    char g[96];
    exp_rd_show(v, g);
    if (hint)
        exp_errors_add(c->errs, "%s: expected %s, got %s (did you mean \"%s\"?)", p, e, g, hint);
    else
        exp_errors_add(c->errs, "%s: expected %s, got %s", p, e, g);
    return -1;
}

/* obj[key] as one of `names`; missing leaves *out (the default). */
void exp_rd_get_enum(ctx *c, const cJSON *obj, const char *path, const char *key,
                     const char *const *names, int *out)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (!v)
        return;
    char p[256];
    exp_rd_join(p, path, key);
    int i = exp_rd_check_enum(c, v, p, names);
    if (i >= 0)
        *out = i;
}

/* A name: 1..100 characters from [A-Za-z0-9._-]. */
int exp_rd_good_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 100)
        return 0;
    for (const char *q = s; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '_' || *q == '-' || *q == '.'))
            return 0;
    return 1;
}


/* ---- reading and printing a section from its rows -------------------------------- */

static int row_taken(const field *f, int kind)
{
    return f->when == 0 || kind < 0 || (f->when & (1u << kind));
}

/* The keys of a section (the first part of "object.key" rows, once each) that
 * `kind` takes (-1: every row), NULL-terminated. `prefix` non-NULL: the keys
 * inside that sub-object instead. */
static void section_keys(const section *sc, int kind, const char *prefix, const char **out,
                         char store[][64], int cap)
{
    int n = 0;
    size_t plen = prefix ? strlen(prefix) : 0;
    for (int i = 0; i < sc->n && n < cap - 1; i++) {
        const field *f = &sc->fields[i];
        if (!row_taken(f, kind))
            continue;
        const char *key = f->key;
        if (prefix) {
            if (strncmp(key, prefix, plen) != 0 || key[plen] != '.')
                continue;
            key += plen + 1;
        }
        snprintf(store[n], 64, "%.*s", (int)strcspn(key, "."), key);
        int dup = 0;
        for (int k = 0; k < n; k++)
            dup |= strcmp(out[k], store[n]) == 0;
        if (!dup) {
            out[n] = store[n];
            n++;
        }
    }
    out[n] = NULL;
}

static void read_field(ctx *c, const cJSON *obj, const char *path, const char *key,
                       const field *f, exp_spec *s)
{
    char *at = (char *)s + f->offset;
    if (f->read) {
        f->read(c, obj, path, f, s);
        return;
    }
    switch (f->type) {
    case FT_INT:
        exp_rd_get_int32(c, obj, path, key, (int)f->lo, f->hi >= INT_MAX ? INT_MAX : (int)f->hi, (int *)at);
        break;
    case FT_NUM:
        exp_rd_get_num(c, obj, path, key, f->lo, f->lo_open, f->hi, f->hi_open, (double *)at);
        break;
    case FT_BOOL:
        exp_rd_get_bool(c, obj, path, key, (int *)at);
        break;
    case FT_ENUM:
        exp_rd_get_enum(c, obj, path, key, f->names, (int *)at);
        break;
    case FT_CUSTOM:
        break;
    }
}

/* Checks the keys of `obj` (the section's JSON object) and reads every row that
 * `kind` takes (-1: all) into s; missing keys keep the defaults. */
void exp_rd_read_section(ctx *c, const cJSON *obj, const section *sc, int kind, exp_spec *s)
{
    const char *keys[64];
    char store[64][64];
    section_keys(sc, kind, NULL, keys, store, 64);
    exp_rd_check_keys(c, obj, sc->path, keys);
    for (int i = 0; i < sc->n; i++) {
        const field *f = &sc->fields[i];
        if (!row_taken(f, kind))
            continue;
        const char *dot = strchr(f->key, '.');
        if (!dot) {
            read_field(c, obj, sc->path, f->key, f, s);
            continue;
        }
        /* a sub-object: its rows are consecutive; read them all here */
        char sub[64], p[256];
        snprintf(sub, sizeof sub, "%.*s", (int)(dot - f->key), f->key);
        int j = i;
        while (j < sc->n && strncmp(sc->fields[j].key, f->key, (size_t)(dot - f->key) + 1) == 0)
            j++;
        const cJSON *o = exp_rd_get_object(c, obj, sc->path, sub, 0);
        if (o) {
            exp_rd_join(p, sc->path, sub);
            const char *sk[64];
            char sstore[64][64];
            section_keys(sc, kind, sub, sk, sstore, 64);
            exp_rd_check_keys(c, o, p, sk);
            for (int k = i; k < j; k++)
                if (row_taken(&sc->fields[k], kind))
                    read_field(c, o, p, strchr(sc->fields[k].key, '.') + 1, &sc->fields[k], s);
        }
        i = j - 1;
    }
}

static void print_field(cJSON *o, const char *key, const field *f, const exp_spec *s)
{
    const char *at = (const char *)s + f->offset;
    if (f->print) {
        f->print(o, f, s);
        return;
    }
    switch (f->type) {
    case FT_INT:
        cJSON_AddNumberToObject(o, key, *(const int *)at);
        break;
    case FT_NUM:
        cJSON_AddNumberToObject(o, key, *(const double *)at);
        break;
    case FT_BOOL:
        cJSON_AddBoolToObject(o, key, *(const int *)at);
        break;
    case FT_ENUM:
        cJSON_AddStringToObject(o, key, f->names[*(const int *)at]);
        break;
    case FT_CUSTOM:
        break;
    }
}

/* Adds the section as object `name` of `parent`: every row `kind` takes, in
 * table order. */
void exp_rd_print_section(cJSON *parent, const char *name, const section *sc, int kind,
                          const exp_spec *s)
{
    cJSON *o = cJSON_AddObjectToObject(parent, name);
    if (!o)
        return;
    for (int i = 0; i < sc->n; i++) {
        const field *f = &sc->fields[i];
        if (!row_taken(f, kind))
            continue;
        const char *dot = strchr(f->key, '.');
        if (!dot) {
            print_field(o, f->key, f, s);
            continue;
        }
        char sub[64];
        snprintf(sub, sizeof sub, "%.*s", (int)(dot - f->key), f->key);
        cJSON *so = cJSON_GetObjectItemCaseSensitive(o, sub);
        if (!so)
            so = cJSON_AddObjectToObject(o, sub);
        if (so)
            print_field(so, dot + 1, f, s);
    }
}

