/*
 * arena/sampling.c — pair sampling (DESIGN §2, "Arena"): which public opponent a
 * battle draws (uniform or by weight), the public phase, and the battles of
 * one entity (testing, listed, release) against the public field.
 * No units: indices and counts.
 */
#include "arena/arena_internal.h"

#include <gsl/gsl_randist.h>

/* A public opponent drawn by the sampling policy. */
static int draw_public(const arena_scenario *s, gsl_rng *r)
{
    const int n = s->p->n_models;
    if (s->p->sampling == SAMPLING_UNIFORM)
        return (int)gsl_rng_uniform_int(r, (unsigned long)n);
    double u = gsl_rng_uniform(r) * s->pub_cum[n - 1];
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s->pub_cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* n battles among public models. */
void arena_public_battles(const arena_scenario *s, arena_ws *w, long n)
{
    for (long i = 0; i < n; i++) {
        int a = draw_public(s, w->rng), b;
        do
            b = draw_public(s, w->rng);
        while (b == a);
        arena_vote(s, w, a, b, ARENA_PHASE_PUBLIC);
    }
}

/* n battles of entity e against public opponents, random sides. */
void arena_entity_battles(const arena_scenario *s, arena_ws *w, int e, long n, int phase)
{
    for (long i = 0; i < n; i++) {
        int o = draw_public(s, w->rng);
        if (gsl_rng_uniform(w->rng) < 0.5)
            arena_vote(s, w, e, o, phase);
        else
            arena_vote(s, w, o, e, phase);
    }
}
