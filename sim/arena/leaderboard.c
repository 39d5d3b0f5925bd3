/*
 * arena/leaderboard.c — the final leaderboards of a replicate (DESIGN §3): each
 * enabled estimator (bt, bt_style, elo) fitted on the kept votes, with
 * sandwich or bootstrap CIs, ordinal and displayed ranks per model slot.
 * Units: scores in arena points.
 */
#include "arena/arena_internal.h"

#include <math.h>

#include "base/rng.h"

/* The scores of estimator est, with the configured CIs unless !with_ci. */
static int estimator_scores(const arena_scenario *s, arena_ws *w, int est, int with_ci,
                            util_err *err)
{
    const params *p = s->p;
    const int n = s->n_fin_fit;
    int want_cov = with_ci && p->ci == CI_SANDWICH && est != EST_ELO;
    for (int i = 0; i < n; i++)
        w->lo[i] = w->hi[i] = NAN;
    if (est == EST_ELO) {
        static const double no_feat[FEAT_N] = {0};
        rating_rows *rows = w->rows_fin;
        rating_rows_clear(rows);
        for (size_t i = 0; i < w->nb; i++)
            if (w->b[i].kept)
                rating_rows_push(rows, w->fin_map[w->b[i].a], w->fin_map[w->b[i].b],
                                 w->b[i].outcome, no_feat);
        rating_elo(rows, p->elo_k, w->score);
        for (int i = 0; i < n; i++)
            w->r[i] = (w->score[i] - RATING_INIT) / RATING_SCALE;
        rating_scores(w->r, n, w->shown, s->anchor, p->anchor_score, w->score);
        return UTIL_OK;
    }
    int rc = arena_fit_ratings(s, w, est, w->fin_map, n, 0, w->r, want_cov ? w->cov : NULL, err);
    if (rc)
        return rc;
    rating_scores(w->r, n, w->shown, s->anchor, p->anchor_score, w->score);
    if (want_cov) {
        if (est == EST_BT_STYLE) /* keep the ratings block of the (n+F)² covariance */
            rating_cov_ratings(w->cov, n, s->n_feat_ctl, w->cov);
        rating_ci_from_cov(w->score, w->cov, n, w->shown, s->anchor, p->ci_level, w->lo, w->hi);
    } else if (with_ci && p->ci == CI_BOOTSTRAP) {
        /* bootstrap rounds of this replicate: streams (seed, point, replicate, BOOTSTRAP, k) */
        rating_boot_opts bo = {p->seed, w->point, w->rep, p->n_bootstrap, 1, p->ci_level};
        if (est == EST_BT) {
            rating_fit_opts fo = {0, 0};
            rc = rating_bt_bootstrap(w->tab_fin, &fo, &bo, w->shown, s->anchor, p->anchor_score,
                                     w->lo, w->hi, err);
        } else {
            rating_style_opts so = {p->penalty, 0, 0, 1};
            rc = rating_style_bootstrap(w->rows_fin, &so, NULL, &bo, w->shown, s->anchor,
                                        p->anchor_score, w->lo, w->hi, NULL, NULL, err);
        }
    }
    return rc;
}

/* Displayed rank each vendor's listed model would get at its
 * selection-corrected score (CI shifted with it), the others unchanged. */
static void corrected_ranks(const arena_scenario *s, arena_ws *w, int est, int with_ci)
{
    const params *p = s->p;
    for (int g = 0; g < p->n_gaming; g++) {
        double d = w->corr_shift[est][g];
        int i = w->slot_fin[p->n_models + 2 * g], r = 1;
        if (isnan(d) || i < 0) {
            w->corr_disp[est][g] = 0;
            continue;
        }
        double top = with_ci ? w->hi[i] - d : w->score[i] - d;
        for (int j = 0; j < s->n_fin_fit; j++)
            if (j != i && w->shown[j])
                r += (with_ci ? w->lo[j] : w->score[j]) > top;
        w->corr_disp[est][g] = r;
    }
}

static void store_estimator(const arena_scenario *s, arena_ws *w, int est, int with_ci,
                            arena_result *out)
{
    corrected_ranks(s, w, est, with_ci);
    const int S = s->n_slots;
    rating_ranks(w->score, with_ci ? w->lo : NULL, with_ci ? w->hi : NULL, s->n_fin_fit,
                 w->shown, w->ord, w->disp);
    for (int m = 0; m < S; m++) {
        int i = w->slot_fin[m];
        size_t o = (size_t)est * (size_t)S + (size_t)m;
        out->score[o] = i >= 0 ? w->score[i] : NAN;
        out->ci_lo[o] = i >= 0 ? w->lo[i] : NAN;
        out->ci_hi[o] = i >= 0 ? w->hi[i] : NAN;
        out->rank[o] = i >= 0 ? w->ord[i] : 0;
        out->disp_rank[o] = i >= 0 ? w->disp[i] : 0;
    }
}

void arena_clear_estimator(const arena_scenario *s, int est, arena_result *out)
{
    for (int m = 0; m < s->n_slots; m++) {
        size_t o = (size_t)est * (size_t)s->n_slots + (size_t)m;
        out->score[o] = out->ci_lo[o] = out->ci_hi[o] = NAN;
        out->rank[o] = out->disp_rank[o] = 0;
    }
    out->kendall[est] = out->spearman[est] = out->topk[est] = NAN;
}

/* Final leaderboards. An estimator whose fit has no finite MLE or does not
 * converge is recorded in fit_status and left NaN; the others go on.
 * style_point_only (the neutral rerun, whose only product is the bt_style
 * selection-on-noise term): bt_style's point scores alone, no CIs, no
 * agreement metrics, the other estimators left NaN. The point scores do not
 * depend on whether CIs are computed, so the term is the same. */
void arena_final_fits(const arena_scenario *s, arena_ws *w, arena_result *out,
                      int style_point_only)
{
    const params *p = s->p;
    util_err err;
    arena_fill_truth(s, w, out);
    for (int f = 0; f < FEAT_N; f++)
        out->gamma[f] = NAN;
    for (int est = 0; est < EST_N; est++) {
        out->fit_status[est] = ARENA_FIT_OK;
        if (!p->estimators[est] || (style_point_only && est != EST_BT_STYLE)) {
            arena_clear_estimator(s, est, out);
            continue;
        }
        int with_ci = !style_point_only && p->ci != CI_NONE && est != EST_ELO;
        if (estimator_scores(s, w, est, with_ci, &err) != UTIL_OK) {
            arena_clear_estimator(s, est, out);
            out->fit_status[est] = ARENA_FIT_FAILED;
            continue;
        }
        if (w->sel_ridged || (est != EST_ELO && w->ridged[0]))
            out->fit_status[est] = ARENA_FIT_RIDGE;
        store_estimator(s, w, est, with_ci, out);
        if (!style_point_only)
            arena_agreement(s, w, est, out);
        if (est == EST_BT_STYLE)
            for (int k = 0; k < s->n_feat_ctl; k++)
                out->gamma[s->feat_ctl[k]] = w->gamma[k];
    }
    arena_vendor_measures(s, w, out);
}
