/*
 * base/rng.c — Philox4x64-10 as a GSL generator type (see rng.h for the stream
 * rule), computed RNG_BATCH blocks at a time, and the exact samplers of rng.h.
 * Output: 64-bit words; doubles in [0,1) take the top 53 bits.
 */
#include "base/rng.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#define PHILOX_M0 0xD2E7470EE14C6C93ULL
#define PHILOX_M1 0xCA5A826395121157ULL
#define PHILOX_W0 0x9E3779B97F4A7C15ULL
#define PHILOX_W1 0xBB67AE8584CAA73BULL

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

/* One Philox round on the block (c0, c1, c2, c3). */
#define PHILOX_ROUND(c0, c1, c2, c3, k0, k1)              \
    do {                                                  \
        uint64_t hi0_, lo0_, hi1_, lo1_;                  \
        mulhilo(PHILOX_M0, c0, &hi0_, &lo0_);             \
        mulhilo(PHILOX_M1, c2, &hi1_, &lo1_);             \
        c0 = hi1_ ^ c1 ^ (k0);                            \
        c1 = lo1_;                                        \
        c2 = hi0_ ^ c3 ^ (k1);                            \
        c3 = lo0_;                                        \
    } while (0)

/* Two consecutive blocks (counters ctr[0] + j, ctr[0] + j + 1, the other
 * counter words as in ctr) with their rounds interleaved: the two blocks are
 * independent, so the 128-bit multiplies of one overlap with the other's in
 * the pipeline; two blocks keep most of their state in registers, which
 * eight interleaved blocks (arrays on the stack) did not. */
static void philox_pair(const uint64_t ctr[4], uint64_t j, const uint64_t key[2], uint64_t *out)
{
    uint64_t a0 = ctr[0] + j, a1 = ctr[1], a2 = ctr[2], a3 = ctr[3];
    uint64_t b0 = ctr[0] + j + 1, b1 = ctr[1], b2 = ctr[2], b3 = ctr[3];
    uint64_t k0 = key[0], k1 = key[1];
    for (int i = 0; i < 10; i++) {
        if (i > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        PHILOX_ROUND(a0, a1, a2, a3, k0, k1);
        PHILOX_ROUND(b0, b1, b2, b3, k0, k1);
    }
    out[0] = a0, out[1] = a1, out[2] = a2, out[3] = a3;
    out[4] = b0, out[5] = b1, out[6] = b2, out[7] = b3;
}

/* RNG_BATCH consecutive blocks (counters ctr[0], ctr[0]+1, ...), two at a
 * time. Same words, same order as one block at a time (tests/unit/test_rng.c
 * checks it against rng_philox4x64_block). */
void rng_refill(rng_state *s)
{
    for (int j = 0; j < RNG_BATCH; j += 2)
        philox_pair(s->ctr, (uint64_t)j, s->key, s->out + 4 * j);
    s->ctr[0] += RNG_BATCH;
    s->used = 0;
}

static unsigned long philox_get(void *vstate)
{
    return (unsigned long)rng_state_next(vstate);
}

static double philox_get_double(void *vstate)
{
    return (double)(rng_state_next(vstate) >> 11) * 0x1.0p-53;
}

/* gsl_rng_set(r, s): stream (seed = s, 0, 0, 0, 0); prefer rng_set_stream. */
static void philox_set(void *vstate, unsigned long s)
{
    rng_state *st = vstate;
    memset(st, 0, sizeof *st);
    st->key[0] = (uint64_t)s;
    st->used = RNG_WORDS;
}

static const gsl_rng_type philox_type = {
    "philox4x64-10", 0xFFFFFFFFFFFFFFFFUL, 0, sizeof(rng_state),
    philox_set, philox_get, philox_get_double};

const gsl_rng_type *rng_philox4x64 = &philox_type;

gsl_rng *rng_alloc(void)
{
    return gsl_rng_alloc(rng_philox4x64);
}

void rng_set_stream(gsl_rng *r, uint64_t seed, uint64_t point,
                    uint64_t replicate, uint64_t purpose, uint64_t sub)
{
    rng_state *st = r->state;
    st->key[0] = seed;
    st->key[1] = point;
    st->ctr[0] = 0;
    st->ctr[1] = replicate;
    st->ctr[2] = purpose;
    st->ctr[3] = sub;
    st->used = RNG_WORDS;
}

/* Reciprocals 1/k, k = 0..RNG_TAB−1 (entry 0 unused), evaluated by the compiler. */
#define RNG_R1(k) 1.0 / ((k) + (k == 0))
#define RNG_R4(k) RNG_R1(k), RNG_R1(k + 1), RNG_R1(k + 2), RNG_R1(k + 3)
#define RNG_R16(k) RNG_R4(k), RNG_R4(k + 4), RNG_R4(k + 8), RNG_R4(k + 12)
#define RNG_R64(k) RNG_R16(k), RNG_R16(k + 16), RNG_R16(k + 32), RNG_R16(k + 48)
static const double rng_recip_tab[RNG_TAB] = {RNG_R64(0), RNG_R64(64), RNG_R64(128), RNG_R64(192)};

/* ln k! for k = 0..255, correctly rounded (generated with mpmath, 200-bit). */
static const double rng_lnfact_tab[RNG_TAB] = {
    0.0, 0.0, 0.6931471805599453, 1.791759469228055,
    3.1780538303479458, 4.787491742782046, 6.579251212010101, 8.525161361065415,
    10.60460290274525, 12.801827480081469, 15.104412573075516, 17.502307845873887,
    19.987214495661885, 22.552163853123425, 25.19122118273868, 27.89927138384089,
    30.671860106080672, 33.50507345013689, 36.39544520803305, 39.339884187199495,
    42.335616460753485, 45.38013889847691, 48.47118135183523, 51.60667556776438,
    54.78472939811232, 58.00360522298052, 61.261701761002, 64.55753862700634,
    67.88974313718154, 71.25703896716801, 74.65823634883016, 78.0922235533153,
    81.55795945611504, 85.05446701758152, 88.58082754219768, 92.1361756036871,
    95.7196945421432, 99.33061245478743, 102.96819861451381, 106.63176026064346,
    110.32063971475739, 114.0342117814617, 117.77188139974507, 121.53308151543864,
    125.3172711493569, 129.12393363912722, 132.95257503561632, 136.80272263732635,
    140.67392364823425, 144.5657439463449, 148.47776695177302, 152.40959258449735,
    156.3608363030788, 160.3311282166309, 164.32011226319517, 168.32744544842765,
    172.3527971391628, 176.39584840699735, 180.45629141754378, 184.53382886144948,
    188.6281734236716, 192.7390472878449, 196.86618167289, 201.00931639928152,
    205.1681994826412, 209.34258675253685, 213.53224149456327, 217.73693411395422,
    221.95644181913033, 226.1905483237276, 230.43904356577696, 234.70172344281826,
    238.97838956183432, 243.2688490029827, 247.57291409618688, 251.8904022097232,
    256.22113555000954, 260.5649409718632, 264.9216497985528, 269.2910976510198,
    273.6731242856937, 278.0675734403661, 282.4742926876304, 286.893133295427,
    291.3239500942703, 295.76660135076065, 300.22094864701415, 304.6868567656687,
    309.1641935801469, 313.65282994987905, 318.1526396202093, 322.66349912672615,
    327.1852877037752, 331.7178871969285, 336.26118197919845, 340.815058870799,
    345.37940706226686, 349.95411804077025, 354.5390855194408, 359.1342053695754,
    363.73937555556347, 368.35449607240474, 372.979468885689, 377.61419787391867,
    382.25858877306, 386.91254912321756, 391.5759882173296, 396.24881705179155,
    400.93094827891576, 405.6222961611449, 410.32277652693733, 415.03230672824964,
    419.7508055995447, 424.4781934182571, 429.21439186665157, 433.9593239950148,
    438.71291418612117, 443.47508812091894, 448.2457727453846, 453.0248962384961,
    457.81238798127816, 462.6081785268749, 467.4121995716082, 472.2243839269806,
    477.04466549258564, 481.87297922988796, 486.7092611368394, 491.553448223298,
    496.40547848721764, 501.2652908915793, 506.1328253420349, 511.008022665236,
    515.8908245878224, 520.7811737160441, 525.679013515995, 530.5842882944335,
    535.4969431801695, 540.4169241059976, 545.3441777911548, 550.2786517242855,
    555.2202941468948, 560.169054037273, 565.1248810948744, 570.0877257251342,
    575.0575390247102, 580.0342727671308, 585.0178793888391, 590.0083119756179,
    595.005524249382, 600.0094705553274, 605.0201058494237, 610.0373856862386,
    615.0612662070849, 620.0917041284773, 625.128656730891, 630.1720818478102,
    635.2219378550598, 640.278183660408, 645.340778693435, 650.4096828956552,
    655.4848567108891, 660.5662610758735, 665.653857411106, 670.7476076119127,
    675.8474740397369, 680.9534195136374, 686.065407301994, 691.1834011144108,
    696.307365093814, 701.437263808737, 706.5730622457874, 711.71472580229,
    716.8622202791034, 722.0155118736012, 727.1745671728157, 732.3393531467393,
    737.5098371417774, 742.6859868743512, 747.8677704246434, 753.0551562304842,
    758.2481130813743, 763.4466101126401, 768.6506167997169, 773.8601029525583,
    779.0750387101673, 784.2953945352457, 789.5211412089589, 794.7522498258135,
    799.9886917886435, 805.230438803703, 810.4774628758636, 815.7297363039102,
    820.9872316759379, 826.2499218648428, 831.5177800239062, 836.7907795824699,
    842.0688942417004, 847.3520979704384, 852.640365001133, 857.9336698258575,
    863.2319871924054, 868.5352921004645, 873.8435597978657, 879.1567657769075,
    884.4748857707517, 889.7978957498901, 895.1257719186798, 900.4584907119452,
    905.7960287916464, 911.1383630436112, 916.4854705743287, 921.8373287078048,
    927.1939149824768, 932.5552071481862, 937.9211831632081, 943.2918211913358,
    948.6670995990199, 954.0469969525603, 959.4314920153495, 964.8205637451659,
    970.2141912915183, 975.6123539930361, 981.0150313749083, 986.4222031463685,
    991.8338491982234, 997.249949600428, 1002.6704845997002, 1008.0954346171816,
    1013.5247802461361, 1018.9585022496902, 1024.3965815586134, 1029.8389992691352,
    1035.2857366408016, 1040.7367750943672, 1046.192096209725, 1051.6516817238692,
    1057.1155135288948, 1062.5835736700299, 1068.0558443437014, 1073.5323078956328,
    1079.0129468189748, 1084.4977437524656, 1089.9866814786221, 1095.4797429219627,
    1100.976911147256, 1106.4781693578007, 1111.983500893733, 1117.492889230361,
    1123.006317976526, 1128.5237708729908, 1134.045231790853, 1139.5706847299848,
    1145.100113817496, 1150.6335033062237, 1156.1708375732421, 1161.7121011184006,
};

#define RNG_POISSON_MAX 1e8

static double rng_lnfact(unsigned k)
{
    return k < RNG_TAB ? rng_lnfact_tab[k] : gsl_sf_lnfact(k);
}

static double rng_recip(unsigned k)
{
    return k < RNG_TAB ? rng_recip_tab[k] : 1.0 / k;
}

double rng_poisson_pm(double lambda, double log_lambda)
{
    if (!(lambda > 0) || lambda > RNG_POISSON_MAX)
        return 0.0;
    const unsigned m = (unsigned)lambda;
    return exp(m * log_lambda - lambda - rng_lnfact(m));
}

/* Inversion over the order m, m+1, m−1, m+2, m−2, ... (m = ⌊λ⌋, the mode):
 * subtract each pmf value from u until u falls inside one. Any fixed order of
 * the support gives an exact inversion; starting at the mode makes the
 * expected number of steps about 1.6·√λ instead of λ. pm = pmf(m) comes from
 * rng_poisson_pm (the one exp); its neighbours follow by
 * pmf(k+1) = pmf(k)·λ/(k+1). If rounding leaves u beyond the whole computed
 * mass (probability ~1e−15) the draw is repeated with a fresh uniform, i.e.
 * it samples the computed pmf normalised. */
unsigned rng_poisson_walk(gsl_rng *r, double lambda, double pm)
{
    if (!(lambda > 0))
        return 0;
    if (lambda > RNG_POISSON_MAX) /* beyond any response count; keeps m in range */
        return gsl_ran_poisson(r, lambda);
    const unsigned m = (unsigned)lambda;
    const double inv_lambda = 1.0 / lambda;
    for (;;) {
        double u = rng_u01(r);
        if (u < pm)
            return m;
        u -= pm;
        unsigned up = m, dn = m;
        double pu = pm, pd = pm;
        while (pu > 0 || dn > 0) {
            up++;
            pu *= lambda * rng_recip(up);
            if (u < pu)
                return up;
            u -= pu;
            if (dn > 0) {
                pd *= dn * inv_lambda;
                dn--;
                if (u < pd)
                    return dn;
                u -= pd;
            }
        }
    }
}

unsigned rng_poisson(gsl_rng *r, double lambda, double log_lambda)
{
    return rng_poisson_walk(r, lambda, rng_poisson_pm(lambda, log_lambda));
}

/* cdf of Poisson(1) at k = 0..17, correctly rounded (mpmath, 200-bit); from
 * k = 18 on it rounds to 1. */
static const double rng_poisson1_cdf[18] = {
    0.36787944117144233, 0.7357588823428847, 0.9196986029286058, 0.9810118431238462,
    0.9963401531726563, 0.9994058151824183, 0.999916758850712, 0.9999897508033253,
    0.999998874797402, 0.9999998885745217, 0.9999999899522336, 0.9999999991683892,
    0.9999999999364022, 0.9999999999954802, 0.9999999999997, 0.9999999999999813,
    0.9999999999999989, 0.9999999999999999};

unsigned rng_poisson1(gsl_rng *r)
{
    double u = rng_u01(r);
    /* k < 4 with probability 0.98: counted without branches (the cdf is
     * increasing, so the count is the loop's k) */
    unsigned k = (unsigned)(u >= rng_poisson1_cdf[0]) + (unsigned)(u >= rng_poisson1_cdf[1]) +
                 (unsigned)(u >= rng_poisson1_cdf[2]) + (unsigned)(u >= rng_poisson1_cdf[3]);
    if (k == 4)
        while (k < 18 && u >= rng_poisson1_cdf[k])
            k++;
    return k;
}
