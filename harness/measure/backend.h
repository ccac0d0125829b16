/*
 * backend.h - allocator backends: the built-in descriptors of
 * allocators/backends.def, plus any path to a malloc-replacing shared library.
 *
 * The harness resolves a backend to the library file to preload (or none)
 * and the runner to start (ab-runner, or one of its own such as the static
 * ab-runner-musl, whose C library is the allocator); the runner, inside the
 * child, asks the loaded library for its version (ab_version_query) and
 * names the object that serves malloc (ab_version_malloc_owner). The harness
 * itself never loads an allocator.
 */
#ifndef AB_BACKEND_H
#define AB_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "runner/proto.h" /* enum ab_vquery */


struct ab_backend {
        const char *name;
        const char *soname;  /* NULL: nothing preloaded */
        const char *runner;  /* NULL: ab-runner; else the runner's file name, next to it */
        const char *package; /* Debian package that ships it (or its runner's compiler) */
        enum ab_vquery vq;
        const char *help;
};

extern const struct ab_backend ab_backends[];
extern const size_t ab_nbackends;

/* A backend chosen for a run. */
struct ab_alloc {
        char name[64];     /* built-in name, or the file name of a custom library */
        char library[4096]; /* absolute path to preload; "" for none */
        char runner[4096];  /* the runner to start; "" for ab-runner (ab_alloc_runner, bench.h) */
        enum ab_vquery vq;
        const struct ab_backend *builtin; /* NULL for a custom library */
        size_t wrap;       /* --wrap: the launcher this allocator runs under, as 1 +
                              its index into ab_opts.wraps; 0 natively */
};

/* Resolve one --alloc item (a built-in name or a path). On failure writes a
 * message naming the problem and the remedy into err and returns -ENOENT
 * (missing library) or -EINVAL (unknown name). */
int ab_backend_resolve(const char *item, struct ab_alloc *out, char *err, size_t errlen);

/* Where a built-in backend's library (for a runner of its own, that runner)
 * lives on this machine, or false. Needs ab_find_runner first. */
bool ab_backend_locate(const struct ab_backend *b, char *path, size_t len);


#endif
