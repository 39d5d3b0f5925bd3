/*
 * arena/arena_internal.h — private to the arena module (the .c files of sim/arena/): the per-thread
 * workspace of a replicate and the steps of a replicate that one file of the
 * module hands to another. Nothing outside sim/arena/ includes this file.
 *
 * The steps in pipeline order: voters.c (the voter model and one vote) →
 * sampling.c (who meets whom) → timeline.c (when: phases interleaved) → selection.c (selection fit, listed variant,
 * vote policies) → truth.c (θ̃) → leaderboard.c (final fits) → measure.c
 * (DESIGN §4 measurements); replicate.c runs them in phase order.
 * Units: θ and scores in arena points; ratings r in log10-odds.
 */
#ifndef ARENASIM_ARENA_INTERNAL_H
#define ARENASIM_ARENA_INTERNAL_H

#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "arena/arena.h"

/* ln(10)/400: arena points → log-odds */
#define LN10_400 (M_LN10 / 400.0)
/* Ridge of the fallback fit when the data have no finite MLE (selection.c),
 * summed-NLL units per log10-odds²: weak enough that a model which won all
 * of 20 votes lands about 1900 points above the field, not at infinity. */
#define ARENA_RIDGE 1e-4

/* A run of battles of one vendor entity on the timeline (timeline.c). */
typedef struct {
    int e;      /* entity */
    int phase;  /* ARENA_PHASE_* */
    long left;  /* battles still to play */
    double w;   /* sampling weight */
} arena_stream;

struct arena_ws {
    gsl_rng *rng;
    arena_battle *b;
    size_t nb, cap;
    unsigned char no_style; /* votes ignore style (the neutral rerun) */
    unsigned char dual;     /* also record a style-neutral vote in alt_outcome */
    uint8_t *alt_outcome;   /* [cap] (neutral_rerun only; replicate.c) */
    double *beta;        /* [voter][FEAT_N] */
    double *theta;       /* [entity] θ of this replicate */
    rating_table *tab_sel, *tab_fin;
    rating_rows *rows_sel, *rows_fin;
    rating_bt_ws *bt_sel, *bt_fin;
    rating_style_ws *st_sel, *st_fin;
    int *fin_map;        /* entity → final-fit index or −1 */
    int *fin_ent;        /* final-fit index → entity */
    int *slot_fin;       /* slot → final-fit index or −1 */
    unsigned char *shown;/* [final-fit index] */
    double *r, *cov, *score, *lo, *hi, *r_true, *s_true, *r_sel;
    double gamma[FEAT_N], glo[FEAT_N], ghi[FEAT_N];
    int *ord, *disp;
    size_t *idx;         /* [2 · final-fit models] sort scratch */
    double *dwork;       /* [2 · final-fit models] scratch */
    int selected[PARAMS_MAX_GAMING];
    unsigned char ridged[2];  /* [selection?] the last fit needed ARENA_RIDGE */
    unsigned char sel_ridged; /* the selection fit of this replicate needed it */
    arena_stream *streams; /* [Σ variants + 2 · n_gaming] timeline scratch */
    double corr_shift[EST_N][PARAMS_MAX_GAMING]; /* points: listed score − corrected score */
    int corr_disp[EST_N][PARAMS_MAX_GAMING];     /* displayed rank at the corrected score */
    double *cov_sel;     /* selection-fit covariance (selection_correction: eb) */
    /* sampling: arena (sampling.c): votes so far and testing votes left per
     * entity, first-draw weights, the current top k of the public models */
    long *votes, *left;
    double *wt, *r_pub;
    unsigned char *top;
    rating_table *tab_pub;
    rating_bt_ws *bt_pub;
    uint64_t point, rep;  /* the replicate being simulated */
};

/* voters.c */
double arena_logistic(double x);
/* One vote of entities a and b by a random voter of the pool, appended to w->b. */
void arena_vote(const arena_scenario *s, arena_ws *w, int a, int b, int phase);
/* Voter sensitivities and per-replicate variant substance (also drawn, and
 * ignored by the votes, in the neutral rerun: w->no_style). */
void arena_draw_population(const arena_scenario *s, arena_ws *w);

/* sampling.c */
void arena_public_battles(const arena_scenario *s, arena_ws *w, long n);
void arena_entity_battles(const arena_scenario *s, arena_ws *w, int e, long n, int phase);
/* sampling: arena — public battles and private testing in one stream. */
void arena_policy_battles(const arena_scenario *s, arena_ws *w);
void arena_sampling_alloc(const arena_scenario *s, arena_ws *w);
void arena_sampling_free(arena_ws *w);

/* timeline.c: the phases interleaved in time (buffer index = timestamp) */
double arena_public_weight(const arena_scenario *s);
long arena_public_history(const arena_scenario *s);
void arena_testing_stage(const arena_scenario *s, arena_ws *w, long *pub_left);
void arena_listed_stage(const arena_scenario *s, arena_ws *w, long *pub_left);

/* truth.c */
int arena_public_true_ratings(arena_scenario *s, util_err *err);
double arena_true_rating_vs_field(const arena_scenario *s, double theta);
void arena_true_scores(const arena_scenario *s, arena_ws *w, int n);

/* selection.c */
int arena_fit_ratings(const arena_scenario *s, arena_ws *w, int est, const int *map, int n,
                      int selection, double *r, double *cov, util_err *err);
int arena_select_variants(const arena_scenario *s, arena_ws *w, util_err *err);
void arena_build_final_map(const arena_scenario *s, arena_ws *w);
void arena_apply_vote_policies(const arena_scenario *s, arena_ws *w);
/* policy.selection_correction: per estimator and vendor, corr_shift. */
int arena_selection_correction(const arena_scenario *s, arena_ws *w, util_err *err);

/* leaderboard.c */
void arena_clear_estimator(const arena_scenario *s, int est, arena_result *out);
void arena_final_fits(const arena_scenario *s, arena_ws *w, arena_result *out,
                      int style_point_only);

/* measure.c */
void arena_agreement(const arena_scenario *s, arena_ws *w, int est, arena_result *out);
void arena_fill_truth(const arena_scenario *s, arena_ws *w, arena_result *out);
void arena_vendor_measures(const arena_scenario *s, arena_ws *w, arena_result *out);

#endif
