/*
 * game/game.c — best responses and iterated best response on a game with
 * estimated payoffs (game.h). Pure: no I/O; allocation only for the record
 * of visited profiles. Units: payoff units (game.h).
 */
#include "game/game.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const game_status_names[3] = {"equilibrium", "cycle", "none"};

size_t game_n_profiles(const game_def *d)
{
    size_t n = 1;
    for (int i = 0; i < d->n; i++)
        n *= (size_t)d->n_strat[i];
    return n;
}

size_t game_profile_index(const game_def *d, const int *s)
{
    size_t x = 0;
    for (int i = 0; i < d->n; i++)
        x = x * (size_t)d->n_strat[i] + (size_t)s[i];
    return x;
}

int game_best_response(const game_def *d, int i, const int *s)
{
    int t[GAME_MAX_PLAYERS], best = -1;
    memcpy(t, s, sizeof(int) * (size_t)d->n);
    double bm = -INFINITY, bse = 0;
    for (int k = 0; k < d->n_strat[i]; k++) {
        t[i] = k;
        size_t q = game_profile_index(d, t) * (size_t)d->n + (size_t)i;
        if (isfinite(d->mean[q]) && d->mean[q] > bm)
            best = k, bm = d->mean[q], bse = d->se[q];
    }
    if (best < 0)
        return -1;
    int pick = best; /* the cheapest near-tie; the first in grid order among equals */
    for (int k = 0; k < d->n_strat[i]; k++) {
        t[i] = k;
        size_t q = game_profile_index(d, t) * (size_t)d->n + (size_t)i;
        double se = d->se[q];
        double margin = d->tie_se * sqrt(bse * bse + (isfinite(se) ? se * se : 0.0));
        if (isfinite(d->mean[q]) && d->mean[q] >= bm - margin &&
            d->cost[i][k] < d->cost[i][pick])
            pick = k;
    }
    return pick;
}

/* 1 if every player's strategy in s is its best response to the others. */
static int is_equilibrium(const game_def *d, const int *s)
{
    for (int i = 0; i < d->n; i++)
        if (game_best_response(d, i, s) != s[i])
            return 0;
    return 1;
}

static int search_all(const game_def *d, int *s)
{
    size_t np = game_n_profiles(d);
    for (size_t x = 0; x < np; x++) {
        size_t r = x;
        for (int i = d->n - 1; i >= 0; i--) {
            s[i] = (int)(r % (size_t)d->n_strat[i]);
            r /= (size_t)d->n_strat[i];
        }
        if (is_equilibrium(d, s))
            return GAME_CYCLE;
    }
    for (int i = 0; i < d->n; i++)
        s[i] = -1;
    return GAME_NONE;
}

int game_equilibrium(const game_def *d, int *s, int *rounds)
{
    size_t np = game_n_profiles(d);
    unsigned char *seen = calloc(np, 1);
    int status = GAME_NONE;
    for (int i = 0; i < d->n; i++)
        s[i] = 0;
    *rounds = 0;
    for (;;) {
        seen[game_profile_index(d, s)] = 1;
        int changed = 0;
        for (int i = 0; i < d->n; i++) {
            int b = game_best_response(d, i, s);
            if (b >= 0 && b != s[i])
                s[i] = b, changed = 1;
        }
        ++*rounds;
        if (!changed) {
            status = is_equilibrium(d, s) ? GAME_EQUILIBRIUM : search_all(d, s);
            break;
        }
        if (seen[game_profile_index(d, s)]) {
            status = search_all(d, s);
            break;
        }
    }
    free(seen);
    return status;
}
