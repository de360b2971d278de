/*
 * file.h - whole files, written so a crash never leaves half of one, and read
 * with a size limit.
 *
 * A durable write goes to a temporary name beside the target
 * (base_file_temp_name), is flushed and fsynced through the descriptor that
 * wrote it, renamed over the target, and then the folder is fsynced so that the
 * rename itself survives a power cut. On any failure the temporary file is
 * removed and the target is left as it was.
 *
 * Errors: functions return 0 or -1 and fill err[256] with a sentence naming
 * the file ("PATH: fsync: No space left on device").
 */
#ifndef BASE_FILE_H
#define BASE_FILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#define BASE_TEMP_NAME_MAX 4300

/* The temporary name beside `path` used by the durable writers ("PATH.tmp.PID"). */
void base_file_temp_name(const char *path, char out[BASE_TEMP_NAME_MAX]);

/* The folder that holds `path` ("." for a bare name, "/" for a file in the root),
 * as a new string the caller frees with free(); NULL when out of memory. */
char *base_file_dir(const char *path);

/* mkdir -p of every folder above `path`'s last component (path is written to
 * and restored). 0, or -1 with errno set. */
int base_file_make_parents(char *path);

/* fsyncs the folder that holds `path` (best effort: 0, or -1 when it could not). */
int base_file_sync_dir(const char *path);

/* Writes len bytes of data to path durably (see the top of this file). */
int base_file_write(const char *path, const void *data, size_t len, char err[256]);

/* Finishes a durable write through a descriptor: fsyncs fd, closes it, renames
 * tmp onto path and fsyncs the folder. fd is closed and, on failure, tmp
 * removed, whatever happens. */
int base_file_commit_fd(int fd, const char *tmp, const char *path, char err[256]);

/* The same for a stdio stream: flushes f, checks its error flag, then as
 * base_file_commit_fd; f is closed in every case. */
int base_file_commit_stream(FILE *f, const char *tmp, const char *path, char err[256]);

/* The same for a temporary file that the caller has already written and closed:
 * reopens it to fsync it, then renames and syncs the folder. */
int base_file_commit(const char *tmp, const char *path, char err[256]);

/* Reads the whole regular file `path` when it holds at most `max` bytes.
 * Returns the bytes plus a terminating NUL (the caller frees them with free())
 * and sets *len (may be NULL) to the size; NULL with err when the file cannot be
 * read or is larger than max ("PATH: expected at most MAX bytes, got N"). */
char *base_file_read(const char *path, size_t max, size_t *len, char err[256]);

/* path opened for reading ("rb") if it is a regular file, *st its fstat; NULL
 * otherwise, with *not_regular = 1 for something else (a directory, a FIFO:
 * never waited on, a device) or errno set by the failed open. */
FILE *base_file_open_regular(const char *path, struct stat *st, int *not_regular);

#endif
