/*
 * test_rating.c — known answers and provoked errors for rating.c (cmocka).
 * Ratings in log10-odds, scores in arena points.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "rating/rating.h"
#include "base/rng.h"

#define LN10 2.302585092994045684

/* |a − b| ≤ tol (cmocka 1.1.5 has no floating-point assertion). */
#define assert_double_equal(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

static void test_pair_index(void **state)
{
    int n = 6;
    size_t k = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            assert_int_equal(rating_pair_index(n, i, j), k++);
}

static void test_table_add_swaps_sides(void **state)
{
    rating_table *t = rating_table_alloc(3);
    rating_table_add(t, 2, 0, RATING_A_WINS, 1); /* 2 beats 0 → j wins */
    rating_table_add(t, 2, 0, RATING_B_WINS, 2);
    rating_table_add(t, 0, 2, RATING_TIE, 3);
    rating_table_add(t, 1, 2, RATING_BOTHBAD, 4);
    const double *c = t->cell + 4 * rating_pair_index(3, 0, 2);
    assert_true(c[0] == 2 && c[1] == 1 && c[2] == 3 && c[3] == 0);
    double b[3];
    rating_table_battles(t, b);
    assert_true(b[0] == 6 && b[1] == 4 && b[2] == 10);
    rating_table_free(t);
}

/* Two models: r_A − r_B = log10(s/(N − s)), ties ½; sandwich by hand. */
static void test_bt_two_models_and_sandwich(void **state)
{
    rating_table *t = rating_table_alloc(2);
    rating_bt_ws *w = rating_bt_ws_alloc(2);
    util_err err;
    double r[2], cov[4];
    rating_table_add(t, 0, 1, RATING_A_WINS, 30);
    rating_table_add(t, 1, 0, RATING_A_WINS, 10);
    rating_table_add(t, 0, 1, RATING_TIE, 6);
    rating_table_add(t, 0, 1, RATING_BOTHBAD, 4);
    assert_int_equal(rating_bt_fit(t, w, NULL, r, cov, &err), UTIL_OK);
    assert_double_equal(r[0] - r[1], log10(35.0 / 15.0), 1e-12);
    assert_double_equal(r[0] + r[1], 0, 1e-15);
    /* N = 50, p = 0.7: H = L²·N·p(1−p) = L²·10.5; G = L²·Σ c (y − p)² = L²·8;
     * var(r_A − r_B) = G/H², r_A = d/2. */
    double vd = 8.0 / (LN10 * LN10 * 10.5 * 10.5);
    assert_double_equal(cov[0], vd / 4, 1e-12);
    assert_double_equal(cov[1], -vd / 4, 1e-12);
    assert_double_equal(cov[3], vd / 4, 1e-12);
    double score[2], lo[2], hi[2];
    rating_scores(r, 2, NULL, -1, 0, score);
    assert_double_equal(score[0] - score[1], 400 * log10(35.0 / 15.0), 1e-9);
    rating_ci_from_cov(score, cov, 2, NULL, 1, 0.95, lo, hi);
    assert_double_equal(hi[0] - score[0], 1.959963984540054 * 400 * sqrt(vd), 1e-9);
    assert_double_equal(hi[1], score[1], 1e-12); /* the anchor has no contrast variance */
    rating_bt_ws_free(w);
    rating_table_free(t);
}

static void test_scores_anchor_and_mean(void **state)
{
    double r[3] = {0.1, -0.2, 0.05}, s[3];
    unsigned char shown[3] = {1, 1, 0};
    rating_scores(r, 3, NULL, 1, 1114, s);
    assert_double_equal(s[1], 1114, 1e-12);
    assert_double_equal(s[0] - s[1], 120, 1e-12);
    rating_scores(r, 3, shown, -1, 0, s);
    assert_double_equal(0.5 * (s[0] + s[1]), 1000, 1e-12);
    assert_double_equal(s[2] - s[0], -20, 1e-12);
}

static void test_ranks(void **state)
{
    double sc[5] = {1200, 1100, 1200, 1050, 1300};
    double lo[5] = {1190, 1060, 1150, 1040, 1295};
    double hi[5] = {1210, 1140, 1250, 1060, 1305};
    unsigned char shown[5] = {1, 1, 1, 1, 0};
    int o[5], d[5];
    rating_ranks(sc, lo, hi, 5, shown, o, d);
    assert_int_equal(o[0], 1); /* tie shares the best rank */
    assert_int_equal(o[2], 1);
    assert_int_equal(o[1], 3);
    assert_int_equal(o[3], 4);
    assert_int_equal(o[4], 0);
    assert_int_equal(d[4], 0);
    assert_int_equal(d[0], 1);
    assert_int_equal(d[1], 3); /* models 0 (lo 1190) and 2 (lo 1150) are surely above hi 1140 */
    assert_int_equal(d[3], 3); /* lo 1060 of model 1 is not > hi 1060 */
    rating_ranks(sc, NULL, NULL, 5, NULL, o, d);
    assert_int_equal(o[4], 1);
    assert_int_equal(d[0], o[0]);
}

static void test_elo_hand(void **state)
{
    rating_rows *rows = rating_rows_alloc(3, 0, 4);
    double s[3];
    rating_rows_push(rows, 0, 1, RATING_A_WINS, NULL); /* A 1002, B 998 */
    rating_rows_push(rows, 1, 0, RATING_TIE, NULL);
    rating_rows_push(rows, 2, 0, RATING_A_WINS, NULL);
    rating_elo(rows, 4, s);
    assert_double_equal(s[0], 999.96559490531, 1e-9);
    assert_double_equal(s[1], 998.02302483364, 1e-9);
    assert_double_equal(s[2], 1002.01138026104, 1e-9);
    rating_rows_free(rows);
}

/* Synthetic rows with F features from a Philox stream. */
static rating_rows *synth_rows(int n_models, int F, size_t n, uint64_t seed)
{
    gsl_rng *g = rng_alloc();
    rng_set_stream(g, seed, 0, 0, RNG_PURPOSE_USER, 0);
    rating_rows *rows = rating_rows_alloc(n_models, F, n);
    double d[8];
    for (size_t i = 0; i < n; i++) {
        int a = (int)gsl_rng_uniform_int(g, (unsigned long)n_models);
        int b = (a + 1 + (int)gsl_rng_uniform_int(g, (unsigned long)n_models - 1)) % n_models;
        double eta = LN10 * 0.1 * (a - b);
        for (int f = 0; f < F; f++) {
            double x = gsl_ran_poisson(g, 5.0 + f), y = gsl_ran_poisson(g, 5.0);
            d[f] = (x - y) / (x + y + 1);
            eta += 0.3 * d[f];
        }
        double u = gsl_rng_uniform(g);
        int oc = u < 0.2 ? RATING_TIE : gsl_rng_uniform(g) < 1 / (1 + exp(-eta)) ? RATING_A_WINS : RATING_B_WINS;
        rating_rows_push(rows, a, b, oc, d);
    }
    gsl_rng_free(g);
    return rows;
}

static void test_style_no_features_equals_bt(void **state)
{
    rating_rows *rows = synth_rows(5, 0, 3000, 11);
    rating_table *t = rating_table_alloc(5);
    for (size_t i = 0; i < rows->n; i++)
        rating_table_add(t, rows->a[i], rows->b[i], rows->outcome[i], 1);
    rating_bt_ws *bw = rating_bt_ws_alloc(5);
    rating_style_ws *sw = rating_style_ws_alloc(5, 0);
    rating_style_opts so = {PENALTY_NONE, 0, 0, 1};
    double r1[5], r2[5], c1[25], c2[25];
    util_err err;
    assert_int_equal(rating_bt_fit(t, bw, NULL, r1, c1, &err), UTIL_OK);
    assert_int_equal(rating_style_fit(rows, NULL, sw, &so, r2, NULL, c2, &err), UTIL_OK);
    for (int i = 0; i < 5; i++)
        assert_double_equal(r1[i], r2[i], 1e-10);
    for (int i = 0; i < 25; i++)
        assert_double_equal(c1[i], c2[i], 1e-10);
    rating_style_ws_free(sw);
    rating_bt_ws_free(bw);
    rating_table_free(t);
    rating_rows_free(rows);
}

/* Bitwise identical fits for threads 1 and 2 (several blocks of rows). */
static void test_style_thread_invariance(void **state)
{
    int n = 8, F = 4;
    rating_rows *rows = synth_rows(n, F, 200000, 5);
    for (int pen = 0; pen < 3; pen++) {
        double r1[8], r2[8], g1[4], g2[4], c1[144], c2[144];
        util_err err;
        rating_style_ws *w = rating_style_ws_alloc(n, F);
        rating_style_opts o1 = {(params_penalty)pen, 0, 0, 1}, o2 = o1;
        o2.threads = 2;
        assert_int_equal(rating_style_fit(rows, NULL, w, &o1, r1, g1, c1, &err), UTIL_OK);
        assert_int_equal(rating_style_fit(rows, NULL, w, &o2, r2, g2, c2, &err), UTIL_OK);
        assert_memory_equal(r1, r2, sizeof r1);
        assert_memory_equal(g1, g2, sizeof g1);
        assert_memory_equal(c1, c2, sizeof c1);
        assert_true(fabs(g1[0] - 0.3 * 0.0) > 0.01); /* features matter */
        rating_style_ws_free(w);
    }
    rating_rows_free(rows);
}

static void test_bootstrap_thread_invariance(void **state)
{
    int n = 6, F = 2;
    rating_rows *rows = synth_rows(n, F, 20000, 9);
    rating_table *t = rating_table_alloc(n);
    for (size_t i = 0; i < rows->n; i++)
        rating_table_add(t, rows->a[i], rows->b[i], rows->outcome[i], 1);
    rating_boot_opts b1 = {42, 3, 7, 24, 1, 0.95}, b2 = b1;
    b2.threads = 2;
    double lo1[6], hi1[6], lo2[6], hi2[6], gl1[2], gh1[2], gl2[2], gh2[2];
    util_err err;
    assert_int_equal(rating_bt_bootstrap(t, NULL, &b1, NULL, 0, 1000, lo1, hi1, &err), UTIL_OK);
    assert_int_equal(rating_bt_bootstrap(t, NULL, &b2, NULL, 0, 1000, lo2, hi2, &err), UTIL_OK);
    assert_memory_equal(lo1, lo2, sizeof lo1);
    assert_memory_equal(hi1, hi2, sizeof hi1);
    assert_true(lo1[1] < hi1[1] && lo1[0] == 1000 && hi1[0] == 1000);
    rating_style_opts so = {PENALTY_FASTCHAT, 0, 0, 1};
    assert_int_equal(rating_style_bootstrap(rows, &so, NULL, &b1, NULL, -1, 0, lo1, hi1, gl1, gh1, &err), UTIL_OK);
    assert_int_equal(rating_style_bootstrap(rows, &so, NULL, &b2, NULL, -1, 0, lo2, hi2, gl2, gh2, &err), UTIL_OK);
    assert_memory_equal(lo1, lo2, sizeof lo1);
    assert_memory_equal(hi1, hi2, sizeof hi1);
    assert_memory_equal(gl1, gl2, sizeof gl1);
    assert_memory_equal(gh1, gh2, sizeof gh1);
    assert_true(gl1[0] < gh1[0]);
    rating_table_free(t);
    rating_rows_free(rows);
}

/* rating_style_bootstrap from a fit the caller made (as `fit` does) against
 * the same bootstrap making its own full-data fit: bit for bit, for every
 * penalty, a caller's fit with or without a covariance and on fewer threads
 * than the rounds (140,000 rows: three blocks, so the 2-thread passes need
 * more scratch slots than a 1-thread fit made). */
static void boot_both_ways(const rating_rows *rows, params_penalty pen, int fit_threads, int with_cov,
                           const rating_boot_opts *bo)
{
    int n = rows->n_models, F = rows->n_feat;
    double r[6], g[2], cov[64], lo1[6], hi1[6], gl1[2], gh1[2], lo2[6], hi2[6], gl2[2], gh2[2];
    util_err err;
    rating_style_opts so = {pen, 0, 0, bo->threads}, sf = so;
    sf.threads = fit_threads;
    rating_style_ws *w = rating_style_ws_alloc(n, F);
    assert_int_equal(rating_style_bootstrap(rows, &so, NULL, bo, NULL, 1, 1114, lo1, hi1, gl1, gh1, &err), UTIL_OK);
    assert_int_equal(rating_style_fit(rows, NULL, w, &sf, r, g, with_cov ? cov : NULL, &err), UTIL_OK);
    assert_int_equal(rating_style_bootstrap(rows, &so, w, bo, NULL, 1, 1114, lo2, hi2, gl2, gh2, &err), UTIL_OK);
    assert_memory_equal(lo1, lo2, sizeof lo1);
    assert_memory_equal(hi1, hi2, sizeof hi1);
    assert_memory_equal(gl1, gl2, sizeof gl1);
    assert_memory_equal(gh1, gh2, sizeof gh1);
    assert_true(lo1[0] < hi1[0] && gl1[0] < gh1[0] && lo1[1] == 1114 && hi1[1] == 1114); /* real intervals */
    rating_style_ws_free(w);
}

static void test_style_bootstrap_reuses_fit(void **state)
{
    int n = 6, F = 2;
    rating_rows *rows = synth_rows(n, F, 140000, 17);
    for (int pen = 0; pen < 3; pen++)
        for (int t = 1; t <= 2; t++) {
            rating_boot_opts bo = {7, 1, 2, 5, t, 0.9};
            boot_both_ways(rows, (params_penalty)pen, 1, t == 1, &bo);
            boot_both_ways(rows, (params_penalty)pen, 2, t == 2, &bo);
        }
    rating_rows_free(rows);
}

/* A workspace whose last fit is not the bootstrap's own full-data fit is
 * refused, never used: another penalty, tolerance or iteration cap, weights,
 * a ridge, other rows, a failed fit, no fit at all. */
static void expect_boot_refused(const rating_rows *rows, const rating_style_opts *so, rating_style_ws *w)
{
    rating_boot_opts bo = {7, 0, 0, 3, 1, 0.9};
    double lo[6], hi[6];
    util_err err;
    util_err_clear(&err);
    assert_int_equal(rating_style_bootstrap(rows, so, w, &bo, NULL, -1, 0, lo, hi, NULL, NULL, &err), UTIL_ERUNTIME);
    assert_non_null(strstr(err.msg, "not a full-data fit"));
}

static void test_style_bootstrap_refuses_other_fit(void **state)
{
    int n = 6, F = 2;
    rating_rows *rows = synth_rows(n, F, 3000, 19), *other = synth_rows(n, F, 3000, 23);
    rating_rows *flat = rating_rows_alloc(n, F, 10);
    double r[6], g[2], wt[3000], d[2] = {0.5, 0.5};
    for (size_t i = 0; i < rows->n; i++)
        wt[i] = (double)(i % 3);
    for (int i = 0; i < 10; i++)
        rating_rows_push(flat, i % n, (i + 1) % n, RATING_A_WINS, d); /* constant features: the fit fails */
    util_err err;
    rating_style_opts so = {PENALTY_FASTCHAT, 0, 0, 1}, o2 = so;
    rating_style_ws *w = rating_style_ws_alloc(n, F);
    expect_boot_refused(rows, &so, w); /* never fitted */
    assert_int_equal(rating_style_fit(rows, NULL, w, &so, r, g, NULL, &err), UTIL_OK);
    o2.penalty = PENALTY_NONE;
    expect_boot_refused(rows, &o2, w);
    o2 = so;
    o2.tol = 1e-6;
    expect_boot_refused(rows, &o2, w);
    o2 = so;
    o2.max_iter = 50;
    expect_boot_refused(rows, &o2, w);
    expect_boot_refused(other, &so, w);
    assert_int_equal(rating_style_fit(rows, wt, w, &so, r, g, NULL, &err), UTIL_OK);
    expect_boot_refused(rows, &so, w);
    assert_int_equal(rating_style_fit_ridge(rows, NULL, w, &so, 0.1, r, g, NULL, &err), UTIL_OK);
    expect_boot_refused(rows, &so, w);
    assert_int_equal(rating_style_fit(rows, NULL, w, &so, r, g, NULL, &err), UTIL_OK);
    assert_int_equal(rating_style_fit(flat, NULL, w, &so, r, g, NULL, &err), UTIL_EINPUT);
    expect_boot_refused(flat, &so, w);
    expect_boot_refused(rows, &so, w);
    rating_style_ws_free(w);
    rating_rows_free(rows);
    rating_rows_free(other);
    rating_rows_free(flat);
}

static void expect_bt_error(rating_table *t, const char *needle)
{
    rating_bt_ws *w = rating_bt_ws_alloc(t->n);
    double r[8];
    util_err err;
    util_err_clear(&err);
    assert_int_equal(rating_bt_fit(t, w, NULL, r, NULL, &err), UTIL_EINPUT);
    assert_non_null(strstr(err.msg, needle));
    rating_bt_ws_free(w);
}

static void test_errors(void **state)
{
    rating_table *t = rating_table_alloc(4);
    rating_table_add(t, 0, 1, RATING_A_WINS, 3);
    rating_table_add(t, 1, 0, RATING_A_WINS, 3);
    rating_table_add(t, 2, 3, RATING_TIE, 3);
    expect_bt_error(t, "not connected");
    rating_table_clear(t);
    rating_table_add(t, 0, 1, RATING_A_WINS, 3);
    rating_table_add(t, 1, 2, RATING_TIE, 3);
    rating_table_add(t, 2, 3, RATING_TIE, 3);
    expect_bt_error(t, "model 0 has only wins");
    rating_table_clear(t);
    rating_table_add(t, 0, 1, RATING_TIE, 3);
    rating_table_add(t, 1, 2, RATING_TIE, 3);
    expect_bt_error(t, "model 3 has no battles");
    /* {0,1} always beat {2,3}: each model has wins and losses, no MLE */
    rating_table_clear(t);
    rating_table_add(t, 0, 1, RATING_A_WINS, 1);
    rating_table_add(t, 1, 0, RATING_A_WINS, 1);
    rating_table_add(t, 2, 3, RATING_A_WINS, 1);
    rating_table_add(t, 3, 2, RATING_A_WINS, 1);
    rating_table_add(t, 1, 2, RATING_A_WINS, 1);
    expect_bt_error(t, "no BT MLE");
    rating_table_free(t);

    /* constant feature column */
    rating_rows *rows = rating_rows_alloc(2, 2, 4);
    double d1[2] = {0.1, 0.5}, d2[2] = {-0.2, 0.5};
    rating_rows_push(rows, 0, 1, RATING_A_WINS, d1);
    rating_rows_push(rows, 1, 0, RATING_A_WINS, d2);
    rating_rows_push(rows, 0, 1, RATING_TIE, d1);
    rating_style_ws *w = rating_style_ws_alloc(2, 2);
    rating_style_opts so = {PENALTY_FASTCHAT, 0, 0, 1};
    double r[2], g[2];
    util_err err;
    assert_int_equal(rating_style_fit(rows, NULL, w, &so, r, g, NULL, &err), UTIL_EINPUT);
    assert_non_null(strstr(err.msg, "feature 1 is constant"));
    rating_style_ws_free(w);
    rating_rows_free(rows);

    /* iteration cap is an error, never a silent result */
    rating_table *t2 = rating_table_alloc(3);
    rating_table_add(t2, 0, 1, RATING_A_WINS, 1000);
    rating_table_add(t2, 1, 0, RATING_A_WINS, 1);
    rating_table_add(t2, 1, 2, RATING_A_WINS, 1000);
    rating_table_add(t2, 2, 1, RATING_A_WINS, 1);
    rating_table_add(t2, 0, 2, RATING_TIE, 1);
    rating_bt_ws *bw = rating_bt_ws_alloc(3);
    rating_fit_opts fo = {1e-15, 1};
    assert_int_equal(rating_bt_fit(t2, bw, &fo, r, NULL, &err), UTIL_ERUNTIME);
    assert_non_null(strstr(err.msg, "not converged"));
    rating_bt_ws_free(bw);
    rating_table_free(t2);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pair_index),
        cmocka_unit_test(test_table_add_swaps_sides),
        cmocka_unit_test(test_bt_two_models_and_sandwich),
        cmocka_unit_test(test_scores_anchor_and_mean),
        cmocka_unit_test(test_ranks),
        cmocka_unit_test(test_elo_hand),
        cmocka_unit_test(test_style_no_features_equals_bt),
        cmocka_unit_test(test_style_thread_invariance),
        cmocka_unit_test(test_bootstrap_thread_invariance),
        cmocka_unit_test(test_style_bootstrap_reuses_fit),
        cmocka_unit_test(test_style_bootstrap_refuses_other_fit),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
