/*
 * sweep/sweep.h — running the points of a sweep (DESIGN §6): the layer between the
 * arena simulator and the result file that `arenasim run` drives. The
 * command keeps the shard arithmetic, resume, signals and progress.
 */
#ifndef ARENASIM_SWEEP_H
#define ARENASIM_SWEEP_H

#include <signal.h>
#include <stddef.h>

#include "base/util.h"
#include "config/config.h"
#include "io/output.h"

/* Called after point `point` is written, by the writing thread, one call at
 * a time (points finish in any order). */
typedef void (*sweep_done_fn)(void *arg, size_t point);

/* Run every replicate of the n sweep points `points` on `threads` OpenMP
 * threads and write each point to `out` once its replicates are done; the
 * points overlap (no thread waits for the others at the end of a point).
 * Returns UTIL_OK; an error code (err set, with "point P[, replicate R]"
 * context; *io_errno = errno after a failed write, where io_errno is not
 * NULL) for the lowest point that failed (once a failure is seen, no
 * replicate of a later point starts, and no write follows a failed one);
 * or −1 when *stop became non-zero (no replicate starts after that; points
 * not complete then are not written). Points written before an error or a
 * stop stay written. */
int sweep_run_points(const config *c, const size_t *points, size_t n, int threads,
                     const volatile sig_atomic_t *stop, output *out, sweep_done_fn done,
                     void *done_arg, int *io_errno, util_err *err);

/* The resources a run needs against what the machine offers (sweep/budget.c).
 * Bytes; an *_available < 0 is unknown (not checked). */
typedef struct {
    double memory;           /* the largest point of the shard */
    size_t worst_point;
    double output;           /* result file, uncompressed (an upper bound) */
    double memory_available; /* least of MemAvailable, cgroup limit, RLIMIT_AS/DATA */
    double disk_available;   /* free space where the output goes */
} sweep_budget_t;

/* Memory this process may use (bytes), or −1 if unknown. */
double sweep_memory_available(void);
/* Estimate the budget of the points of shard shard_i/shard_n. */
int sweep_budget(const config *c, int threads, int shard_i, int shard_n, const char *out,
                 sweep_budget_t *b, util_err *err);
/* UTIL_EINPUT with a message naming the limit when the run will not fit. */
int sweep_budget_check(const sweep_budget_t *b, const char *out, int threads, util_err *err);

#endif
