#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "measure/program.h"

/* An ELF file: does it ask for an interpreter (PT_INTERP)? -1 when not ELF. */
static int elf_dynamic(const char *path)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC), dynamic = -1;
        Elf *e;
        size_t n;
        if (fd < 0)
                return -1;
        elf_version(EV_CURRENT);
        e = elf_begin(fd, ELF_C_READ, NULL);
        if (e && elf_kind(e) == ELF_K_ELF && elf_getphdrnum(e, &n) == 0) {
                dynamic = 0;
                for (size_t i = 0; i < n; i++) {
                        GElf_Phdr ph;
                        if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_INTERP)
                                dynamic = 1;
                }
        }
        if (e)
                elf_end(e);
        close(fd);
        return dynamic;
}

/* "#!/usr/bin/env python3 -u" -> the interpreter's path, or false. */
static bool interpreter(const char *path, char *out, size_t len)
{
        char line[512], word[256];
        FILE *f = fopen(path, "re");
        bool ok = false;
        if (!f)
                return false;
        if (fgets(line, sizeof line, f) && line[0] == '#' && line[1] == '!' &&
            sscanf(line + 2, "%255s", word) == 1) {
                ok = true;
                if (strcmp(strrchr(word, '/') ? strrchr(word, '/') + 1 : word, "env") == 0) {
                        /* env NAME: the name through PATH (env's options are not followed) */
                        const char *rest = strstr(line + 2, word) + strlen(word);
                        ok = sscanf(rest, "%255s", word) == 1 && word[0] != '-' &&
                             ab_which(word, out, len) == 0;
                } else {
                        snprintf(out, len, "%s", word);
                }
        }
        fclose(f);
        return ok;
}

enum ab_prog_kind ab_program_kind(const char *path, char *what, size_t len)
{
        char cur[PATH_MAX], next[PATH_MAX];
        snprintf(cur, sizeof cur, "%s", path);
        for (int depth = 0; depth < 4; depth++) {
                struct stat st;
                int dyn;
                snprintf(what, len, "%s", cur);
                if (stat(cur, &st) != 0)
                        return AB_PROG_UNKNOWN;
                if (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
                    ((st.st_mode & S_ISGID) && st.st_gid != getegid()))
                        return AB_PROG_SECURE;
                if ((dyn = elf_dynamic(cur)) >= 0)
                        return dyn ? AB_PROG_DYNAMIC : AB_PROG_STATIC;
                if (!interpreter(cur, next, sizeof next))
                        return AB_PROG_UNKNOWN;
                snprintf(cur, sizeof cur, "%s", next);
        }
        return AB_PROG_UNKNOWN;
}
