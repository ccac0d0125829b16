/*
 * canon.h - the identity of a results document: the SHA-256 of its
 * canonical form, so that the same results added twice (re-indented,
 * rewritten by `jq .`, copied elsewhere) are one run of the history.
 *
 * The canonical form is the document re-serialised with sorted keys, no
 * whitespace, non-ASCII as \u escapes, and numbers by value: a real with an
 * integral value that fits in 64 bits as that integer (0.0 and 0 are one
 * number), other reals to 17 significant digits (which round-trip). These
 * bytes are part of every history store's format: a file added by an older
 * bench must hash the same today, so they never change.
 *
 * This is the one place bench history walks a parsed results document;
 * every figure it stores comes from the typed view (doc/doc.h).
 */
#ifndef AB_HISTORY_CANON_H
#define AB_HISTORY_CANON_H

#include <jansson.h>

#define AB_HASH_HEX 65 /* 64 hex digits and the terminating NUL */

/* out: the hash of doc's canonical form, in lowercase hex. legacy: the hash
 * stores written before numbers were canonicalised hold (the document
 * serialised as parsed, 0.0 staying 0.0), so that a file added then is still
 * recognised; the same as out when the document has no integral real. doc
 * is not changed. Returns 0 or -ENOMEM. */
int ab_canon_hash(json_t *doc, char out[AB_HASH_HEX], char legacy[AB_HASH_HEX]);

/* The SHA-256 of len bytes of text, in lowercase hex (the digest of a set
 * of run settings, settings.h). */
void ab_hash_text(const char *text, size_t len, char out[AB_HASH_HEX]);

#endif
