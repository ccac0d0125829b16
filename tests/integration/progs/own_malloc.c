/*
 * own_malloc: a program that brings its own malloc (a bump allocator over a
 * static arena, as some programs link one in): whatever allocator is
 * preloaded, its malloc is not the one called, and allocbench must say so
 * (preload_verified false) rather than report it measured.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Alignas(16) unsigned char arena[8 << 20];
static size_t used;

void *malloc(size_t n)
{
        size_t *p;
        n = (n + 31) & ~(size_t)15;
        if (used + n > sizeof arena)
                return NULL;
        p = (size_t *)(arena + used);
        used += n;
        p[0] = n - 16;
        return p + 2;
}

void free(void *p)
{
        (void)p;
}

void *calloc(size_t k, size_t n)
{
        void *p = n && k > (size_t)-1 / n ? NULL : malloc(k * n);
        if (p)
                memset(p, 0, k * n);
        return p;
}

void *realloc(void *old, size_t n)
{
        void *p = malloc(n);
        if (p && old) {
                size_t had = ((size_t *)old)[-2];
                memcpy(p, old, had < n ? had : n);
        }
        return p;
}

int main(void)
{
        char *s = malloc(64);
        snprintf(s, 64, "%zu bytes from its own arena", used);
        puts(s);
        return 0;
}
