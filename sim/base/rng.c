/*
 * base/rng.c — Philox4x64-10 as a GSL generator type (see rng.h for the stream
 * rule). Output: 64-bit words; doubles in [0,1) take the top 53 bits.
 */
#include "base/rng.h"

#include <string.h>

#define PHILOX_M0 0xD2E7470EE14C6C93ULL
#define PHILOX_M1 0xCA5A826395121157ULL
#define PHILOX_W0 0x9E3779B97F4A7C15ULL
#define PHILOX_W1 0xBB67AE8584CAA73BULL

typedef struct {
    uint64_t key[2];
    uint64_t ctr[4];
    uint64_t out[4];
    int used; /* words of `out` already handed out (4 = refill) */
} philox_state;

static inline void mulhilo(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    __uint128_t p = (__uint128_t)a * b;
    *hi = (uint64_t)(p >> 64);
    *lo = (uint64_t)p;
}

void rng_philox4x64_block(const uint64_t ctr[4], const uint64_t key[2],
                          int rounds, uint64_t out[4])
{
    uint64_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint64_t k0 = key[0], k1 = key[1];
    for (int i = 0; i < rounds; i++) {
        if (i > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        uint64_t hi0, lo0, hi1, lo1;
        mulhilo(PHILOX_M0, c0, &hi0, &lo0);
        mulhilo(PHILOX_M1, c2, &hi1, &lo1);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

static inline uint64_t philox_next(philox_state *s)
{
    if (s->used == 4) {
        rng_philox4x64_block(s->ctr, s->key, 10, s->out);
        s->ctr[0]++;
        s->used = 0;
    }
    return s->out[s->used++];
}

static unsigned long philox_get(void *vstate)
{
    return (unsigned long)philox_next(vstate);
}

static double philox_get_double(void *vstate)
{
    return (double)(philox_next(vstate) >> 11) * 0x1.0p-53;
}

/* gsl_rng_set(r, s): stream (seed = s, 0, 0, 0, 0); prefer rng_set_stream. */
static void philox_set(void *vstate, unsigned long s)
{
    philox_state *st = vstate;
    memset(st, 0, sizeof *st);
    st->key[0] = (uint64_t)s;
    st->used = 4;
}

static const gsl_rng_type philox_type = {
    "philox4x64-10", 0xFFFFFFFFFFFFFFFFUL, 0, sizeof(philox_state),
    philox_set, philox_get, philox_get_double};

const gsl_rng_type *rng_philox4x64 = &philox_type;

gsl_rng *rng_alloc(void)
{
    return gsl_rng_alloc(rng_philox4x64);
}

void rng_set_stream(gsl_rng *r, uint64_t seed, uint64_t point,
                    uint64_t replicate, uint64_t purpose, uint64_t sub)
{
    philox_state *st = r->state;
    st->key[0] = seed;
    st->key[1] = point;
    st->ctr[0] = 0;
    st->ctr[1] = replicate;
    st->ctr[2] = purpose;
    st->ctr[3] = sub;
    st->used = 4;
}
