/*
 * prim.h - the one contract between allocbench and the operating system.
 *
 * Everything OS-specific lives behind these functions: one implementation per
 * platform in harness/prim/<platform>/prim.c (linux is complete; generic is a
 * POSIX fallback that builds anywhere and reports what it cannot measure as
 * unknown). The rest of the harness never tests for an OS.
 *
 * Units are in the names: _kib is KiB (1024 bytes), _ns nanoseconds. A figure
 * that cannot be measured on this platform is AB_UNKNOWN (-1), never 0; the
 * results writer turns it into JSON null.
 *
 * Functions marked "no malloc" may run inside a measured region of the child:
 * they use only system calls and caller-provided or stack buffers.
 */
#ifndef AB_PRIM_H
#define AB_PRIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AB_UNKNOWN (-1)

/* Memory figures of one process. Each field is AB_UNKNOWN when unavailable. */
struct ab_mem {
        int64_t rss_kib; /* resident set now (VmRSS) */
        int64_t vsz_kib; /* virtual size now (VmSize) */
        int64_t pte_kib; /* page-table size (VmPTE) */
        int64_t hwm_kib; /* peak resident set (VmHWM) */
};

/* CPU time and faults of the calling process (getrusage RUSAGE_SELF). */
struct ab_usage {
        uint64_t user_ns;
        uint64_t sys_ns;
        uint64_t minflt;
        uint64_t majflt;
};

/* Monotonic clock in ns; never goes backwards, unaffected by time-of-day changes. No malloc. */
uint64_t ab_prim_now_ns(void);

/* Memory figures of the calling process. No malloc. Returns 0 or -errno;
 * on error every field is AB_UNKNOWN. */
int ab_prim_mem_self(struct ab_mem *m);

/* Resident and virtual size of another process, for sampling a child from
 * outside (cheap: one small read). pte/hwm may be AB_UNKNOWN. Returns 0 or -errno
 * (-ESRCH once the process is gone). No malloc. */
int ab_prim_mem_pid(pid_t pid, struct ab_mem *m);

/* A process and every process below it (children of any of its threads,
 * recursively), summed: what a program that starts others (a shell, a
 * Python script that runs a pipeline) really holds. Fields that could not
 * be read are AB_UNKNOWN. */
struct ab_tree {
        int64_t rss_kib, vsz_kib, pte_kib; /* VmRSS, VmSize, VmPTE */
        int64_t anon_kib;     /* RssAnon: resident anonymous memory (not file mappings) */
        int64_t anon_vsz_kib; /* anonymous address space (mappings without a file,
                                 PROT_NONE reservations included); AB_UNKNOWN unless asked */
        int64_t threads, procs;
};
#define AB_TREE_MAX 4096 /* processes followed below one root */

/* Sample root's tree. with_maps also sums anon_vsz_kib (it reads every
 * /proc/PID/maps: costlier, for round ends). Parent side (it may allocate).
 * Returns 0, -ESRCH when root is gone, -ENOSYS where unsupported. */
int ab_prim_tree(pid_t root, int with_maps, struct ab_tree *t);

/* Parse the text of a /proc/PID/status-style file (VmRSS:, VmSize:, VmPTE:,
 * VmHWM: lines in kB). Fields not present stay AB_UNKNOWN. Exposed for tests
 * on saved fixtures; on platforms without such a file it returns -ENOSYS. */
int ab_prim_parse_status(const char *buf, size_t len, struct ab_mem *m);

/* ru_maxrss of a struct rusage in KiB (it is bytes on macOS). */
struct rusage;
int64_t ab_prim_maxrss_kib(const struct rusage *ru);

/* getrusage of the calling process. No malloc. */
int ab_prim_usage_self(struct ab_usage *u);

/* Name of the environment variable the dynamic loader preloads from
 * ("LD_PRELOAD" on ELF systems, "DYLD_INSERT_LIBRARIES" on macOS). */
const char *ab_prim_preload_var(void);

/* The number of a signal a program can catch, by name ("USR2", "SIGUSR2")
 * or number ("12"); 0 for anything else (SIGKILL and SIGSTOP included). */
int ab_prim_signal_number(const char *name);

/* Directory holding the running executable, without a trailing slash.
 * argv0 is the fallback where the OS cannot say. Returns 0 or -errno. */
int ab_prim_exe_dir(const char *argv0, char *buf, size_t len);

/* Transparent huge page mode ("always", "madvise", "never") or "unknown". */
void ab_prim_thp_mode(char *buf, size_t len);

/* C library name and version of this process, e.g. "glibc 2.36", "musl 1.2.3"
 * (the static musl runner), or "unknown". No malloc. */
void ab_prim_libc_version(char *buf, size_t len);

/* Pretty OS name, e.g. "Debian GNU/Linux 12 (bookworm)"; falls back to uname. */
void ab_prim_os_name(char *buf, size_t len);

/* Bind the calling process to the CPUs in the comma/range list `cpus`
 * ("0", "0-3", "1,3"). Called in the child between fork and exec, so it must be
 * async-signal-safe. Returns 0 or -errno (-ENOSYS where unsupported). */
int ab_prim_bind_cpus(const char *cpus);

/* Apply a memory policy (set_mempolicy(2) modes: 1 preferred, 2 bind,
 * 3 interleave, 4 local) over the node mask `mask` of `maxnode` bits. Called
 * between fork and exec: async-signal-safe. Returns 0 or -errno. */
int ab_prim_set_mempolicy(int mode, const uint64_t *mask, unsigned long maxnode);

/* The hardware instruction counter of the calling thread (user space only,
 * created disabled, inherited by threads created later). Returns a handle
 * >= 0, or -errno where the kernel or the machine does not allow it. No malloc. */
int ab_prim_icount_open(void);
/* Enable / disable (no malloc, one system call each). */
void ab_prim_icount_enable(int h, int on);
/* Read the count; AB_UNKNOWN on error. */
int64_t ab_prim_icount_read(int h);

/* Between fork and exec: have the calling process killed when the process
 * that forked it dies (a harness killed by SIGKILL leaves no child running
 * on; a timeout is only enforced by a living harness). Async-signal-safe.
 * `parent` is the parent's pid, taken before the fork: a parent that died
 * before the call (before the kernel could tie the two) ends the child at
 * once. 0, or -ENOSYS where unsupported. */
int ab_prim_die_with_parent(pid_t parent);

/* Which platform implementation was built ("linux", "generic"). */
const char *ab_prim_name(void);

#endif
