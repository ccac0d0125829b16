/*
 * mark.c - libabmark.so, preloaded into a program that `bench --workload=cmd`
 * measures: it defines the marks of allocbench.h (allocbench_round,
 * allocbench_phase), says hello with the file that serves malloc in each
 * process it is loaded into, and turns a signal into a round when asked
 * (protocol: mark.h). With the allocation-site tracer preloaded too, a mark
 * ends the tracer's round as well.
 *
 * It never allocates through the allocator under test after start-up
 * beyond what libc's connect/socket do (nothing), keeps one connection per
 * process (made again after a fork), and gives up quietly when the parent
 * is gone: the program must run the same with or without allocbench.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/mark.h"
#include "agent/served.h"

#define EXPORT __attribute__((visibility("default")))

/* allocbench.h declares them (as weak references, under macros of the same
 * names): the definitions are here. */
EXPORT void allocbench_round(void);
EXPORT void allocbench_phase(const char *name);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int conn = -1;
static pid_t conn_pid;
static void (*trace_round)(void);
static void (*trace_phase)(const char *);
static int sig_pipe[2] = {-1, -1};
static int round_signal;

/* Connect (again, in a child of a fork) to the parent's socket; -1 when
 * the program is not run by allocbench or the parent is gone. */
static int connected(void)
{
        const char *path = getenv(AB_MARK_ENV);
        struct sockaddr_un sa;
        if (conn >= 0 && conn_pid == getpid())
                return conn;
        if (conn >= 0)
                close(conn); /* the parent's connection, inherited through fork */
        conn = -1;
        if (!path || strlen(path) >= sizeof sa.sun_path)
                return -1;
        memset(&sa, 0, sizeof sa);
        sa.sun_family = AF_UNIX;
        strcpy(sa.sun_path, path);
        conn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (conn >= 0 && connect(conn, (struct sockaddr *)&sa, sizeof sa) != 0) {
                close(conn);
                conn = -1;
        }
        conn_pid = getpid();
        return conn;
}

/* One message, and the parent's answer. */
static void send_mark(uint32_t kind, const char *name)
{
        struct ab_mark_msg m;
        const char *p = (const char *)&m;
        size_t left = sizeof m;
        struct pollfd pf;
        char ack;
        int fd, saved = errno;
        memset(&m, 0, sizeof m);
        m.magic = AB_MARK_MAGIC;
        m.kind = kind;
        m.pid = (int32_t)getpid();
        if (name)
                snprintf(m.name, sizeof m.name, "%s", name);
        pthread_mutex_lock(&lock);
        if ((fd = connected()) < 0)
                goto out;
        while (left) {
                ssize_t n = send(fd, p, left, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        goto fail;
                p += n;
                left -= (size_t)n;
        }
        pf = (struct pollfd){fd, POLLIN, 0};
        for (;;) {
                int r = poll(&pf, 1, AB_MARK_TIMEOUT_MS);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0 || recv(fd, &ack, 1, 0) != 1)
                        goto fail;
                break;
        }
        goto out;
fail:
        close(conn);
        conn = -1; /* the parent is gone or stuck: marks become no-ops */
        conn_pid = getpid();
out:
        pthread_mutex_unlock(&lock);
        errno = saved;
}

/* A round ends: by the program's mark, or (name "signal") by the signal. */
static void round_end(const char *by)
{
        if (trace_round)
                trace_round();
        send_mark(AB_MARK_ROUND, by);
}

EXPORT void allocbench_round(void)
{
        round_end(NULL);
}

EXPORT void allocbench_phase(const char *name)
{
        if (trace_phase)
                trace_phase(name);
        send_mark(AB_MARK_PHASE, name ? name : "");
}

/* --round-signal: the handler only wakes the thread, which marks. */
static void on_signal(int sig)
{
        int saved = errno;
        char b = (char)sig;
        if (write(sig_pipe[1], &b, 1) < 0) {
                /* full: a round is already pending */
        }
        errno = saved;
}

static void *signal_thread(void *arg)
{
        char b;
        (void)arg;
        for (;;) {
                ssize_t n = read(sig_pipe[0], &b, 1);
                if (n == 1)
                        round_end("signal");
                else if (n < 0 && errno == EINTR)
                        continue;
                else
                        return NULL;
        }
}

static void start_signal_thread(void)
{
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        pthread_create(&t, &a, signal_thread, NULL);
        pthread_attr_destroy(&a);
}

/* A fork while another thread marks must not leave the child's lock held;
 * and the child has the signal handler but not the thread. */
static void before_fork(void)
{
        pthread_mutex_lock(&lock);
}

static void after_fork_parent(void)
{
        pthread_mutex_unlock(&lock);
}

static void after_fork_child(void)
{
        pthread_mutex_unlock(&lock);
        if (round_signal)
                start_signal_thread();
}

static void hello(void)
{
        char owner[240];
        send_mark(AB_MARK_HELLO,
                  ab_agent_malloc_owner(owner, sizeof owner) == 0 ? owner : "unknown");
}

__attribute__((constructor)) static void mark_init(void)
{
        const char *sig = getenv(AB_MARK_SIGNAL_ENV);
        if (!getenv(AB_MARK_ENV))
                return;
        trace_round = (void (*)(void))dlsym(RTLD_DEFAULT, "allocbench_trace_round");
        trace_phase = (void (*)(const char *))dlsym(RTLD_DEFAULT, "allocbench_trace_phase");
        pthread_atfork(before_fork, after_fork_parent, after_fork_child);
        if (sig && (round_signal = atoi(sig)) > 0 && round_signal < NSIG &&
            pipe2(sig_pipe, O_CLOEXEC) == 0) {
                struct sigaction sa;
                memset(&sa, 0, sizeof sa);
                sa.sa_handler = on_signal;
                sa.sa_flags = SA_RESTART;
                sigemptyset(&sa.sa_mask);
                sigaction(round_signal, &sa, NULL);
                start_signal_thread();
        }
        hello();
}
