/*
 * bench - allocbench's one entry point. Dispatches to the commands; only
 * main() exits.
 */
#include <stdio.h>
#include <string.h>

#include "measure/bench.h"
#include "report/report.h"

#ifndef AB_VERSION
#define AB_VERSION "0.0.0"
#endif

#ifdef __SANITIZE_ADDRESS__
/* make check-asan: a leak exits 23 also when a test runs bench with an
 * environment of its own (no ASAN_OPTIONS), where it would otherwise exit 1
 * and pass for refused input. ASAN_OPTIONS, when set, still overrides. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
        return "detect_leaks=1:exitcode=23";
}
#endif

static void usage(FILE *f)
{
        fprintf(
            f,
            "allocbench %s - deterministic allocator stress tests and benchmarks\n"
            "\n"
            "usage: bench COMMAND [options]\n"
            "\n"
            "  bench [run] --alloc=A[,B..] --workload=W[,X..] [opts]\n"
            "                        run the matrix, print a summary, write a results file\n"
            "  bench list            allocators (found or not, library, version) and workloads\n"
            "  bench calibrate       this machine's reference costs (memset, page fault, mmap)\n"
            "  bench plot FILE.. [-o DIR]   gnuplot PNG and SVG figures from results files\n"
            "  bench compare BASE NEW       changes per point with confidence; exit 3 on a\n"
            "                               significant regression; --hosts FILE.. puts the\n"
            "                               same workloads side by side across hosts\n"
            "  bench merge SHARD.. -o OUT   join the results of bench run --shard K/N into\n"
            "                               one document, flags decided again\n"
            "  bench history add|show|check|html   nightly tracking in SQLite\n"
            "  bench sites FILE [--top-down|--folded]   the allocation sites of runs\n"
            "                               traced with --trace; --folded for flame graphs\n"
            "  bench verdicts set|show|check|export|import   verdicts on allocation sites,\n"
            "                               kept in your repository, applied to traced runs\n"
            "  bench trace info|cut FILE    allocation records (bench run --record): what\n"
            "                               one holds; rounds cut into a reproducer\n"
            "  bench help            this text; bench COMMAND --help for one command\n"
            "\n"
            "Example:\n"
            "  ./bench --alloc=all --workload=calloc-sweep\n",
            AB_VERSION);
}

int main(int argc, char **argv)
{
        char *saved[argc + 1];
        for (int i = 0; i <= argc; i++)
                saved[i] = argv[i];
        ab_argc = argc;
        ab_argv = saved;
        const char *cmd = argc > 1 ? argv[1] : NULL;
        if (!cmd) {
                usage(stderr);
                return AB_BAD_INPUT;
        }
        if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
                usage(stdout);
                return AB_OK;
        }
        if (strcmp(cmd, "--version") == 0) {
                printf("allocbench %s\n", AB_VERSION);
                return AB_OK;
        }
        if (strcmp(cmd, "run") == 0) {
                argv[1] = argv[0];
                return ab_cmd_run(argc - 1, argv + 1);
        }
        {
                static const struct {
                        const char *name;
                        int (*fn)(int, char **);
                } cmds[] = {{"plot", ab_cmd_plot},
                            {"compare", ab_cmd_compare},
                            {"history", ab_cmd_history},
                            {"sites", ab_cmd_sites},
                            {"verdicts", ab_cmd_verdicts},
                            {"trace", ab_cmd_trace},
                            {"merge", ab_cmd_merge}};
                for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
                        if (strcmp(cmd, cmds[i].name) == 0) {
                                argv[1] = argv[0];
                                return cmds[i].fn(argc - 1, argv + 1);
                        }
                }
        }
        if (strcmp(cmd, "calibrate") == 0) {
                argv[1] = argv[0];
                return ab_cmd_calibrate(argc - 1, argv + 1);
        }
        if (strcmp(cmd, "list") == 0) {
                argv[1] = argv[0];
                return ab_cmd_list(argc - 1, argv + 1);
        }
        if (cmd[0] == '-')
                return ab_cmd_run(argc, argv);
        fprintf(stderr,
                "bench: unknown command '%s' (accepted: run, list, calibrate, plot, compare, "
                "history, sites, verdicts, trace, merge, help; see bench help)\n",
                cmd);
        return AB_BAD_INPUT;
}
