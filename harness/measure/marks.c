#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "measure/marks.h"

int ab_marks_open(struct ab_marks *mk, const char *path)
{
        struct sockaddr_un sa;
        memset(mk, 0, sizeof *mk);
        mk->listen_fd = -1;
        for (size_t i = 0; i < AB_MARKS_CONNS; i++)
                mk->conn[i].fd = -1;
        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        memset(&sa, 0, sizeof sa);
        sa.sun_family = AF_UNIX;
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        unlink(path);
        mk->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (mk->listen_fd < 0)
                return -errno;
        fcntl(mk->listen_fd, F_SETFD, FD_CLOEXEC);
        fcntl(mk->listen_fd, F_SETFL, O_NONBLOCK);
        if (bind(mk->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
            listen(mk->listen_fd, 16) != 0) {
                int e = errno;
                close(mk->listen_fd);
                mk->listen_fd = -1;
                return -e;
        }
        snprintf(mk->path, sizeof mk->path, "%s", path);
        return 0;
}

size_t ab_marks_fds(const struct ab_marks *mk, struct pollfd *pf, size_t cap)
{
        size_t n = 0;
        if (mk->listen_fd < 0 || cap == 0)
                return 0;
        pf[n++] = (struct pollfd){mk->listen_fd, POLLIN, 0};
        for (size_t i = 0; i < AB_MARKS_CONNS && n < cap; i++)
                if (mk->conn[i].fd >= 0)
                        pf[n++] = (struct pollfd){mk->conn[i].fd, POLLIN, 0};
        return n;
}

static void accept_all(struct ab_marks *mk)
{
        for (;;) {
                int fd = accept(mk->listen_fd, NULL, NULL);
                size_t i;
                if (fd < 0)
                        return;
                fcntl(fd, F_SETFD, FD_CLOEXEC);
                fcntl(fd, F_SETFL, O_NONBLOCK);
                for (i = 0; i < AB_MARKS_CONNS && mk->conn[i].fd >= 0; i++)
                        ;
                if (i == AB_MARKS_CONNS) {
                        close(fd); /* too many at once: that process's marks are no-ops */
                        continue;
                }
                mk->conn[i].fd = fd;
                mk->conn[i].have = 0;
        }
}

static void drop(struct ab_marks_conn *c)
{
        close(c->fd);
        c->fd = -1;
        c->have = 0;
}

static void read_conn(struct ab_marks_conn *c, void (*on_msg)(void *, const struct ab_mark_msg *),
                      void *ctx)
{
        for (;;) {
                ssize_t n = recv(c->fd, (char *)&c->msg + c->have, sizeof c->msg - c->have, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return;
                if (n <= 0) {
                        drop(c);
                        return;
                }
                c->have += (size_t)n;
                if (c->have < sizeof c->msg)
                        continue;
                c->have = 0;
                if (c->msg.magic != AB_MARK_MAGIC) {
                        drop(c); /* not allocbench's agent */
                        return;
                }
                c->msg.name[sizeof c->msg.name - 1] = '\0';
                on_msg(ctx, &c->msg);
                if (send(c->fd, "k", 1, MSG_NOSIGNAL) != 1) {
                        drop(c);
                        return;
                }
        }
}

void ab_marks_service(struct ab_marks *mk, const struct pollfd *pf, size_t n,
                      void (*on_msg)(void *ctx, const struct ab_mark_msg *m), void *ctx)
{
        for (size_t i = 0; i < n; i++) {
                if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                        continue;
                if (pf[i].fd == mk->listen_fd) {
                        accept_all(mk);
                        continue;
                }
                for (size_t k = 0; k < AB_MARKS_CONNS; k++)
                        if (mk->conn[k].fd == pf[i].fd)
                                read_conn(&mk->conn[k], on_msg, ctx);
        }
}

void ab_marks_close(struct ab_marks *mk)
{
        for (size_t i = 0; i < AB_MARKS_CONNS; i++)
                if (mk->conn[i].fd >= 0)
                        drop(&mk->conn[i]);
        if (mk->listen_fd >= 0) {
                close(mk->listen_fd);
                unlink(mk->path);
        }
        mk->listen_fd = -1;
}
