/*
 * test_rating_kernel.c — white-box checks of the bt_style passes (cmocka):
 * this file includes sim/rating/rating.c itself (so the static functions are
 * in reach), with RATING_CHECK_DESCENT defined. Its definitions take the
 * place of the library's rating.o when the test links.
 *
 *  - style_block (rows in chunks, the 4-feature lane-pair path, zero weights
 *    dropped before the logits, σ given per row) gives the same doubles as the plain per-row
 *    loop it replaced (ref_block below, the formulas of DESIGN §3 written
 *    row by row), for every mode, 0/2/4/5 features, with and without
 *    bootstrap and arena_rank weights: bit for bit, not within a tolerance,
 *    since fits must stay bitwise reproducible.
 *  - style_descends (the line search judged from gradient and Hessian at the
 *    trial point) never accepts a point that the loss comparison would
 *    reject: on fits and bootstrap rounds of every penalty, and on random
 *    segments (where both of its answers occur).
 * Units as in rating.h.
 */
#define RATING_CHECK_DESCENT 1
#include "../../sim/rating/rating.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "base/rng.h"

/* Rows with F features from a Philox stream; `spread` scales the true
 * ratings (log10-odds per model index step) and the style effect. */
static rating_rows *kernel_rows(int n_models, int F, size_t n, uint64_t seed, double spread)
{
    gsl_rng *g = rng_alloc();
    rng_set_stream(g, seed, 0, 0, RNG_PURPOSE_USER, 0);
    rating_rows *rows = rating_rows_alloc(n_models, F, n);
    double d[FEAT_N];
    for (size_t i = 0; i < n; i++) {
        int a = (int)gsl_rng_uniform_int(g, (unsigned long)n_models);
        int b = (a + 1 + (int)gsl_rng_uniform_int(g, (unsigned long)n_models - 1)) % n_models;
        double eta = RATING_LN10 * spread * (a - b);
        for (int f = 0; f < F; f++) {
            double x = gsl_ran_poisson(g, 3.0 + 2 * f), y = gsl_ran_poisson(g, 4.0);
            d[f] = (x - y) / (x + y + 1);
            eta += 3 * spread * d[f];
        }
        double u = gsl_rng_uniform(g);
        int oc = u < 0.1 ? RATING_TIE : u < 0.2 ? RATING_BOTHBAD
                                                : gsl_rng_uniform(g) < 1 / (1 + exp(-eta)) ? RATING_A_WINS : RATING_B_WINS;
        rating_rows_push(rows, a, b, oc, d);
    }
    gsl_rng_free(g);
    return rows;
}

/* The per-row loop as it was before the passes went in chunks: loss (modes
 * 0, 1), gradient and upper-triangle Hessian (0, 3) or score outer products
 * G (2), every row in order. g, h zeroed here (p, p²). */
static double ref_block(const style_ctx *c, size_t lo, size_t hi, double *g, double *h, size_t p)
{
    const rating_rows *R = c->rows;
    int n = R->n_models, F = R->n_feat;
    const double L = RATING_LN10, L2 = L * L;
    const double *gam = c->theta + n;
    double z[FEAT_N], loss = 0;
    memset(g, 0, p * sizeof *g);
    memset(h, 0, p * p * sizeof *h);
    for (size_t i = lo; i < hi; i++) {
        double fw = c->wt ? c->wt[i] : 1.0, iw = c->pw ? c->pw[i] : 1.0, wt = fw * iw;
        if (wt == 0)
            continue;
        size_t a = (size_t)R->a[i], b = (size_t)R->b[i];
        double eta = L * (c->theta[a] - c->theta[b]), prob;
        for (int f = 0; f < F; f++) {
            z[f] = (R->d[i * (size_t)F + (size_t)f] - c->mu[f]) * c->isd[f];
            eta += z[f] * gam[f];
        }
        int oc = R->outcome[i];
        double y = oc == RATING_A_WINS ? 1.0 : oc == RATING_B_WINS ? 0.0 : 0.5;
        if (c->mode == 3) {
            double e = exp(-fabs(eta));
            prob = eta >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
        } else {
            loss += wt * nll_one(eta, y, &prob);
        }
        if (c->mode == 1)
            continue;
        double res = wt * (prob - y);
        double hh = c->mode == 2 ? fw * (iw * (prob - y)) * (iw * (prob - y)) : wt * prob * (1.0 - prob);
        g[a] += L * res;
        g[b] -= L * res;
        h[a * p + a] += L2 * hh;
        h[b * p + b] += L2 * hh;
        h[(a < b ? a : b) * p + (a < b ? b : a)] -= L2 * hh;
        for (int f = 0; f < F; f++) {
            size_t q = (size_t)n + (size_t)f;
            double hz = hh * z[f];
            g[q] += res * z[f];
            h[a * p + q] += L * hz;
            h[b * p + q] -= L * hz;
            for (int e = f; e < F; e++)
                h[q * p + (size_t)n + (size_t)e] += hz * z[e];
        }
    }
    return loss;
}

static void test_block_matches_row_loop(void **state)
{
    const int n = 7, feats[] = {0, 2, 4, 5};
    const size_t N = 1000; /* 7 full chunks and a partial one; lo/hi off the chunk grid */
    for (size_t fi = 0; fi < sizeof feats / sizeof *feats; fi++) {
        int F = feats[fi];
        size_t p = (size_t)n + (size_t)F;
        rating_rows *rows = kernel_rows(n, F, N, 100 + (uint64_t)F, 0.1);
        rating_style_ws *w = rating_style_ws_alloc(n, F);
        util_err err;
        assert_int_equal(F ? style_zscore(rows, w, 1, &err) : UTIL_OK, UTIL_OK);
        gsl_rng *g = rng_alloc();
        rng_set_stream(g, 7, 0, 0, RNG_PURPOSE_USER, (uint64_t)F);
        double *theta = util_malloc(p * sizeof(double)), *wt = util_malloc(N * sizeof(double));
        double *pw = util_malloc(N * sizeof(double));
        for (size_t q = 0; q < p; q++) /* ratings over ±1 log10-odds: logits of both signs, up to ~±5 */
            theta[q] = gsl_ran_flat(g, -1, 1);
        size_t zeros = 0;
        for (size_t i = 0; i < N; i++) {
            wt[i] = (double)rng_poisson1(g);
            zeros += wt[i] == 0;
            pw[i] = gsl_ran_flat(g, 0.2, 3);
        }
        assert_true(zeros > N / 5); /* some rows dropped (expected ~37 %) */
        double *g1 = util_malloc(p * sizeof(double)), *h1 = util_malloc(p * p * sizeof(double));
        style_slot *s = &w->slot[0];
        for (int mode = 0; mode < 4; mode++)
            for (int wk = 0; wk < 4; wk++) {
                style_ctx c = {rows, wk & 1 ? wt : NULL, wk & 2 ? pw : NULL, theta, w->mu, w->isd, mode, NULL, NULL};
                size_t lo = 3, hi = N - 5;
                double l1 = ref_block(&c, lo, hi, g1, h1, p);
                memset(s->g, 0, p * sizeof(double));
                memset(s->h, 0, p * p * sizeof(double));
                style_block(&c, lo, hi, s, p);
                assert_memory_equal(&l1, &s->loss, sizeof l1);
                if (mode != 1) {
                    assert_memory_equal(g1, s->g, p * sizeof(double));
                    assert_memory_equal(h1, s->h, p * p * sizeof(double));
                }
                if (mode == 3) { /* again with σ of each row given (mode 4 stores it) */
                    double *prob = util_malloc(N * sizeof(double));
                    style_ctx c4 = c;
                    c4.mode = 4;
                    c4.prob_out = prob;
                    style_block(&c4, lo, hi, s, p);
                    c.prob_in = prob;
                    style_block(&c, lo, hi, s, p);
                    assert_memory_equal(g1, s->g, p * sizeof(double));
                    assert_memory_equal(h1, s->h, p * p * sizeof(double));
                    free(prob);
                }
                if (mode != 3)
                    assert_true(l1 > 0);
                if (mode != 1)
                    assert_true(fabs(g1[0]) > 0 && h1[0] > 0);
            }
        free(g1);
        free(h1);
        free(theta);
        free(wt);
        free(pw);
        gsl_rng_free(g);
        rating_style_ws_free(w);
        rating_rows_free(rows);
    }
}

/* Fits from zero and bootstrap rounds (warm starts) of every penalty, on mild
 * and on strong effects: style_descends' yes (with the Hessian at the trial
 * point, or at the start after a gradient-only pass) never contradicts the
 * loss comparison. */
static void test_descent_rule_agrees_with_losses(void **state)
{
    const double spreads[] = {0.05, 0.6};
    descent_yes = descent_no = descent_wrong = 0;
    for (int sp = 0; sp < 2; sp++) {
        int n = 8, F = 4;
        rating_rows *rows = kernel_rows(n, F, 40000, 31 + (uint64_t)sp, spreads[sp]);
        for (int pen = 0; pen < 3; pen++) {
            rating_style_ws *w = rating_style_ws_alloc(n, F);
            rating_style_opts so = {(params_penalty)pen, 0, 0, 1};
            rating_boot_opts bo = {5, 0, 0, 20, 1, 0.9};
            double r[8], gam[4], lo[8], hi[8], glo[4], ghi[4];
            util_err err;
            assert_int_equal(rating_style_fit(rows, NULL, w, &so, r, gam, NULL, &err), UTIL_OK);
            assert_int_equal(rating_style_bootstrap(rows, &so, NULL, &bo, NULL, -1, 0, lo, hi, glo, ghi, &err), UTIL_OK);
            assert_true(glo[0] < gam[0] && gam[0] < ghi[0]);
            rating_style_ws_free(w);
        }
        rating_rows_free(rows);
    }
    assert_true(descent_yes >= 10); /* the rule is used */
    assert_true(lazy_used >= 10);   /* so are gradient-only last passes */
    assert_int_equal(descent_wrong, 0);
}

/* The bound itself, away from Newton steps: from random points θ (ratings
 * within ±1, γ within ±1) to θ + Δ with Δ random at scales 10⁻⁴ … 1 (up to
 * logit moves of ~10), style_descends(g at θ + Δ, H at θ + Δ or at θ) says
 * yes only when the computed loss did not rise, and it says both yes and no
 * (each form). */
static void test_descent_rule_random_segments(void **state)
{
    int n = 6, F = 4, yes = 0, no = 0, rises = 0, yes0 = 0, no0 = 0;
    size_t p = (size_t)n + (size_t)F;
    rating_rows *rows = kernel_rows(n, F, 20000, 77, 0.2);
    rating_style_ws *w = rating_style_ws_alloc(n, F);
    util_err err;
    assert_int_equal(style_zscore(rows, w, 1, &err), UTIL_OK);
    gsl_rng *g = rng_alloc();
    rng_set_stream(g, 8, 0, 0, RNG_PURPOSE_USER, 0);
    double *gr = util_malloc(p * sizeof(double)), *h = util_malloc(p * p * sizeof(double));
    double *g0 = util_malloc(p * sizeof(double)), *h0 = util_malloc(p * p * sizeof(double));
    for (int t = 0; t < 400; t++) {
        double scale = pow(10.0, -4 + 4 * gsl_rng_uniform(g)), lr = t % 2 ? 0.25 : 0, lg = t % 2 ? 0.25 : 0;
        for (size_t q = 0; q < p; q++) {
            w->theta[q] = gsl_ran_flat(g, -1, 1);
            w->tnew[q] = w->theta[q] + scale * gsl_ran_flat(g, -1, 1);
        }
        style_ctx c = {rows, NULL, NULL, w->tnew, w->mu, w->isd, 3, NULL, NULL}, cl = c;
        cl.mode = 1;
        style_pass(&c, w, 1, gr, h);
        style_penalize(w, w->tnew, lr, lg, gr, h);
        double l1 = style_pass(&cl, w, 1, NULL, NULL) + style_penalize(w, w->tnew, lr, lg, NULL, NULL);
        cl.theta = w->theta;
        double l0 = style_pass(&cl, w, 1, NULL, NULL) + style_penalize(w, w->theta, lr, lg, NULL, NULL);
        int says = style_descends(w, gr, h, 0);
        yes += says;
        no += !says;
        rises += l1 > l0;
        if (says)
            assert_true(l1 <= l0 + 1e-12 * fabs(l0));
        c.theta = w->theta; /* the Hessian at the start of the segment */
        style_pass(&c, w, 1, g0, h0);
        style_penalize(w, w->theta, lr, lg, g0, h0);
        says = style_descends(w, gr, h0, 1);
        yes0 += says;
        no0 += !says;
        if (says)
            assert_true(l1 <= l0 + 1e-12 * fabs(l0));
    }
    assert_true(yes >= 40 && no >= 40 && rises >= 40 && yes0 >= 40 && no0 >= 40);
    /* Near the edge: along a random direction D from θ, the quadratic model
     * puts the loss back at its start level at t* = −2 s0/q (s0 = g·D < 0,
     * q = DᵀHD). At 1.05 t* the loss has risen a little: both forms must say
     * no (a bound 3 times too generous says yes there). At 0.5 t*, the
     * bottom, the loss fell. */
    int edge = 0;
    for (int t = 0; t < 100; t++) {
        double s0 = 0, q = 0;
        for (size_t k = 0; k < p; k++) {
            w->theta[k] = gsl_ran_flat(g, -1, 1);
            w->dt[k] = gsl_ran_flat(g, -1, 1) * (k < (size_t)n ? 0.1 : 0.3);
        }
        style_ctx c = {rows, NULL, NULL, w->theta, w->mu, w->isd, 3, NULL, NULL}, cl = c;
        cl.mode = 1;
        style_pass(&c, w, 1, g0, h0);
        for (size_t i = 0; i < p; i++) {
            double hd = 0;
            for (size_t j = 0; j < p; j++)
                hd += h0[i * p + j] * w->dt[j];
            s0 += g0[i] * w->dt[i];
            q += w->dt[i] * hd;
        }
        double dir = s0 < 0 ? 1 : -1, ts = 2 * fabs(s0) / q, l0 = style_pass(&cl, w, 1, NULL, NULL);
        double D[16];
        memcpy(D, w->dt, p * sizeof(double));
        for (int side = 0; side < 2; side++) {
            double tt = (side ? 1.05 : 0.5) * ts * dir;
            for (size_t k = 0; k < p; k++)
                w->tnew[k] = w->theta[k] + tt * D[k];
            c.theta = cl.theta = w->tnew;
            style_pass(&c, w, 1, gr, h);
            double l1 = style_pass(&cl, w, 1, NULL, NULL);
            int a1 = style_descends(w, gr, h, 0), a0 = style_descends(w, gr, h0, 1);
            cl.theta = c.theta = w->theta;
            if (side && l1 > l0) {
                edge++;
                assert_false(a1);
                assert_false(a0);
            }
            if (!side)
                assert_true(l1 < l0);
        }
    }
    assert_true(edge >= 80);
    free(gr);
    free(h);
    free(g0);
    free(h0);
    gsl_rng_free(g);
    rating_style_ws_free(w);
    rating_rows_free(rows);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_matches_row_loop),
        cmocka_unit_test(test_descent_rule_agrees_with_losses),
        cmocka_unit_test(test_descent_rule_random_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
