/*
 * rating/rating.h — the leaderboard estimators of DESIGN §3, shared by the simulator
 * (`arenasim run`) and by `arenasim fit` on real battle logs.
 *
 * Units. Internal ratings r are in log10-odds: for two models
 *     logit P(A beats B) = ln(10) · (r_A − r_B) [+ zᵀγ with style control],
 * ties counting as half a win. Displayed score = 400 · r + 1000, shifted so
 * that the anchor model has its fixed score, or (no anchor) so that the shown
 * models average 1000 (Σ r = 0). Style coefficients γ are log-odds per
 * standard deviation of the normalised feature difference
 * d = (a − b)/(a + b + 1), z-scored over all rows (population sd).
 *
 * Every fit converges to a gradient tolerance; hitting the iteration cap is
 * an error, never a silent result. Functions never print; errors come back
 * in a util_err. Workspaces are allocated once and reused (no allocation in
 * the fit loops).
 */
#ifndef ARENASIM_RATING_H
#define ARENASIM_RATING_H

#include <stddef.h>
#include <stdint.h>

#include "params/params.h"
#include "base/util.h"

#define RATING_SCALE 400.0
#define RATING_INIT 1000.0

enum { RATING_A_WINS = 0, RATING_B_WINS = 1, RATING_TIE = 2, RATING_BOTHBAD = 3 };

/* ---- Aggregated win/tie table (for bt) -------------------------------- */

/* Counts per unordered pair (i < j): cell[4·rating_pair_index(n,i,j) + k],
 * k = 0: i wins, 1: j wins, 2: tie, 3: tie (bothbad). Doubles so that
 * expected tables and weights fit. */
typedef struct {
    int n;
    double *cell;
} rating_table;

rating_table *rating_table_alloc(int n);
void rating_table_free(rating_table *t);
void rating_table_clear(rating_table *t);
size_t rating_pair_index(int n, int i, int j); /* requires i < j */
/* Add `count` battles of a (side A) vs b (side B) with outcome RATING_*. */
void rating_table_add(rating_table *t, int a, int b, int outcome, double count);
/* battles[i] = number of battles model i took part in. */
void rating_table_battles(const rating_table *t, double *battles);

typedef struct {
    double tol;   /* converged when max |∂ loss/∂ param| ≤ tol · max(1, battles);
                     0 → default 1e-10 */
    int max_iter; /* 0 → default 100 */
} rating_fit_opts;

typedef struct rating_bt_ws rating_bt_ws;
rating_bt_ws *rating_bt_ws_alloc(int n);
void rating_bt_ws_free(rating_bt_ws *w);

/* Unpenalised BT MLE (Newton, GSL Cholesky) on the table, ties = ½.
 * r[n] out, Σ r = 0. cov (n×n row-major, or NULL): sandwich covariance
 * H⁻¹ G H⁻¹ of r in that centred parameterisation (G = Σ over battles of
 * score outer products, from the cells). Returns UTIL_OK; UTIL_EINPUT when
 * the MLE does not exist (comparison graph not connected, a model with no
 * battles or only wins/only losses: the message names the model);
 * UTIL_ERUNTIME when not converged. */
int rating_bt_fit(const rating_table *t, rating_bt_ws *w, const rating_fit_opts *o,
                  double *r, double *cov, util_err *err);
/* The same with loss += ½·ridge·‖r‖² (summed-NLL units, r in log10-odds),
 * ridge > 0: it always has a finite answer (no existence check); cov from
 * the penalised Hessian. For fits that must return a number whatever the
 * data, as the arena's own do. */
int rating_bt_fit_ridge(const rating_table *t, rating_bt_ws *w, const rating_fit_opts *o,
                        double ridge, double *r, double *cov, util_err *err);

/* ---- Per-battle rows (for bt_style and elo) ----------------------------- */

typedef struct {
    size_t n, cap;
    int n_models, n_feat;
    int32_t *a, *b;       /* model indices, side A and side B */
    uint8_t *outcome;     /* RATING_* */
    double *d;            /* n × n_feat, row-major: (a − b)/(a + b + 1) per feature */
} rating_rows;

rating_rows *rating_rows_alloc(int n_models, int n_feat, size_t cap);
void rating_rows_free(rating_rows *r);
void rating_rows_clear(rating_rows *r);
/* Append one battle; d has n_feat entries (ignored when n_feat == 0). Grows. */
void rating_rows_push(rating_rows *r, int a, int b, int outcome, const double *d);

typedef struct {
    params_penalty penalty; /* PENALTY_NONE | PENALTY_FASTCHAT | PENALTY_ARENA_RANK */
    double tol;             /* as rating_fit_opts; 0 → 1e-10 */
    int max_iter;           /* 0 → 100 */
    int threads;            /* ≤ 1: no OpenMP inside (simulation); > 1: threaded
                               accumulation, results bitwise independent of it */
} rating_style_opts;

typedef struct rating_style_ws rating_style_ws;
rating_style_ws *rating_style_ws_alloc(int n_models, int n_feat);
void rating_style_ws_free(rating_style_ws *w);

/* BT with style control on rows (DESIGN §3, "bt_style").
 * Loss, with p = σ(ln10·(r_a − r_b) + zᵀγ) and y = 1, 0, ½ (either tie):
 *   none:       Σ w·NLL                     (Σ r = 0 imposed)
 *   fastchat:   Σ w·NLL + 0.25·‖(r, γ)‖²    (FastChat's contextual BT)
 *   arena_rank: (Σ w·v·NLL)/Σw + 0.5·‖γ‖²   (Σ r = 0 imposed)
 *     with lmarena arena-rank's row weights v = 1/max(n_pair, 50) normalised
 *     to mean 1 (n_pair: rows of the row's unordered pair, over all rows)
 * z: the columns of rows->d z-scored with their unweighted population mean
 * and sd over all rows (a constant column → UTIL_EINPUT naming the feature
 * index). weights: NULL (all 1) or per row (bootstrap).
 * Out: r[n_models] (Σ r = 0), gamma[n_feat], cov ((n_models+n_feat)² or
 * NULL): sandwich covariance, r block in the centred parameterisation; for
 * arena_rank arena-rank's own: from the unpenalised Hessian plus a 1e-5
 * ridge (natural-log units), with its L2 correction of the score covariance. */
int rating_style_fit(const rating_rows *rows, const double *weights,
                     rating_style_ws *w, const rating_style_opts *o,
                     double *r, double *gamma, double *cov, util_err *err);
/* The same with ½·ridge·‖r‖² added to the loss (as rating_bt_fit_ridge). */
int rating_style_fit_ridge(const rating_rows *rows, const double *weights,
                           rating_style_ws *w, const rating_style_opts *o, double ridge,
                           double *r, double *gamma, double *cov, util_err *err);

/* The ratings block of a bt_style covariance: out[n_models²] (row-major) =
 * cov[i][j] for i, j < n_models, from the (n_models+n_feat)² matrix, ready
 * for rating_ci_from_cov. out may be cov itself (compacted in place). */
void rating_cov_ratings(const double *cov, int n_models, int n_feat, double *out);

/* Online Elo in row order: K-factor k, base 10, scale 400, all start at 1000,
 * ties ½. score[n_models] out, in points (not anchored). */
void rating_elo(const rating_rows *rows, double k, double *score);

/* ---- Scores, CIs, ranks ------------------------------------------------- */

/* score = 400 r + 1000, shifted: anchor ≥ 0 → score[anchor] = anchor_score;
 * else the mean over shown models (shown == NULL: all) is 1000. */
void rating_scores(const double *r, int n, const unsigned char *shown,
                   int anchor, double anchor_score, double *score);

/* Normal CIs at `level` from a covariance of r (any parameterisation in
 * which contrasts are right): the variance of each shown score's contrast
 * (e_i − e_anchor, or e_i − mean over shown). lo/hi in points. */
void rating_ci_from_cov(const double *score, const double *cov, int n,
                        const unsigned char *shown, int anchor, double level,
                        double *lo, double *hi);

/* ordinal[i]: 1 + #{shown j : score_j > score_i} (ties share the best rank);
 * displayed[i]: 1 + #{shown j : lo_j > hi_i} (the arena's rank). lo/hi may be
 * NULL (then displayed = ordinal). Entries of models not shown are set to 0. */
void rating_ranks(const double *score, const double *lo, const double *hi, int n,
                  const unsigned char *shown, int *ordinal, int *displayed);

/* ---- Bootstrap CIs (percentile), reproducible for any thread count ------ */

/* Round k draws from the stream rng_set_stream(seed, point, replicate,
 * RNG_PURPOSE_BOOTSTRAP, k). */
typedef struct {
    uint64_t seed, point, replicate;
    int rounds;  /* ≥ 1 */
    int threads; /* ≤ 1: serial */
    double level;
} rating_boot_opts;

/* bt: each round resamples the table multinomially over its cells with the
 * total number of battles fixed, refits, and scores with the same shown /
 * anchor rule. lo/hi[n] in points. */
int rating_bt_bootstrap(const rating_table *t, const rating_fit_opts *fo,
                        const rating_boot_opts *bo, const unsigned char *shown,
                        int anchor, double anchor_score,
                        double *lo, double *hi, util_err *err);

/* bt_style: each round weights rows by Poisson(1) draws and refits (z-scoring
 * fixed from the full data), warm-started at the full-data fit. That fit is
 * made here when fitted is NULL; otherwise fitted is a workspace whose last
 * call was a successful rating_style_fit (any cov, any thread count) of
 * these same, unchanged rows with weights NULL and so's penalty, tol and
 * max_iter, and its optimum and z-scoring are used instead (bitwise the same
 * result, without fitting the full data twice; fitted's scratch is reused).
 * A fitted workspace whose last fit was not that one is an error
 * (UTIL_ERUNTIME). lo/hi[n_models] in points, glo/ghi[n_feat] (NULL to
 * skip). */
int rating_style_bootstrap(const rating_rows *rows, const rating_style_opts *so, rating_style_ws *fitted,
                           const rating_boot_opts *bo, const unsigned char *shown,
                           int anchor, double anchor_score,
                           double *lo, double *hi, double *glo, double *ghi,
                           util_err *err);

#endif
