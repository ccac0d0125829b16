/*
 * served.c - which loaded file serves malloc in this process, for the
 * agent's hello (mark.c).
 *
 * dladdr(dlsym(RTLD_DEFAULT, "malloc")) names the file ld.so bound malloc
 * to, except in an executable that takes malloc's address without being
 * position-independent (Debian's python3 is one): there the executable's
 * PLT stub is malloc's canonical address, and dladdr names the executable,
 * which does not define malloc at all. So an object "serves" a symbol only
 * when its dynamic symbol table defines it (a section index other than
 * undefined), looked up through the object's own GNU or SysV hash table in
 * memory. Nothing here allocates.
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "agent/served.h"

static uint32_t gnu_hash(const char *s)
{
        uint32_t h = 5381;
        for (; *s; s++)
                h = h * 33 + (unsigned char)*s;
        return h;
}

static unsigned long sysv_hash(const char *s)
{
        unsigned long h = 0, g;
        for (; *s; s++) {
                h = (h << 4) + (unsigned char)*s;
                if ((g = h & 0xf0000000ul))
                        h ^= g >> 24;
                h &= ~g;
        }
        return h;
}

/* The dynamic table's pointers: relocated in place by ld.so on most
 * architectures, file addresses elsewhere. */
static const void *dyn_ptr(const struct dl_phdr_info *info, ElfW(Addr) p)
{
        return (const void *)(p < info->dlpi_addr ? p + info->dlpi_addr : p);
}

/* The object's dynamic symbol `name`, or NULL. */
static const ElfW(Sym) * lookup(const struct dl_phdr_info *info, const char *name)
{
        const ElfW(Dyn) *dyn = NULL;
        const ElfW(Sym) *symtab = NULL;
        const char *strtab = NULL;
        const uint32_t *gnu = NULL;
        const ElfW(Word) *sysv = NULL;
        for (int i = 0; i < info->dlpi_phnum; i++)
                if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
                        dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
        for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
                if (dyn->d_tag == DT_SYMTAB)
                        symtab = dyn_ptr(info, dyn->d_un.d_ptr);
                else if (dyn->d_tag == DT_STRTAB)
                        strtab = dyn_ptr(info, dyn->d_un.d_ptr);
                else if (dyn->d_tag == DT_GNU_HASH)
                        gnu = dyn_ptr(info, dyn->d_un.d_ptr);
                else if (dyn->d_tag == DT_HASH)
                        sysv = dyn_ptr(info, dyn->d_un.d_ptr);
        }
        if (!symtab || !strtab)
                return NULL;
        if (gnu) {
                uint32_t nbuckets = gnu[0], symoffset = gnu[1], bloom_size = gnu[2];
                const ElfW(Addr) *bloom = (const ElfW(Addr) *)&gnu[4];
                const uint32_t *buckets = (const uint32_t *)&bloom[bloom_size];
                const uint32_t *chain = &buckets[nbuckets];
                uint32_t h = gnu_hash(name), ix;
                if (!nbuckets || (ix = buckets[h % nbuckets]) < symoffset)
                        return NULL;
                for (;; ix++) {
                        uint32_t ch = chain[ix - symoffset];
                        if ((h | 1) == (ch | 1) && strcmp(strtab + symtab[ix].st_name, name) == 0)
                                return &symtab[ix];
                        if (ch & 1)
                                return NULL;
                }
        }
        if (sysv) {
                ElfW(Word) nbucket = sysv[0];
                const ElfW(Word) *bucket = &sysv[2], *chain = &bucket[nbucket];
                if (!nbucket)
                        return NULL;
                for (ElfW(Word) i = bucket[sysv_hash(name) % nbucket]; i; i = chain[i])
                        if (strcmp(strtab + symtab[i].st_name, name) == 0)
                                return &symtab[i];
        }
        return NULL;
}

struct find {
        const char *name;
        char *out;
        size_t len;
        int seen, found; /* seen: entries so far (the first is the executable) */
        int exe_defines;
};

/* The executable first (is the symbol its own?), then the first shared
 * object in load order, the search order of the global scope, that defines
 * it. */
static int each(struct dl_phdr_info *info, size_t size, void *arg)
{
        struct find *f = arg;
        const ElfW(Sym) *s = lookup(info, f->name);
        bool defines = s && s->st_shndx != SHN_UNDEF && s->st_value != 0;
        (void)size;
        if (f->seen++ == 0) {
                f->exe_defines = defines;
                return defines; /* its own: nothing more to find */
        }
        if (!defines || !info->dlpi_name || !info->dlpi_name[0])
                return 0; /* the vDSO has no name */
        snprintf(f->out, f->len, "%s", info->dlpi_name);
        f->found = 1;
        return 1;
}

int ab_agent_malloc_owner(char *out, size_t len)
{
        Dl_info di;
        struct link_map *lm = NULL;
        void *sym = dlsym(RTLD_DEFAULT, "malloc");
        struct find f = {"malloc", out, len, 0, 0, 0};
        if (!sym || !dladdr1(sym, &di, (void **)&lm, RTLD_DL_LINKMAP) || !di.dli_fname)
                return -1;
        snprintf(out, len, "%s", di.dli_fname);
        if (!lm || lm->l_prev)
                return 0; /* a shared object: the one ld.so bound malloc to */
        dl_iterate_phdr(each, &f);
        return f.exe_defines || f.found ? 0 : -1;
}
