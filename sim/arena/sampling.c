/*
 * arena/sampling.c — pair sampling (DESIGN §2, "Arena"): which public opponent a
 * battle draws (uniform, by weight, or by the arena's published policy), the
 * public phase, and the battles of one entity (testing, listed, release)
 * against the public field.
 *
 * sampling: arena (README "Sampling") runs the public phase and private
 * testing as one stream of public_battles + Σ variants × testing_battles
 * battles. Each battle draws its first model from every public model and
 * every variant with testing votes left, by weight: base weight (models[] /
 * gaming[].weight) × new_model_weight while a variant has fewer than
 * new_model_votes votes × top_weight for the top_k public models of the
 * current leaderboard (a BT refit on the public votes so far, every
 * refit_every battles; until the first refit succeeds no model is "top");
 * a provider whose unreleased variants would get more than unreleased_share
 * of the first draws has their weights scaled down to exactly that share.
 * A variant meets a public opponent, a public model another public model,
 * both drawn by the public weights. The split between public and testing
 * votes, and each variant's testing votes, follow from the weights (a
 * variant stops at testing_battles). No units: indices, counts, weights.
 */
#include "arena/arena_internal.h"

#include <gsl/gsl_randist.h>
#include <string.h>

#include "base/rng.h"

/* A public opponent drawn by the sampling policy. */
static int draw_public(const arena_scenario *s, const arena_ws *w, gsl_rng *r)
{
    const int n = s->p->n_models;
    if (s->p->sampling == SAMPLING_UNIFORM)
        return (int)rng_index(r, (uint64_t)n);
    if (s->p->sampling == SAMPLING_ARENA) {
        double tot = 0;
        for (int i = 0; i < n; i++)
            tot += w->wt[i];
        double u = rng_u01(r) * tot;
        for (int i = 0; i < n - 1; i++)
            if ((u -= w->wt[i]) < 0)
                return i;
        return n - 1;
    }
    double u = rng_u01(r) * s->pub_cum[n - 1];
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
        int a = draw_public(s, w, w->rng), b;
        do
            b = draw_public(s, w, w->rng);
        while (b == a);
        arena_vote(s, w, a, b, ARENA_PHASE_PUBLIC);
    }
}

/* n battles of entity e against public opponents, random sides. */
void arena_entity_battles(const arena_scenario *s, arena_ws *w, int e, long n, int phase)
{
    for (long i = 0; i < n; i++) {
        int o = draw_public(s, w, w->rng);
        if (rng_u01(w->rng) < 0.5)
            arena_vote(s, w, e, o, phase);
        else
            arena_vote(s, w, o, e, phase);
    }
}

/* ---- sampling: arena ----------------------------------------------------- */

void arena_sampling_alloc(const arena_scenario *s, arena_ws *w)
{
    if (s->p->sampling != SAMPLING_ARENA)
        return;
    const int n = s->p->n_models;
    w->votes = util_calloc((size_t)s->n_ent, sizeof(long));
    w->left = util_calloc((size_t)s->n_ent, sizeof(long));
    w->wt = util_calloc((size_t)s->n_ent, sizeof(double));
    w->r_pub = util_calloc((size_t)n, sizeof(double));
    w->top = util_calloc((size_t)n, 1);
    w->tab_pub = rating_table_alloc(n);
    w->bt_pub = rating_bt_ws_alloc(n);
}

void arena_sampling_free(arena_ws *w)
{
    free(w->votes);
    free(w->left);
    free(w->wt);
    free(w->r_pub);
    free(w->top);
    rating_table_free(w->tab_pub);
    rating_bt_ws_free(w->bt_pub);
}

/* The current leaderboard: BT on the public votes so far; its top k get
 * top_weight. A fit without a finite MLE keeps the previous top k. */
static void refit_top(const arena_scenario *s, arena_ws *w)
{
    const params *p = s->p;
    const int n = p->n_models;
    rating_table_clear(w->tab_pub);
    for (size_t i = 0; i < w->nb; i++)
        if (w->b[i].phase == ARENA_PHASE_PUBLIC)
            rating_table_add(w->tab_pub, w->b[i].a, w->b[i].b, w->b[i].outcome, 1.0);
    rating_fit_opts fo = {0, 0};
    util_err err;
    if (rating_bt_fit(w->tab_pub, w->bt_pub, &fo, w->r_pub, NULL, &err) != UTIL_OK)
        return;
    for (int i = 0; i < n; i++) { /* rank by rating; ties to the lower index */
        int above = 0;
        for (int j = 0; j < n; j++)
            above += w->r_pub[j] > w->r_pub[i] || (w->r_pub[j] == w->r_pub[i] && j < i);
        w->top[i] = above < p->top_k;
    }
}

/* First-draw weights of every entity, the provider cap applied: capped
 * providers get exactly unreleased_share of the total each, the rest keep
 * their weights (iterated until no uncapped provider exceeds the share). */
static void arena_weights(const arena_scenario *s, arena_ws *w)
{
    const params *p = s->p;
    const double c = p->unreleased_share;
    double wg[PARAMS_MAX_GAMING] = {0}, free_w = 0;
    unsigned char capped[PARAMS_MAX_GAMING] = {0};
    for (int i = 0; i < p->n_models; i++)
        free_w += w->wt[i] = p->models[i].weight * (w->top[i] ? p->top_weight : 1.0);
    for (int g = 0; g < p->n_gaming; g++)
        for (int k = 0; k < p->gaming[g].n_variants; k++) {
            int e = s->var_off[g] + k;
            w->wt[e] = w->left[e] <= 0 ? 0.0
                       : p->gaming[g].weight * (w->votes[e] < p->new_votes ? p->new_weight : 1.0);
            wg[g] += w->wt[e];
        }
    for (int g = 0; g < p->n_gaming; g++)
        free_w += wg[g];
    for (int changed = 1, n_cap = 0; changed;) {
        changed = 0; /* total = free / (1 − n_cap · c) with the capped ones at c · total */
        double total = free_w / (1.0 - n_cap * c);
        for (int g = 0; g < p->n_gaming; g++)
            if (!capped[g] && wg[g] > c * total && n_cap + 1 < 1.0 / c + 1e-12) {
                capped[g] = 1, n_cap++, free_w -= wg[g], changed = 1;
                break;
            }
        if (!changed)
            for (int g = 0; g < p->n_gaming; g++)
                if (capped[g] && wg[g] > 0) {
                    double f = c * total / wg[g];
                    for (int k = 0; k < p->gaming[g].n_variants; k++)
                        w->wt[s->var_off[g] + k] *= f;
                }
    }
}

static int draw_first(const arena_scenario *s, const arena_ws *w, gsl_rng *r)
{
    int last = s->p->n_models - 1;
    double tot = 0;
    for (int e = 0; e < s->n_ent; e++)
        tot += w->wt[e];
    double u = gsl_rng_uniform(r) * tot;
    for (int e = 0; e < s->n_ent; e++)
        if (w->wt[e] > 0) {
            last = e;
            if ((u -= w->wt[e]) < 0)
                return e;
        }
    return last;
}

void arena_policy_battles(const arena_scenario *s, arena_ws *w)
{
    const params *p = s->p;
    long total = p->n_public;
    memset(w->votes, 0, (size_t)s->n_ent * sizeof(long));
    memset(w->left, 0, (size_t)s->n_ent * sizeof(long));
    memset(w->top, 0, (size_t)p->n_models);
    for (int g = 0; g < p->n_gaming; g++)
        for (int k = 0; k < p->gaming[g].n_variants; k++) {
            w->left[s->var_off[g] + k] = p->gaming[g].n_test;
            total += p->gaming[g].n_test;
        }
    for (long t = 0; t < total; t++) {
        if (t > 0 && t % p->refit_every == 0)
            refit_top(s, w);
        arena_weights(s, w);
        int a = draw_first(s, w, w->rng), b;
        if (a >= p->n_models) { /* a variant under test */
            b = draw_public(s, w, w->rng);
            w->left[a]--;
            if (gsl_rng_uniform(w->rng) < 0.5)
                arena_vote(s, w, a, b, ARENA_PHASE_TESTING);
            else
                arena_vote(s, w, b, a, ARENA_PHASE_TESTING);
        } else {
            do
                b = draw_public(s, w, w->rng);
            while (b == a);
            arena_vote(s, w, a, b, ARENA_PHASE_PUBLIC);
        }
        w->votes[a]++;
        w->votes[b]++;
    }
}
