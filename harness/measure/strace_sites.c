/*
 * strace_sites.c - --syscalls with --trace: the strace pass runs with -k,
 * and its log names the stack of every memory call. Here the region's mmap,
 * munmap, mremap and mprotect are attributed to the code that asked for the
 * memory, under the key trace/sites.h builds for the tracer's stacks.
 *
 * Why: glibc's malloc maps its arenas through internal aliases that never
 * reach an interposed mmap, so the tracer cannot see them; strace sees every
 * system call, whoever makes it.
 *
 * The log, as strace 6.1 writes it with -f -k: a call's line ("PID
 * mmap(...) = 0x...", or an "<unfinished ...>" line and later its "<...
 * mmap resumed>) = ..." line) is followed, once the call returned, by its
 * stack, innermost first:
 *     > /usr/lib/x86_64-linux-gnu/libc.so.6(__mmap+0x13) [0x1019b3]
 *     > /path/module() [0x4e79]              (no symbol)
 *     > backtracing_error [0x...]            (strace could not unwind)
 * The address in brackets is relative to the module's lowest mapping (its
 * ELF address for the usual objects): a return address, or for the
 * innermost frame the instruction after the system call.
 *
 * strace names frames from the dynamic symbol table only, so glibc's static
 * malloc internals (new_heap, arena_get2, ...) come out as the nearest
 * exported symbol (timer_settime+0x1125). The frames are therefore named
 * again here with trace/symbols.h (libdw: the debug information where the
 * machine has it, inline expansion, file and line), each module at a
 * made-up load bias of its own; strace's name is kept only for a module
 * whose file libdw cannot read.
 * Which frames a key leaves out is ab_site_dropped()'s rule plus, for the
 * stacks of system calls, glibc's mmap wrappers and malloc internals; and,
 * since those may still carry a wrong name without debug information, every
 * libc frame inside the outermost malloc-family frame of the innermost run
 * of libc frames (malloc, free, ... are exported: their names are right).
 *
 * Counted as the tracer counts (trace/tr_mmap.c), successful calls only:
 * mmap and mremap are map_calls; mmap lengths and mremap growth map_bytes,
 * PROT_NONE mmap lengths also reserve_bytes; munmap is unmap_calls, its
 * lengths and mremap shrinkage unmap_bytes; mprotect to an accessible
 * protection commit_calls and commit_bytes. A call counts when its first
 * line lies between the region markers, as ab_strace_parse() counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "measure/account.h"
#include "trace/dump.h"
#include "trace/sites.h"
#include "trace/symbols.h"
#include "workload.h"

#define KEY_FRAMES   6            /* as ab_sites_load() keys the tracer's stacks */
#define SHOWN_FRAMES 12           /* frames a site shows, as trace_pass.c shows them */
#define MAX_RAW      128          /* a stack's frames read from the log */
#define MAX_X        64           /* frames named (inlines expanded) per stack */
#define MAX_INL      8            /* entries one address expands to */
#define MOD_SPAN     (1ull << 40) /* address space of one module's made-up bias */

enum kind { K_OTHER, K_MMAP, K_MUNMAP, K_MREMAP, K_MPROTECT };

/* A call from its first line until its stack has been read. */
struct call {
        enum kind kind;
        bool in;            /* its first line lay inside the region */
        uint64_t len, len2; /* length; mremap: old and new length */
        bool prot_none, prot_access;
};

struct pending {
        int pid;
        struct call c;
};

/* A module of the log: its path, at a made-up load bias for libdw. */
struct module {
        char *path;
        char key_name[256]; /* as keys name it: "libc.so" */
        uint64_t low;       /* lowest mapped ELF address: the log's addresses start there */
        bool elf;           /* readable as ELF: libdw names its frames, not strace */
};

/* A looked-up (module, address): libdw's names; strace's only for a module
 * libdw cannot read (where libdw reads the file but finds no symbol, strace
 * would give the nearest exported one, a wrong name, and the tracer's key
 * says "?": so does this one). */
struct cent {
        int mod;
        uint64_t addr;
        int n; /* entries in sym; 0: slot free */
        struct ab_sym sym[MAX_INL];
        char *fallback;      /* strace's name without parameters, or NULL */
        char *fallback_full; /* strace's name as printed, or NULL */
};

/* A frame as a key and a site's frames see it. */
struct xframe {
        const char *module;   /* key name */
        const char *path;     /* the module's path */
        const char *name;     /* without parameters; NULL unknown */
        const char *function; /* as shown; never NULL */
        const char *file;
        uint32_t line;
        bool inlined, dropped;
};

struct site {
        char *key;
        struct ab_site_totals t;
        size_t stacks;
        uint64_t rep_bytes; /* bytes of the call whose stack `frames` shows */
        json_t *frames;
};

struct ctx {
        const char *const *drop;
        struct module *mods;
        size_t nmods;
        struct ab_tdump_module *tm; /* the same, as symbols.h takes them */
        struct ab_symbols *sym;
        struct cent *cache;
        size_t ccap, cn;
        struct site *sites;
        size_t nsites, capsites;
        uint64_t *stacks; /* hashes of the stacks seen (open addressing, 0 free) */
        size_t stcap, stn;
        struct pending *pend;
        size_t npend, cappend;
        bool in, begin_seen, end_seen;
        /* the call whose stack lines come next */
        bool have_cur;
        struct call cur;
        size_t nraw;
        struct {
                int mod;
                uint64_t addr;
                char *sym; /* strace's name, or NULL */
        } raw[MAX_RAW];
};

static bool has_prefix(const char *s, const char *p)
{
        return strncmp(s, p, strlen(p)) == 0;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
        return (h ^ v) * 0x100000001b3ull;
}

/* ---- the log's lines ------------------------------------------------------------ */

/* A stack line " > PATH(SYM+0xOFF) [0xADDR]": the path, strace's symbol
 * ("" none) and the address. false for other lines and for frames strace
 * could not name a module of. */
static bool stack_line(char *line, char **path, char **sym, uint64_t *addr)
{
        char *p = line, *br, *open;
        while (*p == ' ')
                p++;
        if (p[0] != '>' || p[1] != ' ')
                return false;
        p += 2;
        br = strstr(p, " [0x");
        if (!br || br == p || br[-1] != ')')
                return false; /* an unwinding error: no module */
        *addr = strtoull(br + 2, NULL, 16);
        br[-1] = '\0';
        open = strchr(p, '(');
        if (!open)
                return false;
        *open = '\0';
        *path = p;
        *sym = open + 1;
        /* "name+0xOFF" (the name may hold '+' itself: C++ operators) */
        if ((p = strstr(*sym, "+0x")) != NULL) {
                char *q;
                while ((q = strstr(p + 1, "+0x")) != NULL)
                        p = q;
                *p = '\0';
        }
        return true;
}

/* "PID name(" or "PID <... name resumed>": the pid and name; returns where
 * the name ends (the call's text), or NULL for a line that is not a call. */
static const char *call_line(const char *line, int *pid, char *name, size_t cap, bool *resumed)
{
        const char *p = line;
        size_t k = 0;
        while (*p == ' ')
                p++;
        *pid = 0;
        while (*p >= '0' && *p <= '9')
                *pid = *pid * 10 + (*p++ - '0');
        while (*p == ' ')
                p++;
        *resumed = strncmp(p, "<... ", 5) == 0;
        if (*resumed)
                p += 5;
        while (k + 1 < cap && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
                name[k++] = *p++;
        name[k] = '\0';
        return k ? p : NULL;
}

/* The protection argument: PROT_NONE, or accessible (READ, WRITE, EXEC). */
static void prot_of(const char *arg, struct call *c)
{
        size_t n = arg ? strcspn(arg, ",)") : 0;
        char text[128];
        snprintf(text, sizeof text, "%.*s", (int)n, arg ? arg : "");
        if (text[0] >= '0' && text[0] <= '9') { /* strace printed a number */
                unsigned long v = strtoul(text, NULL, 0);
                c->prot_none = v == 0;
                c->prot_access = (v & 7) != 0;
                return;
        }
        c->prot_none = strcmp(text, "PROT_NONE") == 0;
        c->prot_access =
            strstr(text, "PROT_READ") || strstr(text, "PROT_WRITE") || strstr(text, "PROT_EXEC");
}

/* A call's kind and arguments from its first line (text from its name on). */
static void call_args(const char *name, const char *text, struct call *c)
{
        const char *a;
        memset(c, 0, sizeof *c);
        if (strcmp(name, "mmap") == 0)
                c->kind = K_MMAP;
        else if (strcmp(name, "munmap") == 0)
                c->kind = K_MUNMAP;
        else if (strcmp(name, "mremap") == 0)
                c->kind = K_MREMAP;
        else if (strcmp(name, "mprotect") == 0)
                c->kind = K_MPROTECT;
        if (c->kind == K_OTHER)
                return;
        a = ab_strace_arg(text, 1);
        c->len = a ? strtoull(a, NULL, 0) : 0;
        if (c->kind == K_MREMAP) {
                a = ab_strace_arg(text, 2);
                c->len2 = a ? strtoull(a, NULL, 0) : 0;
        } else if (c->kind == K_MMAP || c->kind == K_MPROTECT) {
                prot_of(ab_strace_arg(text, 2), c);
        }
}

/* Whether the call the line ends returned success: " = -1 E..." and
 * " = ?" did not. */
static bool call_ok(const char *line)
{
        const char *eq = NULL;
        for (const char *p = strstr(line, " = "); p; p = strstr(p + 1, " = "))
                eq = p;
        return eq && eq[3] != '-' && eq[3] != '?';
}

/* ---- modules and names ---------------------------------------------------------- */

static int module_index(struct ctx *c, const char *path)
{
        struct module *nm;
        for (size_t i = 0; i < c->nmods; i++)
                if (strcmp(c->mods[i].path, path) == 0)
                        return (int)i;
        if (!(nm = realloc(c->mods, (c->nmods + 1) * sizeof *nm)))
                return -1;
        c->mods = nm;
        memset(&nm[c->nmods], 0, sizeof *nm);
        if (!(nm[c->nmods].path = strdup(path)))
                return -1;
        ab_site_module_name(path, nm[c->nmods].key_name, sizeof nm[c->nmods].key_name);
        return (int)c->nmods++;
}

/* The lowest address a module maps (where the log's addresses count from)
 * and whether it is a fixed-address executable (ET_EXEC: addresses are
 * absolute). false when the file cannot be read as ELF. */
static bool elf_layout(const char *path, uint64_t *low, bool *exec)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        Elf *e;
        GElf_Ehdr eh;
        size_t n = 0;
        bool ok = false;
        *low = 0;
        *exec = false;
        if (fd < 0)
                return false;
        elf_version(EV_CURRENT);
        if ((e = elf_begin(fd, ELF_C_READ, NULL)) && gelf_getehdr(e, &eh) &&
            elf_getphdrnum(e, &n) == 0) {
                *exec = eh.e_type == ET_EXEC;
                for (size_t i = 0; i < n; i++) {
                        GElf_Phdr ph;
                        if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
                                continue;
                        *low = ph.p_vaddr & ~(ph.p_align ? ph.p_align - 1 : 0);
                        break;
                }
                ok = true;
        }
        if (e)
                elf_end(e);
        close(fd);
        return ok;
}

/* The modules as symbols.h takes them: each at a bias of its own (an
 * executable at its fixed addresses), so their addresses never overlap. */
static int open_symbols(struct ctx *c)
{
        if (!(c->tm = calloc(c->nmods ? c->nmods : 1, sizeof *c->tm)))
                return -ENOMEM;
        for (size_t i = 0; i < c->nmods; i++) {
                bool exec = false;
                uint64_t low = 0;
                c->mods[i].elf = elf_layout(c->mods[i].path, &low, &exec);
                c->mods[i].low = exec ? 0 : low;
                c->tm[i].path = c->mods[i].path;
                c->tm[i].base = exec ? 0 : (uint64_t)(i + 1) * MOD_SPAN;
                c->tm[i].size = MOD_SPAN;
        }
        return ab_symbols_open(c->tm, c->nmods, &c->sym);
}

static void set_fallback(struct cent *e, const char *sym)
{
        char buf[1024];
        if (!sym || !*sym)
                return;
        e->fallback_full = strdup(sym);
        e->fallback = strdup(ab_symbols_base_name(sym, buf, sizeof buf));
}

/* The names of (mod, addr), looked up once. */
static const struct cent *lookup(struct ctx *c, int mod, uint64_t addr, const char *sym)
{
        size_t i;
        if (c->cn * 2 >= c->ccap) {
                size_t ncap = c->ccap ? c->ccap * 2 : 512;
                struct cent *nc = calloc(ncap, sizeof *nc);
                if (!nc)
                        return NULL;
                for (size_t k = 0; k < c->ccap; k++) {
                        if (!c->cache[k].n)
                                continue;
                        i = mix(mix(0, (uint64_t)c->cache[k].mod), c->cache[k].addr) & (ncap - 1);
                        for (; nc[i].n; i = (i + 1) & (ncap - 1))
                                ;
                        nc[i] = c->cache[k];
                }
                free(c->cache);
                c->cache = nc;
                c->ccap = ncap;
        }
        i = mix(mix(0, (uint64_t)mod), addr) & (c->ccap - 1);
        for (; c->cache[i].n; i = (i + 1) & (c->ccap - 1))
                if (c->cache[i].mod == mod && c->cache[i].addr == addr)
                        return &c->cache[i];
        c->cache[i].mod = mod;
        c->cache[i].addr = addr;
        /* a return address (innermost: after the syscall instruction), as
         * the tracer records them: symbols.h looks up pc - 1, in the call */
        c->cache[i].n = ab_symbols_lookup(c->sym, c->tm[mod].base + c->mods[mod].low + addr, true,
                                          c->cache[i].sym, MAX_INL);
        if (c->cache[i].n < 1)
                c->cache[i].n = 1;
        if (!c->mods[mod].elf)
                set_fallback(&c->cache[i], sym);
        c->cn++;
        return &c->cache[i];
}

/* ---- which frames a key leaves out ------------------------------------------------ */

static bool in_libc(const char *module)
{
        return strcmp(module, "libc.so") == 0 || has_prefix(module, "ld-linux");
}

/* Whether name (glibc's internal "__GI_" alias prefix aside) is in list,
 * names between '|'. */
static bool listed(const char *list, const char *name)
{
        char bar[256];
        if (has_prefix(name, "__GI_"))
                name += 5;
        snprintf(bar, sizeof bar, "|%s|", name);
        return strstr(list, bar) != NULL;
}

/* glibc's system call wrappers for the calls counted here. */
static bool syscall_wrapper(const char *n)
{
        return listed("|mmap|mmap64|__mmap|__mmap64|munmap|__munmap|mremap|__mremap|mprotect|"
                      "__mprotect|syscall|",
                      n);
}

/* glibc's malloc internals that map, unmap or protect memory, beyond the
 * malloc family ab_site_dropped() knows (which never sees them: they are
 * below the interposed functions the tracer's stacks start at). */
static bool malloc_internal(const char *n)
{
        return listed("|new_heap|alloc_new_heap|grow_heap|shrink_heap|heap_trim|systrim|"
                      "arena_get2|arena_get_retry|reused_arena|get_free_list|ptmalloc_init|"
                      "malloc_hook_ini|munmap_chunk|mremap_chunk|mtrim|malloc_trim|__malloc_trim|"
                      "arena_thread_freeres|__malloc_arena_thread_freeres|__default_morecore|"
                      "__glibc_morecore|sysmalloc_mmap|sysmalloc_mmap_fallback|",
                      n);
}

/* Marks the frames a key leaves out (see the top of the file). */
static void mark_dropped(struct xframe *x, size_t n, const char *const *drop)
{
        size_t run = 0, cut = 0;
        while (run < n && in_libc(x[run].module))
                run++;
        for (size_t i = 0; i < run; i++)
                if (x[i].name &&
                    (ab_site_dropped(x[i].module, x[i].name, drop) || malloc_internal(x[i].name)))
                        cut = i + 1;
        for (size_t i = 0; i < n; i++)
                x[i].dropped = i < cut || ab_site_dropped(x[i].module, x[i].name, drop) ||
                               (in_libc(x[i].module) && x[i].name &&
                                (syscall_wrapper(x[i].name) || malloc_internal(x[i].name)));
}

/* The current call's stack, named, inlines expanded: into x, returns how
 * many (at most MAX_X), or -1 out of memory. */
static int name_stack(struct ctx *c, struct xframe *x)
{
        size_t n = 0;
        for (size_t f = 0; f < c->nraw && n < MAX_X; f++) {
                const struct module *m = &c->mods[c->raw[f].mod];
                const struct cent *e = lookup(c, c->raw[f].mod, c->raw[f].addr, c->raw[f].sym);
                if (!e)
                        return -1;
                for (int i = 0; i < e->n && n < MAX_X; i++) {
                        const struct ab_sym *y = &e->sym[i];
                        bool holder = i == e->n - 1; /* the function that holds the code */
                        x[n].module = m->key_name;
                        x[n].path = m->path;
                        x[n].name = y->name ? y->name : holder ? e->fallback : NULL;
                        x[n].function = y->function                  ? y->function
                                        : holder && e->fallback_full ? e->fallback_full
                                                                     : "?";
                        x[n].file = y->file;
                        x[n].line = y->line;
                        x[n].inlined = y->inlined;
                        n++;
                }
        }
        mark_dropped(x, n, c->drop);
        return (int)n;
}

/* ---- sites -------------------------------------------------------------------------- */

static int site_index(struct ctx *c, const char *key)
{
        struct site *ns;
        for (size_t i = 0; i < c->nsites; i++)
                if (strcmp(c->sites[i].key, key) == 0)
                        return (int)i;
        if (c->nsites == c->capsites) {
                size_t cap = c->capsites ? c->capsites * 2 : 16;
                if (!(ns = realloc(c->sites, cap * sizeof *ns)))
                        return -1;
                c->sites = ns;
                c->capsites = cap;
        }
        memset(&c->sites[c->nsites], 0, sizeof *c->sites);
        if (!(c->sites[c->nsites].key = strdup(key)))
                return -1;
        return (int)c->nsites++;
}

/* Whether the current call's stack is one not seen before. */
static int new_stack(struct ctx *c)
{
        uint64_t h = 0xcbf29ce484222325ull;
        size_t i;
        for (size_t f = 0; f < c->nraw; f++)
                h = mix(mix(h, (uint64_t)c->raw[f].mod), c->raw[f].addr);
        h |= 1; /* 0 marks a free slot */
        if (c->stn * 2 >= c->stcap) {
                size_t ncap = c->stcap ? c->stcap * 2 : 256;
                uint64_t *ns = calloc(ncap, sizeof *ns);
                if (!ns)
                        return -1;
                for (size_t k = 0; k < c->stcap; k++) {
                        if (!c->stacks[k])
                                continue;
                        for (i = c->stacks[k] & (ncap - 1); ns[i]; i = (i + 1) & (ncap - 1))
                                ;
                        ns[i] = c->stacks[k];
                }
                free(c->stacks);
                c->stacks = ns;
                c->stcap = ncap;
        }
        for (i = h & (c->stcap - 1); c->stacks[i]; i = (i + 1) & (c->stcap - 1))
                if (c->stacks[i] == h)
                        return 0;
        c->stacks[i] = h;
        c->stn++;
        return 1;
}

/* The frames a site shows: those of the key and a few more, as trace_pass.c
 * shows the tracer's (an inlined scope named as its holder: one frame). */
static json_t *frames_json(const struct xframe *x, size_t n)
{
        json_t *a = json_array();
        size_t shown = 0;
        for (size_t i = 0; i < n && shown < SHOWN_FRAMES; i++) {
                const char *b = strrchr(x[i].path, '/');
                if (x[i].dropped)
                        continue;
                if (i > 0 && !x[i - 1].dropped && strcmp(x[i - 1].function, x[i].function) == 0)
                        continue;
                shown++;
                json_array_append_new(
                    a,
                    json_pack("{s:s,s:s?,s:o,s:s,s:b}", "function", x[i].function, "file",
                              x[i].file, "line", x[i].line ? json_integer(x[i].line) : json_null(),
                              "module", b ? b + 1 : x[i].path, "inlined", x[i].inlined));
        }
        return a;
}

/* The current call, its stack read: counted on its site. */
static int take_call(struct ctx *c)
{
        const struct call *k = &c->cur;
        struct xframe x[MAX_X];
        struct ab_site_key key;
        struct site *s;
        uint64_t bytes;
        int n, idx, fresh;

        if ((n = name_stack(c, x)) < 0)
                return -ENOMEM;
        memset(&key, 0, sizeof key);
        for (int i = 0; i < n && key.frames < KEY_FRAMES; i++)
                if (!x[i].dropped)
                        ab_site_key_add(&key, x[i].module, x[i].name ? x[i].name : "?");
        if (!key.frames) /* as ab_sites_load() names such stacks */
                snprintf(key.text, sizeof key.text, "%s", c->nraw ? "(allocator)" : "(no stack)");
        if ((idx = site_index(c, key.text)) < 0 || (fresh = new_stack(c)) < 0)
                return -ENOMEM;
        s = &c->sites[idx];
        s->stacks += (size_t)fresh;
        switch (k->kind) {
        case K_MMAP:
                s->t.map_calls++;
                s->t.map_bytes += k->len;
                if (k->prot_none)
                        s->t.reserve_bytes += k->len;
                bytes = k->len;
                break;
        case K_MREMAP:
                s->t.map_calls++;
                if (k->len2 >= k->len)
                        s->t.map_bytes += k->len2 - k->len;
                else
                        s->t.unmap_bytes += k->len - k->len2;
                bytes = k->len2 > k->len ? k->len2 - k->len : k->len - k->len2;
                break;
        case K_MUNMAP:
                s->t.unmap_calls++;
                s->t.unmap_bytes += k->len;
                bytes = k->len;
                break;
        default: /* mprotect, accessible */
                s->t.commit_calls++;
                s->t.commit_bytes += k->len;
                bytes = k->len;
                break;
        }
        /* the stack shown: the one of the largest call (the first of equals) */
        if (!s->frames || bytes > s->rep_bytes) {
                json_decref(s->frames);
                s->frames = frames_json(x, (size_t)n);
                s->rep_bytes = bytes;
        }
        return 0;
}

/* The call whose stack lines have been read ends: count it if it is one. */
static int finish_call(struct ctx *c)
{
        int r = 0;
        if (c->have_cur && c->cur.in && c->cur.kind != K_OTHER &&
            (c->cur.kind != K_MPROTECT || c->cur.prot_access))
                r = take_call(c);
        for (size_t f = 0; f < c->nraw; f++)
                free(c->raw[f].sym);
        c->nraw = 0;
        c->have_cur = false;
        return r;
}

/* ---- reading the log ---------------------------------------------------------------- */

static struct pending *pending_of(struct ctx *c, int pid, bool add)
{
        struct pending *np;
        for (size_t i = 0; i < c->npend; i++)
                if (c->pend[i].pid == pid)
                        return &c->pend[i];
        if (!add)
                return NULL;
        if (c->npend == c->cappend) {
                size_t cap = c->cappend ? c->cappend * 2 : 16;
                if (!(np = realloc(c->pend, cap * sizeof *np)))
                        return NULL;
                c->pend = np;
                c->cappend = cap;
        }
        c->pend[c->npend].pid = pid;
        return &c->pend[c->npend++];
}

/* A call's line (not a stack line). */
static int call_text(struct ctx *c, const char *line)
{
        char name[32];
        int pid, r;
        bool resumed, unfinished = strstr(line, "<unfinished ...>") != NULL;
        const char *text = call_line(line, &pid, name, sizeof name, &resumed);
        struct call k;
        struct pending *p;

        if ((r = finish_call(c)) < 0 || !text)
                return r;
        if (strcmp(name, "write") == 0 && !resumed) { /* the markers, as ab_strace_parse() */
                if (strstr(line, AB_MARK_BEGIN))
                        c->in = c->begin_seen = true;
                else if (strstr(line, AB_MARK_END)) {
                        c->in = false;
                        c->end_seen = true;
                }
        }
        if (resumed) {
                if (!(p = pending_of(c, pid, false)))
                        return 0; /* began before the log did */
                k = p->c;
                *p = c->pend[--c->npend];
        } else {
                call_args(name, text, &k);
                k.in = c->in;
        }
        if (unfinished) {
                if (!(p = pending_of(c, pid, true)))
                        return -ENOMEM;
                p->c = k;
                return 0;
        }
        if (!call_ok(line))
                k.kind = K_OTHER;
        c->cur = k;
        c->have_cur = true;
        return 0;
}

static int read_log(struct ctx *c, FILE *f, bool modules_only)
{
        char *line = NULL;
        size_t cap = 0;
        int r = 0;
        while (r == 0 && getline(&line, &cap, f) > 0) {
                char *path, *sym;
                uint64_t addr;
                int m;
                line[strcspn(line, "\n")] = '\0';
                if (!stack_line(line, &path, &sym, &addr)) {
                        if (!modules_only && line[0] != ' ')
                                r = call_text(c, line);
                        continue;
                }
                if ((m = module_index(c, path)) < 0)
                        r = -ENOMEM;
                else if (!modules_only && c->have_cur && c->nraw < MAX_RAW) {
                        c->raw[c->nraw].mod = m;
                        c->raw[c->nraw].addr = addr;
                        c->raw[c->nraw].sym = *sym ? strdup(sym) : NULL;
                        c->nraw++;
                }
        }
        if (r == 0 && !modules_only)
                r = finish_call(c);
        free(line);
        return r;
}

/* ---- the results ---------------------------------------------------------------------- */

static uint64_t site_bytes(const struct site *s)
{
        return s->t.map_bytes + s->t.unmap_bytes + s->t.commit_bytes;
}

static int cmp_site(const void *a, const void *b)
{
        const struct site *x = a, *y = b;
        if (site_bytes(x) != site_bytes(y))
                return site_bytes(x) > site_bytes(y) ? -1 : 1;
        return strcmp(x->key, y->key);
}

static json_t *site_json(const struct site *s, size_t point)
{
        const struct ab_site_totals *t = &s->t;
        return json_pack("{s:s,s:I,s:s,s:o,s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "source",
                         "strace", "point", (json_int_t)point, "key", s->key, "frames",
                         s->frames ? json_incref(s->frames) : json_array(), "stacks",
                         (json_int_t)s->stacks, "total", "map_calls", (json_int_t)t->map_calls,
                         "map_bytes", (json_int_t)t->map_bytes, "reserve_bytes",
                         (json_int_t)t->reserve_bytes, "unmap_calls", (json_int_t)t->unmap_calls,
                         "unmap_bytes", (json_int_t)t->unmap_bytes, "commit_calls",
                         (json_int_t)t->commit_calls, "commit_bytes", (json_int_t)t->commit_bytes);
}

static void ctx_free(struct ctx *c)
{
        for (size_t f = 0; f < c->nraw; f++)
                free(c->raw[f].sym);
        for (size_t i = 0; i < c->ccap; i++) {
                free(c->cache[i].fallback);
                free(c->cache[i].fallback_full);
        }
        for (size_t i = 0; i < c->nsites; i++) {
                free(c->sites[i].key);
                json_decref(c->sites[i].frames);
        }
        for (size_t i = 0; i < c->nmods; i++)
                free(c->mods[i].path);
        ab_symbols_close(c->sym);
        free(c->cache);
        free(c->sites);
        free(c->stacks);
        free(c->pend);
        free(c->mods);
        free(c->tm);
}

json_t *ab_strace_sites(const char *path, size_t point, size_t max_sites,
                        const char *const *drop_modules, char *err, size_t errlen)
{
        struct ctx c = {.drop = drop_modules};
        FILE *f = fopen(path, "r");
        json_t *out = NULL;
        int r;

        if (!f) {
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                return NULL;
        }
        /* first the modules, which libdw must have before any lookup */
        r = read_log(&c, f, true);
        if (r == 0)
                r = open_symbols(&c);
        if (r == 0) {
                rewind(f);
                r = read_log(&c, f, false);
        }
        fclose(f);
        if (r < 0)
                snprintf(err, errlen, "%s", strerror(-r));
        else if (!c.begin_seen || !c.end_seen)
                snprintf(err, errlen, "the region markers are missing from the strace log");
        else if ((out = json_array())) {
                if (c.nsites > 1) /* no site: c.sites is NULL, which qsort must not get */
                        qsort(c.sites, c.nsites, sizeof *c.sites, cmp_site);
                for (size_t i = 0; i < c.nsites && (!max_sites || i < max_sites); i++)
                        json_array_append_new(out, site_json(&c.sites[i], point));
        }
        ctx_free(&c);
        return out;
}
