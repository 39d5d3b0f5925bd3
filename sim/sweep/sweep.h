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

/* Run every replicate of sweep point `point` on `threads` OpenMP threads and
 * write the point to `out`. Returns UTIL_OK, an error code (err set, with
 * "point P, replicate R" context), or −1 when *stop became non-zero before
 * every replicate ran (nothing written for the point). */
int sweep_run_point(const config *c, size_t point, int threads, const volatile sig_atomic_t *stop,
                    output *out, util_err *err);

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
