/*
 * test_config.c — unit tests of the config module (config.h): defaults,
 * enum spellings, sweep expansion order (grid: last axis fastest; zip),
 * [name]/[index] selectors, round trip of the resolved YAML, hash stability,
 * and file:line:column in error messages. Public API only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

#define BASE                                                                 \
    "seed: 42\n"                                                             \
    "arena: {public_battles: 1000}\n"                                        \
    "models:\n"                                                              \
    "  - {name: a, theta: 1000, style: {tokens: 100}}\n"                     \
    "  - {name: b, vendor: vb, theta: 1100, style: {tokens: 200, bold: 2}}\n"
#define GAMING                                                               \
    "gaming:\n"                                                              \
    "  - vendor: meta\n"                                                     \
    "    base: {name: mbase, theta: 1050, style: {tokens: 300}}\n"          \
    "    variants: 27\n"                                                     \
    "    testing_battles: 100\n"                                             \
    "  - vendor: acme\n"                                                     \
    "    base: {name: abase, theta: 1010, style: {tokens: 310}}\n"          \
    "    variants: 4\n"                                                      \
    "    testing_battles: 50\n"

static config *load_ok(const char *text)
{
    util_err err = {0};
    config *c = config_load_string(text, "mem.yaml", &err);
    if (!c)
        fail_msg("unexpected error: %s", err.msg);
    return c;
}

static params *point(const config *c, size_t p)
{
    util_err err = {0};
    params *pr = malloc(sizeof *pr);
    assert_non_null(pr);
    assert_int_equal(config_point(c, p, pr, &err), UTIL_OK);
    return pr;
}

static void expect_error(const char *text, const char *where, const char *fragment)
{
    util_err err = {0};
    config *c = config_load_string(text, "mem.yaml", &err);
    if (c) {
        config_free(c);
        fail_msg("expected an error at %s", where);
    }
    assert_int_equal(err.code, UTIL_EINPUT);
    if (!strstr(err.msg, where) || !strstr(err.msg, fragment))
        fail_msg("message '%s' lacks '%s' or '%s'", err.msg, where, fragment);
}

static void test_defaults(void **state)
{
    (void)state;
    config *c = load_ok(BASE);
    params *p = point(c, 0);
    assert_int_equal(config_n_points(c), 1);
    assert_int_equal(config_n_axes(c), 0);
    assert_true(p->seed == 42);
    assert_int_equal(p->replicates, 100);
    assert_true(p->length_sd == 0.5);
    assert_int_equal(p->transform, TRANSFORM_DIFF_RATIO);
    assert_int_equal(p->n_voters, 1000);
    for (int f = 0; f < FEAT_N; f++)
        assert_true(p->beta_mean[f] == 0 && p->beta_sd[f] == 0);
    assert_true(p->tie_threshold == 0 && p->bothbad_share == 0.5);
    assert_int_equal(p->sampling, SAMPLING_UNIFORM);
    assert_int_equal(p->n_public, 1000);
    for (int e = 0; e < EST_N; e++)
        assert_int_equal(p->estimators[e], 1);
    assert_int_equal(p->style_features[FEAT_TOKENS], 1);
    assert_int_equal(p->style_features[FEAT_BOLD], 1);
    assert_int_equal(p->style_features[FEAT_EMOJI], 0);
    assert_int_equal(p->penalty, PENALTY_FASTCHAT);
    assert_int_equal(p->ci, CI_SANDWICH);
    assert_int_equal(p->n_bootstrap, 100);
    assert_true(p->ci_level == 0.95 && p->elo_k == 4);
    assert_int_equal(p->has_anchor, 0);
    assert_int_equal(p->neutral_rerun, 0);
    assert_int_equal(p->n_models, 2);
    assert_string_equal(p->models[0].vendor, "");
    assert_string_equal(p->models[1].vendor, "vb");
    assert_true(p->models[1].style.mean[FEAT_TOKENS] == 200);
    assert_true(p->models[1].style.mean[FEAT_BOLD] == 2);
    assert_true(p->models[1].style.mean[FEAT_EMOJI] == 0);
    assert_true(p->models[0].weight == 1);
    assert_int_equal(p->n_gaming, 0);
    free(p);
    config_free(c);
}

static void test_gaming_defaults_and_enums(void **state)
{
    (void)state;
    config *c = load_ok(BASE GAMING
                        "    select_by: bt_style\n    listed_votes: fresh\n"
                        "    listed_battles: 10\n    unlisted_votes: keep\n"
                        "    release: variant\n    release_variant: 3\n    release_battles: 9\n"
                        "response: {transform: saturating}\n"
                        "leaderboard: {estimators: [elo, bt_style, bt], style_penalty: arena_rank,"
                        " ci: bootstrap, style_features: [emoji], anchor: {model: b, score: 1114},"
                        " neutral_rerun: true}\n"
                        "voters: {beta_sd: {emoji: 0.5}}\n");
    params *p = point(c, 0);
    assert_int_equal(p->transform, TRANSFORM_SATURATING);
    assert_int_equal(p->estimators[EST_BT], 1);
    assert_int_equal(p->estimators[EST_BT_STYLE], 1);
    assert_int_equal(p->estimators[EST_ELO], 1);
    assert_int_equal(p->style_features[FEAT_EMOJI], 1);
    assert_int_equal(p->style_features[FEAT_TOKENS], 0);
    assert_int_equal(p->penalty, PENALTY_ARENA_RANK);
    assert_int_equal(p->ci, CI_BOOTSTRAP);
    assert_int_equal(p->has_anchor, 1);
    assert_string_equal(p->anchor_model, "b");
    assert_true(p->anchor_score == 1114);
    assert_int_equal(p->neutral_rerun, 1);
    assert_true(p->beta_sd[FEAT_EMOJI] == 0.5);
    assert_int_equal(p->n_gaming, 2);
    const params_gaming *g = &p->gaming[0], *h = &p->gaming[1];
    assert_string_equal(g->vendor, "meta");
    assert_string_equal(h->base_name, "abase");
    assert_int_equal(g->select_by, EST_BT);
    assert_int_equal(h->select_by, EST_BT_STYLE);
    assert_int_equal(h->listed_votes, LISTED_FRESH);
    assert_int_equal(h->n_listed, 10);
    assert_int_equal(h->unlisted_votes, UNLISTED_KEEP);
    assert_int_equal(h->release, RELEASE_VARIANT);
    assert_int_equal(h->release_variant, 3);
    assert_int_equal(g->listed_votes, LISTED_KEEP);
    assert_int_equal(g->unlisted_votes, UNLISTED_RETRACT);
    assert_int_equal(g->release, RELEASE_NONE);
    assert_int_equal(g->n_styled, 0);
    assert_true(g->tune_mean == 0 && g->tune_sd == 0 && g->weight == 1);
    assert_true(g->tuned_style.mean[FEAT_TOKENS] == 0);
    free(p);
    config_free(c);
}

static void test_grid_order(void **state)
{
    (void)state;
    config *c = load_ok(BASE GAMING
                        "sweep:\n  axes:\n"
                        "    - {path: 'gaming[meta].variants', values: [1, 3, 9, 27]}\n"
                        "    - {path: voters.beta_mean.tokens, values: [0.0, 0.25, 0.5]}\n");
    assert_int_equal(config_n_points(c), 12);
    assert_int_equal(config_n_axes(c), 2);
    assert_string_equal(config_axis_name(c, 0), "gaming[meta].variants");
    const int nv[] = {1, 3, 9, 27};
    const double bt[] = {0, 0.25, 0.5};
    for (size_t p = 0; p < 12; p++) {
        params *pr = point(c, p);
        double v;
        assert_int_equal(pr->gaming[0].n_variants, nv[p / 3]); /* meta is gaming[0] */
        assert_int_equal(pr->gaming[1].n_variants, 4);
        assert_true(pr->beta_mean[FEAT_TOKENS] == bt[p % 3]);
        assert_true(config_axis_numeric(c, 1, p, &v) && v == bt[p % 3]);
        assert_true(config_axis_numeric(c, 0, p, &v) && v == nv[p / 3]);
        free(pr);
    }
    assert_string_equal(config_axis_value(c, 1, 4), "0.25");
    assert_string_equal(config_axis_value(c, 0, 11), "27");
    util_err err = {0};
    params *pr = malloc(sizeof *pr);
    assert_int_equal(config_point(c, 12, pr, &err), UTIL_EINPUT);
    free(pr);
    config_free(c);
}

static void test_zip_and_selectors(void **state)
{
    (void)state;
    config *c = load_ok(BASE GAMING
                        "sweep:\n  mode: zip\n  axes:\n"
                        "    - {path: 'models[b].theta', values: [1, 2, 3]}\n"
                        "    - {path: 'gaming[1].tune_sd', range: {from: 0, to: 1, steps: 3}}\n"
                        "    - {path: 'models[0].style.emoji', values: [5, 6, 7]}\n"
                        "    - {path: leaderboard.ci, values: [none, sandwich, bootstrap]}\n");
    assert_int_equal(config_n_points(c), 3);
    for (size_t p = 0; p < 3; p++) {
        params *pr = point(c, p);
        double v;
        assert_true(pr->models[1].theta == (double)(p + 1));
        assert_true(pr->models[0].theta == 1000);
        assert_true(pr->gaming[1].tune_sd == 0.5 * (double)p);
        assert_true(pr->gaming[0].tune_sd == 0);
        assert_true(pr->models[0].style.mean[FEAT_EMOJI] == 5.0 + (double)p);
        assert_int_equal(pr->ci, (int)p);
        assert_false(config_axis_numeric(c, 3, p, &v));
        free(pr);
    }
    assert_string_equal(config_axis_value(c, 3, 2), "bootstrap");
    assert_string_equal(config_axis_value(c, 1, 2), "1");
    config_free(c);
}

static void test_range_inclusive(void **state)
{
    (void)state;
    config *c = load_ok(BASE "sweep:\n  axes:\n"
                             "    - {path: voters.tie_threshold, range: {from: 0.1, to: 0.7, steps: 7}}\n");
    assert_int_equal(config_n_points(c), 7);
    params *first = point(c, 0), *last = point(c, 6);
    assert_true(first->tie_threshold == 0.1);
    assert_true(last->tie_threshold == 0.7);
    free(first);
    free(last);
    config_free(c);
}

/* Every point of the reloaded resolved YAML is bitwise the same. */
static void assert_round_trip(const char *text)
{
    config *a = load_ok(text);
    config *b = load_ok(config_resolved_yaml(a));
    assert_int_equal(config_n_points(a), config_n_points(b));
    assert_string_equal(config_resolved_yaml(a), config_resolved_yaml(b));
    assert_true(config_hash(a) == config_hash(b));
    for (size_t p = 0; p < config_n_points(a); p++) {
        params *pa = point(a, p), *pb = point(b, p);
        assert_memory_equal(pa, pb, sizeof *pa);
        free(pa);
        free(pb);
    }
    config_free(a);
    config_free(b);
}

static void test_round_trip(void **state)
{
    (void)state;
    assert_round_trip(BASE);
    assert_round_trip(BASE GAMING
                      "    tuned_style: {count: 2, style: {tokens: 900.5, emoji: 0.1}}\n"
                      "    tune_mean: 0.30000000000000004\n"
                      "voters: {beta_mean: {tokens: 1e-7, headers: -0.1}, tie_threshold: 1e20}\n"
                      "leaderboard: {anchor: {model: a, score: 1114}}\n"
                      "sweep:\n  axes:\n"
                      "    - {path: 'gaming[acme].variants', values: [2, 3]}\n"
                      "    - {path: voters.bothbad_share, range: {from: 0, to: 1, steps: 7}}\n"
                      "    - {path: leaderboard.neutral_rerun, values: [true, false]}\n");
    assert_round_trip("seed: 18446744073709551615\narena: {public_battles: 9000000000}\n"
                      "models:\n  - {name: \"we\\\"ird: name\", theta: -5, style: {tokens: 1}}\n"
                      "  - {name: 'x y', theta: 0.1, style: {tokens: 3.14159}}\n");
}

static void test_hash(void **state)
{
    (void)state;
    config *a = load_ok(BASE);
    config *b = load_ok("# a comment\n" BASE "replicates: 100\n"); /* same resolved config */
    config *c = load_ok(BASE "replicates: 101\n");
    const char *y = config_resolved_yaml(a);
    assert_true(config_hash(a) == util_hash64(y, strlen(y)));
    assert_true(config_hash(a) == config_hash(b));
    assert_true(config_hash(a) != config_hash(c));
    config_free(a);
    config_free(b);
    config_free(c);
}

static void test_error_locations(void **state)
{
    (void)state;
    expect_error(BASE "voters: {count: abc}\n", "mem.yaml:6:17: voters.count",
                 "expected an integer >= 1, got 'abc'");
    expect_error(BASE "voters:\n  cuont: 3\n", "mem.yaml:7:3: voters.cuont",
                 "did you mean 'count'?");
    expect_error(BASE "response: {transform: logratio}\n", "mem.yaml:6:23",
                 "one of: diff_ratio, log_ratio, saturating");
    expect_error("seed: 1\nseed: 2\n", "mem.yaml:2:1", "duplicate key 'seed'");
    expect_error("seed: [1\n", "mem.yaml:2:1", "YAML syntax error");
    expect_error("", "mem.yaml:1:1", "empty config");
    expect_error(BASE "sweep:\n  axes:\n    - {path: replicates, values: [1, 2]}\n",
                 "mem.yaml:8:14", "cannot be swept");
    expect_error(BASE GAMING "sweep:\n  axes:\n    - {path: 'gaming[meta].variants', values: [2, 0]}\n",
                 "mem.yaml:17:51", "(sweep point 1)");
    expect_error(BASE GAMING "    release: variant\n    release_battles: 5\n"
                 "sweep:\n  axes:\n    - {path: 'gaming[acme].release_variant', values: [3, 4]}\n",
                 "mem.yaml:19:58", "variant 4 does not exist");
    util_err err = {0};
    assert_null(config_load("/nonexistent/dir/x.yaml", &err));
    assert_int_equal(err.code, UTIL_EINPUT);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/x.yaml"));
}

static void test_point_cap(void **state)
{
    (void)state;
    config *c = load_ok(BASE "sweep:\n  axes:\n"
                             "    - {path: voters.count, range: {from: 1, to: 1000, steps: 1000}}\n"
                             "    - {path: voters.tie_threshold, range: {from: 0, to: 1, steps: 1000}}\n");
    assert_int_equal(config_n_points(c), 1000000);
    params *p = point(c, 999999);
    assert_int_equal(p->n_voters, 1000);
    assert_true(p->tie_threshold == 1);
    free(p);
    config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),        cmocka_unit_test(test_gaming_defaults_and_enums),
        cmocka_unit_test(test_grid_order),      cmocka_unit_test(test_zip_and_selectors),
        cmocka_unit_test(test_range_inclusive), cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_hash),            cmocka_unit_test(test_error_locations),
        cmocka_unit_test(test_point_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
