/*
 * arena/truth.c — the true score on the leaderboard's scale, θ̃ (DESIGN §4): the
 * BT fit of the expected outcome table of style-neutral voters (public
 * pool), and the 1-D MLE against the field of any other entity.
 * Units: ratings r in log10-odds; scores in arena points.
 */
#include "arena/arena_internal.h"

#include <math.h>
#include <gsl/gsl_math.h>

/* Expected-table BT ratings of the public pool under style-neutral voters
 * and the public pair-sampling distribution (DESIGN §4, θ̃). */
int arena_public_true_ratings(arena_scenario *s, util_err *err)
{
    const params *p = s->p;
    const int n = p->n_models;
    double wsum = s->pub_cum[n - 1];
    rating_table *t = rating_table_alloc(n);
    rating_bt_ws *ws = rating_bt_ws_alloc(n);
    int rc;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double wi = s->ent[i].weight / wsum, wj = s->ent[j].weight / wsum;
            double pij = p->sampling == SAMPLING_UNIFORM
                             ? 1.0
                             : wi * wj * (1.0 / (1.0 - wi) + 1.0 / (1.0 - wj));
            double pa, pb, pt;
            arena_rao_kupper(LN10_400 * (p->models[i].theta - p->models[j].theta),
                           p->tie_threshold, &pa, &pb, &pt);
            rating_table_add(t, i, j, RATING_A_WINS, pij * pa);
            rating_table_add(t, i, j, RATING_B_WINS, pij * pb);
            rating_table_add(t, i, j, RATING_TIE, pij * pt);
        }
    rating_fit_opts fo = {1e-13, 200};
    rc = rating_bt_fit(t, ws, &fo, s->r_public_true, NULL, err);
    if (rc)
        util_err_prefix(err, "true scores of the public pool");
    rating_bt_ws_free(ws);
    rating_table_free(t);
    return rc;
}

/* Share of the public field's pair draws that an outside model meets
 * opponent o in (uniform or ∝ weight). */
static double field_weight(const arena_scenario *s, int o)
{
    const params *p = s->p;
    return (p->sampling == SAMPLING_UNIFORM ? 1.0 : s->ent[o].weight) / s->pub_cum[p->n_models - 1];
}

/* 1-D MLE of one model's rating against the public field with the expected
 * outcomes of style-neutral voters (θ̃ of a non-public entity): solve
 * Σ_o w_o σ(ln10 (r − r_o)) = Σ_o w_o E[score vs o]. */
double arena_true_rating_vs_field(const arena_scenario *s, double theta)
{
    const params *p = s->p;
    double expected = 0, r = 0;
    for (int o = 0; o < p->n_models; o++) {
        double pa, pb, pt;
        arena_rao_kupper(LN10_400 * (theta - p->models[o].theta), p->tie_threshold, &pa, &pb, &pt);
        expected += field_weight(s, o) * (pa + 0.5 * pt);
    }
    for (int it = 0; it < 100; it++) {
        double f = expected, df = 0;
        for (int o = 0; o < p->n_models; o++) {
            double wo = field_weight(s, o), q = arena_logistic(M_LN10 * (r - s->r_public_true[o]));
            f -= wo * q;
            df += wo * M_LN10 * q * (1 - q);
        }
        double step = f / df;
        r += step > 2 ? 2 : step < -2 ? -2 : step;
        if (fabs(f) < 1e-14)
            break;
    }
    return r;
}

void arena_true_scores(const arena_scenario *s, arena_ws *w, int n)
{
    for (int i = 0; i < n; i++) {
        int e = w->fin_ent[i];
        w->r_true[i] = s->ent[e].kind == ARENA_ENT_PUBLIC ? s->r_public_true[e]
                                                        : arena_true_rating_vs_field(s, w->theta[e]);
    }
    rating_scores(w->r_true, n, w->shown, s->anchor, s->p->anchor_score, w->s_true);
}
