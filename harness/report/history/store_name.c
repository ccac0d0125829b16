/*
 * store_name.c - what every backend and the command share about a store's
 * name and version (store.h): which --db is a URL, a URL with its password
 * hidden, the version a meta table's schema names. Calls nothing of the
 * stores, so that store.c and the backends both stand on it.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report/history/store.h"

int ab_hstore_version(const char *v)
{
        if (!v)
                return 0;
        if (strcmp(v, AB_HISTORY_STORE_V1) == 0)
                return 1;
        if (strcmp(v, AB_HISTORY_STORE_V2) == 0)
                return 2;
        return strcmp(v, AB_HISTORY_STORE_SCHEMA) == 0 ? 3 : 0;
}

bool ab_store_is_url(const char *where)
{
        return strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0;
}

char *ab_store_display(const char *where)
{
        size_t n = strlen(where);
        char *out = malloc(n + 8), *o = out;
        const char *p = where, *auth_end;
        if (!out || !ab_store_is_url(where)) {
                if (out)
                        memcpy(out, where, n + 1);
                return out;
        }
        /* scheme://user:PASSWORD@host: the password after the first ':' of
         * the part before '@' (which ends before any '/' or '?') */
        p = strstr(where, "://") + 3;
        memcpy(o, where, (size_t)(p - where));
        o += p - where;
        auth_end = p + strcspn(p, "@/?");
        if (*auth_end == '@' && memchr(p, ':', (size_t)(auth_end - p))) {
                const char *colon = memchr(p, ':', (size_t)(auth_end - p));
                memcpy(o, p, (size_t)(colon - p + 1));
                o += colon - p + 1;
                memcpy(o, "***", 3);
                o += 3;
                p = auth_end;
        }
        /* ?password=... and &password=... */
        while (*p) {
                bool param = (p[-1] == '?' || p[-1] == '&') && strncmp(p, "password=", 9) == 0;
                if (param) {
                        memcpy(o, "password=***", 12);
                        o += 12;
                        p += 9 + strcspn(p + 9, "&");
                        continue;
                }
                *o++ = *p++;
        }
        *o = '\0';
        return out;
}
