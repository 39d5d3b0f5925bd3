/*
 * game/game.h — strategic vendors (DESIGN §2 "Strategic vendors", README
 * "Which policy stops the gaming?"): each gaming vendor picks a strategy
 * (variants, style intensity, testing votes per variant) from the sweep's
 * grid; per policy, its best response and the pure-strategy equilibrium by
 * iterated best response over the joint grid. The game needs every sweep
 * point, so it runs on a complete result file (after `run` of the whole
 * sweep, or after `merge`) and writes the group /game.
 *
 * Units: payoffs in the units of game.payoff (−displayed rank, or arena
 * points of field-relative score) minus costs in the same units.
 */
#ifndef ARENASIM_GAME_H
#define ARENASIM_GAME_H

#include <stddef.h>

#include "config/config.h"
#include "base/util.h"

#define GAME_MAX_PLAYERS 3

/* One normal-form game with estimated payoffs: n players, player i has
 * n_strat[i] strategies; a profile (s_0, ..., s_{n−1}) is indexed in mixed
 * radix, player 0 slowest. mean[profile·n + i] and se[...] are player i's
 * mean payoff and its standard error (NaN: no value, never chosen);
 * cost[i][s] the cost of player i's strategy s (near-ties go to the
 * cheaper). */
typedef struct {
    int n;
    int n_strat[GAME_MAX_PLAYERS];
    const double *mean, *se;
    const double *cost[GAME_MAX_PLAYERS];
    double tie_se; /* strategies within tie_se · se of the difference from the best are near-ties */
} game_def;

enum { GAME_EQUILIBRIUM = 0, GAME_CYCLE = 1, GAME_NONE = 2 };
extern const char *const game_status_names[3]; /* "equilibrium", "cycle", "none" */

/* Number of joint profiles and the index of a profile. */
size_t game_n_profiles(const game_def *d);
size_t game_profile_index(const game_def *d, const int *s);

/* Player i's best response to the others' strategies in s (s[i] ignored):
 * the strategy with the highest mean payoff, or among those within tie_se
 * standard errors of the difference from it, the cheapest (then the first
 * in grid order). −1 if no strategy has a payoff. */
int game_best_response(const game_def *d, int i, const int *s);

/* Iterated best response from every player's first strategy, players in
 * order, until a round changes nothing (GAME_EQUILIBRIUM, profile in s) or
 * a profile repeats (a cycle): then every profile is searched for a pure
 * equilibrium (GAME_CYCLE with the one found first in s, or GAME_NONE with
 * s all −1). *rounds = rounds of best responses played. */
int game_equilibrium(const game_def *d, int *s, int *rounds);

/* A config with a game: block whose sweep cannot be read as a game (no
 * strategy axes, more than GAME_MAX_PLAYERS strategic vendors, or not every
 * strategy × policy combination): UTIL_EINPUT with the reason. */
int game_check(const config *c, util_err *err);

/* The game of a complete result file: read its config, /summary, build
 * the game of each policy, and write /game. Returns UTIL_OK (also when the
 * config has no game: block, writing nothing), UTIL_EINPUT when the sweep
 * does not hold every strategy × policy combination. */
int game_write_file(const char *path, util_err *err);

#endif
