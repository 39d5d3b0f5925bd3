/*
 * arena/timeline.c — when battles happen (DESIGN §2, "Arena"): the arena's
 * votes arrive as one stream in which the public phase runs throughout and
 * the gaming vendors' battles (private testing, then the listed and released
 * models) are interleaved with it as they happen. The buffer of a replicate
 * is written in time order, so a battle's index is its timestamp: online
 * Elo runs in that order and `arenasim battles` exports it as `tstamp`.
 *
 * The public pool has a history: the public votes that the vendors'
 * battles do not need, in expectation, to be interleaved with them (see
 * arena_public_history) come first, so the selection fit sees an
 * established public board, as on the real arena; then private testing
 * with public votes interleaved, the selection, the listed / released
 * models' battles with public votes interleaved, and any public votes left.
 *
 * Who gets the next battle: every active "stream" (the public pool, and each
 * vendor entity that still has battles of the current stage to play) is
 * drawn with probability proportional to its weight. The public pool weighs
 * Σ models[].weight under `sampling: weights`, one per public model under
 * `uniform`; each active vendor entity weighs gaming[].weight. The battle
 * counts stay as configured; the weights set their pace — how many public
 * votes land between them, and so how many public votes the selection fit
 * (at the end of private testing) sees. Once the public battles are used up
 * the vendors' remaining battles follow one another.
 * No units: indices, counts and relative weights.
 */
#include "arena/arena_internal.h"

#include <math.h>

double arena_public_weight(const arena_scenario *s)
{
    return s->p->sampling == SAMPLING_UNIFORM ? (double)s->p->n_models
                                              : s->pub_cum[s->p->n_models - 1];
}

static double active_weight(const arena_stream *st, int ns)
{
    double a = 0;
    for (int i = 0; i < ns; i++)
        if (st[i].left > 0)
            a += st[i].w;
    return a;
}

/* Public votes before private testing starts: n_public minus the public
 * votes expected during testing (T₁·W_pub/A₁: T₁ testing battles, A₁ the
 * weight of all variants) and after listing (T₂·W_pub/A₂ likewise for the
 * listed and released models), at least 0. Depends on the config only. */
long arena_public_history(const arena_scenario *s)
{
    const params *p = s->p;
    const double wpub = arena_public_weight(s);
    double a1 = 0, t1 = 0, a2 = 0, t2 = 0;
    for (int g = 0; g < p->n_gaming; g++) {
        const params_gaming *v = &p->gaming[g];
        long rel = s->rel_ent[g] >= 0 ? v->n_release : 0;
        a1 += v->n_variants * v->weight;
        t1 += (double)v->n_variants * (double)v->n_test;
        a2 += v->weight * ((v->n_listed > 0) + (rel > 0));
        t2 += (double)(v->n_listed + rel);
    }
    double need = (a1 > 0 ? t1 * wpub / a1 : 0) + (a2 > 0 ? t2 * wpub / a2 : 0);
    double h = (double)p->n_public - ceil(need);
    return h > 0 ? (long)h : 0;
}

/* Play every stream out, interleaved with public battles while they last. */
static void run_stage(const arena_scenario *s, arena_ws *w, arena_stream *st, int ns, long *pub_left)
{
    const double wpub = arena_public_weight(s);
    double wact = active_weight(st, ns);
    while (wact > 0) {
        double wp = *pub_left > 0 ? wpub : 0;
        double u = gsl_rng_uniform(w->rng) * (wp + wact);
        if (u < wp) {
            arena_public_battles(s, w, 1);
            (*pub_left)--;
            continue;
        }
        u -= wp;
        int k = -1;
        for (int i = 0; i < ns; i++) {
            if (st[i].left <= 0)
                continue;
            k = i;
            if (u < st[i].w)
                break;
            u -= st[i].w;
        }
        arena_entity_battles(s, w, st[k].e, 1, st[k].phase);
        if (--st[k].left == 0)
            wact = active_weight(st, ns); /* recomputed, not subtracted: no drift */
    }
}

/* The public history, then private testing of every vendor's variants
 * with the public votes that arrive meanwhile; the selection fit follows
 * at the end of it. */
void arena_testing_stage(const arena_scenario *s, arena_ws *w, long *pub_left)
{
    const params *p = s->p;
    long hist = arena_public_history(s);
    hist = hist < *pub_left ? hist : *pub_left;
    arena_public_battles(s, w, hist);
    *pub_left -= hist;
    arena_stream *st = w->streams;
    int ns = 0;
    for (int g = 0; g < p->n_gaming; g++)
        for (int k = 0; k < p->gaming[g].n_variants; k++)
            st[ns++] = (arena_stream){s->var_off[g] + k, ARENA_PHASE_TESTING, p->gaming[g].n_test,
                                   p->gaming[g].weight};
    run_stage(s, w, st, ns, pub_left);
}

/* After listing: the listed variants' and released models' battles, then
 * the public votes that remain. */
void arena_listed_stage(const arena_scenario *s, arena_ws *w, long *pub_left)
{
    const params *p = s->p;
    arena_stream *st = w->streams;
    int ns = 0;
    for (int g = 0; g < p->n_gaming; g++) {
        st[ns++] = (arena_stream){s->var_off[g] + w->selected[g], ARENA_PHASE_LISTED,
                               p->gaming[g].n_listed, p->gaming[g].weight};
        if (s->rel_ent[g] >= 0)
            st[ns++] = (arena_stream){s->rel_ent[g], ARENA_PHASE_RELEASE, p->gaming[g].n_release,
                                   p->gaming[g].weight};
    }
    run_stage(s, w, st, ns, pub_left);
    arena_public_battles(s, w, *pub_left);
    *pub_left = 0;
}
