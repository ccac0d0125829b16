/*
 * leak_rounds: a program that keeps KEEP KiB more after every round, as a
 * leaking server would, and marks its rounds with allocbench.h.
 *   leak_rounds ROUNDS KEEP_KIB [--no-marks] [--sleep-ms N] [--phase]
 * Each round it also allocates and frees 4 MiB of scratch (so that a round
 * is work, not only growth). With --no-marks it marks nothing (time windows
 * find its rounds); --sleep-ms pauses after each round; --phase names a
 * "warm-up" phase for the first two rounds and "steady" after.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "allocbench.h"

static void pause_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
        int rounds = argc > 1 ? atoi(argv[1]) : 20, marks = 1, phase = 0;
        long keep = (argc > 2 ? atol(argv[2]) : 256) * 1024, sleep_ms = 0;
        void **kept = calloc((size_t)rounds + 1, sizeof *kept);
        for (int i = 3; i < argc; i++) {
                if (strcmp(argv[i], "--no-marks") == 0)
                        marks = 0;
                else if (strcmp(argv[i], "--sleep-ms") == 0 && i + 1 < argc)
                        sleep_ms = atol(argv[++i]);
                else if (strcmp(argv[i], "--phase") == 0)
                        phase = 1;
        }
        if (phase && marks)
                allocbench_phase("warm-up");
        for (int r = 0; r < rounds; r++) {
                char *scratch = malloc(4 << 20);
                if (!scratch)
                        return 2;
                memset(scratch, r, 4 << 20);
                free(scratch);
                if (keep) {
                        kept[r] = malloc((size_t)keep);
                        if (!kept[r])
                                return 2;
                        memset(kept[r], 1, (size_t)keep); /* resident, not only reserved */
                }
                if (sleep_ms)
                        pause_ms(sleep_ms);
                if (marks)
                        allocbench_round();
                if (phase && marks && r == 1)
                        allocbench_phase("steady");
        }
        printf("kept %ld bytes in %d rounds\n", keep * rounds, rounds);
        return 0;
}
