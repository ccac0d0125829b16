/*
 * add.h - `bench history add FILE..`: results files into the store.
 */
#ifndef AB_HISTORY_ADD_H
#define AB_HISTORY_ADD_H

#include <stdbool.h>

/* Add files[0..n) to the store db, each in one transaction, with rev (NULL:
 * none). Every file is read and checked before the store is opened: one
 * that is missing, not a regular file or not a results file exits 1 with
 * nothing written. default_db: db is the default path, whose directory is
 * created. Prints what was added on stdout, problems on stderr; returns
 * bench's exit code (AB_OK, or AB_BAD_INPUT when a file or the store
 * failed). */
int ab_hadd(const char *db, bool default_db, const char *rev, char **files, int n);

#endif
