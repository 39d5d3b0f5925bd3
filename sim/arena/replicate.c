/*
 * arena/replicate.c — one replicate of one sweep point, in time order (DESIGN §2):
 * voters, private testing with the public votes that arrive meanwhile,
 * selection on the votes so far, the listed and release phases with the
 * rest of the public votes (timeline.c), then the final leaderboards; the per-thread workspace and the
 * per-replicate result arrays. All randomness comes from the replicate's
 * own Philox stream (base/rng.h). Units: as in arena.h.
 */
#include "arena/arena_internal.h"

#include <math.h>
#include <string.h>

#include "base/rng.h"

const char *const arena_phase_names[4] = {"public", "testing", "listed", "release"};

arena_ws *arena_ws_alloc(const arena_scenario *s)
{
    arena_ws *w = util_calloc(1, sizeof *w);
    const int nf = s->n_fin_fit, F = s->n_feat_ctl;
    w->rng = rng_alloc();
    w->cap = s->max_battles;
    w->b = util_malloc_large(w->cap * sizeof *w->b);
    if (s->p->neutral_rerun)
        w->alt_outcome = util_malloc(w->cap);
    w->beta = util_malloc((size_t)s->p->n_voters * FEAT_N * sizeof(double));
    w->theta = util_malloc((size_t)s->n_ent * sizeof(double));
    w->tab_sel = rating_table_alloc(s->n_sel_fit);
    w->tab_fin = rating_table_alloc(nf);
    w->rows_sel = rating_rows_alloc(s->n_sel_fit, F, w->cap); /* pages are touched as rows arrive */
    w->rows_fin = rating_rows_alloc(nf, F, w->cap);
    w->bt_sel = rating_bt_ws_alloc(s->n_sel_fit);
    w->bt_fin = rating_bt_ws_alloc(nf);
    if (F > 0) {
        w->st_sel = rating_style_ws_alloc(s->n_sel_fit, F);
        w->st_fin = rating_style_ws_alloc(nf, F);
    }
    w->fin_map = util_malloc((size_t)s->n_ent * sizeof(int));
    w->fin_ent = util_malloc((size_t)nf * sizeof(int));
    w->slot_fin = util_malloc((size_t)s->n_slots * sizeof(int));
    w->shown = util_malloc((size_t)nf);
    size_t np = (size_t)(s->n_sel_fit > nf ? s->n_sel_fit : nf);
    w->r = util_malloc(np * sizeof(double));
    w->r_sel = util_malloc(np * sizeof(double));
    w->cov = util_malloc((size_t)(nf + F) * (size_t)(nf + F) * sizeof(double));
    w->score = util_malloc((size_t)nf * sizeof(double));
    w->lo = util_malloc((size_t)nf * sizeof(double));
    w->hi = util_malloc((size_t)nf * sizeof(double));
    w->r_true = util_malloc((size_t)nf * sizeof(double));
    w->s_true = util_malloc((size_t)nf * sizeof(double));
    w->ord = util_malloc((size_t)nf * sizeof(int));
    w->disp = util_malloc((size_t)nf * sizeof(int));
    w->idx = util_malloc(2 * (size_t)nf * sizeof(size_t));
    w->dwork = util_malloc(2 * (size_t)nf * sizeof(double));
    size_t nst = 2 * (size_t)s->p->n_gaming + 1;
    for (int g = 0; g < s->p->n_gaming; g++)
        nst += (size_t)s->p->gaming[g].n_variants;
    w->streams = util_malloc(nst * sizeof *w->streams);
    arena_sampling_alloc(s, w);
    if (s->p->policy.correction == CORRECTION_EB) {
        size_t ns = (size_t)(s->n_sel_fit + F);
        w->cov_sel = util_malloc(ns * ns * sizeof(double));
    }
    return w;
}

void arena_ws_free(arena_ws *w)
{
    if (!w)
        return;
    gsl_rng_free(w->rng);
    free(w->b);
    free(w->alt_outcome);
    free(w->beta);
    free(w->theta);
    rating_table_free(w->tab_sel);
    rating_table_free(w->tab_fin);
    rating_rows_free(w->rows_sel);
    rating_rows_free(w->rows_fin);
    rating_bt_ws_free(w->bt_sel);
    rating_bt_ws_free(w->bt_fin);
    rating_style_ws_free(w->st_sel);
    rating_style_ws_free(w->st_fin);
    free(w->fin_map);
    free(w->fin_ent);
    free(w->slot_fin);
    free(w->shown);
    free(w->r);
    free(w->r_sel);
    free(w->cov);
    free(w->score);
    free(w->lo);
    free(w->hi);
    free(w->r_true);
    free(w->s_true);
    free(w->ord);
    free(w->disp);
    free(w->idx);
    free(w->dwork);
    free(w->streams);
    free(w->cov_sel);
    arena_sampling_free(w);
    free(w);
}

const arena_battle *arena_ws_battles(const arena_ws *w, size_t *n)
{
    *n = w->nb;
    return w->b;
}

void arena_result_alloc(arena_result *r, int n_slots, int n_gaming)
{
    memset(r, 0, sizeof *r);
    r->n_slots = n_slots;
    r->n_gaming = n_gaming;
    size_t S = (size_t)n_slots, G = (size_t)(n_gaming ? n_gaming : 1);
    r->theta = util_malloc(S * sizeof(double));
    r->true_score = util_malloc(S * sizeof(double));
    r->true_rank = util_malloc(S * sizeof(int));
    r->score = util_malloc(EST_N * S * sizeof(double));
    r->ci_lo = util_malloc(EST_N * S * sizeof(double));
    r->ci_hi = util_malloc(EST_N * S * sizeof(double));
    r->rank = util_malloc(EST_N * S * sizeof(int));
    r->disp_rank = util_malloc(EST_N * S * sizeof(int));
    r->battles = util_malloc(S * sizeof(double));
    r->selected = util_malloc(G * sizeof(int));
    r->true_sel = util_malloc(G * sizeof(double));
    r->true_base = util_malloc(G * sizeof(double));
    r->rank_infl = util_malloc(EST_N * G * sizeof(double));
    r->score_infl = util_malloc(EST_N * G * sizeof(double));
    r->real_gain = util_malloc(G * sizeof(double));
    r->selection = util_malloc(G * sizeof(double));
    r->style = util_malloc(G * sizeof(double));
    r->selection_neutral = util_malloc(G * sizeof(double));
    r->score_infl_anchor = util_malloc(EST_N * G * sizeof(double));
    r->selection_anchor = util_malloc(G * sizeof(double));
    r->style_anchor = util_malloc(G * sizeof(double));
    r->selection_neutral_anchor = util_malloc(G * sizeof(double));
    r->score_corr = util_malloc(EST_N * G * sizeof(double));
    r->corr_infl = util_malloc(EST_N * G * sizeof(double));
    r->payoff = util_malloc(G * sizeof(double));
    r->provisional = util_malloc(G * sizeof(int));
}

void arena_result_free(arena_result *r)
{
    free(r->theta);
    free(r->true_score);
    free(r->true_rank);
    free(r->score);
    free(r->ci_lo);
    free(r->ci_hi);
    free(r->rank);
    free(r->disp_rank);
    free(r->battles);
    free(r->selected);
    free(r->true_sel);
    free(r->true_base);
    free(r->rank_infl);
    free(r->score_infl);
    free(r->real_gain);
    free(r->selection);
    free(r->style);
    free(r->selection_neutral);
    free(r->score_infl_anchor);
    free(r->selection_anchor);
    free(r->style_anchor);
    free(r->selection_neutral_anchor);
    free(r->score_corr);
    free(r->corr_infl);
    free(r->payoff);
    free(r->provisional);
    memset(r, 0, sizeof *r);
}

/* The start of a run: the replicate's stream, voters and substance. */
static void start_run(const arena_scenario *s, arena_ws *w, uint64_t point, uint64_t rep,
                      int neutral)
{
    rng_set_stream(w->rng, s->p->seed, point, rep, RNG_PURPOSE_SIM, 0);
    w->point = point;
    w->rep = rep;
    w->nb = 0;
    w->no_style = (unsigned char)neutral; /* the same draws; the votes ignore β */
    arena_draw_population(s, w);
}

/* From the selection fit on: selection, its correction, the listed and
 * release phases, the vote policies and the truth of the final fit. */
static int finish_run(const arena_scenario *s, arena_ws *w, long *pub_left, util_err *err)
{
    int rc = arena_select_variants(s, w, err); /* on the votes so far */
    if (!rc)
        rc = arena_selection_correction(s, w, err);
    if (rc)
        return rc;
    arena_listed_stage(s, w, pub_left);
    arena_build_final_map(s, w);
    arena_apply_vote_policies(s, w);
    arena_true_scores(s, w, s->n_fin_fit);
    return UTIL_OK;
}

static int run_once(const arena_scenario *s, arena_ws *w, uint64_t point, uint64_t rep,
                    int neutral, util_err *err)
{
    const params *p = s->p;
    start_run(s, w, point, rep, neutral);
    long pub_left = p->n_public;
    if (p->sampling == SAMPLING_ARENA) { /* its own stream of public + testing votes */
        arena_policy_battles(s, w);
        pub_left = 0;
    } else
        arena_testing_stage(s, w, &pub_left); /* public votes interleaved (timeline.c) */
    return finish_run(s, w, &pub_left, err);
}

int arena_generate(const arena_scenario *s, arena_ws *w, uint64_t point, uint64_t rep, util_err *err)
{
    return run_once(s, w, point, rep, 0, err);
}

/* A replicate whose selection fit fails (it does not converge; data without
 * a finite MLE are rated with the fallback ridge instead, see selection.c)
 * has no leaderboard: everything is NaN and fit_status says why; the run
 * goes on. */
static void result_unrated(const arena_scenario *s, arena_result *out)
{
    const params *p = s->p;
    for (int m = 0; m < s->n_slots; m++)
        out->theta[m] = out->true_score[m] = out->battles[m] = NAN, out->true_rank[m] = 0;
    for (int est = 0; est < EST_N; est++) {
        arena_clear_estimator(s, est, out);
        out->fit_status[est] = p->estimators[est] ? ARENA_FIT_SELECTION_FAILED : ARENA_FIT_OK;
    }
    for (int f = 0; f < FEAT_N; f++)
        out->gamma[f] = NAN;
    for (int g = 0; g < p->n_gaming; g++) {
        out->selected[g] = -1;
        out->true_sel[g] = out->true_base[g] = NAN;
        out->real_gain[g] = out->selection[g] = out->style[g] = out->payoff[g] = NAN;
        out->selection_anchor[g] = out->style_anchor[g] = NAN;
        out->provisional[g] = arena_policy_provisional(p, g);
        for (int est = 0; est < EST_N; est++) {
            int q = est * p->n_gaming + g;
            out->rank_infl[q] = out->score_infl[q] = out->score_corr[q] = out->corr_infl[q] =
                out->score_infl_anchor[q] = NAN;
        }
    }
    for (int est = 0; est < EST_N; est++)
        out->field_offset[est] = NAN;
    out->tie_share = out->bothbad_share = NAN;
}

/* The neutral rerun and the biased run take the same random numbers up to
 * the selection fit when the sampling does not look at outcomes (every
 * sampling but `arena`): the voters' β are drawn in both (the neutral run's
 * votes ignore them), every battle draws the same pair, responses,
 * voter and uniform, and only the outcomes differ. So that stretch is
 * simulated once, recording both outcomes of each battle; from the
 * selection fit on each run continues from a copy of the stream at that
 * point. The results are those of two separate runs, bit for bit
 * (tests/unit/test_sim.c compares them). */
/* Where the two runs part: the stream, the battles so far, public votes left. */
typedef struct {
    rng_state rng;
    size_t nb;
    long pub_left;
} run_fork;

/* The stretch before the selection fit, once, with both voters' outcomes:
 * returns with the neutral outcomes in w->b, the biased ones in
 * w->alt_outcome, and votes ignoring style from here on. */
static void shared_prefix(const arena_scenario *s, arena_ws *w, uint64_t point, uint64_t rep,
                          run_fork *f)
{
    start_run(s, w, point, rep, 0);
    f->pub_left = s->p->n_public;
    w->dual = 1;
    arena_testing_stage(s, w, &f->pub_left);
    w->dual = 0;
    f->rng = *(const rng_state *)w->rng->state;
    f->nb = w->nb;
    for (size_t i = 0; i < f->nb; i++) {
        uint8_t o = w->b[i].outcome;
        w->b[i].outcome = w->alt_outcome[i];
        w->alt_outcome[i] = o;
    }
    w->no_style = 1;
}

/* Back at the fork, with the biased outcomes and every vote kept again (the
 * neutral run's vote policies may have retracted some). */
static void resume_biased(arena_ws *w, const run_fork *f, long *pub_left)
{
    w->no_style = 0;
    *(rng_state *)w->rng->state = f->rng;
    w->nb = f->nb;
    *pub_left = f->pub_left;
    for (size_t i = 0; i < f->nb; i++) {
        w->b[i].outcome = w->alt_outcome[i];
        w->b[i].kept = 1;
    }
}

/* The neutral run's product: its bt_style selection terms (fits nothing else). */
static void neutral_terms(const arena_scenario *s, arena_ws *w, arena_result *out, double *keep,
                          double *keep_anchor)
{
    arena_final_fits(s, w, out, 1);
    for (int g = 0; g < s->p->n_gaming; g++) {
        keep[g] = out->selection[g];
        keep_anchor[g] = out->selection_anchor[g];
    }
}

/* keep: the neutral run's selection terms (left NaN if its selection fit
 * fails). Returns finish_run's code of the biased run. */
static int neutral_then_biased(const arena_scenario *s, arena_ws *w, uint64_t point,
                               uint64_t rep, arena_result *out, double *keep, double *keep_anchor)
{
    util_err err;
    run_fork f;
    shared_prefix(s, w, point, rep, &f);
    long pub_left = f.pub_left;
    if (finish_run(s, w, &pub_left, &err) == UTIL_OK)
        neutral_terms(s, w, out, keep, keep_anchor);
    resume_biased(w, &f, &pub_left);
    return finish_run(s, w, &pub_left, &err);
}

int arena_replicate(const arena_scenario *s, arena_ws *w, uint64_t point, uint64_t rep,
                  arena_result *out, util_err *err)
{
    const params *p = s->p;
    util_err fit_err;
    double keep[PARAMS_MAX_GAMING], keep_anchor[PARAMS_MAX_GAMING];
    for (int g = 0; g < p->n_gaming; g++)
        keep[g] = keep_anchor[g] = NAN;
    const int neutral = p->neutral_rerun && p->estimators[EST_BT_STYLE];
    int rc;
    if (neutral && p->sampling != SAMPLING_ARENA && s->share_neutral_prefix)
        rc = neutral_then_biased(s, w, point, rep, out, keep, keep_anchor);
    else {
        if (neutral && run_once(s, w, point, rep, 1, &fit_err) == UTIL_OK)
            neutral_terms(s, w, out, keep, keep_anchor);
        rc = run_once(s, w, point, rep, 0, &fit_err);
    }
    if (rc == UTIL_OK)
        arena_final_fits(s, w, out, 0);
    else
        result_unrated(s, out);
    for (int g = 0; g < p->n_gaming; g++) {
        out->selection_neutral[g] = keep[g];
        out->selection_neutral_anchor[g] = keep_anchor[g];
    }
    return UTIL_OK;
}
