/*
 * base/util.c — error messages with context chaining, checked allocation, hashing.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE */
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

int util_err_set(util_err *e, int code, const char *fmt, ...)
{
    if (!e)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = code;
    return code;
}

int util_err_prefix(util_err *e, const char *fmt, ...)
{
    if (!e)
        return UTIL_ERUNTIME;
    char old[UTIL_ERR_LEN];
    memcpy(old, e->msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n + 2 < sizeof e->msg)
        snprintf(e->msg + n, sizeof e->msg - (size_t)n, ": %s", old);
    return e->code;
}

void util_err_clear(util_err *e)
{
    if (e) {
        e->code = UTIL_OK;
        e->msg[0] = '\0';
    }
}

static void oom(size_t n)
{
    fprintf(stderr, "arenasim: out of memory (requested %zu bytes)\n", n);
    exit(UTIL_ERUNTIME);
}

void *util_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

/* Large buffers are filled once per replicate or per file; on a machine
 * whose kernel hands out transparent huge pages on request, asking for them
 * turns ~500 page faults per MiB into ~1 (measured: page faults were ~15 %
 * of the simulator's time, issue 9; this VM charges ~15 µs per first touch
 * of a 4 KiB page, while zeroing a whole 2 MiB page costs ~0.2 ms). So from
 * UTIL_LARGE_MIN on, requests are rounded up to whole huge pages. Without
 * huge pages it is a plain aligned allocation. */
#define UTIL_HUGE_ALIGN ((size_t)2 << 20)
#define UTIL_LARGE_MIN ((size_t)256 << 10)

void *util_malloc_large(size_t n)
{
    if (n < UTIL_LARGE_MIN)
        return util_malloc(n);
    void *p = NULL;
    size_t rounded = (n + UTIL_HUGE_ALIGN - 1) / UTIL_HUGE_ALIGN * UTIL_HUGE_ALIGN;
    if (posix_memalign(&p, UTIL_HUGE_ALIGN, rounded) != 0 || !p)
        return util_malloc(n); /* util_malloc reports the failure */
#ifdef MADV_HUGEPAGE
    (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only: failure is harmless */
#endif
    return p;
}

void *util_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return p;
}

void *util_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *util_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = util_malloc(n);
    memcpy(d, s, n);
    return d;
}

uint64_t util_hash64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

double util_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
