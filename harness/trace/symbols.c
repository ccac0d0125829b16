/*
 * symbols.c - libdwfl offline symbolisation (symbols.h).
 *
 * Inline expansion costs a walk of the CU's scopes (dwarf_getscopes) for
 * each address, so sites.c asks for it only for the innermost frames of
 * the stacks it reports; the rest are named from the symbol table only.
 */
#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbols.h"

struct ab_symbols {
        Dwfl *dwfl;
        const struct ab_tdump_module *mods;
        size_t nmods;
        Dwfl_Module **dmods; /* per recorded module, NULL when unusable */
        char **strs;         /* every string handed out */
        size_t nstrs, capstrs;
};

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

static const char *keep(struct ab_symbols *s, char *str)
{
        if (!str)
                return NULL;
        if (s->nstrs == s->capstrs) {
                size_t ncap = s->capstrs ? s->capstrs * 2 : 256;
                char **n = realloc(s->strs, ncap * sizeof *n);
                if (!n) {
                        free(str);
                        return NULL;
                }
                s->strs = n;
                s->capstrs = ncap;
        }
        s->strs[s->nstrs++] = str;
        return str;
}

static bool same_build_id(Dwfl_Module *m, const struct ab_tdump_module *rec)
{
        const unsigned char *bits;
        GElf_Addr vaddr;
        int n = dwfl_module_build_id(m, &bits, &vaddr);
        if (rec->build_id_len == 0 || n <= 0)
                return true; /* nothing to compare: trust the path */
        return (uint32_t)n == rec->build_id_len && memcmp(bits, rec->build_id, (size_t)n) == 0;
}

int ab_symbols_open(const struct ab_tdump_module *mods, size_t n, struct ab_symbols **out)
{
        struct ab_symbols *s = calloc(1, sizeof *s);
        *out = NULL;
        if (!s)
                return -ENOMEM;
        s->dmods = calloc(n ? n : 1, sizeof *s->dmods);
        s->dwfl = dwfl_begin(&callbacks);
        if (!s->dmods || !s->dwfl) {
                ab_symbols_close(s);
                return -ENOMEM;
        }
        s->mods = mods;
        s->nmods = n;
        dwfl_report_begin(s->dwfl);
        for (size_t i = 0; i < n; i++) {
                const char *path = mods[i].path, *base;
                Dwfl_Module *m;
                if (!path[0] || access(path, R_OK) != 0)
                        continue;
                base = strrchr(path, '/');
                base = base ? base + 1 : path;
                /* base is the load bias (dlpi_addr), not the first
                 * segment's address: add_p_vaddr = false */
                m = dwfl_report_elf(s->dwfl, base, path, -1, mods[i].base, false);
                if (m && same_build_id(m, &mods[i]))
                        s->dmods[i] = m;
        }
        dwfl_report_end(s->dwfl, NULL, NULL);
        *out = s;
        return 0;
}

void ab_symbols_close(struct ab_symbols *s)
{
        if (!s)
                return;
        if (s->dwfl)
                dwfl_end(s->dwfl);
        for (size_t i = 0; i < s->nstrs; i++)
                free(s->strs[i]);
        free(s->strs);
        free(s->dmods);
        free(s);
}

int ab_symbols_module_of(const struct ab_symbols *s, uint64_t pc)
{
        /* the recorded map, not dwfl's: a module without a usable file
         * still has a name for the key */
        int best = -1;
        for (size_t i = 0; i < s->nmods; i++)
                if (pc >= s->mods[i].base && pc - s->mods[i].base < s->mods[i].size &&
                    (best < 0 || s->mods[i].base > s->mods[best].base))
                        best = (int)i;
        return best;
}

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

static char *demangle(const char *name)
{
        static demangle_fn fn;
        static bool tried;
        int status = -1;
        char *r;
        if (!name)
                return NULL;
        if (name[0] == '_' && name[1] == 'Z') {
                if (!tried) {
                        void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
                        tried = true;
                        if (h)
                                fn = (demangle_fn)dlsym(h, "__cxa_demangle");
                }
                if (fn && (r = fn(name, NULL, NULL, &status)) && status == 0)
                        return r;
        }
        return strdup(name);
}

char *ab_symbols_base_name(const char *name, char *dst, size_t cap)
{
        static const char *const suffixes[] = {".isra.",     ".constprop.", ".part.",     ".cold",
                                               ".lto_priv.", ".llvm.",      ".localalias"};
        size_t n = strlen(name), end = n;
        bool again = true;

        if (!cap)
                return dst;
        /* a trailing C++ parameter list (and cv/ref qualifiers after it) */
        while (end > 0 && name[end - 1] != ')' &&
               (name[end - 1] == ' ' || (name[end - 1] >= 'a' && name[end - 1] <= 'z') ||
                name[end - 1] == '&'))
                end--;
        if (end > 0 && name[end - 1] == ')') {
                int depth = 0;
                size_t i = end;
                while (i > 0) {
                        char c = name[--i];
                        if (c == ')')
                                depth++;
                        else if (c == '(' && --depth == 0)
                                break;
                }
                if (depth == 0 && i > 0)
                        end = i;
                else
                        end = n;
        } else {
                end = n;
        }
        if (end >= cap)
                end = cap - 1;
        memcpy(dst, name, end);
        dst[end] = '\0';
        /* a symbol version (pthread_create@GLIBC_2.2.5) */
        if (strchr(dst, '@') && strchr(dst, '@') != dst)
                *strchr(dst, '@') = '\0';
        /* clone suffixes, possibly stacked (foo.constprop.0.isra.0) */
        while (again) {
                again = false;
                for (size_t k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++) {
                        char *at = strstr(dst, suffixes[k]);
                        if (at && at != dst) {
                                *at = '\0';
                                again = true;
                        }
                }
        }
        return dst;
}

static const char *plain_name(struct ab_symbols *s, const char *fn)
{
        char buf[1024];
        if (!fn)
                return NULL;
        return keep(s, strdup(ab_symbols_base_name(fn, buf, sizeof buf)));
}

static const char *die_name(Dwarf_Die *die)
{
        Dwarf_Attribute a;
        const char *n = NULL;
        if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
            dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
                n = dwarf_formstring(&a);
        return n ? n : dwarf_diename(die);
}

static void call_site(Dwarf_Die *die, Dwarf_Files *files, const char **file, uint32_t *line)
{
        Dwarf_Attribute a;
        Dwarf_Word v;
        *file = NULL;
        *line = 0;
        if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &a), &v) == 0 && files)
                *file = dwarf_filesrc(files, v, NULL, NULL);
        if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &a), &v) == 0)
                *line = (uint32_t)v;
}

/* Inlined subroutines around addr, innermost first, into out[0..]; the
 * frame of the holding function (out[count]) gets the call site of the
 * outermost one. Returns how many inlined entries were written. */
static int expand_inlines(struct ab_symbols *s, Dwfl_Module *m, GElf_Addr addr, struct ab_sym *out,
                          int max, const char **file, uint32_t *line)
{
        Dwarf_Addr bias;
        Dwarf_Die *cu = dwfl_module_addrdie(m, addr, &bias), *scopes = NULL;
        Dwarf_Files *files = NULL;
        size_t nfiles;
        int n, k = 0;

        if (!cu)
                return 0;
        n = dwarf_getscopes(cu, addr - bias, &scopes);
        if (n <= 0)
                return 0;
        /* dwarf_getscopes continues past an inlined instance with the
         * scopes of its abstract definition: the concrete chain of the
         * instances that contain it comes from dwarf_getscopes_die. */
        for (int i = 0; i < n; i++)
                if (dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine) {
                        Dwarf_Die *chain = NULL;
                        int nchain = dwarf_getscopes_die(&scopes[i], &chain);
                        free(scopes);
                        scopes = chain;
                        n = nchain;
                        break;
                }
        dwarf_getsrcfiles(cu, &files, &nfiles);
        for (int i = 0; i < n && k < max - 1; i++) {
                const char *cf;
                uint32_t cl;
                if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
                        continue;
                out[k].function = keep(s, demangle(die_name(&scopes[i])));
                out[k].name = plain_name(s, out[k].function);
                out[k].file = *file;
                out[k].line = *line;
                out[k].inlined = true;
                /* the next frame out is at this inline's call site */
                call_site(&scopes[i], files, &cf, &cl);
                *file = cf ? keep(s, strdup(cf)) : NULL;
                *line = cl;
                k++;
        }
        free(scopes);
        return k;
}

int ab_symbols_lookup(struct ab_symbols *s, uint64_t pc, bool inlines, struct ab_sym *out, int max)
{
        int mi = ab_symbols_module_of(s, pc), k = 0;
        Dwfl_Module *m = mi >= 0 ? s->dmods[mi] : NULL;
        GElf_Addr addr = pc - 1, off;
        GElf_Sym sym;
        const char *file = NULL, *fn;
        uint32_t line = 0;

        memset(out, 0, sizeof *out);
        out[0].module = mi;
        if (!m || max < 1)
                return 1;
        {
                Dwfl_Line *l = dwfl_module_getsrc(m, addr);
                int ln = 0;
                const char *f = l ? dwfl_lineinfo(l, NULL, &ln, NULL, NULL, NULL) : NULL;
                if (f) {
                        file = keep(s, strdup(f));
                        line = (uint32_t)ln;
                }
        }
        if (inlines)
                k = expand_inlines(s, m, addr, out, max, &file, &line);
        fn = dwfl_module_addrinfo(m, addr, &off, &sym, NULL, NULL, NULL);
        out[k].function = keep(s, demangle(fn));
        out[k].name = plain_name(s, out[k].function);
        out[k].file = file;
        out[k].line = line;
        out[k].inlined = false;
        for (int i = 0; i <= k; i++)
                out[i].module = mi;
        return k + 1;
}
