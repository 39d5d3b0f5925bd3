/*
 * arena/voters.c — the voter model (DESIGN §2): style transforms, Rao-Kupper
 * vote probabilities, random responses (log-normal length, Poisson markdown
 * and emoji counts), one vote, and the voter population of a replicate.
 *
 * Units: θ in arena points; the latent vote difference D in log-odds;
 * features as raw counts (tokens, headers, lists, bold, emoji).
 */
#include "arena/arena_internal.h"

#include <math.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>

#include "base/rng.h"

double arena_transform(params_transform t, double a, double b)
{
    switch (t) {
    case TRANSFORM_LOG_RATIO:
        return log((a + 1.0) / (b + 1.0));
    case TRANSFORM_SATURATING:
        return tanh(log((a + 1.0) / (b + 1.0)));
    case TRANSFORM_DIFF_RATIO:
    default:
        return (a - b) / (a + b + 1.0);
    }
}

double arena_logistic(double x)
{
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

void arena_rao_kupper(double D, double eta, double *pa, double *pb, double *ptie)
{
    *pa = arena_logistic(D - eta);
    *pb = arena_logistic(-D - eta);
    *ptie = 1.0 - *pa - *pb;
    if (*ptie < 0)
        *ptie = 0;
}

/* Draw one response of an entity: log-normal length with the profile's
 * mean, counts Poisson with rates proportional to the realised length.
 * ln f is known before f, so each count's ln λ = ln f + ln mean costs no log.
 * Each count is an exact inversion of one uniform (rng_poisson); the pmf at
 * the mode of every count is computed before any count is drawn, so the
 * four exps run side by side (the draws and their order are rng_poisson's). */
static void draw_response(gsl_rng *r, const arena_entity *e, double length_sd,
                          uint32_t feat[FEAT_N])
{
    double xi = gsl_ran_gaussian_ziggurat(r, 1.0);
    double log_f = length_sd * xi - 0.5 * length_sd * length_sd;
    double f = exp(log_f);
    double tok = e->style.mean[FEAT_TOKENS] * f;
    feat[FEAT_TOKENS] = tok < 1.0 ? 1u : (uint32_t)lround(tok);
    double lam[FEAT_N], pm[FEAT_N];
    for (int k = 1; k < FEAT_N; k++) {
        lam[k] = e->style.mean[k] > 0 ? e->style.mean[k] * f : 0.0;
        pm[k] = rng_poisson_pm(lam[k], log_f + e->log_mean[k]);
    }
    for (int k = 1; k < FEAT_N; k++)
        feat[k] = rng_poisson_walk(r, lam[k], pm[k]);
}

/* |D| beyond this decides every vote to double precision anyway; the clamp
 * keeps exp(D)·exp(η) finite. */
#define VOTE_D_MAX 200.0

/* Rao-Kupper with one exp: with e = exp(D) and E = exp(η),
 * σ(D − η) = e/(e + E) and σ(−D − η) = 1/(1 + E·e); u decides. */
static inline uint8_t rk_outcome(const arena_scenario *s, double D, double u)
{
    double e = exp(fmin(fmax(D, -VOTE_D_MAX), VOTE_D_MAX)), E = s->exp_eta;
    double pa = e / (e + E);
    if (u < pa)
        return RATING_A_WINS;
    double pb = 1.0 / (1.0 + E * e);
    double pt = 1.0 - pa - pb;
    if (u < pa + pb)
        return RATING_B_WINS;
    return (pt > 0 && (u - pa - pb) < pt * s->p->bothbad_share) ? RATING_BOTHBAD : RATING_TIE;
}

/* One vote: a random voter from the pool judges the two responses. With
 * w->no_style the voter ignores style (the neutral rerun: D is the substance
 * term alone). With w->dual the vote of a style-neutral voter
 * on the same responses, with the same uniform, goes to w->alt_outcome. */
void arena_vote(const arena_scenario *s, arena_ws *w, int a, int b, int phase)
{
    const params *p = s->p;
    gsl_rng *r = w->rng;
    arena_battle *bt = &w->b[w->nb++];
    bt->a = a;
    bt->b = b;
    bt->phase = (uint8_t)phase;
    bt->kept = 1;
    draw_response(r, &s->ent[a], p->length_sd, bt->feat_a);
    draw_response(r, &s->ent[b], p->length_sd, bt->feat_b);
    const double *beta = w->beta + FEAT_N * rng_index(r, (uint64_t)p->n_voters);
    const double D0 = LN10_400 * (w->theta[a] - w->theta[b]);
    double D = D0;
    if (!w->no_style)
        for (int k = 0; k < FEAT_N; k++)
            if (beta[k] != 0.0)
                D += beta[k] * arena_transform(p->transform, bt->feat_a[k], bt->feat_b[k]);
    double u = rng_u01(r);
    bt->outcome = rk_outcome(s, D, u);
    if (w->dual)
        w->alt_outcome[w->nb - 1] = rk_outcome(s, D0, u);
}

/* Voter sensitivities and per-replicate variant substance (the same draws
 * for the neutral rerun, whose votes ignore β: w->no_style). */
void arena_draw_population(const arena_scenario *s, arena_ws *w)
{
    const params *p = s->p;
    for (int j = 0; j < p->n_voters; j++)
        for (int k = 0; k < FEAT_N; k++) {
            double z = gsl_ran_gaussian_ziggurat(w->rng, 1.0);
            w->beta[FEAT_N * j + k] = p->beta_mean[k] + p->beta_sd[k] * z;
        }
    for (int e = 0; e < s->n_ent; e++)
        w->theta[e] = s->ent[e].theta0;
    for (int g = 0; g < p->n_gaming; g++) {
        const params_gaming *v = &p->gaming[g];
        for (int k = 0; k < v->n_variants; k++) {
            double z = gsl_ran_gaussian_ziggurat(w->rng, 1.0);
            w->theta[s->var_off[g] + k] = v->base_theta + v->tune_mean + v->tune_sd * z;
        }
        if (s->rel_ent[g] >= 0 && v->release == RELEASE_VARIANT)
            w->theta[s->rel_ent[g]] = w->theta[s->var_off[g] + v->release_variant];
    }
}

int arena_fixed_pair(const arena_scenario *s, arena_ws *w, int ea, int eb, long n, uint64_t point,
                   uint64_t rep, double counts[4])
{
    rng_set_stream(w->rng, s->p->seed, point, rep, RNG_PURPOSE_USER, 0);
    w->no_style = 0;
    arena_draw_population(s, w);
    for (int k = 0; k < 4; k++)
        counts[k] = 0;
    for (long i = 0; i < n; i++) {
        w->nb = 0;
        arena_vote(s, w, ea, eb, ARENA_PHASE_PUBLIC);
        counts[w->b[0].outcome] += 1;
    }
    w->nb = 0;
    return UTIL_OK;
}
