#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/resfile.h"

json_t *ab_results_load(const char *path, char *err, size_t errlen)
{
        json_error_t je;
        json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je), *runs, *r;
        const char *schema;
        size_t i;
        if (!doc) {
                snprintf(err, errlen, "%s: %s%s (accepted: a results file written by bench run)",
                         path, je.line > 0 ? "invalid JSON: " : "",
                         je.line > 0 ? je.text : strerror(errno));
                if (je.line > 0) {
                        size_t n = strlen(err);
                        snprintf(err + n, errlen - n, " at line %d", je.line);
                }
                return NULL;
        }
        schema = json_string_value(json_object_get(doc, "schema"));
        if (!schema || strcmp(schema, "allocbench/results/1") != 0) {
                snprintf(err, errlen, "%s: not an allocbench results file (schema is %s; accepted: "
                                      "allocbench/results/1)",
                         path, schema ? schema : "missing");
                json_decref(doc);
                return NULL;
        }
        runs = json_object_get(doc, "runs");
        if (!json_is_array(runs)) {
                snprintf(err, errlen, "%s: \"runs\" is not an array", path);
                json_decref(doc);
                return NULL;
        }
        json_array_foreach(runs, i, r)
        {
                if (!json_is_string(json_object_get(json_object_get(r, "allocator"), "name")) ||
                    !json_is_string(json_object_get(json_object_get(r, "workload"), "name")) ||
                    !json_is_array(json_object_get(r, "points"))) {
                        snprintf(err, errlen,
                                 "%s: run %zu lacks allocator.name, workload.name or points",
                                 path, i);
                        json_decref(doc);
                        return NULL;
                }
        }
        return doc;
}

static int by_key(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Cut a string truncated by snprintf back to whole UTF-8 characters: a label
 * that ends in half a character is not a JSON string. */
static void utf8_trim(char *buf)
{
        size_t n = strlen(buf), i = n, need;
        unsigned char c;
        while (i > 0 && ((unsigned char)buf[i - 1] & 0xC0) == 0x80)
                i--;
        if (i == 0)
                return;
        c = (unsigned char)buf[i - 1];
        need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (n - (i - 1) < need)
                buf[i - 1] = '\0';
}

const char *ab_point_label(json_t *point, char *buf, size_t len)
{
        json_t *params = json_object_get(point, "params");
        const char *keys[32];
        size_t n = 0, off = 0;
        const char *k;
        json_t *v;
        json_object_foreach(params, k, v)
        {
                if (n < 32)
                        keys[n++] = k;
        }
        qsort(keys, n, sizeof *keys, by_key);
        buf[0] = '\0';
        for (size_t i = 0; i < n && off < len; i++) {
                json_t *val = json_object_get(params, keys[i]);
                if (json_is_integer(val))
                        off += (size_t)snprintf(buf + off, len - off, "%s%s=%lld", i ? ";" : "",
                                                keys[i], (long long)json_integer_value(val));
                else if (json_is_string(val))
                        off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", i ? ";" : "",
                                                keys[i], json_string_value(val));
                else
                        off += (size_t)snprintf(buf + off, len - off, "%s%s=%g", i ? ";" : "",
                                                keys[i], json_number_value(val));
        }
        if (n == 0)
                snprintf(buf, len, "-");
        if (off >= len && len > 24) {
                /* too long to keep whole: keep what fits, in whole characters,
                 * and end with a hash of all the parameters so that distinct
                 * points keep distinct labels */
                char *all = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
                uint64_t h = 0xcbf29ce484222325ull;
                for (const char *c = all ? all : ""; *c; c++)
                        h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
                free(all);
                buf[len - 19] = '\0';
                utf8_trim(buf);
                snprintf(buf + strlen(buf), 19, "#%016llx", (unsigned long long)h);
        }
        return buf;
}

const char *ab_run_workload_id(json_t *run, char *buf, size_t len)
{
        json_t *prog = json_object_get(run, "program"), *w;
        const char *name = json_string_value(json_object_get(json_object_get(run, "workload"), "name"));
        size_t off, i;
        off = (size_t)snprintf(buf, len, "%s", name ? name : "?");
        if (!json_is_array(prog) || off >= len)
                return buf;
        /* cmd: the program is the workload */
        json_array_foreach(prog, i, w)
        {
                const char *word = json_string_value(w) ? json_string_value(w) : "";
                if (i == 0 && strrchr(word, '/'))
                        word = strrchr(word, '/') + 1;
                off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : ": ", word);
                if (off >= len)
                        break;
        }
        if (off >= len)
                utf8_trim(buf);
        return buf;
}

const char *ab_res_point_key(json_t *run, json_t *point, char *buf, size_t len)
{
        char label[512], wl[512];
        int n = snprintf(buf, len, "%s|%s|%s",
                         json_string_value(json_object_get(json_object_get(run, "allocator"), "name")),
                         ab_run_workload_id(run, wl, sizeof wl),
                         ab_point_label(point, label, sizeof label));
        if (n >= 0 && (size_t)n >= len)
                utf8_trim(buf);
        return buf;
}
