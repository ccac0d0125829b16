/*
 * recfile.c - allocation records on the harness's side (recfile.h).
 * Compression is Debian's libzstd (streaming, so a record of any length
 * passes through a fixed buffer).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "measure/recfile.h"

#define FORM "an allocbench allocation record, version 1 (bench run --record), or one zstd made"

bool ab_recfile_is_zstd(const uint8_t *p, size_t len)
{
        return len >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd;
}

static int read_all(int fd, uint8_t **data, size_t *len)
{
        size_t cap = 1 << 20, n = 0;
        uint8_t *b = malloc(cap);
        if (!b)
                return -ENOMEM;
        for (;;) {
                ssize_t r;
                if (n == cap) {
                        uint8_t *nb = realloc(b, cap *= 2);
                        if (!nb) {
                                free(b);
                                return -ENOMEM;
                        }
                        b = nb;
                }
                r = read(fd, b + n, cap - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        int e = -errno;
                        free(b);
                        return e;
                }
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        *data = b;
        *len = n;
        return 0;
}

static int unzstd(const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen, char *why,
                  size_t whylen)
{
        ZSTD_DCtx *d = ZSTD_createDCtx();
        size_t cap = inlen * 4 + (1 << 20), n = 0, last = 1;
        uint8_t *b = malloc(cap);
        ZSTD_inBuffer ib = {in, inlen, 0};
        if (!d || !b) {
                ZSTD_freeDCtx(d);
                free(b);
                return -ENOMEM;
        }
        while (ib.pos < ib.size || last) {
                ZSTD_outBuffer ob;
                if (n == cap) {
                        uint8_t *nb = realloc(b, cap *= 2);
                        if (!nb) {
                                free(b);
                                ZSTD_freeDCtx(d);
                                return -ENOMEM;
                        }
                        b = nb;
                }
                ob = (ZSTD_outBuffer){b + n, cap - n, 0};
                last = ZSTD_decompressStream(d, &ob, &ib);
                n += ob.pos;
                if (ZSTD_isError(last)) {
                        snprintf(why, whylen, "zstd: %s at compressed byte %zu",
                                 ZSTD_getErrorName(last), ib.pos);
                        free(b);
                        ZSTD_freeDCtx(d);
                        return -EINVAL;
                }
                if (ib.pos == ib.size && last && ob.pos < ob.size) {
                        snprintf(why, whylen,
                                 "zstd: the compressed data ends inside a frame (the file was cut)");
                        free(b);
                        ZSTD_freeDCtx(d);
                        return -EINVAL;
                }
        }
        ZSTD_freeDCtx(d);
        *out = b;
        *outlen = n;
        return 0;
}

int ab_recfile_load(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen)
{
        struct stat st;
        uint8_t *raw = NULL;
        size_t n = 0;
        char why[300];
        int fd = open(path, O_RDONLY | O_CLOEXEC), r;
        if (fd < 0) {
                r = -errno;
                snprintf(err, errlen, "%s: %s", path, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                snprintf(err, errlen, "%s: not a regular file (accepted: %s)", path, FORM);
                return -EINVAL;
        }
        r = read_all(fd, &raw, &n);
        close(fd);
        if (r) {
                snprintf(err, errlen, "%s: %s", path, strerror(-r));
                return r;
        }
        if (!n) {
                free(raw);
                snprintf(err, errlen, "%s: empty (accepted: %s)", path, FORM);
                return -EINVAL;
        }
        if (!ab_recfile_is_zstd(raw, n)) {
                *data = raw;
                *len = n;
                return 0;
        }
        r = unzstd(raw, n, data, len, why, sizeof why);
        free(raw);
        if (r == -ENOMEM)
                snprintf(err, errlen, "%s: out of memory unpacking it", path);
        else if (r)
                snprintf(err, errlen, "%s: %s (accepted: %s)", path, why, FORM);
        return r;
}

int ab_recfile_check(const char *path, struct ab_arec_stats *st, char *err, size_t errlen)
{
        uint8_t *data;
        size_t len;
        struct ab_arec a;
        char why[600];
        int r = ab_recfile_load(path, &data, &len, err, errlen);
        if (r)
                return r;
        if (!(r = ab_arec_parse(&a, data, len, why, sizeof why)))
                r = ab_arec_simulate(&a, NULL, st, why, sizeof why);
        if (r)
                snprintf(err, errlen, "%s: %s", path, why);
        free(data);
        return r;
}

/* Write len bytes to a new temporary file beside `to`, then rename it over
 * `to`. */
static int write_beside(const char *to, int (*fill)(int fd, void *arg), void *arg, char *err,
                        size_t errlen)
{
        char tmp[PATH_MAX];
        int fd, r;
        if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", to) >= (int)sizeof tmp) {
                snprintf(err, errlen, "%s: path too long", to);
                return -ENAMETOOLONG;
        }
        if ((fd = mkstemp(tmp)) < 0) {
                r = -errno;
                snprintf(err, errlen, "%s: %s", to, strerror(-r));
                return r;
        }
        r = fill(fd, arg);
        if (!r && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
                r = -errno;
        if (close(fd) < 0 && !r)
                r = -errno;
        if (!r && rename(tmp, to) < 0)
                r = -errno;
        if (r) {
                unlink(tmp);
                snprintf(err, errlen, "%s: %s", to, strerror(-r));
        }
        return r;
}

static int write_full(int fd, const void *p, size_t n)
{
        const char *c = p;
        while (n) {
                ssize_t w = write(fd, c, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -errno;
                c += w;
                n -= (size_t)w;
        }
        return 0;
}

struct copy {
        int from;
        bool zstd;
};

static int fill_copy(int fd, void *arg)
{
        struct copy *c = arg;
        static uint8_t in[1 << 20], out[1 << 20];
        ZSTD_CCtx *z = c->zstd ? ZSTD_createCCtx() : NULL;
        int r = 0;
        if (c->zstd && !z)
                return -ENOMEM;
        if (z)
                ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, 3);
        for (;;) {
                ssize_t n = read(c->from, in, sizeof in);
                ZSTD_inBuffer ib;
                size_t left;
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        break;
                }
                if (!z) {
                        if (n == 0 || (r = write_full(fd, in, (size_t)n)))
                                break;
                        continue;
                }
                ib = (ZSTD_inBuffer){in, (size_t)n, 0};
                do {
                        ZSTD_outBuffer ob = {out, sizeof out, 0};
                        left = ZSTD_compressStream2(z, &ob, &ib, n ? ZSTD_e_continue : ZSTD_e_end);
                        if (ZSTD_isError(left)) {
                                r = -EIO;
                                break;
                        }
                        if ((r = write_full(fd, out, ob.pos)))
                                break;
                } while (!r && (n ? ib.pos < ib.size : left != 0));
                if (r || n == 0)
                        break;
        }
        ZSTD_freeCCtx(z);
        return r;
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && strcmp(s + a - b, suffix) == 0;
}

int ab_recfile_publish(const char *from, const char *to, char *err, size_t errlen)
{
        struct copy c = {open(from, O_RDONLY | O_CLOEXEC), ends_with(to, ".zst")};
        int r;
        if (c.from < 0) {
                r = -errno;
                snprintf(err, errlen, "%s: %s", from, strerror(-r));
                return r;
        }
        r = write_beside(to, fill_copy, &c, err, errlen);
        close(c.from);
        return r;
}

struct unpacked {
        const uint8_t *p;
        size_t len;
};

static int fill_unpacked(int fd, void *arg)
{
        const struct unpacked *u = arg;
        return write_full(fd, u->p, u->len);
}

int ab_recfile_local(const char *path, const char *dir, size_t tag, char *out, size_t outlen,
                     char *err, size_t errlen)
{
        uint8_t head[4] = {0}, *data;
        size_t len;
        int fd = open(path, O_RDONLY | O_CLOEXEC), r;
        bool z;
        if (fd < 0) {
                r = -errno;
                snprintf(err, errlen, "%s: %s", path, strerror(-r));
                return r;
        }
        z = read(fd, head, sizeof head) == (ssize_t)sizeof head && ab_recfile_is_zstd(head, 4);
        close(fd);
        if (!z) {
                snprintf(out, outlen, "%s", path);
                return 0;
        }
        if ((r = ab_recfile_load(path, &data, &len, err, errlen)))
                return r;
        snprintf(out, outlen, "%s/record.%zu.arec", dir, tag);
        {
                struct unpacked u = {data, len};
                r = write_beside(out, fill_unpacked, &u, err, errlen);
        }
        free(data);
        return r;
}
