/*
 * test_game.c — best response and iterated best response (sim/game) on
 * constructed games whose answers are known on paper, and the
 * selection-corrected rating (sim/arena/policy.c) against its closed forms.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "arena/arena.h"
#include "game/game.h"

static const double zero_cost[8] = {0};

/* A 2×2 game from payoff matrices A (row player 0) and B (column player 1). */
static void two_by_two(const double A[2][2], const double B[2][2], double *mean, double *se,
                       game_def *d)
{
    d->n = 2;
    d->n_strat[0] = d->n_strat[1] = 2;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            mean[(i * 2 + j) * 2 + 0] = A[i][j];
            mean[(i * 2 + j) * 2 + 1] = B[i][j];
            se[(i * 2 + j) * 2] = se[(i * 2 + j) * 2 + 1] = 0.01;
        }
    d->mean = mean;
    d->se = se;
    d->cost[0] = d->cost[1] = zero_cost;
    d->tie_se = 1;
}

/* Prisoner's dilemma: (defect, defect) = (1, 1) is the unique equilibrium,
 * reached from (cooperate, cooperate) in one round plus a confirming one. */
static void test_known_equilibrium(void **state)
{
    (void)state;
    const double A[2][2] = {{3, 0}, {5, 1}}, B[2][2] = {{3, 5}, {0, 1}};
    double mean[8], se[8];
    game_def d;
    two_by_two(A, B, mean, se, &d);
    int s[2], rounds;
    assert_int_equal(game_equilibrium(&d, s, &rounds), GAME_EQUILIBRIUM);
    assert_int_equal(s[0], 1);
    assert_int_equal(s[1], 1);
    assert_int_equal(rounds, 2);
}

/* Matching pennies: best responses cycle and no pure equilibrium exists. */
static void test_cycle_reported(void **state)
{
    (void)state;
    const double A[2][2] = {{1, -1}, {-1, 1}}, B[2][2] = {{-1, 1}, {1, -1}};
    double mean[8], se[8];
    game_def d;
    two_by_two(A, B, mean, se, &d);
    int s[2], rounds;
    assert_int_equal(game_equilibrium(&d, s, &rounds), GAME_NONE);
    assert_int_equal(s[0], -1);
    assert_int_equal(s[1], -1);
}

/* IBR from (0, 0) cycles among 3×3 profiles, yet (2, 2) is an equilibrium
 * that search finds: status cycle with that profile. */
static void test_cycle_with_equilibrium_elsewhere(void **state)
{
    (void)state;
    /* players alternate in a rock-paper-scissors loop on strategies 0, 1;
     * strategy 2 is a mutual best response only to itself */
    const double A[3][3] = {{1, 0, -9}, {0, 1, -9}, {-9, -9, 2}};
    const double B[3][3] = {{0, 1, -9}, {1, 0, -9}, {-9, -9, 2}};
    double mean[18], se[18];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            mean[(i * 3 + j) * 2] = A[i][j];
            mean[(i * 3 + j) * 2 + 1] = B[i][j];
            se[(i * 3 + j) * 2] = se[(i * 3 + j) * 2 + 1] = 0.01;
        }
    game_def d = {.n = 2, .n_strat = {3, 3}, .mean = mean, .se = se,
                  .cost = {zero_cost, zero_cost}, .tie_se = 1};
    int s[2], rounds;
    assert_int_equal(game_equilibrium(&d, s, &rounds), GAME_CYCLE);
    assert_int_equal(s[0], 2);
    assert_int_equal(s[1], 2);
}

/* Near-ties go to the cheaper strategy; a clear winner stays. */
static void test_near_tie_cheaper(void **state)
{
    (void)state;
    double mean[3] = {10.0, 10.5, 12.0}, se[3] = {1, 1, 1};
    const double cost[3] = {1, 2, 3};
    game_def d = {.n = 1, .n_strat = {3}, .mean = mean, .se = se, .cost = {cost}, .tie_se = 1};
    int s[1] = {0}, rounds;
    /* 12 − 10.5 = 1.5 > √2 but 12 − 10 = 2 > √2: 2 is the best, no near-tie */
    assert_int_equal(game_best_response(&d, 0, s), 2);
    d.tie_se = 2; /* margin 2√2 ≈ 2.83: all three tie → the cheapest, 0 */
    assert_int_equal(game_best_response(&d, 0, s), 0);
    d.tie_se = 0; /* exact comparison */
    assert_int_equal(game_equilibrium(&d, s, &rounds), GAME_EQUILIBRIUM);
    assert_int_equal(s[0], 2);
}

/* Closed forms of the selection-corrected rating. */
static void test_corrected_closed_forms(void **state)
{
    (void)state;
    const double x[4] = {1.0, 2.0, 3.0, 6.0}, s2[4] = {0.5, 0.5, 0.5, 0.5};
    assert_float_equal(arena_policy_corrected(CORRECTION_NONE, x, s2, 4, 3), 6.0, 0);
    assert_float_equal(arena_policy_corrected(CORRECTION_POOLED, x, s2, 4, 3), 3.0, 1e-15);
    /* sample variance 14/3, τ² = 14/3 − 1/2 = 25/6, B = (25/6)/(25/6 + 1/2) = 25/28 */
    assert_float_equal(arena_policy_corrected(CORRECTION_EB, x, s2, 4, 3), 3.0 + 3.0 * 25.0 / 28.0,
                       1e-12);
    /* spread below the noise: τ² = 0, full pooling */
    const double big[4] = {10, 10, 10, 10};
    assert_float_equal(arena_policy_corrected(CORRECTION_EB, x, big, 4, 3), 3.0, 1e-15);
    /* one variant: nothing to correct */
    assert_float_equal(arena_policy_corrected(CORRECTION_EB, x + 3, s2, 1, 0), 6.0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_equilibrium), cmocka_unit_test(test_cycle_reported),
        cmocka_unit_test(test_cycle_with_equilibrium_elsewhere),
        cmocka_unit_test(test_near_tie_cheaper), cmocka_unit_test(test_corrected_closed_forms),
    };
    return cmocka_run_group_tests_name("game", tests, NULL, NULL);
}
