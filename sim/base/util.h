/*
 * base/util.h — error reporting and checked allocation shared by every module.
 *
 * Errors carry an exit-code class (UTIL_OK, UTIL_ERUNTIME, UTIL_EINPUT; the
 * same numbers the CLI returns) and a message that callers prefix with their
 * own context as the error travels up the stack ("config.yaml:3:5: ...").
 * No unit conventions live here.
 */
#ifndef ARENASIM_UTIL_H
#define ARENASIM_UTIL_H

#include <stddef.h>
#include <stdint.h>

enum { UTIL_OK = 0, UTIL_ERUNTIME = 1, UTIL_EINPUT = 2 };

#define UTIL_ERR_LEN 2048

typedef struct {
    int code;                /* UTIL_OK, UTIL_ERUNTIME or UTIL_EINPUT */
    char msg[UTIL_ERR_LEN];  /* human-readable, no trailing newline */
} util_err;

/* Record an error (overwrites any previous one); returns code. */
int util_err_set(util_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix the current message with context: "<context>: <old message>". */
int util_err_prefix(util_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void util_err_clear(util_err *e);

/* Allocation that never returns NULL: on failure prints and exits(1). */
void *util_malloc(size_t n);
void *util_calloc(size_t count, size_t size);
/* util_malloc for buffers of many MiB filled in one go: asks the kernel for
 * transparent huge pages (fewer page faults) where it offers them. free() it. */
void *util_malloc_large(size_t n);
void *util_realloc(void *p, size_t n);
char *util_strdup(const char *s);

/* 64-bit FNV-1a hash of a byte string (config identity across shards). */
uint64_t util_hash64(const void *data, size_t n);

/* Monotonic wall clock in seconds. */
double util_now(void);

#endif
