/*
 * test_rng.c — the hand-written samplers of base/rng.h against closed forms:
 * batched Philox words equal the block function's, rng_index is uniform,
 * rng_poisson follows the Poisson pmf (GSL's gsl_ran_poisson_pdf) over the
 * range of rates the response model uses and beyond the ln k! table.
 *
 * Statistical tests use fixed seeds and Pearson's chi-square against the
 * closed form, bins pooled to an expected count ≥ 20, rejecting at
 * p < 1e−4 (a correct sampler fails one λ with probability 1e−4).
 * Power (scipy's noncentral chi-square for exactly these n, bins and
 * threshold): with n = 10^6 draws per λ, moving 5 % of the modal value's
 * probability to its neighbour is detected with power > 0.95 at every λ
 * tested (≥ 0.999 for λ ≤ 80), and a 1 % error in the rate (Poisson(1.01λ)
 * drawn instead of Poisson(λ)) with power > 0.99 for λ ≥ 1 (0.78 at λ = 0.3).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "base/rng.h"

/* Words across several refills equal rng_philox4x64_block's, also after a
 * stream reset in the middle of a batch. */
static void test_batched_words(void **state)
{
    (void)state;
    gsl_rng *r = rng_alloc();
    for (int pass = 0; pass < 2; pass++) {
        rng_set_stream(r, 5 + pass, 3, 2, RNG_PURPOSE_USER, 11);
        uint64_t key[2] = {5 + (uint64_t)pass, 3}, ctr[4] = {0, 2, RNG_PURPOSE_USER, 11}, out[4];
        for (int blk = 0; blk < 3 * RNG_BATCH + 1; blk++) {
            ctr[0] = (uint64_t)blk;
            rng_philox4x64_block(ctr, key, 10, out);
            for (int k = 0; k < 4; k++)
                assert_true(rng_word(r) == out[k]);
        }
        (void)rng_word(r); /* leave the batch half used before the reset */
    }
    gsl_rng_free(r);
}

/* Chi-square p-value of counts against probabilities, pooling adjacent bins
 * until each expected count is ≥ 20. */
static double chisq_p(const double *count, const double *prob, int nbins, double n)
{
    double stat = 0, c = 0, e = 0;
    int df = -1;
    for (int k = 0; k < nbins; k++) {
        c += count[k];
        e += n * prob[k];
        if (e >= 20 || k == nbins - 1) {
            stat += (c - e) * (c - e) / (e > 0 ? e : 1);
            df++;
            c = e = 0;
        }
    }
    return df > 0 ? gsl_cdf_chisq_Q(stat, df) : 1.0;
}

static void test_index_uniform(void **state)
{
    (void)state;
    gsl_rng *r = rng_alloc();
    rng_set_stream(r, 77, 0, 0, RNG_PURPOSE_USER, 0);
    const int sizes[3] = {1, 7, 1000};
    for (int s = 0; s < 3; s++) {
        int n = sizes[s];
        double *count = calloc((size_t)n, sizeof *count), *prob = malloc((size_t)n * sizeof *prob);
        for (int k = 0; k < n; k++)
            prob[k] = 1.0 / n;
        for (int i = 0; i < 1000000; i++) {
            uint64_t k = rng_index(r, (uint64_t)n);
            assert_true(k < (uint64_t)n);
            count[k]++;
        }
        assert_true(chisq_p(count, prob, n, 1e6) > 1e-4);
        free(count);
        free(prob);
    }
    /* n near 2^64: the rejection path (threshold 2^64 mod n is large) */
    uint64_t big = (1ULL << 63) + 12345, hi = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t k = rng_index(r, big);
        assert_true(k < big);
        hi += k >= big / 2;
    }
    assert_true(hi > 400 && hi < 600); /* binomial(1000, 1/2): ±6.3 sd */
    gsl_rng_free(r);
}

static void test_poisson_pmf(void **state)
{
    (void)state;
    /* response counts: rates from 0.01 (rare emoji) to ~300 (long, markdown-
     * heavy answers; above the 256-entry ln k! table) */
    const double lambdas[] = {0.01, 0.3, 1.0, 2.5, 4.0, 9.7, 14.0, 31.5, 80.0, 255.5, 300.0};
    const int n = 1000000, nl = (int)(sizeof lambdas / sizeof lambdas[0]);
    gsl_rng *r = rng_alloc();
    for (int l = 0; l < nl; l++) {
        double lam = lambdas[l];
        int nbins = (int)(lam + 12 * sqrt(lam) + 20);
        double *count = calloc((size_t)nbins, sizeof *count), *prob = malloc((size_t)nbins * sizeof *prob);
        double tail = 1.0, sum = 0;
        for (int k = 0; k < nbins - 1; k++)
            tail -= (prob[k] = gsl_ran_poisson_pdf((unsigned)k, lam));
        prob[nbins - 1] = tail > 0 ? tail : 0;
        rng_set_stream(r, 2024, (uint64_t)l, 0, RNG_PURPOSE_USER, 0);
        for (int i = 0; i < n; i++) {
            unsigned k = rng_poisson(r, lam, log(lam));
            sum += k;
            count[k < (unsigned)nbins ? k : (unsigned)nbins - 1]++;
        }
        double p = chisq_p(count, prob, nbins, n);
        if (p <= 1e-4)
            fail_msg("lambda %g: chi-square p = %g", lam, p);
        /* mean within 5 sd of its sampling error sqrt(λ/n) */
        assert_true(fabs(sum / n - lam) < 5 * sqrt(lam / n));
        free(count);
        free(prob);
    }
    assert_int_equal(rng_poisson(r, 0.0, -INFINITY), 0);
    gsl_rng_free(r);
}

/* rng_poisson1 against the Poisson(1) pmf: 10^6 draws, same chi-square
 * rule (power: a 1 % error in the rate is detected with probability > 0.99,
 * by the scipy computation quoted at the top for λ = 1). */
static void test_poisson1_pmf(void **state)
{
    (void)state;
    double count[12] = {0}, prob[12], tail = 1.0;
    for (int k = 0; k < 11; k++)
        tail -= (prob[k] = gsl_ran_poisson_pdf((unsigned)k, 1.0));
    prob[11] = tail;
    gsl_rng *r = rng_alloc();
    rng_set_stream(r, 9, 9, 0, RNG_PURPOSE_USER, 0);
    for (int i = 0; i < 1000000; i++) {
        unsigned k = rng_poisson1(r);
        count[k < 11 ? k : 11]++;
    }
    assert_true(chisq_p(count, prob, 12, 1e6) > 1e-4);
    gsl_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batched_words),
        cmocka_unit_test(test_index_uniform),
        cmocka_unit_test(test_poisson_pmf),
        cmocka_unit_test(test_poisson1_pmf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
