/*
 * ab-tracedump - prints the sites of one or more tracer dumps (merged):
 *
 *   ab-tracedump [--raw] [--top N] [--frames] DUMP...   sites, key first
 *   ab-tracedump --folded[=live] DUMP...                 folded stacks
 *
 * The site listing gives per site its key, calls, bytes, what stayed live
 * at the end and per round ("left" = live bytes at each round end), then
 * with --frames every frame. --folded prints what flamegraph.pl reads:
 * frames outermost first joined by ';', a space, and the bytes allocated
 * (or, with =live, the bytes still live at the end). Exit 0, or 1 with a
 * message when a dump is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sites.h"

static int usage(void)
{
        fprintf(stderr, "usage: ab-tracedump [--raw] [--top N] [--frames] [--folded[=live]] "
                        "DUMP...\n");
        return 1;
}

static void print_folded(const struct ab_sites *s, bool live)
{
        for (size_t i = 0; i < s->nsites; i++) {
                const struct ab_site *x = &s->sites[i];
                long long v = live ? x->total.live_bytes : (long long)x->total.bytes_alloc;
                bool first = true;
                if (v <= 0)
                        continue;
                for (size_t f = x->nframes; f-- > 0;) {
                        const char *m = strrchr(x->frames[f].module, '/');
                        if (x->frames[f].dropped)
                                continue;
                        printf("%s%s`%s", first ? "" : ";", m ? m + 1 : x->frames[f].module,
                               x->frames[f].function);
                        first = false;
                }
                printf("%s %lld\n", first ? "(no stack)" : "", v);
        }
}

static void print_sites(const struct ab_sites *s, bool frames)
{
        printf("processes %zu, rounds %zu, sites %zu, %s\n", s->nprocs, s->nrounds, s->nsites,
               s->sample_bytes ? "sampled (estimates)" : "exact");
        for (size_t p = 0; p < s->nprocs; p++)
                printf("process %u (parent %u)%s: %zu rounds, %llu calls, %llu unknown frees, "
                       "%llu stacks by unwinding, tracer memory %llu KiB\n",
                       s->procs[p].pid, s->procs[p].ppid,
                       (s->procs[p].flags & AB_TD_F_FORK_CHILD) ? " fork child" : "",
                       s->procs[p].nrounds, (unsigned long long)s->procs[p].self[AB_TD_SELF_CALLS],
                       (unsigned long long)s->procs[p].self[AB_TD_SELF_UNKNOWN_FREES],
                       (unsigned long long)s->procs[p].self[AB_TD_SELF_UNWIND_STACKS],
                       (unsigned long long)s->procs[p].self[AB_TD_SELF_MAPPED_PEAK] / 1024);
        for (size_t i = 0; i < s->nsites; i++) {
                const struct ab_site *x = &s->sites[i];
                const struct ab_site_totals *t = &x->total;
                printf("\nsite %s\n", x->key);
                printf("  allocs %llu frees %llu bytes %llu freed %llu live %lld (%lld blocks) "
                       "peak %llu stacks %zu%s\n",
                       (unsigned long long)t->allocs, (unsigned long long)t->frees,
                       (unsigned long long)t->bytes_alloc, (unsigned long long)t->bytes_freed,
                       (long long)t->live_bytes, (long long)t->live_blocks,
                       (unsigned long long)t->peak_live, x->nstacks,
                       (x->stack_flags & AB_TD_STACK_UNWIND) ? " (unwound)" : "");
                if (t->zc_calls)
                        printf("  big callocs %llu: %llu ns, %llu minor faults\n",
                               (unsigned long long)t->zc_calls, (unsigned long long)t->zc_ns,
                               (unsigned long long)t->zc_minflt);
                if (t->big_ops)
                        printf("  big-block calls %llu\n", (unsigned long long)t->big_ops);
                if (t->map_calls || t->unmap_calls || t->commit_calls)
                        printf("  mmap %llu (%llu B) munmap %llu (%llu B) commit %llu (%llu B)\n",
                               (unsigned long long)t->map_calls, (unsigned long long)t->map_bytes,
                               (unsigned long long)t->unmap_calls,
                               (unsigned long long)t->unmap_bytes,
                               (unsigned long long)t->commit_calls,
                               (unsigned long long)t->commit_bytes);
                if (s->nrounds) {
                        printf("  left per round:");
                        for (size_t r = 0; r < s->nrounds; r++)
                                printf(" %lld", (long long)x->rounds[r].live_bytes);
                        printf("\n");
                }
                for (size_t f = 0; frames && f < x->nframes; f++) {
                        const struct ab_site_frame *fr = &x->frames[f];
                        printf("    %c%c 0x%llx %s", fr->dropped ? '-' : ' ',
                               fr->inlined ? 'i' : ' ', (unsigned long long)fr->addr, fr->function);
                        if (fr->file)
                                printf(" %s:%u", fr->file, fr->line);
                        printf(" [%s]\n", fr->module);
                }
        }
}

int main(int argc, char **argv)
{
        struct ab_sites_opts o = {0};
        struct ab_sites s;
        const char **paths = calloc((size_t)argc, sizeof *paths);
        bool folded = false, live = false, frames = false;
        char err[1024];
        size_t n = 0;

        if (!paths)
                return 1;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--folded") == 0)
                        folded = true;
                else if (strcmp(argv[i], "--folded=live") == 0)
                        folded = live = true;
                else if (strcmp(argv[i], "--raw") == 0)
                        o.raw = true;
                else if (strcmp(argv[i], "--frames") == 0)
                        frames = true;
                else if (strcmp(argv[i], "--top") == 0 && i + 1 < argc)
                        o.max_sites = strtoul(argv[++i], NULL, 10);
                else if (argv[i][0] == '-')
                        return usage();
                else
                        paths[n++] = argv[i];
        }
        if (!n)
                return usage();
        if (ab_sites_load_many(paths, n, &o, &s, err, sizeof err) < 0) {
                fprintf(stderr, "ab-tracedump: %s\n", err);
                free(paths);
                return 1;
        }
        if (folded)
                print_folded(&s, live);
        else
                print_sites(&s, frames);
        ab_sites_free(&s);
        free(paths);
        return 0;
}
