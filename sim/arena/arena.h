/*
 * arena/arena.h — the arena simulator (DESIGN §2): one replicate of one sweep point
 * = voters, private testing, selection, public phase, final leaderboards and
 * the per-replicate measurements of DESIGN §4.
 *
 * Units: θ and scores in arena points; features as in params.h. The
 * reported model axis has a fixed layout per config ("slots"): the public
 * models in config order, then for each gaming vendor g its listed variant
 * (slot n_models + 2g) and its released model (slot n_models + 2g + 1; equal
 * to the listed one for release: listed, NaN for release: none).
 */
#ifndef ARENASIM_ARENA_H
#define ARENASIM_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "params/params.h"
#include "rating/rating.h"
#include "base/util.h"

/* Battle phases (column `phase` of exported battles). */
enum { ARENA_PHASE_PUBLIC = 0, ARENA_PHASE_TESTING = 1, ARENA_PHASE_LISTED = 2, ARENA_PHASE_RELEASE = 3 };
extern const char *const arena_phase_names[4];

/* One simulated battle: entities, outcome and raw response features. */
typedef struct {
    int32_t a, b;          /* entity indices (arena_scenario numbering) */
    uint8_t outcome;       /* RATING_* */
    uint8_t phase;         /* ARENA_PHASE_* */
    uint8_t kept;          /* 0: a testing vote the vote policies retract */
    uint32_t feat_a[FEAT_N], feat_b[FEAT_N]; /* tokens, headers, lists, bold, emoji */
} arena_battle;

typedef enum { ARENA_ENT_PUBLIC = 0, ARENA_ENT_VARIANT, ARENA_ENT_RELEASE } arena_entity_kind;

typedef struct {
    const char *name;      /* points into params / a generated name buffer */
    arena_entity_kind kind;
    int gaming;            /* vendor index for VARIANT/RELEASE, −1 otherwise */
    int variant;           /* variant index for VARIANT (and RELEASE of a variant) */
    double theta0;         /* θ before the per-replicate tuning draw δ_k */
    params_style style;
    double log_mean[FEAT_N]; /* ln style.mean[f] (−∞ where 0): Poisson draws need ln λ */
    double weight;         /* pair sampling weight */
} arena_entity;

/* Everything about a point that does not depend on the replicate. */
typedef struct {
    const params *p;       /* the point's params with the arena policies applied (own copy) */
    params *own;
    int n_ent;             /* public + all variants + separate released models */
    arena_entity *ent;
    char (*names)[2 * PARAMS_NAME_LEN];
    int var_off[PARAMS_MAX_GAMING]; /* entity index of variant 0 of vendor g */
    int rel_ent[PARAMS_MAX_GAMING]; /* entity of a separate released model, or −1 */
    int n_slots;           /* n_models + 2 · n_gaming */
    int n_feat_ctl;        /* controlled features (leaderboard.style_features) */
    int feat_ctl[FEAT_N];  /* their FEAT_* indices */
    int n_sel_fit;         /* models in the selection fit */
    int n_fin_fit;         /* models in the final fit */
    size_t max_battles;    /* battles of one replicate */
    int anchor;            /* public model index of the anchor, or −1 */
    double *r_public_true; /* expected-table BT ratings of the public models */
    double r_base_true[PARAMS_MAX_GAMING]; /* the same for each vendor's base, vs the field */
    double *pub_cum;       /* cumulative public sampling weights (for draws) */
    double exp_eta;        /* exp(tie_threshold), for the one-exp vote */
    int share_neutral_prefix; /* 1: the neutral rerun shares the draws before the
                                 selection fit with the biased run (replicate.c);
                                 0: two separate runs (the same results; tests) */
} arena_scenario;

int arena_scenario_init(arena_scenario *s, const params *p, util_err *err);
void arena_scenario_free(arena_scenario *s);
const char *arena_slot_name(const arena_scenario *s, int slot, char *buf, size_t n);

/* Per-replicate measurements (arrays sized by arena_result_alloc). NaN where
 * an estimator is disabled or a slot is empty. */
typedef struct {
    int n_slots, n_gaming;
    double *theta;         /* [slot] true substance θ */
    double *true_score;    /* [slot] θ̃: estimator on the expected neutral table */
    int *true_rank;        /* [slot] ordinal rank of θ̃ among shown slots */
    double *score;         /* [est][slot] */
    double *ci_lo, *ci_hi; /* [est][slot] */
    int *rank, *disp_rank; /* [est][slot] */
    double *battles;       /* [slot] battles in the final data */
    double gamma[FEAT_N];  /* fitted style coefficients (NaN if not controlled) */
    int *selected;         /* [g] index of the listed variant */
    double *true_sel, *true_base; /* [g] θ̃ of the listed variant / base */
    double *rank_infl;     /* [est][g] true rank − leaderboard rank of the listed slot */
    /* Score measures, primary reference = the field (README "What inflation
     * is measured against"): a model's displacement score − θ̃ minus
     * field_offset, the median displacement of the public models; invariant
     * to the anchor. */
    double *score_infl;    /* [est][g] (score − θ̃)_listed − field_offset[est] */
    double *real_gain;     /* [g] θ̃_sel − θ̃_base (the same under either reference) */
    double *selection;     /* [g] score_infl[bt_style]: selection on noise + missed style */
    double *style;         /* [g] score_infl[bt] − score_infl[bt_style] */
    double *selection_neutral; /* [g] selection of a style-neutral rerun */
    double field_offset[EST_N]; /* median over public models of score − θ̃ */
    /* Secondary reference = the anchor (what the arena's page shows):
     * score − θ̃ with both on the anchored scale. */
    double *score_infl_anchor;  /* [est][g] score − θ̃_sel */
    double *selection_anchor, *style_anchor, *selection_neutral_anchor; /* [g] */
    double *score_corr;    /* [est][g] selection-corrected score of the listed variant
                              (policy.selection_correction; NaN when none; anchored) */
    double *corr_infl;     /* [est][g] score_corr − θ̃_sel − field_offset[est] (field) */
    double *payoff;        /* [g] the vendor's game payoff (NaN without a game block) */
    int *provisional;      /* [g] 1: listed model still "provisional" (policy.provisional_votes) */
    double kendall[EST_N], spearman[EST_N], topk[EST_N];
    double tie_share, bothbad_share;
    int fit_status[EST_N]; /* ARENA_FIT_* */
} arena_result;

/* fit_status: why an estimator has no values in a replicate, or (RIDGE) how
 * it got them: its final fit or the replicate's selection fit had no finite
 * MLE and was rated with a tiny ridge, as the arena's fits always return a
 * number (selection.c). */
enum { ARENA_FIT_OK = 0, ARENA_FIT_FAILED = 1, ARENA_FIT_SELECTION_FAILED = 2, ARENA_FIT_RIDGE = 3 };

void arena_result_alloc(arena_result *r, int n_slots, int n_gaming);
/* Footprint (bytes, upper bounds, from params alone; arena/footprint.c): one
 * replicate's arena_result, and a point run with `threads` workspaces and
 * all its replicates' results in memory. */
double arena_result_bytes(const params *p);
double arena_point_bytes(const params *p, int threads);
void arena_result_free(arena_result *r);

/* Per-thread workspace, allocated once per point. */
typedef struct arena_ws arena_ws;
arena_ws *arena_ws_alloc(const arena_scenario *s);
void arena_ws_free(arena_ws *w);

/* Simulate replicate `rep` of point `point` and measure it. Fits without a
 * finite MLE do not fail the replicate: see fit_status. */
int arena_replicate(const arena_scenario *s, arena_ws *w, uint64_t point, uint64_t rep,
                  arena_result *out, util_err *err);

/* Only simulate the battles of a replicate (testing, selection, public
 * phase; vote policies applied), without the final fits (benchmarks). */
int arena_generate(const arena_scenario *s, arena_ws *w, uint64_t point, uint64_t rep, util_err *err);

/* Battles of the last simulated replicate in `w` (for `arenasim battles`),
 * in the order they happened; `kept` marks those the final leaderboard saw. */
const arena_battle *arena_ws_battles(const arena_ws *w, size_t *n);

/* k of the top-k overlap of n shown models: min(10, n/2), at least 1. */
int arena_topk_k(int n);

/* Arena policies (policy.c): apply params.policy and the style intensity to
 * a params copy; the "provisional" rule; the selection-corrected rating of
 * variant sel among n testing ratings x[] with sampling variances s2[]. */
void arena_policy_apply(params *q);
int arena_policy_provisional(const params *q, int g);
double arena_policy_corrected(params_correction c, const double *x, const double *s2, int n,
                              int sel);
/* The vendor's strategy cost (game.cost_*), payoff units. */
double arena_policy_cost(const params *q, int g);

/* Pure model math, exposed for tests. */
double arena_transform(params_transform t, double a, double b);
/* Rao-Kupper outcome probabilities for latent difference D and threshold η. */
void arena_rao_kupper(double D, double eta, double *pa, double *pb, double *ptie);
/* Simulate n battles of two fixed entities (tests of the voter model). */
int arena_fixed_pair(const arena_scenario *s, arena_ws *w, int ea, int eb, long n,
                   uint64_t point, uint64_t rep, double counts[4]);

#endif
