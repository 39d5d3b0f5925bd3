/*
 * sweep/sweep.c — the points of `arenasim run`: each point's params from the
 * config, its scenario, every replicate (OpenMP, one workspace per thread,
 * each replicate on its own random stream so results do not depend on the
 * thread count or the schedule), and the point written to the result file
 * once its last replicate is done. Units: as in arena/arena.h.
 *
 * The (point, replicate) pairs form one queue, handed out in order, so a
 * thread that has no replicate of the current point left starts on the next
 * point instead of waiting for the current one's last replicate and its
 * write (with R replicates per point and T threads, waiting cost the idle
 * share 1 − R/(T·⌈R/T⌉) of every point). A point is set up by the first
 * thread that takes one of its replicates and written by the thread that
 * finishes its last; at most T points are open at once.
 */
#include "sweep/sweep.h"

#include <errno.h>
#include <omp.h>
#include <stdlib.h>

#include "arena/arena.h"

/* One point of the queue. */
typedef struct {
    size_t point;
    omp_lock_t lock;   /* held while the point is set up */
    int ready;         /* 0: not set up; 1: set up; −1: setting up failed (err) */
    params *p;
    arena_scenario s;
    arena_result *res; /* [R] */
    int *rep_rc;       /* [R] */
    util_err *rep_err; /* [R] */
    int left;          /* replicates not finished (run or skipped) */
    int skipped;       /* replicates not run: a stop, or an earlier point failed */
    int rc;            /* outcome once left = 0: UTIL_OK, an error code (err), −1 not written */
    int io_errno;      /* errno after a failed write */
    util_err err;
} sweep_slot;

typedef struct {
    const config *c;
    sweep_slot *slot;
    size_t n;
    int R;
    const volatile sig_atomic_t *stop;
    output *out;
    sweep_done_fn done;
    void *done_arg;
    size_t next;       /* the next (point, replicate) of the queue: point·R + replicate */
    size_t first_bad;  /* the lowest slot that failed (n: none); later replicates are skipped */
    int write_failed;  /* no write is tried after a failed one */
} sweep_queue;

/* first_bad = min(first_bad, i); read elsewhere with atomic reads. */
static void mark_bad(sweep_queue *q, size_t i)
{
#pragma omp critical(sweep_bad)
    {
        size_t cur;
#pragma omp atomic read seq_cst
        cur = q->first_bad;
        if (i < cur) {
#pragma omp atomic write seq_cst
            q->first_bad = i;
        }
    }
}

/* Params, scenario and result arrays of slot i, once (the first caller). */
static int slot_ready(sweep_queue *q, size_t i)
{
    sweep_slot *sl = &q->slot[i];
    omp_set_lock(&sl->lock);
    if (sl->ready == 0) {
        sl->p = util_malloc(sizeof *sl->p);
        int rc = config_point(q->c, sl->point, sl->p, &sl->err);
        if (!rc)
            rc = arena_scenario_init(&sl->s, sl->p, &sl->err);
        if (rc) {
            util_err_prefix(&sl->err, "point %zu", sl->point);
            free(sl->p);
            sl->p = NULL;
            sl->ready = -1;
        } else {
            sl->res = util_calloc((size_t)q->R, sizeof *sl->res);
            sl->rep_rc = util_calloc((size_t)q->R, sizeof(int));
            sl->rep_err = util_calloc((size_t)q->R, sizeof(util_err));
            for (int k = 0; k < q->R; k++)
                arena_result_alloc(&sl->res[k], sl->s.n_slots, sl->p->n_gaming);
            sl->ready = 1;
        }
    }
    int ready = sl->ready;
    omp_unset_lock(&sl->lock);
    return ready;
}

/* The point's outcome from its replicates: the first failed replicate's
 * error, −1 if any was skipped, else UTIL_OK. */
static int slot_outcome(const sweep_queue *q, sweep_slot *sl)
{
    if (sl->ready < 0)
        return sl->err.code;
    if (sl->ready == 0 || sl->skipped)
        return -1;
    for (int k = 0; k < q->R; k++)
        if (sl->rep_rc[k] > 0) {
            sl->err = sl->rep_err[k];
            return util_err_prefix(&sl->err, "point %zu, replicate %d", sl->point, k);
        }
    return UTIL_OK;
}

static void slot_release(const sweep_queue *q, sweep_slot *sl)
{
    if (sl->ready != 1)
        return;
    for (int k = 0; k < q->R; k++)
        arena_result_free(&sl->res[k]);
    free(sl->res);
    free(sl->rep_rc);
    free(sl->rep_err);
    arena_scenario_free(&sl->s);
    free(sl->p);
    sl->ready = 0;
}

/* Slot i's last replicate is done: write the point (one writer at a time;
 * HDF5 is not thread-safe), then free it. */
static void slot_finish(sweep_queue *q, size_t i)
{
    sweep_slot *sl = &q->slot[i];
    int rc = slot_outcome(q, sl);
    if (rc == UTIL_OK) {
#pragma omp critical(sweep_output)
        {
            if (q->write_failed) {
                rc = -1;
            } else {
                errno = 0;
                rc = output_write_point(q->out, sl->point, &sl->s, sl->res, q->R, &sl->err);
                if (rc) {
                    sl->io_errno = errno;
                    q->write_failed = 1;
                } else if (q->done) {
                    q->done(q->done_arg, sl->point);
                }
            }
        }
    }
    if (rc > 0)
        mark_bad(q, i);
    sl->rc = rc;
    slot_release(q, sl);
}

/* Run (point i, replicate k) on the thread's workspace *w (made again when
 * the thread moves to another point). Returns its rc; −1 when skipped. */
static int run_one(sweep_queue *q, size_t i, int k, arena_ws **w, size_t *w_slot)
{
    size_t bad;
#pragma omp atomic read seq_cst
    bad = q->first_bad;
    if (i > bad || (q->stop && *q->stop))
        return -1;
    int ready = slot_ready(q, i);
    if (ready < 0) {
        mark_bad(q, i);
        return 1;
    }
    sweep_slot *sl = &q->slot[i];
    if (*w_slot != i) {
        arena_ws_free(*w);
        *w = arena_ws_alloc(&sl->s);
        *w_slot = i;
    }
    int rc = arena_replicate(&sl->s, *w, sl->point, (uint64_t)k, &sl->res[k], &sl->rep_err[k]);
    sl->rep_rc[k] = rc;
    if (rc > 0)
        mark_bad(q, i);
    return rc;
}

static void worker(sweep_queue *q)
{
    arena_ws *w = NULL;
    size_t w_slot = (size_t)-1, total = q->n * (size_t)q->R;
    for (;;) {
        size_t t;
#pragma omp atomic capture seq_cst
        t = q->next++;
        if (t >= total)
            break;
        size_t i = t / (size_t)q->R;
        sweep_slot *sl = &q->slot[i];
        if (run_one(q, i, (int)(t % (size_t)q->R), &w, &w_slot) < 0) {
#pragma omp atomic update seq_cst
            sl->skipped++;
        }
        int left; /* seq_cst: the finisher sees every replicate's results */
#pragma omp atomic capture seq_cst
        left = --sl->left;
        if (left == 0)
            slot_finish(q, i);
    }
    arena_ws_free(w);
}

/* Errors are recorded per point and reported after the parallel region
 * (never an early return inside it): the lowest failed point's. */
int sweep_run_points(const config *c, const size_t *points, size_t n, int threads,
                     const volatile sig_atomic_t *stop, output *out, sweep_done_fn done,
                     void *done_arg, int *io_errno, util_err *err)
{
    if (n == 0)
        return UTIL_OK;
    params *p0 = util_malloc(sizeof *p0);
    int rc = config_point(c, points[0], p0, err);
    int R = p0->replicates; /* not sweepable: the same at every point */
    free(p0);
    if (rc)
        return util_err_prefix(err, "point %zu", points[0]);
    sweep_slot *slot = util_calloc(n, sizeof *slot);
    for (size_t i = 0; i < n; i++) {
        slot[i].point = points[i];
        slot[i].left = R;
        omp_init_lock(&slot[i].lock);
    }
    sweep_queue q = {c, slot, n, R, stop, out, done, done_arg, 0, n, 0};
#pragma omp parallel num_threads(threads)
    worker(&q);
    rc = UTIL_OK;
    for (size_t i = 0; i < n; i++) {
        if (slot[i].rc > 0 && rc <= 0) {
            *err = slot[i].err;
            if (io_errno)
                *io_errno = slot[i].io_errno;
            rc = slot[i].rc;
        } else if (slot[i].rc < 0 && rc == UTIL_OK) {
            rc = -1;
        }
        omp_destroy_lock(&slot[i].lock);
    }
    free(slot);
    return rc;
}
