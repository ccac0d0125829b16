/*
 * marks.h - the parent's end of the marks protocol (agent/mark.h): a
 * listening Unix socket that the programs of cmd connect to, one connection
 * per marking process, whole messages handed to the caller, who answers
 * each once it has acted on it. Memory here is the parent's own.
 */
#ifndef AB_MARKS_H
#define AB_MARKS_H

#include <poll.h>
#include <stddef.h>

#include "agent/mark.h"

#define AB_MARKS_CONNS 64 /* processes marking at once */

struct ab_marks {
        int listen_fd;
        char path[108];
        struct ab_marks_conn {
                int fd;
                size_t have;
                struct ab_mark_msg msg;
        } conn[AB_MARKS_CONNS];
};

/* Listen at path (removed first when a stale socket is there). 0 or -errno. */
int ab_marks_open(struct ab_marks *mk, const char *path);

/* The descriptors to poll, into pf[0..cap); returns how many. */
size_t ab_marks_fds(const struct ab_marks *mk, struct pollfd *pf, size_t cap);

/* After poll: accept new connections, read what arrived, and for each whole
 * message call on_msg, then answer it. pf/n as filled by ab_marks_fds. */
void ab_marks_service(struct ab_marks *mk, const struct pollfd *pf, size_t n,
                      void (*on_msg)(void *ctx, const struct ab_mark_msg *m), void *ctx);

/* Close every connection and the socket, and remove its path. */
void ab_marks_close(struct ab_marks *mk);

#endif
