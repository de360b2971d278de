/*
 * outpath.h - an output file must not be one of the command's inputs.
 *
 * `report -o`, `export -o`, `best --export` and `predict -o` replace the file
 * they are given. Aimed at the store (or its -wal, -shm or -journal file, or
 * its artifact folder) or at the candles or model being read, that destroys
 * it. Files are compared by identity (device and inode, following symlinks)
 * when both exist, and by their canonical path (realpath of the folder plus the
 * name) when one does not exist yet, so no spelling (./x, a/../x, a symlink)
 * gets past.
 */
#ifndef EXP_OUTPATH_H
#define EXP_OUTPATH_H

/*
 * 0 when writing `out` cannot overwrite `input` (a file; NULL is ignored), else
 * -1 with err ("is the candle file being read (same file as X)").
 * `what` names the input in the message.
 */
int exp_output_not_input(const char *out, const char *input, const char *what, char err[256]);

/*
 * 0 when writing `out` cannot overwrite the store at `db_path`: the database,
 * its -wal, -shm and -journal files, or anything in `artifact_root` (the
 * folder itself included). Else -1 with err.
 */
int exp_output_not_store(const char *out, const char *db_path, const char *artifact_root,
                         char err[256]);

#endif
