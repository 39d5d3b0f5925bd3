/*
 * arena/selection.c — private testing is over: the selection fit, each gaming
 * vendor's listed variant, the final leaderboard's model index, and the
 * vote policies (keep / fresh / retract) applied to the testing votes.
 * Units: ratings r in log10-odds.
 */
#include "arena/arena_internal.h"

#include <math.h>

static void battle_diffs(const arena_scenario *s, const arena_battle *b, double *d)
{
    for (int i = 0; i < s->n_feat_ctl; i++) {
        int f = s->feat_ctl[i];
        d[i] = ((double)b->feat_a[f] - (double)b->feat_b[f]) /
               ((double)b->feat_a[f] + (double)b->feat_b[f] + 1.0);
    }
}

/* Fit `est` (bt or bt_style) on the battles whose entities map to fit
 * indices (map[e] ≥ 0); ratings r[n] out (Σ r = 0). The arena's fits always
 * return a number (its optimisers stop after finitely many steps): when the
 * data have no finite MLE (a model that won, or lost, every vote), the fit
 * is redone with a tiny ridge ½·ARENA_RIDGE·‖r‖², which rates such a model
 * far above (below) the rest but finitely; w->ridged[selection] says so. */
int arena_fit_ratings(const arena_scenario *s, arena_ws *w, int est, const int *map, int n,
                       int selection, double *r, double *cov, util_err *err)
{
    rating_table *t = selection ? w->tab_sel : w->tab_fin;
    rating_rows *rows = selection ? w->rows_sel : w->rows_fin;
    double d[FEAT_N];
    rating_table_clear(t);
    rating_rows_clear(rows);
    for (size_t i = 0; i < w->nb; i++) {
        const arena_battle *b = &w->b[i];
        int a = map[b->a], c = map[b->b];
        if (a < 0 || c < 0 || !b->kept)
            continue;
        if (est == EST_BT)
            rating_table_add(t, a, c, b->outcome, 1.0);
        else {
            battle_diffs(s, b, d);
            rating_rows_push(rows, a, c, b->outcome, d);
        }
    }
    int rc;
    w->ridged[selection] = 0;
    if (est == EST_BT) {
        rating_fit_opts fo = {0, 0};
        rating_bt_ws *ws = selection ? w->bt_sel : w->bt_fin;
        rc = rating_bt_fit(t, ws, &fo, r, cov, err);
        if (rc == UTIL_EINPUT && (w->ridged[selection] = 1))
            rc = rating_bt_fit_ridge(t, ws, &fo, ARENA_RIDGE, r, cov, err);
        return rc;
    }
    rating_style_opts so = {s->p->penalty, 0, 0, 1};
    rating_style_ws *ws = selection ? w->st_sel : w->st_fin;
    rc = rating_style_fit(rows, NULL, ws, &so, r, w->gamma, cov, err);
    if (rc == UTIL_EINPUT && rows->n > 0 && (w->ridged[selection] = 1))
        rc = rating_style_fit_ridge(rows, NULL, ws, &so, ARENA_RIDGE, r, w->gamma, cov, err);
    return rc;
}

/* Private testing is over: each gaming vendor lists its best variant. */
int arena_select_variants(const arena_scenario *s, arena_ws *w, util_err *err)
{
    const params *p = s->p;
    int *map = w->fin_map; /* reused as scratch: selection map */
    for (int e = 0; e < s->n_ent; e++)
        map[e] = e < s->n_sel_fit ? e : -1;
    for (int g = 0; g < p->n_gaming; g++)
        w->selected[g] = 0;
    w->sel_ridged = 0;
    for (int est = EST_BT; est <= EST_BT_STYLE; est++) {
        int used = 0;
        for (int g = 0; g < p->n_gaming; g++)
            used |= p->gaming[g].select_by == est;
        if (!used)
            continue;
        int rc = arena_fit_ratings(s, w, est, map, s->n_sel_fit, 1, w->r_sel, NULL, err);
        if (rc)
            return util_err_prefix(err, "selection fit (%s)", params_estimator_names[est]);
        w->sel_ridged |= w->ridged[1];
        for (int g = 0; g < p->n_gaming; g++) {
            if (p->gaming[g].select_by != est)
                continue;
            int best = 0;
            for (int k = 1; k < p->gaming[g].n_variants; k++)
                if (w->r_sel[s->var_off[g] + k] > w->r_sel[s->var_off[g] + best])
                    best = k;
            w->selected[g] = best;
        }
    }
    return UTIL_OK;
}

/* Index the final leaderboard's models: public, then per vendor its listed
 * variant and separate released model, then unlisted variants whose votes
 * are kept (fitted, not shown). */
void arena_build_final_map(const arena_scenario *s, arena_ws *w)
{
    const params *p = s->p;
    int n = 0;
    for (int e = 0; e < s->n_ent; e++)
        w->fin_map[e] = -1;
    for (int i = 0; i < p->n_models; i++)
        w->fin_map[i] = n++;
    for (int g = 0; g < p->n_gaming; g++) {
        int listed = s->var_off[g] + w->selected[g];
        w->fin_map[listed] = n++;
        w->slot_fin[p->n_models + 2 * g] = w->fin_map[listed];
        int rel = p->gaming[g].release == RELEASE_LISTED ? w->fin_map[listed] : -1;
        if (s->rel_ent[g] >= 0)
            rel = w->fin_map[s->rel_ent[g]] = n++;
        w->slot_fin[p->n_models + 2 * g + 1] = rel;
    }
    int shown_n = n;
    for (int g = 0; g < p->n_gaming; g++)
        if (p->gaming[g].unlisted_votes == UNLISTED_KEEP)
            for (int k = 0; k < p->gaming[g].n_variants; k++)
                if (k != w->selected[g])
                    w->fin_map[s->var_off[g] + k] = n++;
    for (int i = 0; i < p->n_models; i++)
        w->slot_fin[i] = i;
    for (int e = 0; e < s->n_ent; e++)
        if (w->fin_map[e] >= 0)
            w->fin_ent[w->fin_map[e]] = e;
    for (int i = 0; i < n; i++)
        w->shown[i] = i < shown_n || p->policy.disclosure; /* disclosure: every variant shown */
}

/* Mark the testing votes the policies retract: the listed variant's under
 * "fresh", the unlisted ones' under "retract". They stay in the buffer (for
 * `arenasim battles --all`) but no final fit sees them. */
void arena_apply_vote_policies(const arena_scenario *s, arena_ws *w)
{
    const params *p = s->p;
    for (size_t i = 0; i < w->nb; i++) {
        arena_battle *b = &w->b[i];
        if (b->phase != ARENA_PHASE_TESTING)
            continue;
        int e = s->ent[b->a].kind == ARENA_ENT_VARIANT ? b->a : b->b;
        const params_gaming *v = &p->gaming[s->ent[e].gaming];
        int listed = s->ent[e].variant == w->selected[s->ent[e].gaming];
        b->kept = listed ? v->listed_votes == LISTED_KEEP : v->unlisted_votes == UNLISTED_KEEP;
    }
}

/* policy.selection_correction: the arena refits the testing votes of every
 * variant (each enabled board, bt and bt_style) and replaces the listed
 * variant's testing-vote rating by the corrected one (policy.c). Only the
 * testing votes carry the winner's curse, so the listed score moves by the
 * rating difference times their share of its final votes (0 under fresh
 * votes). corr_shift is in points; NaN when no correction applies. */
int arena_selection_correction(const arena_scenario *s, arena_ws *w, util_err *err)
{
    const params *p = s->p;
    int *map = w->fin_map;
    double s2[PARAMS_MAX_VARIANTS];
    for (int est = 0; est < EST_N; est++)
        for (int g = 0; g < p->n_gaming; g++)
            w->corr_shift[est][g] = NAN;
    if (p->policy.correction == CORRECTION_NONE)
        return UTIL_OK;
    const int eb = p->policy.correction == CORRECTION_EB, ns = s->n_sel_fit;
    for (int e = 0; e < s->n_ent; e++)
        map[e] = e < ns ? e : -1;
    for (int est = EST_BT; est <= EST_BT_STYLE; est++) {
        if (!p->estimators[est])
            continue;
        int rc = arena_fit_ratings(s, w, est, map, ns, 1, w->r_sel, eb ? w->cov_sel : NULL, err);
        if (rc)
            return util_err_prefix(err, "selection-correction fit (%s)", params_estimator_names[est]);
        if (eb && est == EST_BT_STYLE)
            rating_cov_ratings(w->cov_sel, ns, s->n_feat_ctl, w->cov_sel);
        for (int g = 0; g < p->n_gaming; g++) {
            const params_gaming *v = &p->gaming[g];
            const double *x = &w->r_sel[s->var_off[g]];
            for (int k = 0; k < v->n_variants; k++) {
                size_t d = (size_t)(s->var_off[g] + k);
                s2[k] = eb ? w->cov_sel[d * (size_t)ns + d] : 0.0;
            }
            int sel = w->selected[g];
            double c = arena_policy_corrected(p->policy.correction, x, s2, v->n_variants, sel);
            double share = v->listed_votes == LISTED_KEEP
                               ? (double)v->n_test / (double)(v->n_test + v->n_listed) : 0.0;
            w->corr_shift[est][g] = RATING_SCALE * (x[sel] - c) * share;
        }
    }
    return UTIL_OK;
}
