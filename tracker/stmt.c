/*
 * stmt.c - private to tracker/: the store's cache of prepared statements, one
 * array per owning file's table (tracker/store_int.h), and trk_collect, the one
 * loop that steps a SELECT and gathers its rows into a growing array for every
 * row reader of query.c and the study commands.
 */
#include "tracker/store_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sqlite3_stmt *trk_stmt_get(trk_store *s, const trk_stmt_table *t, int id, char err[256])
{
    assert(t->slot >= 0 && t->slot < TRK_STMTS_COUNT && id >= 0 && id < t->n);
    if (!s->stmts[t->slot] && !(s->stmts[t->slot] = calloc((size_t)t->n, sizeof(sqlite3_stmt *)))) {
        snprintf(err, 256, "preparing a statement: out of memory");
        return NULL;
    }
    s->n_stmts[t->slot] = t->n;
    sqlite3_stmt **slot = &s->stmts[t->slot][id];
    if (!*slot) {
        const char *sql = t->sql[id] ? t->sql[id] : t->build(id);
        if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) !=
            SQLITE_OK) {
            trk_sql_fail(s, "preparing a statement", err);
            return NULL;
        }
    } else {
        sqlite3_reset(*slot);
        sqlite3_clear_bindings(*slot);
    }
    return *slot;
}

void trk_stmts_finalize(trk_store *s)
{
    for (int t = 0; t < TRK_STMTS_COUNT; t++) {
        for (int i = 0; i < s->n_stmts[t]; i++)
            sqlite3_finalize(s->stmts[t][i]);
        free(s->stmts[t]);
        s->stmts[t] = NULL;
        s->n_stmts[t] = 0;
    }
}

int trk_collect(trk_store *s, sqlite3_stmt *st, size_t size, void **out, int *n,
                int (*row)(sqlite3_stmt *st, void *elem, void *ctx), void *ctx,
                void (*clear)(void *elem), const char *what, char err[256])
{
    int cap = *n, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            int c = cap ? 2 * cap : 16;
            char *grown = realloc(*out, size * (size_t)c);
            if (!grown)
                goto oom;
            *out = grown;
            cap = c;
        }
        void *elem = (char *)*out + size * (size_t)*n;
        memset(elem, 0, size);
        int r = row(st, elem, ctx);
        if (r < 0) {
            if (clear)
                clear(elem);
            goto oom;
        }
        if (r == 0)
            (*n)++;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return 0;
    trk_sql_fail(s, what, err);
    goto fail;
oom:
    sqlite3_reset(st);
    snprintf(err, 256, "%s: out of memory", what);
fail:
    for (int i = 0; clear && i < *n; i++)
        clear((char *)*out + size * (size_t)i);
    free(*out);
    *out = NULL;
    *n = 0;
    return TRK_ERR;
}
