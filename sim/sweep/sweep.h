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

#endif
