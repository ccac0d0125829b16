/*
 * canon.c - a results document's canonical form and its SHA-256 (canon.h).
 * The hash is Debian's nettle; jansson serialises straight into it, so the
 * canonical text is never held in memory.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#include <nettle/sha2.h>

#include "report/history/canon.h"

/* Numbers as JSON means them, not as a parser happened to keep them: a real
 * with an integral value that fits in an integer becomes that integer (0.0
 * and 0 are one number; `jq .` writes 0.0 as 0), in place. */
static bool integral(json_t *v)
{
        double d = json_is_real(v) ? json_real_value(v) : 0;
        return json_is_real(v) && d == trunc(d) && d >= -0x1p63 && d < 0x1p63;
}

static void canon_numbers(json_t *j)
{
        const char *key;
        json_t *v;
        size_t i;
        void *tmp;
        if (json_is_object(j)) {
                json_object_foreach_safe(j, tmp, key, v)
                {
                        if (integral(v))
                                json_object_set_new(j, key,
                                                    json_integer((json_int_t)json_real_value(v)));
                        else
                                canon_numbers(v);
                }
        } else if (json_is_array(j)) {
                json_array_foreach(j, i, v)
                {
                        if (integral(v))
                                json_array_set_new(j, i,
                                                   json_integer((json_int_t)json_real_value(v)));
                        else
                                canon_numbers(v);
                }
        }
}

static int sha_dump_cb(const char *buf, size_t len, void *data)
{
        sha256_update(data, len, (const uint8_t *)buf);
        return 0;
}

static void hex(const uint8_t *digest, size_t n, char *out)
{
        for (size_t i = 0; i < n; i++)
                snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* The SHA-256 of doc serialised with sorted keys, compact, ASCII only,
 * reals to 17 digits. */
static void hash_dump(json_t *doc, char out[AB_HASH_HEX])
{
        struct sha256_ctx ctx;
        uint8_t digest[SHA256_DIGEST_SIZE];
        sha256_init(&ctx);
        json_dump_callback(doc, sha_dump_cb, &ctx,
                           JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII |
                               JSON_REAL_PRECISION(17));
        sha256_digest(&ctx, sizeof digest, digest);
        hex(digest, sizeof digest, out);
}

void ab_hash_text(const char *text, size_t len, char out[AB_HASH_HEX])
{
        struct sha256_ctx ctx;
        uint8_t digest[SHA256_DIGEST_SIZE];
        sha256_init(&ctx);
        sha256_update(&ctx, len, (const uint8_t *)text);
        sha256_digest(&ctx, sizeof digest, digest);
        hex(digest, sizeof digest, out);
}

int ab_canon_hash(json_t *doc, char out[AB_HASH_HEX], char legacy[AB_HASH_HEX])
{
        json_t *c = json_deep_copy(doc);
        if (!c)
                return -ENOMEM;
        canon_numbers(c);
        hash_dump(c, out);
        json_decref(c);
        hash_dump(doc, legacy);
        return 0;
}
