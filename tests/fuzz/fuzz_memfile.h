/*
 * fuzz_memfile.h - the harnesses' way to hand bytes to a loader that reads
 * a path: an anonymous in-memory file (memfd), named by /proc/self/fd/N.
 */
#ifndef AB_FUZZ_MEMFILE_H
#define AB_FUZZ_MEMFILE_H

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* A regular in-memory file holding data: its path in path, its descriptor
 * returned (close it when done), -1 on failure. */
static inline int fuzz_memfile(const void *data, size_t size, char *path, size_t len)
{
        int fd = memfd_create("fuzz", MFD_CLOEXEC);
        if (fd < 0)
                return -1;
        if (size && write(fd, data, size) != (ssize_t)size) {
                close(fd);
                return -1;
        }
        snprintf(path, len, "/proc/self/fd/%d", fd);
        return fd;
}

#endif
