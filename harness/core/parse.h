/*
 * parse.h - the input forms every option and job file shares.
 *
 * Sizes: a whole number of bytes with an optional binary suffix, case-blind:
 *   4096, 4k, 4K, 4KiB, 4KB, 16M, 16MiB, 1G, 1GiB, 2T (all powers of 1024).
 * Lists: items separated by commas; an item is a size or a geometric range
 *   A..B*F (A, A*F, A*F^2, ... up to and including B where it lands on B),
 *   e.g. 4KiB..1GiB*2. An arithmetic range A..B+S (S a size too: 4k..64k+4k)
 *   is accepted as well.
 * Every function rejects empty input, trailing junk, zero where zero makes no
 * sense (the caller's min), values above the caller's max, and overflow, with
 * -EINVAL or -ERANGE. Nothing here prints; callers name the option.
 */
#ifndef AB_PARSE_H
#define AB_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define AB_LIST_MAX 4096 /* items a list may expand to */

/* The accepted forms, for error messages. */
#define AB_SIZE_FORM "a size such as 4096, 4k, 4KiB, 16M or 1GiB"
#define AB_LIST_FORM "a list such as 4k,64k,1M or a range such as 4KiB..1GiB*2"

int ab_parse_size(const char *s, uint64_t *out);
int ab_parse_u64(const char *s, uint64_t *out); /* plain decimal, no suffix */

/* Parse a list into out[0..*n). cap is out's capacity (at most AB_LIST_MAX). */
int ab_parse_list(const char *s, uint64_t *out, size_t cap, size_t *n);


#endif
