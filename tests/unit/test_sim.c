/*
 * test_sim.c — unit tests of the random streams (Philox known answers,
 * stream independence), the voter model (transforms, Rao-Kupper outcome
 * frequencies within sampling error) and the rank-agreement metrics.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "config/config.h"
#include "base/metrics.h"
#include "base/rng.h"
#include "arena/arena.h"

/* Random123's kat_vectors for philox4x64-10. */
static void test_philox_known_answers(void **state)
{
    (void)state;
    static const uint64_t cases[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x16554d9eca36314cULL, 0xdb20fe9d672d0fdcULL, 0xd7e772cee186176bULL,
         0x7e68b68aec7ba23bULL},
        {~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, 0x87b092c3013fe90bULL, 0x438c3c67be8d0224ULL,
         0x9cc7d7c69cd777b6ULL, 0xa09caebf594f0ba0ULL},
        {0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL, 0xa4093822299f31d0ULL,
         0x082efa98ec4e6c89ULL, 0x452821e638d01377ULL, 0xbe5466cf34e90c6cULL,
         0xa528f45403e61d95ULL, 0x38c72dbd566e9788ULL, 0xa5a1610e72fd18b5ULL,
         0x57bd43b5e52b7fe6ULL}};
    for (int c = 0; c < 3; c++) {
        uint64_t out[4];
        rng_philox4x64_block(cases[c], cases[c] + 4, 10, out);
        for (int k = 0; k < 4; k++)
            assert_true(out[k] == cases[c][6 + k]);
    }
}

/* The generator's first word of stream (seed, point, rep, 0, 0) is the
 * Philox block of counter (0, rep, 0, 0) under key (seed, point). */
static void test_stream_rule(void **state)
{
    (void)state;
    gsl_rng *r = rng_alloc();
    rng_set_stream(r, 42, 7, 9, RNG_PURPOSE_SIM, 0);
    uint64_t ctr[4] = {0, 9, 0, 0}, key[2] = {42, 7}, out[4];
    rng_philox4x64_block(ctr, key, 10, out);
    for (int k = 0; k < 4; k++)
        assert_true(gsl_rng_get(r) == out[k]);
    ctr[0] = 1;
    rng_philox4x64_block(ctr, key, 10, out);
    assert_true(gsl_rng_get(r) == out[0]);
    /* keys above 2^32 are not truncated: seeds differing only there differ */
    gsl_rng *q = rng_alloc();
    rng_set_stream(r, 1, 0, 0, 0, 0);
    rng_set_stream(q, 1 + (1ULL << 40), 0, 0, 0, 0);
    assert_true(gsl_rng_get(r) != gsl_rng_get(q));
    double u = gsl_rng_uniform(r);
    assert_true(u >= 0.0 && u < 1.0);
    gsl_rng_free(q);
    gsl_rng_free(r);
}

static void test_transforms(void **state)
{
    (void)state;
    assert_float_equal(arena_transform(TRANSFORM_DIFF_RATIO, 3, 1), 2.0 / 5.0, 1e-15);
    assert_float_equal(arena_transform(TRANSFORM_DIFF_RATIO, 0, 0), 0.0, 0);
    assert_float_equal(arena_transform(TRANSFORM_LOG_RATIO, 3, 1), log(2.0), 1e-15);
    assert_float_equal(arena_transform(TRANSFORM_SATURATING, 3, 1), tanh(log(2.0)), 1e-15);
    assert_float_equal(arena_transform(TRANSFORM_DIFF_RATIO, 1, 3),
                       -arena_transform(TRANSFORM_DIFF_RATIO, 3, 1), 1e-15);
}

static void test_rao_kupper(void **state)
{
    (void)state;
    double pa, pb, pt;
    arena_rao_kupper(0.7, 0.0, &pa, &pb, &pt);
    assert_float_equal(pa, 1.0 / (1.0 + exp(-0.7)), 1e-15);
    assert_float_equal(pt, 0.0, 1e-15);
    arena_rao_kupper(0.3, 0.5, &pa, &pb, &pt);
    assert_float_equal(pa + pb + pt, 1.0, 1e-15);
    assert_float_equal(pa, 1.0 / (1.0 + exp(-(0.3 - 0.5))), 1e-15);
    assert_float_equal(pb, 1.0 / (1.0 + exp(-(-0.3 - 0.5))), 1e-15);
    double qa, qb, qt;
    arena_rao_kupper(-0.3, 0.5, &qa, &qb, &qt);
    assert_float_equal(qa, pb, 1e-15);
    assert_float_equal(qt, pt, 1e-15);
}

static const char *PAIR_YAML =
    "seed: 99\n"
    "voters: {count: 50, tie_threshold: 0.6, bothbad_share: 0.4}\n"
    "arena: {public_battles: 10}\n"
    "leaderboard: {estimators: [bt]}\n"
    "models:\n"
    "  - {name: a, theta: 1260, style: {tokens: 300}}\n"
    "  - {name: b, theta: 1200, style: {tokens: 300}}\n";

/* Style-neutral voters: the frequencies of a fixed pair's outcomes match
 * the Rao-Kupper probabilities. Tolerance: 4.5 binomial standard errors
 * sqrt(p(1−p)/n) per category (fixed seed; a false alarm has probability
 * below 1e-5 per category for a correct simulator). */
static void test_fixed_pair_frequencies(void **state)
{
    (void)state;
    util_err err;
    config *c = config_load_string(PAIR_YAML, "pair.yaml", &err);
    assert_non_null(c);
    params *p = malloc(sizeof *p);
    assert_int_equal(config_point(c, 0, p, &err), 0);
    arena_scenario s;
    assert_int_equal(arena_scenario_init(&s, p, &err), 0);
    arena_ws *w = arena_ws_alloc(&s);
    const long n = 400000;
    double counts[4];
    arena_fixed_pair(&s, w, 0, 1, n, 0, 0, counts);
    double pa, pb, pt;
    arena_rao_kupper(log(10.0) / 400.0 * 60.0, 0.6, &pa, &pb, &pt);
    double want[4] = {pa, pb, pt * 0.6, pt * 0.4};
    for (int k = 0; k < 4; k++) {
        double f = counts[k] / (double)n, se = sqrt(want[k] * (1 - want[k]) / (double)n);
        assert_true(fabs(f - want[k]) < 4.5 * se);
    }
    arena_ws_free(w);
    arena_scenario_free(&s);
    free(p);
    config_free(c);
}

/* The neutral rerun shares the draws before the selection fit with the
 * biased run (replicate.c): every output of a replicate must equal, bit for
 * bit, that of two separate runs (share_neutral_prefix = 0). Two vendors,
 * one selecting on bt_style with fresh listed votes, the other on bt with
 * retracted unlisted votes and a released variant, a selection correction,
 * sandwich CIs; a config with bootstrap CIs; and "weights" sampling. */
static const char *const SHARE_YAML[] = {
    "seed: 7\nreplicates: 3\n"
    "voters: {count: 200, beta_mean: {tokens: 0.7, lists: 0.1, emoji: 0.3}, beta_sd: {tokens: 0.3},"
    " tie_threshold: 0.8, bothbad_share: 0.5}\n"
    "arena: {public_battles: 6000}\n"
    "leaderboard: {estimators: [bt, bt_style, elo], ci: sandwich, neutral_rerun: true,"
    " anchor: {model: m2, score: 1114}}\n"
    "policy: {selection_correction: pooled}\n"
    "models:\n"
    "  - {name: m0, theta: 1300, style: {tokens: 700, headers: 3, lists: 10, bold: 9}}\n"
    "  - {name: m1, theta: 1260, style: {tokens: 450, headers: 1, lists: 5, bold: 2}}\n"
    "  - {name: m2, theta: 1220, style: {tokens: 600, headers: 2, lists: 8, bold: 6, emoji: 1}}\n"
    "  - {name: m3, theta: 1180, style: {tokens: 350, lists: 4, bold: 1}}\n"
    "gaming:\n"
    "  - {vendor: v1, base: {name: v1-base, theta: 1230, style: {tokens: 450, lists: 6}},"
    " variants: 6, tune_sd: 10, tuned_style: {count: 3, style: {tokens: 1100, lists: 14, emoji: 2}},"
    " testing_battles: 300, select_by: bt_style, listed_votes: fresh, listed_battles: 500}\n"
    "  - {vendor: v2, base: {name: v2-base, theta: 1200, style: {tokens: 500, bold: 4}},"
    " variants: 4, tune_sd: 8, testing_battles: 200, select_by: bt, listed_battles: 300,"
    " release: variant, release_variant: 1, release_battles: 400, weight: 2}\n",
    "seed: 8\nreplicates: 2\n"
    "voters: {count: 100, beta_mean: {tokens: 0.8}, tie_threshold: 0.6, bothbad_share: 0.4}\n"
    "arena: {public_battles: 3000, sampling: weights}\n"
    "leaderboard: {estimators: [bt, bt_style], style_features: [tokens, lists], ci: bootstrap,"
    " bootstrap_rounds: 8, neutral_rerun: true}\n"
    "models:\n"
    "  - {name: m0, theta: 1250, weight: 2, style: {tokens: 700, lists: 9}}\n"
    "  - {name: m1, theta: 1200, style: {tokens: 400, lists: 3}}\n"
    "  - {name: m2, theta: 1150, style: {tokens: 550, lists: 6}}\n"
    "gaming:\n"
    "  - {vendor: v, base: {name: v-base, theta: 1200, style: {tokens: 450, lists: 5}},"
    " variants: 5, tune_sd: 12, tuned_style: {count: 5, style: {tokens: 900, lists: 12}},"
    " testing_battles: 250, listed_battles: 400}\n"};

#define SAME_ARRAY(x, y, n) assert_memory_equal((x), (y), (n) * sizeof *(x))

static void assert_same_result(const arena_result *a, const arena_result *b)
{
    size_t S = (size_t)a->n_slots, G = (size_t)(a->n_gaming ? a->n_gaming : 1), E = EST_N;
    SAME_ARRAY(a->theta, b->theta, S);
    SAME_ARRAY(a->true_score, b->true_score, S);
    SAME_ARRAY(a->true_rank, b->true_rank, S);
    SAME_ARRAY(a->score, b->score, E * S);
    SAME_ARRAY(a->ci_lo, b->ci_lo, E * S);
    SAME_ARRAY(a->ci_hi, b->ci_hi, E * S);
    SAME_ARRAY(a->rank, b->rank, E * S);
    SAME_ARRAY(a->disp_rank, b->disp_rank, E * S);
    SAME_ARRAY(a->battles, b->battles, S);
    SAME_ARRAY(a->gamma, b->gamma, (size_t)FEAT_N);
    SAME_ARRAY(a->selected, b->selected, G);
    SAME_ARRAY(a->true_sel, b->true_sel, G);
    SAME_ARRAY(a->rank_infl, b->rank_infl, E * G);
    SAME_ARRAY(a->score_infl, b->score_infl, E * G);
    SAME_ARRAY(a->selection, b->selection, G);
    SAME_ARRAY(a->style, b->style, G);
    SAME_ARRAY(a->selection_neutral, b->selection_neutral, G);
    SAME_ARRAY(a->selection_neutral_anchor, b->selection_neutral_anchor, G);
    SAME_ARRAY(a->score_corr, b->score_corr, E * G);
    SAME_ARRAY(a->field_offset, b->field_offset, E);
    SAME_ARRAY(a->kendall, b->kendall, E);
    SAME_ARRAY(a->fit_status, b->fit_status, E);
    assert_memory_equal(&a->tie_share, &b->tie_share, sizeof a->tie_share);
}

static void test_neutral_prefix_shared(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof SHARE_YAML / sizeof SHARE_YAML[0]; k++) {
        util_err err;
        config *c = config_load_string(SHARE_YAML[k], "share.yaml", &err);
        if (!c)
            fail_msg("%s", err.msg);
        params *p = malloc(sizeof *p);
        assert_int_equal(config_point(c, 0, p, &err), 0);
        arena_scenario s;
        assert_int_equal(arena_scenario_init(&s, p, &err), 0);
        arena_ws *w = arena_ws_alloc(&s);
        arena_result shared, separate;
        arena_result_alloc(&shared, s.n_slots, p->n_gaming);
        arena_result_alloc(&separate, s.n_slots, p->n_gaming);
        int finite_neutral = 0;
        for (uint64_t rep = 0; rep < (uint64_t)p->replicates; rep++) {
            s.share_neutral_prefix = 1;
            assert_int_equal(arena_replicate(&s, w, 0, rep, &shared, &err), 0);
            s.share_neutral_prefix = 0;
            assert_int_equal(arena_replicate(&s, w, 0, rep, &separate, &err), 0);
            assert_same_result(&shared, &separate);
            finite_neutral += isfinite(shared.selection_neutral[0]);
        }
        assert_true(finite_neutral > 0); /* the neutral term was produced, not NaN twice */
        arena_result_free(&shared);
        arena_result_free(&separate);
        arena_ws_free(w);
        arena_scenario_free(&s);
        free(p);
        config_free(c);
    }
}

static void test_metrics(void **state)
{
    (void)state;
    double x[5] = {1, 2, 3, 4, 5}, y[5] = {1, 3, 2, 5, 4}, wk[10];
    size_t iw[10];
    /* 10 pairs, 2 discordant: τ = (8 − 2)/10 */
    assert_float_equal(metrics_kendall_tau_b(x, y, 5), 0.6, 1e-12);
    /* Σd² = 4: ρ = 1 − 6·4/(5·24) */
    assert_float_equal(metrics_spearman(x, y, 5, wk), 0.8, 1e-12);
    assert_float_equal(metrics_topk_overlap(x, y, 5, 2, iw), 1.0, 0);
    double z[5] = {5, 4, 3, 2, 1};
    assert_float_equal(metrics_topk_overlap(x, z, 5, 2, iw), 0.0, 0);
    assert_float_equal(metrics_kendall_tau_b(x, z, 5), -1.0, 1e-12);
    double v[4] = {1, NAN, 3, 5}, sorted[4];
    assert_float_equal(metrics_mean(v, 4, 1), 3.0, 1e-12);
    assert_float_equal(metrics_sd(v, 4, 1), 2.0, 1e-12);
    assert_float_equal(metrics_quantile(v, 4, 1, 0.5, sorted), 3.0, 1e-12);
    double se, yy[3] = {1, 2, 3}, xx[3] = {2, 4, 6};
    assert_float_equal(metrics_ratio_of_means(yy, xx, 3, 1, &se), 0.5, 1e-12);
    assert_float_equal(se, 0.0, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_known_answers), cmocka_unit_test(test_stream_rule),
        cmocka_unit_test(test_transforms),           cmocka_unit_test(test_rao_kupper),
        cmocka_unit_test(test_fixed_pair_frequencies), cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_neutral_prefix_shared),
    };
    return cmocka_run_group_tests_name("sim", tests, NULL, NULL);
}
