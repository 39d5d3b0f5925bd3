/*
 * arena/policy.c — the arena's rules for gaming vendors (DESIGN §2 "Arena
 * policies", README "Arena policies"): what a point's `policy:` block does to
 * each vendor's private testing and listing, applied once per point to the
 * scenario's own copy of the params, so every later step of a replicate sees
 * the effective numbers (capped variants and votes, fresh votes, release).
 * Also the tuned style at a strategy's style intensity, the
 * "provisional" rule and the selection-corrected score of a listed variant.
 * Units: θ and scores in arena points; votes as counts.
 */
#include "arena/arena_internal.h"

#include <math.h>

/* Caps and forced rules of params.policy applied to vendor g. */
static void apply_vendor(const params_policy *po, params_gaming *v)
{
    if (po->max_variants > 0 && v->n_variants > po->max_variants)
        v->n_variants = po->max_variants;
    if (po->max_testing_votes > 0) {
        if (v->n_variants > po->max_testing_votes) /* at least one vote per variant */
            v->n_variants = (int)po->max_testing_votes;
        long per = po->max_testing_votes / v->n_variants;
        if (v->n_test > per)
            v->n_test = per;
    }
    if (v->n_styled > v->n_variants)
        v->n_styled = v->n_variants;
    if (v->release == RELEASE_VARIANT && v->release_variant >= v->n_variants)
        v->release_variant = v->n_variants - 1;
    if (po->fresh_votes)
        v->listed_votes = LISTED_FRESH;
    if (po->disclosure)
        v->unlisted_votes = UNLISTED_KEEP;
    if (po->list_is_ship)
        v->release = RELEASE_LISTED;
    for (int f = 0; f < FEAT_N; f++) /* style intensity: base (0) → tuned (1) */
        v->tuned_style.mean[f] = v->base_style.mean[f] +
            v->style_intensity * (v->tuned_style.mean[f] - v->base_style.mean[f]);
}

void arena_policy_apply(params *q)
{
    for (int g = 0; g < q->n_gaming; g++)
        apply_vendor(&q->policy, &q->gaming[g]);
}

int arena_policy_provisional(const params *q, int g)
{
    const params_gaming *v = &q->gaming[g];
    return v->listed_votes == LISTED_FRESH && v->n_variants > q->policy.provisional_min_variants &&
           v->n_listed < q->policy.provisional_votes;
}

/* Selection-corrected rating of variant `sel` among n variants' testing
 * ratings x[] with sampling variances s2[] (README "Selection-corrected
 * score"). pooled: the mean of the n ratings (what the vendor's variants
 * score on average; no winner's curse, since the mean does not depend on
 * which one was picked). eb: normal-normal empirical Bayes, x_k ~ N(μ, τ² +
 * s²_k), τ² by moments (sample variance − mean s², floored at 0), posterior
 * mean μ + τ²/(τ² + s²_sel)·(x_sel − μ). n = 1: x_sel. */
double arena_policy_corrected(params_correction c, const double *x, const double *s2, int n,
                              int sel)
{
    if (c == CORRECTION_NONE || n < 2)
        return x[sel];
    double mu = 0, ms2 = 0, v = 0;
    for (int k = 0; k < n; k++)
        mu += x[k], ms2 += s2[k];
    mu /= n;
    ms2 /= n;
    if (c == CORRECTION_POOLED)
        return mu;
    for (int k = 0; k < n; k++)
        v += (x[k] - mu) * (x[k] - mu);
    double tau2 = fmax(0.0, v / (n - 1) - ms2);
    double b = tau2 + s2[sel] > 0 ? tau2 / (tau2 + s2[sel]) : 0.0;
    return mu + b * (x[sel] - mu);
}

/* Effective numbers (after the caps): variants, their testing votes, and
 * the style intensity when the vendor has style-tuned variants. */
double arena_policy_cost(const params *q, int g)
{
    const params_gaming *v = &q->gaming[g];
    double n = v->n_variants;
    return q->game.cost_variant * n + q->game.cost_vote * n * (double)v->n_test +
           (v->n_styled > 0 ? q->game.cost_style * v->style_intensity : 0.0);
}
