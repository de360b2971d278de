/*
 * verify.c - reads a closed store back (verify.h).
 */
#include "tracker/verify.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

int trk_store_verify(const char *path, char err[256])
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    /* Read-write (without create) but query-only: as the last connection it
     * checkpoints and removes the -wal and -shm files on close, as a reader
     * could not. */
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_exec(db, "PRAGMA query_only=1", NULL, NULL, NULL);
    sqlite3_busy_timeout(db, 5000);
    rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        goto fail;
    const unsigned char *verdict = sqlite3_column_text(st, 0);
    if (!verdict || strcmp((const char *)verdict, "ok") != 0) {
        snprintf(err, 256, "quick_check: %.100s", verdict ? (const char *)verdict : "no answer");
        for (char *p = err; *p; p++)
            if (*p == '\n' || *p == '\r' || *p == '\t')
                *p = ' ';
        sqlite3_finalize(st);
        sqlite3_close(db);
        return -1;
    }
    sqlite3_finalize(st);
    st = NULL;
    rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM studies", -1, &st, NULL);
    if (rc != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_ROW)
        goto fail;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
fail:
    snprintf(err, 256, "%.200s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return -1;
}
