/*
 * watch.h - a program (cmd) watched from outside while it runs, for
 * spawn.c's loop: the process tree sampled for the timeline, its largest
 * moment kept (with its anonymous address space), rounds ended by the
 * program's marks (agent/mark.h) or by time windows, recorded as the tree's
 * figures at that moment. Memory here is the parent's own.
 */
#ifndef AB_WATCH_H
#define AB_WATCH_H

#include <poll.h>
#include <stdint.h>

#include "measure/marks.h"
#include "measure/spawn.h"

struct ab_watch {
        const struct ab_spawn *s;
        struct ab_outcome *o;
        pid_t pid;
        bool marking;
        struct ab_marks marks;
        uint64_t next_round, last_round;
};

/* Before the fork: listen for marks when s asks. 0 or -errno. */
int ab_watch_start(struct ab_watch *w, const struct ab_spawn *s, struct ab_outcome *o);

/* The child runs as pid since o->start_ns. */
void ab_watch_child(struct ab_watch *w, pid_t pid);

/* Descriptors to poll into pf[0..cap), and after poll, act on them. */
size_t ab_watch_fds(const struct ab_watch *w, struct pollfd *pf, size_t cap);
void ab_watch_poll(struct ab_watch *w, const struct pollfd *pf, size_t n);

/* When the watch next needs the loop (a time window's end), or UINT64_MAX. */
uint64_t ab_watch_due(const struct ab_watch *w);
/* Act on the time that passed (end a window when due). */
void ab_watch_tick(struct ab_watch *w, uint64_t now);

/* One timeline sample (the tree, or the process alone). */
void ab_watch_sample(struct ab_watch *w, uint64_t now);

void ab_watch_end(struct ab_watch *w);

#endif
