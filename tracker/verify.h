/*
 * verify.h - can a store be read back? The last step of a study.
 *
 * A study that wrote its trials must not report success over a file that is no
 * longer a database (its -wal file truncated or removed while it ran, a disk
 * that lost writes). After the coordinator closed the store (the checkpoint
 * moved the WAL into the database), a fresh query-only connection runs SQLite's
 * quick_check and reads the studies table.
 */
#ifndef TRK_VERIFY_H
#define TRK_VERIFY_H

/* 0 when the store at `path` opens, passes PRAGMA quick_check and has a
 * readable studies table; else -1 with err (SQLite's own words). */
int trk_store_verify(const char *path, char err[256]);

#endif
