/*
 * arena/measure.c — per-replicate measurements (DESIGN §4): true scores and ranks
 * per slot, leaderboard agreement with θ (Kendall τ, Spearman ρ, top-k), and
 * each gaming vendor's inflation and its exact decomposition
 * (real gain + selection-on-noise + style), relative to the field (primary)
 * and to the anchor.
 * Units: scores and inflation in arena points; ranks as integers.
 */
#include "arena/arena_internal.h"

#include <math.h>

#include "base/metrics.h"

/* k of the top-k overlap among n shown models: min(10, n/2), at least 1.
 * (k = min(10, n) made the overlap 1 by construction for n ≤ 10.) */
int arena_topk_k(int n)
{
    int k = n / 2 < 10 ? n / 2 : 10;
    return k < 1 ? 1 : k;
}

/* Leaderboard-wide agreement of one estimator's scores with θ (shown models). */
void arena_agreement(const arena_scenario *s, arena_ws *w, int est, arena_result *out)
{
    int n = 0;
    double *x = w->r_sel, *y = w->lo; /* scratch: lo/hi are stored already */
    for (int i = 0; i < s->n_fin_fit; i++)
        if (w->shown[i]) {
            x[n] = w->theta[w->fin_ent[i]];
            y[n] = w->score[i];
            n++;
        }
    out->kendall[est] = metrics_kendall_tau_b(x, y, n);
    out->spearman[est] = metrics_spearman(x, y, n, w->dwork);
    out->topk[est] = metrics_topk_overlap(x, y, n, arena_topk_k(n), w->idx);
}

void arena_fill_truth(const arena_scenario *s, arena_ws *w, arena_result *out)
{
    const int n = s->n_fin_fit;
    double *battles = w->r_sel;
    int tie = 0, bothbad = 0;
    for (int i = 0; i < n; i++)
        battles[i] = 0;
    size_t kept = 0;
    for (size_t i = 0; i < w->nb; i++) {
        if (!w->b[i].kept)
            continue;
        kept++;
        battles[w->fin_map[w->b[i].a]] += 1;
        battles[w->fin_map[w->b[i].b]] += 1;
        tie += w->b[i].outcome >= RATING_TIE;
        bothbad += w->b[i].outcome == RATING_BOTHBAD;
    }
    out->tie_share = kept ? (double)tie / (double)kept : NAN;
    out->bothbad_share = tie ? (double)bothbad / tie : NAN;
    rating_ranks(w->s_true, NULL, NULL, n, w->shown, w->ord, w->disp);
    for (int m = 0; m < s->n_slots; m++) {
        int i = w->slot_fin[m];
        out->theta[m] = i >= 0 ? w->theta[w->fin_ent[i]] : NAN;
        out->true_score[m] = i >= 0 ? w->s_true[i] : NAN;
        out->true_rank[m] = i >= 0 ? w->ord[i] : 0;
        out->battles[m] = i >= 0 ? battles[i] : NAN;
    }
}

/* Median over the public models of score − θ̃ per estimator: the field's
 * own displacement, which carries the reference (anchor or centring) of
 * both scales and nothing else that a shift could change. */
static void field_offsets(const arena_scenario *s, arena_ws *w, arena_result *out)
{
    const int n = s->p->n_models, S = s->n_slots;
    double *d = w->dwork, *sorted = w->dwork + n; /* 2 · n_fin_fit ≥ 2 · n_models */
    for (int est = 0; est < EST_N; est++) {
        int finite = 1;
        for (int j = 0; j < n; j++) {
            d[j] = out->score[(size_t)est * (size_t)S + (size_t)j] - out->true_score[j];
            finite &= isfinite(d[j]) != 0;
        }
        out->field_offset[est] = finite ? metrics_quantile(d, (size_t)n, 1, 0.5, sorted) : NAN;
    }
}

/* The vendor's game payoff (README "Which policy stops the gaming?"): on
 * game.board, −(displayed rank) or the listed score minus the median score
 * of the public models (invariant to the anchor), at the selection-corrected
 * score when the policy corrects; minus the strategy's cost. */
static double vendor_payoff(const arena_scenario *s, arena_ws *w, const arena_result *out, int g)
{
    const params *p = s->p;
    const int est = p->game.board, S = s->n_slots, m = p->n_models + 2 * g;
    const int corr = p->policy.correction != CORRECTION_NONE;
    double v;
    if (p->game.payoff == PAYOFF_RANK) {
        int r = corr ? w->corr_disp[est][g] : out->disp_rank[(size_t)est * S + m];
        v = r > 0 ? -(double)r : NAN;
    } else {
        double med = metrics_quantile(&out->score[(size_t)est * S], (size_t)p->n_models, 1, 0.5,
                                      w->dwork);
        v = (corr ? out->score_corr[(size_t)est * p->n_gaming + g]
                  : out->score[(size_t)est * S + m]) - med;
    }
    return v - arena_policy_cost(p, g);
}

/* Inflation of each gaming vendor's listed variant and its decomposition
 * (DESIGN §4): raw − θ̃_base = real gain + selection-on-noise + style, once
 * relative to the field (primary) and once relative to the anchor. */
void arena_vendor_measures(const arena_scenario *s, arena_ws *w, arena_result *out)
{
    const params *p = s->p;
    const int S = s->n_slots, G = p->n_gaming;
    /* offset between ratings and scores of the truth (anchor / centring) */
    double shift = w->s_true[0] - (RATING_SCALE * w->r_true[0] + RATING_INIT);
    field_offsets(s, w, out);
    for (int g = 0; g < G; g++) {
        int m = p->n_models + 2 * g;
        out->selected[g] = w->selected[g];
        out->true_sel[g] = out->true_score[m];
        out->true_base[g] = RATING_SCALE * s->r_base_true[g] + RATING_INIT + shift;
        for (int est = 0; est < EST_N; est++) {
            size_t o = (size_t)est * (size_t)S + (size_t)m;
            size_t q = (size_t)est * (size_t)G + (size_t)g;
            out->score_infl_anchor[q] = out->score[o] - out->true_sel[g];
            out->score_infl[q] = out->score_infl_anchor[q] - out->field_offset[est];
            out->rank_infl[q] = out->rank[o] ? (double)(out->true_rank[m] - out->rank[o]) : NAN;
        }
        for (int est = 0; est < EST_N; est++) {
            size_t q = (size_t)est * (size_t)G + (size_t)g;
            double d = est == EST_ELO ? NAN : w->corr_shift[est][g];
            out->score_corr[q] = out->score[(size_t)est * S + m] - d;
            out->corr_infl[q] = out->score_corr[q] - out->true_sel[g] - out->field_offset[est];
        }
        out->provisional[g] = arena_policy_provisional(p, g);
        out->payoff[g] = p->has_game ? vendor_payoff(s, w, out, g) : NAN;
        size_t raw = (size_t)EST_BT * (size_t)G + (size_t)g;
        size_t sty = (size_t)EST_BT_STYLE * (size_t)G + (size_t)g;
        out->real_gain[g] = out->true_sel[g] - out->true_base[g];
        out->selection[g] = out->score_infl[sty];
        out->style[g] = out->score_infl[raw] - out->score_infl[sty];
        out->selection_anchor[g] = out->score_infl_anchor[sty];
        out->style_anchor[g] = out->score_infl_anchor[raw] - out->score_infl_anchor[sty];
    }
}
