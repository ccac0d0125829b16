/*
 * dump.c - the dump reader (dump.h). A cursor walks the bytes; every read
 * is bounded by the end of the current section, and every failure names the
 * byte offset from the start of the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump.h"

const char *const ab_tdump_field_names[AB_TD_NFIELDS] = {
#define AB_TD_NAME(N, n) #n,
    AB_TD_FIELDS(AB_TD_NAME)
#undef AB_TD_NAME
};

struct cur {
        const uint8_t *base, *p, *end;
        char *err;
        size_t errlen;
};

__attribute__((format(printf, 3, 4))) static int fail(struct cur *c, const uint8_t *at,
                                                      const char *fmt, ...)
{
        va_list ap;
        int n;
        if (!c->err || !c->errlen)
                return -EINVAL;
        n = snprintf(c->err, c->errlen, "offset %zu: ", (size_t)(at - c->base));
        if (n >= 0 && (size_t)n < c->errlen) {
                va_start(ap, fmt);
                vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static int get(struct cur *c, uint64_t *v, const char *what)
{
        const uint8_t *at = c->p;
        if (ab_td_get_varint(&c->p, c->end, v) < 0)
                return fail(c, at, "%s: %s", what, at >= c->end ? "truncated" : "malformed varint");
        return 0;
}

/* A varint that must not exceed max. */
static int get_max(struct cur *c, uint64_t *v, uint64_t max, const char *what)
{
        const uint8_t *at = c->p;
        int r = get(c, v, what);
        if (r == 0 && *v > max)
                return fail(c, at, "%s %llu out of range (at most %llu)", what,
                            (unsigned long long)*v, (unsigned long long)max);
        return r;
}

static int get_bytes(struct cur *c, size_t n, const uint8_t **out, const char *what)
{
        if ((size_t)(c->end - c->p) < n)
                return fail(c, c->p, "%s: truncated (%zu bytes needed, %zu left)", what, n,
                            (size_t)(c->end - c->p));
        *out = c->p;
        c->p += n;
        return 0;
}

/* Each item of a section takes at least min_bytes: a count beyond what the
 * section can hold is refused before anything is allocated. */
static int check_count(struct cur *c, const uint8_t *at, uint64_t count, uint64_t limit,
                       size_t min_bytes, const char *what)
{
        if (count > limit)
                return fail(c, at, "%s count %llu out of range (at most %llu)", what,
                            (unsigned long long)count, (unsigned long long)limit);
        if (count * min_bytes > (uint64_t)(c->end - c->p))
                return fail(c, at, "%s count %llu needs more bytes than the section's %zu", what,
                            (unsigned long long)count, (size_t)(c->end - c->p));
        return 0;
}

static int parse_modules(struct cur *c, struct ab_tdump *d, uint64_t count, const uint8_t *at)
{
        int r = check_count(c, at, count, AB_TD_MAX_MODULES, 4, "module");
        if (r)
                return r;
        d->modules = calloc(count ? count : 1, sizeof *d->modules);
        if (!d->modules)
                return -ENOMEM;
        for (uint64_t i = 0; i < count; i++) {
                struct ab_tdump_module *m = &d->modules[i];
                uint64_t len;
                const uint8_t *b = NULL;
                if ((r = get_max(c, &len, AB_TD_PATH_MAX, "module path length")) ||
                    (r = get_bytes(c, len, &b, "module path")))
                        return r;
                m->path = malloc(len + 1);
                if (!m->path)
                        return -ENOMEM;
                d->nmodules = i + 1;
                memcpy(m->path, b, len);
                m->path[len] = '\0';
                if (memchr(m->path, '\0', len))
                        return fail(c, b, "module path holds a NUL byte");
                if ((r = get(c, &m->base, "module base")) || (r = get(c, &m->size, "module size")))
                        return r;
                if ((r = get_bytes(c, 1, &b, "build-id length")))
                        return r;
                if (*b > AB_TD_BUILDID_MAX)
                        return fail(c, b, "build-id length %u out of range (at most %d)", *b,
                                    AB_TD_BUILDID_MAX);
                m->build_id_len = *b;
                if ((r = get_bytes(c, m->build_id_len, &b, "build-id")))
                        return r;
                memcpy(m->build_id, b, m->build_id_len);
        }
        return 0;
}

static int parse_stacks(struct cur *c, struct ab_tdump *d, uint64_t count, const uint8_t *at)
{
        int r = check_count(c, at, count, AB_TD_MAX_SITES, 2, "stack");
        if (r)
                return r;
        if (count == 0)
                return fail(c, at, "no stacks (site 0 is always there)");
        d->stacks = calloc(count, sizeof *d->stacks);
        if (!d->stacks)
                return -ENOMEM;
        d->nstacks = count;
        for (uint64_t i = 0; i < count; i++) {
                struct ab_tdump_stack *s = &d->stacks[i];
                uint64_t depth, flags, v;
                const uint8_t *here = c->p;
                if ((r = get_max(c, &depth, AB_TD_DEPTH_MAX, "stack depth")) ||
                    (r = get_max(c, &flags, AB_TD_STACK_UNWIND | AB_TD_STACK_TRUNCATED,
                                 "stack flags")))
                        return r;
                if (i == 0 && depth != 0)
                        return fail(c, here, "site 0 must have no frames");
                if (depth > (uint64_t)(c->end - c->p))
                        return fail(c, here, "stack depth %llu needs more bytes than remain",
                                    (unsigned long long)depth);
                s->depth = (uint32_t)depth;
                s->flags = (uint32_t)flags;
                s->pcs = malloc((depth ? depth : 1) * sizeof *s->pcs);
                if (!s->pcs)
                        return -ENOMEM;
                for (uint64_t k = 0; k < depth; k++) {
                        if ((r = get(c, &v, "return address")))
                                return r;
                        s->pcs[k] = k ? s->pcs[k - 1] + (uint64_t)ab_td_unzigzag(v) : v;
                }
        }
        return 0;
}

static int parse_phases(struct cur *c, struct ab_tdump *d, uint64_t count, const uint8_t *at)
{
        int r = check_count(c, at, count, AB_TD_MAX_ROUNDS + 1, 2, "phase");
        if (r)
                return r;
        d->phases = calloc(count ? count : 1, sizeof *d->phases);
        if (!d->phases)
                return -ENOMEM;
        for (uint64_t i = 0; i < count; i++) {
                uint64_t first, len;
                const uint8_t *b = NULL;
                if ((r = get_max(c, &first, AB_TD_MAX_ROUNDS, "phase first round")) ||
                    (r = get_max(c, &len, AB_TD_NAME_MAX, "phase name length")) ||
                    (r = get_bytes(c, len, &b, "phase name")))
                        return r;
                d->phases[i].name = malloc(len + 1);
                if (!d->phases[i].name)
                        return -ENOMEM;
                d->nphases = i + 1;
                memcpy(d->phases[i].name, b, len);
                d->phases[i].name[len] = '\0';
                d->phases[i].first_round = (uint32_t)first;
        }
        return 0;
}

/* One record (site gap, mask, values) after prev_site; last[] holds each
 * site's previous values for REPEAT (NULL where REPEAT is not allowed). */
static int parse_rec(struct cur *c, struct ab_tdump *d, int64_t prev_site,
                     uint64_t (*last)[AB_TD_NFIELDS], struct ab_tdump_rec *rec)
{
        const uint8_t *at = c->p;
        uint64_t gap, mask, site;
        int r;

        if ((r = get(c, &gap, "record site")))
                return r;
        site = (uint64_t)(prev_site + 1) + gap;
        if (gap >= d->nstacks || site >= d->nstacks)
                return fail(c, at, "record site %llu out of range (%zu stacks)",
                            (unsigned long long)(prev_site + 1) + (unsigned long long)gap,
                            d->nstacks);
        rec->site = (uint32_t)site;
        at = c->p;
        if ((r = get(c, &mask, "record mask")))
                return r;
        if (mask == AB_TD_REPEAT && last) {
                memcpy(rec->v, last[site], sizeof rec->v);
                return 0;
        }
        if (mask >> AB_TD_NFIELDS)
                return fail(c, at, "record mask 0x%llx has unknown bits", (unsigned long long)mask);
        for (int f = 0; f < AB_TD_NFIELDS; f++) {
                rec->v[f] = 0;
                if ((mask & (1u << f)) && (r = get(c, &rec->v[f], "record value")))
                        return r;
        }
        if (last)
                memcpy(last[site], rec->v, sizeof rec->v);
        return 0;
}

static int parse_rounds(struct cur *c, struct ab_tdump *d, uint64_t count, const uint8_t *at)
{
        uint64_t(*last)[AB_TD_NFIELDS];
        int r = check_count(c, at, count, AB_TD_MAX_ROUNDS, 3, "round");
        if (r)
                return r;
        if (!d->stacks)
                return fail(c, at, "ROUNDS before STACKS");
        d->rounds = calloc(count ? count : 1, sizeof *d->rounds);
        last = calloc(d->nstacks, sizeof *last);
        if (!d->rounds || !last) {
                free(last);
                return -ENOMEM;
        }
        for (uint64_t i = 0; i < count && !r; i++) {
                struct ab_tdump_round *rd = &d->rounds[i];
                uint64_t phase, nrecs;
                const uint8_t *here;
                d->nrounds = i + 1;
                if ((r = get(c, &rd->end_us, "round end time")) ||
                    (r = get_max(c, &phase, d->nphases, "round phase")))
                        break;
                here = c->p;
                if ((r = get(c, &nrecs, "round record count")) ||
                    (r = check_count(c, here, nrecs, d->nstacks, 2, "round record")))
                        break;
                rd->phase = (uint32_t)phase;
                rd->recs = calloc(nrecs ? nrecs : 1, sizeof *rd->recs);
                if (!rd->recs) {
                        r = -ENOMEM;
                        break;
                }
                for (uint64_t k = 0; k < nrecs && !r; k++) {
                        r = parse_rec(c, d, k ? (int64_t)rd->recs[k - 1].site : -1, last,
                                      &rd->recs[k]);
                        if (!r)
                                rd->nrecs = (uint32_t)(k + 1);
                }
        }
        free(last);
        return r;
}

static int parse_totals(struct cur *c, struct ab_tdump *d, uint64_t count, const uint8_t *at)
{
        int r = check_count(c, at, count, d->nstacks, 2, "total");
        if (r)
                return r;
        if (!d->stacks)
                return fail(c, at, "TOTALS before STACKS");
        d->totals = calloc(count ? count : 1, sizeof *d->totals);
        if (!d->totals)
                return -ENOMEM;
        for (uint64_t k = 0; k < count; k++) {
                r = parse_rec(c, d, k ? (int64_t)d->totals[k - 1].site : -1, NULL, &d->totals[k]);
                if (r)
                        return r;
                d->ntotals = k + 1;
        }
        return 0;
}

static int parse_self(struct cur *c, struct ab_tdump *d, uint64_t count, const uint8_t *at)
{
        int r = check_count(c, at, count, 1u << 16, 2, "self pair");
        for (uint64_t k = 0; k < count && !r; k++) {
                uint64_t key, v;
                if (!(r = get(c, &key, "self key")) && !(r = get(c, &v, "self value")) &&
                    key < AB_TD_SELF_MAX)
                        d->self[key] = v;
        }
        return r;
}

static int parse_header(struct cur *c, struct ab_tdump *d, uint32_t *nsec)
{
        const uint8_t *h = c->base;
        size_t len = (size_t)(c->end - c->base);
        if (len < 8 || memcmp(h, AB_TD_MAGIC, 8) != 0)
                return fail(c, h,
                            len < 8 ? "truncated before the magic"
                                    : "bad magic (not an allocbench trace dump)");
        if (len < AB_TD_HEADER_SIZE)
                return fail(c, h + len, "header truncated (%zu of %d bytes)", len,
                            AB_TD_HEADER_SIZE);
        d->version = (uint32_t)ab_td_get_le(h + 8, 2);
        if (d->version != AB_TD_VERSION)
                return fail(c, h + 8, "version %u not supported (this reader reads %d)", d->version,
                            AB_TD_VERSION);
        if (ab_td_get_le(h + 10, 2) != AB_TD_HEADER_SIZE)
                return fail(c, h + 10, "header size %u, expected %d",
                            (unsigned)ab_td_get_le(h + 10, 2), AB_TD_HEADER_SIZE);
        d->flags = (uint32_t)ab_td_get_le(h + 12, 4);
        d->pid = (uint32_t)ab_td_get_le(h + 16, 4);
        d->ppid = (uint32_t)ab_td_get_le(h + 20, 4);
        d->sample_bytes = ab_td_get_le(h + 24, 8);
        d->big_bytes = ab_td_get_le(h + 32, 8);
        d->depth = (uint32_t)ab_td_get_le(h + 40, 4);
        *nsec = (uint32_t)ab_td_get_le(h + 44, 4);
        d->start_real_ns = ab_td_get_le(h + 48, 8);
        d->duration_ns = ab_td_get_le(h + 56, 8);
        d->file_size = ab_td_get_le(h + 64, 8);
        if (d->depth > AB_TD_DEPTH_MAX)
                return fail(c, h + 40, "depth %u out of range (at most %d)", d->depth,
                            AB_TD_DEPTH_MAX);
        if (d->file_size != len)
                return fail(c, h + len, "file is %zu bytes, header says %llu (%s)", len,
                            (unsigned long long)d->file_size,
                            d->file_size > len ? "truncated" : "trailing bytes");
        if (*nsec < 1 || *nsec > 64)
                return fail(c, h + 44, "section count %u out of range (1 to 64)", *nsec);
        c->p = h + AB_TD_HEADER_SIZE;
        return 0;
}

int ab_tdump_parse(const uint8_t *buf, size_t len, struct ab_tdump *d, char *err, size_t errlen)
{
        struct cur c = {buf, buf, buf + len, err, errlen};
        uint32_t nsec = 0, seen = 0;
        int r;

        memset(d, 0, sizeof *d);
        if (err && errlen)
                err[0] = '\0';
        if ((r = parse_header(&c, d, &nsec)))
                return r;
        for (uint32_t i = 0; i < nsec; i++) {
                const uint8_t *at = c.p, *body;
                uint32_t tag, count;
                uint64_t slen;
                struct cur s;
                if ((size_t)(c.end - c.p) < AB_TD_SECTION_HDR)
                        return fail(&c, c.p, "section header truncated (section %u of %u)", i + 1,
                                    nsec);
                tag = (uint32_t)ab_td_get_le(c.p, 4);
                count = (uint32_t)ab_td_get_le(c.p + 4, 4);
                slen = ab_td_get_le(c.p + 8, 8);
                body = c.p + AB_TD_SECTION_HDR;
                if (slen > (uint64_t)(c.end - body))
                        return fail(&c, at + 8, "section length %llu runs past the end (%zu left)",
                                    (unsigned long long)slen, (size_t)(c.end - body));
                s = (struct cur){buf, body, body + slen, err, errlen};
                if (tag == AB_TD_END) {
                        if (i + 1 != nsec || slen || count)
                                return fail(&c, at, "END section must be last and empty");
                        if (body != c.end)
                                return fail(&c, body, "bytes after the END section");
                        if ((seen & 0x36) != 0x36)
                                return fail(&c, at,
                                            "missing section(s): need MODULES, "
                                            "STACKS, ROUNDS and TOTALS");
                        return 0;
                }
                if (tag >= AB_TD_MODULES && tag <= AB_TD_SELF) {
                        if (seen & (1u << tag))
                                return fail(&c, at, "section %u appears twice", tag);
                        seen |= 1u << tag;
                }
                switch (tag) {
                case AB_TD_MODULES:
                        r = parse_modules(&s, d, count, at + 4);
                        break;
                case AB_TD_STACKS:
                        r = parse_stacks(&s, d, count, at + 4);
                        break;
                case AB_TD_PHASES:
                        r = parse_phases(&s, d, count, at + 4);
                        break;
                case AB_TD_ROUNDS:
                        r = parse_rounds(&s, d, count, at + 4);
                        break;
                case AB_TD_TOTALS:
                        r = parse_totals(&s, d, count, at + 4);
                        break;
                case AB_TD_SELF:
                        r = parse_self(&s, d, count, at + 4);
                        break;
                default:
                        s.p = s.end; /* a later version's section: skipped */
                        break;
                }
                if (r)
                        return r;
                if (s.p != s.end)
                        return fail(&c, s.p, "%zu unread bytes at the end of section %u",
                                    (size_t)(s.end - s.p), tag);
                c.p = s.end;
        }
        return fail(&c, c.p, "no END section");
}

int ab_tdump_read(const char *path, struct ab_tdump *d, char *err, size_t errlen)
{
        struct stat st;
        uint8_t *buf;
        size_t got = 0;
        int fd, r;

        memset(d, 0, sizeof *d);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) != 0) {
                r = -errno;
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return r;
        }
        buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        while (got < (size_t)st.st_size) {
                ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        close(fd);
        r = ab_tdump_parse(buf, got, d, err, errlen);
        free(buf);
        return r;
}

void ab_tdump_free(struct ab_tdump *d)
{
        for (size_t i = 0; i < d->nmodules; i++)
                free(d->modules[i].path);
        for (size_t i = 0; i < d->nstacks; i++)
                free(d->stacks[i].pcs);
        for (size_t i = 0; i < d->nphases; i++)
                free(d->phases[i].name);
        for (size_t i = 0; i < d->nrounds; i++)
                free(d->rounds[i].recs);
        free(d->modules);
        free(d->stacks);
        free(d->phases);
        free(d->rounds);
        free(d->totals);
        memset(d, 0, sizeof *d);
}
