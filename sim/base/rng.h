/*
 * base/rng.h — counter-based random streams for reproducible parallel Monte Carlo.
 *
 * Every stream is Philox4x64-10 (Salmon et al., SC'11; the Random123
 * generator) exposed as a GSL generator type, so GSL's distributions draw
 * from it. The stream rule (documented in README "Reproducibility"):
 *
 *     key     = (seed, point)                      two 64-bit words
 *     counter = (block, replicate, purpose, sub)   four 64-bit words
 *
 * `block` counts 256-bit output blocks within the stream; the other three
 * counter words select the stream. Philox is a bijection of the counter for
 * a fixed key, so distinct (seed, point, replicate, purpose, sub) tuples give
 * non-overlapping streams (each 2^64 blocks long): no seed collisions, no
 * dependence on thread scheduling.
 *
 * Blocks are computed RNG_BATCH at a time (same words, same order). The hot
 * loops of the simulator read words through the inline accessors below
 * (rng_u01, rng_index) and the exact Poisson sampler rng_poisson instead of
 * GSL's function-pointer calls; each is exact in distribution and tested
 * against GSL or the closed form (tests/unit/test_rng.c).
 */
#ifndef ARENASIM_RNG_H
#define ARENASIM_RNG_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

/* What a stream is used for (third counter word). */
enum {
    RNG_PURPOSE_SIM = 0,       /* one replicate's simulation          */
    RNG_PURPOSE_BOOTSTRAP = 1, /* bootstrap round `sub` of a fit       */
    RNG_PURPOSE_SUMMARY = 2,   /* CIs over replicates of a sweep point */
    RNG_PURPOSE_USER = 3       /* free for tests and tools            */
};

#define RNG_BATCH 8                  /* Philox blocks computed per refill */
#define RNG_WORDS (4 * RNG_BATCH)    /* 64-bit words per refill           */
#define RNG_TAB 256                  /* size of the sampler's ln k! table */

/* The state of a Philox generator (gsl_rng.state of rng_alloc's generators). */
typedef struct {
    uint64_t key[2];
    uint64_t ctr[4];          /* counter of the next block to compute */
    uint64_t out[RNG_WORDS];  /* words of the current batch */
    int used;                 /* words of `out` already handed out (RNG_WORDS = refill) */
} rng_state;

extern const gsl_rng_type *rng_philox4x64;

/* Allocate a Philox generator (state set to stream (0,0,0,0,0)). */
gsl_rng *rng_alloc(void);

/* Position r at the start of stream (seed, point, replicate, purpose, sub). */
void rng_set_stream(gsl_rng *r, uint64_t seed, uint64_t point,
                    uint64_t replicate, uint64_t purpose, uint64_t sub);

/* The raw Philox4x64-R block function (exposed for known-answer tests). */
void rng_philox4x64_block(const uint64_t ctr[4], const uint64_t key[2],
                          int rounds, uint64_t out[4]);

/* Compute the next RNG_BATCH blocks into s->out (internal to the accessors). */
void rng_refill(rng_state *s);

static inline uint64_t rng_state_next(rng_state *s)
{
    if (s->used == RNG_WORDS)
        rng_refill(s);
    return s->out[s->used++];
}

/* The next 64-bit word of r (r from rng_alloc; same as gsl_rng_get). */
static inline uint64_t rng_word(gsl_rng *r)
{
    return rng_state_next((rng_state *)r->state);
}

/* Uniform double in [0,1), top 53 bits (same as gsl_rng_uniform). */
static inline double rng_u01(gsl_rng *r)
{
    return (double)(rng_word(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n ≥ 1, exactly (Lemire's multiply-and-reject:
 * one 64-bit word almost always, no division unless the cheap test fails). */
static inline uint64_t rng_index(gsl_rng *r, uint64_t n)
{
    __uint128_t m = (__uint128_t)rng_word(r) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t t = (0 - n) % n;
        while (lo < t) {
            m = (__uint128_t)rng_word(r) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* Poisson(lambda) variate, lambda ≥ 0, given log_lambda = ln(lambda)
 * (the caller usually has it for free). Exact inversion of one uniform over
 * the support ordered outward from the mode (m, m+1, m−1, m+2, ...), so the
 * expected work is O(√λ) and one exp per draw. r from rng_alloc. */
unsigned rng_poisson(gsl_rng *r, double lambda, double log_lambda);

/* rng_poisson in two steps, the same draws:
 * rng_poisson(r, λ, ln λ) = rng_poisson_walk(r, λ, rng_poisson_pm(λ, ln λ)).
 * rng_poisson_pm is pmf(⌊λ⌋) (one exp, no randomness), rng_poisson_walk the
 * inversion given it. A caller with several draws computes every pm first:
 * the exps are then independent of one another and overlap in the CPU,
 * instead of each waiting behind the previous draw's search (whose last
 * branch is mispredicted more often than not). */
double rng_poisson_pm(double lambda, double log_lambda);
unsigned rng_poisson_walk(gsl_rng *r, double lambda, double pm);

/* Poisson(1) variate (bootstrap weights) by inversion of one uniform against
 * the correctly rounded cdf table: exact to the 2^−53 resolution of the
 * uniform (values ≥ 18, probability < 1e−16, are not produced). */
unsigned rng_poisson1(gsl_rng *r);

#endif
