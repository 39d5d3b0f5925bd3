/*
 * sweep/sweep.c — one sweep point of `arenasim run`: its params from the config,
 * its scenario, all replicates in parallel (OpenMP, one workspace per
 * thread, each replicate on its own random stream so results do not depend
 * on the thread count or the schedule), then the point written to the result
 * file. Units: as in arena/arena.h.
 */
#include "sweep/sweep.h"

#include <stdlib.h>

#include "arena/arena.h"

/* Errors are recorded per replicate and reported after the parallel region
 * (never an early return inside it). */
int sweep_run_point(const config *c, size_t point, int threads, const volatile sig_atomic_t *stop,
                    output *out, util_err *err)
{
    params *p = util_malloc(sizeof *p);
    arena_scenario s;
    int rc = config_point(c, point, p, err);
    if (!rc)
        rc = arena_scenario_init(&s, p, err);
    if (rc) {
        util_err_prefix(err, "point %zu", point);
        free(p);
        return rc;
    }
    const int R = p->replicates;
    arena_result *res = util_calloc((size_t)R, sizeof *res);
    int *rep_rc = util_calloc((size_t)R, sizeof(int));
    util_err *rep_err = util_calloc((size_t)R, sizeof(util_err));
    for (int k = 0; k < R; k++)
        arena_result_alloc(&res[k], s.n_slots, p->n_gaming);
#pragma omp parallel num_threads(threads)
    {
        arena_ws *w = arena_ws_alloc(&s);
#pragma omp for schedule(dynamic, 1)
        for (int k = 0; k < R; k++) {
            if (stop && *stop)
                rep_rc[k] = -1;
            else
                rep_rc[k] = arena_replicate(&s, w, point, (uint64_t)k, &res[k], &rep_err[k]);
        }
        arena_ws_free(w);
    }
    rc = UTIL_OK;
    for (int k = 0; k < R && !rc; k++)
        if (rep_rc[k] > 0) {
            *err = rep_err[k];
            rc = util_err_prefix(err, "point %zu, replicate %d", point, k);
        } else if (rep_rc[k] < 0)
            rc = -1;
    if (!rc)
        rc = output_write_point(out, point, &s, res, R, err);
    for (int k = 0; k < R; k++)
        arena_result_free(&res[k]);
    free(res);
    free(rep_rc);
    free(rep_err);
    arena_scenario_free(&s);
    free(p);
    return rc;
}
