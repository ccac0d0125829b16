/*
 * tr_modules.c - the module map: which address ranges hold code, so the
 * frame-pointer walk can tell a return address from stack garbage, and
 * which files were loaded where (with their build-ids), so bench can
 * symbolise the dump offline.
 *
 * Two structures. The code ranges are a sorted array rebuilt from
 * dl_iterate_phdr on a refresh and published by pointer (readers never
 * lock; an old array is kept mapped, since a walker may still be reading it,
 * and refreshes are rare). The module list is append-only: a library that
 * was dlclose'd still appears in the dump, so its old stacks symbolise.
 *
 * A refresh happens at start, when a new site holds an address outside
 * every known range (a library dlopen'd since), and before the dump.
 * Callers hold the guard (tr_tls.guard): dl_iterate_phdr may take ld.so
 * locks but does not allocate.
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "tracer.h"

struct mod {
        uint64_t base, size;
        uint32_t path_off, path_len;
        uint8_t bid_len;
        uint8_t bid[AB_TD_BUILDID_MAX];
};

struct tr_ranges *tr_cur_ranges; /* published with release stores */
#define cur tr_cur_ranges
static struct tr_lock mod_lock; /* refreshes and the module list */
static struct mod *mods;
static size_t nmods, mods_cap;
static struct tr_buf paths;
static unsigned long long seen_adds, seen_subs;

static void build_id(struct dl_phdr_info *info, struct mod *m)
{
        for (int i = 0; i < info->dlpi_phnum; i++) {
                const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
                const uint8_t *p, *end;
                if (ph->p_type != PT_NOTE)
                        continue;
                p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
                end = p + ph->p_memsz;
                while (p + sizeof(ElfW(Nhdr)) <= end) {
                        const ElfW(Nhdr) *nh = (const void *)p;
                        size_t nsz = (nh->n_namesz + 3) & ~3u, dsz = (nh->n_descsz + 3) & ~3u;
                        const uint8_t *name = p + sizeof *nh;
                        if (name + nsz + dsz > end)
                                break;
                        if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
                            memcmp(name, "GNU", 4) == 0 && nh->n_descsz <= AB_TD_BUILDID_MAX) {
                                m->bid_len = (uint8_t)nh->n_descsz;
                                memcpy(m->bid, name + nsz, nh->n_descsz);
                                return;
                        }
                        p = name + nsz + dsz;
                }
        }
}

static void add_module(struct dl_phdr_info *info, uintptr_t lo_vaddr, uintptr_t hi_vaddr)
{
        char exe[4096];
        const char *path = info->dlpi_name ? info->dlpi_name : "";
        size_t len;
        struct mod *m;

        if (!*path && nmods == 0) {
                /* The executable itself comes first, without a name. */
                ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
                exe[n > 0 ? n : 0] = '\0';
                path = exe;
        }
        len = strlen(path);
        for (size_t i = 0; i < nmods; i++)
                if (mods[i].base == info->dlpi_addr && mods[i].path_len == len &&
                    memcmp(paths.p + mods[i].path_off, path, len) == 0)
                        return;
        if (nmods == mods_cap) {
                size_t ncap = mods_cap ? mods_cap * 2 : 64;
                struct mod *nm = tr_remap(mods, mods_cap * sizeof *mods, ncap * sizeof *mods);
                if (!nm)
                        return;
                mods = nm;
                mods_cap = ncap;
        }
        m = &mods[nmods];
        memset(m, 0, sizeof *m);
        m->base = info->dlpi_addr;
        m->size = hi_vaddr; /* [base, base + size) covers every segment */
        (void)lo_vaddr;
        m->path_off = (uint32_t)paths.len;
        m->path_len = (uint32_t)(len > AB_TD_PATH_MAX ? AB_TD_PATH_MAX : len);
        tr_buf_put(&paths, path, m->path_len);
        if (paths.failed)
                return;
        build_id(info, m);
        nmods++;
}

struct scan {
        struct tr_ranges *rs;
        bool failed;
};

static int scan_one(struct dl_phdr_info *info, size_t size, void *arg)
{
        struct scan *sc = arg;
        uintptr_t lo = UINTPTR_MAX, hi = 0;
        bool is_libc;
        (void)size;

        is_libc = info->dlpi_name && strstr(info->dlpi_name, "/libc.so.6");
        for (int i = 0; i < info->dlpi_phnum; i++) {
                const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
                uintptr_t a, b;
                if (ph->p_type != PT_LOAD)
                        continue;
                if (ph->p_vaddr < lo)
                        lo = ph->p_vaddr;
                if (ph->p_vaddr + ph->p_memsz > hi)
                        hi = ph->p_vaddr + ph->p_memsz;
                if (!(ph->p_flags & PF_X))
                        continue;
                a = info->dlpi_addr + ph->p_vaddr;
                b = a + ph->p_memsz;
                if ((uintptr_t)&scan_one >= a && (uintptr_t)&scan_one < b) {
                        sc->rs->self_lo = a;
                        sc->rs->self_hi = b;
                }
                if (is_libc) {
                        sc->rs->libc_lo = a;
                        sc->rs->libc_hi = b;
                }
                if (sc->rs->n == sc->rs->cap) {
                        sc->failed = true;
                        continue;
                }
                sc->rs->r[sc->rs->n++] = (struct tr_range){a, b};
        }
        if (lo < hi)
                add_module(info, lo, hi);
        return 0;
}

static int peek_counts(struct dl_phdr_info *info, size_t size, void *arg)
{
        (void)size;
        (void)arg;
        return info->dlpi_adds == seen_adds && info->dlpi_subs == seen_subs ? 1 : 2;
}

static int cmp_range(const void *a, const void *b)
{
        const struct tr_range *x = a, *y = b;
        return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void sort_ranges(struct tr_ranges *rs)
{
        /* insertion sort: a few hundred entries at most, no libc qsort
         * (which may allocate) */
        for (size_t i = 1; i < rs->n; i++) {
                struct tr_range x = rs->r[i];
                size_t j = i;
                while (j > 0 && cmp_range(&rs->r[j - 1], &x) > 0) {
                        rs->r[j] = rs->r[j - 1];
                        j--;
                }
                rs->r[j] = x;
        }
}

static int note_counts(struct dl_phdr_info *info, size_t size, void *arg)
{
        (void)size;
        (void)arg;
        seen_adds = info->dlpi_adds;
        seen_subs = info->dlpi_subs;
        return 1;
}

/* Rebuilds the code ranges when a library was loaded or unloaded since the
 * last look (or always, with force). */
int tr_modules_refresh(bool force)
{
        size_t cap = cur ? cur->cap : 256;
        struct scan sc;

        tr_lock(&mod_lock);
        if (!force && cur && dl_iterate_phdr(peek_counts, NULL) == 1) {
                tr_unlock(&mod_lock);
                return 0;
        }
        for (;;) {
                sc.rs = tr_map(sizeof *sc.rs + cap * sizeof(struct tr_range));
                sc.failed = false;
                if (!sc.rs) {
                        tr_unlock(&mod_lock);
                        return -1;
                }
                sc.rs->cap = cap;
                dl_iterate_phdr(scan_one, &sc);
                if (!sc.failed)
                        break;
                tr_unmap(sc.rs, sizeof *sc.rs + cap * sizeof(struct tr_range));
                cap *= 4;
        }
        dl_iterate_phdr(note_counts, NULL);
        sort_ranges(sc.rs);
        /* The old array stays mapped: a walker may be reading it now. */
        __atomic_store_n(&cur, sc.rs, __ATOMIC_RELEASE);
        tr_unlock(&mod_lock);
        return 0;
}

static __thread size_t hint[2] __attribute__((tls_model("initial-exec")));

bool tr_text_has(uintptr_t pc)
{
        struct tr_ranges *rs = __atomic_load_n(&cur, __ATOMIC_ACQUIRE);
        return rs && tr_ranges_has(rs, pc, hint);
}

bool tr_text_self(uintptr_t pc)
{
        struct tr_ranges *rs = __atomic_load_n(&cur, __ATOMIC_ACQUIRE);
        return rs && pc >= rs->self_lo && pc < rs->self_hi;
}

void tr_modules_lock(void)
{
        tr_lock(&mod_lock);
}

void tr_modules_unlock(void)
{
        tr_unlock(&mod_lock);
}

/* The MODULES body; the caller holds the module lock. */
size_t tr_modules_encode(struct tr_buf *b)
{
        for (size_t i = 0; i < nmods; i++) {
                const struct mod *m = &mods[i];
                tr_buf_varint(b, m->path_len);
                tr_buf_put(b, paths.p + m->path_off, m->path_len);
                tr_buf_varint(b, m->base);
                tr_buf_varint(b, m->size);
                tr_buf_put(b, &m->bid_len, 1);
                tr_buf_put(b, m->bid, m->bid_len);
        }
        return nmods;
}
