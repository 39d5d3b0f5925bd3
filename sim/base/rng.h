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

extern const gsl_rng_type *rng_philox4x64;

/* Allocate a Philox generator (state set to stream (0,0,0,0,0)). */
gsl_rng *rng_alloc(void);

/* Position r at the start of stream (seed, point, replicate, purpose, sub). */
void rng_set_stream(gsl_rng *r, uint64_t seed, uint64_t point,
                    uint64_t replicate, uint64_t purpose, uint64_t sub);

/* The raw Philox4x64-R block function (exposed for known-answer tests). */
void rng_philox4x64_block(const uint64_t ctr[4], const uint64_t key[2],
                          int rounds, uint64_t out[4]);

#endif
