/*
 * params/params.h — the resolved parameters of one sweep point: plain data that the
 * config module fills (config/config.h) and the arena simulator reads (arena/arena.h).
 *
 * Units: substance scores θ in arena points (P(A beats B) = 1/(1+10^((θB−θA)/400))
 * for style-neutral voters without ties); response length in tokens; markdown
 * and emoji as counts per response at the model's mean length; voter style
 * sensitivities β in log-odds per unit of the transformed feature difference.
 * YAML key names are given beside each field (README "Config reference").
 */
#ifndef ARENASIM_PARAMS_H
#define ARENASIM_PARAMS_H

#include <stdint.h>

#define PARAMS_NAME_LEN 96
#define PARAMS_MAX_MODELS 512
#define PARAMS_MAX_GAMING 16
#define PARAMS_MAX_VARIANTS 1024

/* Response style features, in this fixed order everywhere (HDF5, CSV). */
enum { FEAT_TOKENS = 0, FEAT_HEADERS, FEAT_LISTS, FEAT_BOLD, FEAT_EMOJI, FEAT_N };
extern const char *const params_feature_names[FEAT_N]; /* "tokens", ... */

/* Leaderboard estimators, in this fixed order everywhere. */
enum { EST_BT = 0, EST_BT_STYLE, EST_ELO, EST_N };
extern const char *const params_estimator_names[EST_N]; /* "bt", "bt_style", "elo" */

typedef enum {                 /* response.transform: g(a, b) */
    TRANSFORM_DIFF_RATIO = 0,  /* "diff_ratio": (a − b)/(a + b + 1)   */
    TRANSFORM_LOG_RATIO,       /* "log_ratio":  ln((a + 1)/(b + 1))   */
    TRANSFORM_SATURATING       /* "saturating": tanh(ln((a+1)/(b+1))) */
} params_transform;

typedef enum { SAMPLING_UNIFORM = 0, SAMPLING_WEIGHTS, SAMPLING_ARENA } params_sampling;
                                           /* "uniform", "weights", "arena" */
typedef enum { PENALTY_NONE = 0, PENALTY_FASTCHAT, PENALTY_ARENA_RANK } params_penalty; /* "none","fastchat","arena_rank" */
typedef enum { CI_NONE = 0, CI_SANDWICH, CI_BOOTSTRAP } params_ci;  /* "none","sandwich","bootstrap" */
typedef enum { LISTED_KEEP = 0, LISTED_FRESH } params_listed;       /* "keep", "fresh" */
typedef enum { UNLISTED_RETRACT = 0, UNLISTED_KEEP } params_unlisted; /* "retract", "keep" */
typedef enum { RELEASE_NONE = 0, RELEASE_LISTED, RELEASE_BASE, RELEASE_VARIANT } params_release;
                                           /* "none","listed","base","variant" */

/* A style profile: mean[FEAT_TOKENS] = mean tokens of a response (> 0);
 * mean[f] for the count features = expected count at the mean length. */
typedef struct {
    double mean[FEAT_N]; /* style: {tokens:, headers:, lists:, bold:, emoji:} */
} params_style;

typedef struct {                 /* an entry of `models:` (the public pool) */
    char name[PARAMS_NAME_LEN];  /* name (required, unique across all names) */
    char vendor[PARAMS_NAME_LEN];/* vendor (default: "") */
    double theta;                /* theta (required), arena points */
    params_style style;          /* style (required: tokens; counts default 0) */
    double weight;               /* weight (default 1, > 0): pair sampling weight */
} params_model;

typedef struct {                 /* an entry of `gaming:` */
    char vendor[PARAMS_NAME_LEN];    /* vendor (required) */
    char base_name[PARAMS_NAME_LEN]; /* base.name (required) */
    double base_theta;               /* base.theta (required) */
    params_style base_style;         /* base.style (required) */
    int n_variants;                  /* variants (required, 1..PARAMS_MAX_VARIANTS) */
    double tune_mean;                /* tune_mean (default 0): μ_tune, points */
    double tune_sd;                  /* tune_sd (default 0, ≥ 0): σ_tune, points */
    int n_styled;                    /* tuned_style.count (default 0, ≤ variants):
                                        variants 0..n_styled−1 use tuned_style */
    params_style tuned_style;        /* tuned_style.style */
    long n_test;                     /* testing_battles (required, ≥ 1): per variant */
    int select_by;                   /* select_by: EST_BT or EST_BT_STYLE (default bt) */
    params_listed listed_votes;      /* listed_votes (default keep) */
    long n_listed;                   /* listed_battles (default 0; ≥ 1 if fresh):
                                        public battles of the listed variant after listing */
    params_unlisted unlisted_votes;  /* unlisted_votes (default retract) */
    params_release release;          /* release (default none) */
    int release_variant;             /* release_variant (default 0; used by "variant") */
    long n_release;                  /* release_battles (default 0; ≥ 1 unless none/listed) */
    double weight;                   /* weight (default 1, > 0): sampling weight of its entries */
    double style_intensity;          /* style_intensity (default 1, in [0,1]): the style-tuned
                                        variants' profile = base + intensity·(tuned − base),
                                        per feature (the strategy's style axis) */
} params_gaming;

typedef enum { CORRECTION_NONE = 0, CORRECTION_POOLED, CORRECTION_EB } params_correction;
                                           /* "none","pooled","eb" */
typedef enum { PAYOFF_RANK = 0, PAYOFF_SCORE } params_payoff; /* "rank","score" */

/* Arena policies (README "Arena policies"): rules the arena sets for every
 * gaming vendor; each is a sweepable key under `policy:`. */
typedef struct {
    int max_variants;           /* policy.max_variants (default 0 = no cap): private variants
                                   a vendor may test; more are dropped (variants ≥ cap unused) */
    long max_testing_votes;     /* policy.max_testing_votes (default 0 = no cap): a vendor's
                                   private testing votes in all; testing_battles per variant
                                   is cut to floor(cap / variants) */
    int fresh_votes;            /* policy.fresh_votes (default false): every listed model is
                                   re-rated on votes after listing only (listed_votes: fresh) */
    long provisional_votes;     /* policy.provisional_votes (default 2000): fresh votes a listed
                                   model needs before it is no longer "provisional" ... */
    int provisional_min_variants; /* policy.provisional_min_variants (default 10): ... when the
                                   vendor tested more variants than this */
    int disclosure;             /* policy.disclosure (default false): every tested variant stays
                                   on the leaderboard (votes kept, shown) */
    int list_is_ship;           /* policy.list_is_ship (default false): the released model is
                                   the listed one */
    params_correction correction; /* policy.selection_correction (default none) */
} params_policy;

/* The strategic game over the sweep (README "Which policy stops the gaming?"):
 * present when the config has a `game:` block. */
typedef struct {
    params_payoff payoff;       /* game.payoff (default rank): −displayed rank or field-relative score */
    int board;                  /* game.board: EST_BT or EST_BT_STYLE (default bt_style): the
                                   leaderboard the payoff reads (the arena's default view) */
    double cost_variant;        /* game.cost_per_variant (default 0, ≥ 0), payoff units */
    double cost_vote;           /* game.cost_per_vote (default 0, ≥ 0), per testing vote */
    double cost_style;          /* game.cost_style (default 0, ≥ 0), per unit of style intensity */
    double tie_se;              /* game.tie_se (default 1, ≥ 0): strategies within tie_se standard
                                   errors of the best are near-ties; the cheapest wins */
} params_game;

typedef struct {
    uint64_t seed;              /* seed (required) */
    int replicates;             /* replicates (default 100, ≥ 1) */

    double length_sd;           /* response.length_sd (default 0.5, ≥ 0) */
    params_transform transform; /* response.transform (default diff_ratio) */

    int n_voters;               /* voters.count (default 1000, ≥ 1) */
    double beta_mean[FEAT_N];   /* voters.beta_mean.{tokens,...} (default 0) */
    double beta_sd[FEAT_N];     /* voters.beta_sd.{...} (default 0, ≥ 0) */
    double tie_threshold;       /* voters.tie_threshold (default 0, ≥ 0): η */
    double bothbad_share;       /* voters.bothbad_share (default 0.5, in [0,1]) */

    params_sampling sampling;   /* arena.sampling (default uniform) */
    long n_public;              /* arena.public_battles (required, ≥ 1) */
    /* sampling: arena — the arena's published policy (README "Sampling"). */
    double new_weight;          /* arena.new_model_weight (default 5, > 0) */
    long new_votes;             /* arena.new_model_votes (default 3000, ≥ 0): votes until a new model
                                   (a variant, listed or released model) has weight 1 */
    double top_weight;          /* arena.top_weight (default 3, > 0) */
    int top_k;                  /* arena.top_k (default 10, ≥ 0): public models so weighted */
    double unreleased_share;    /* arena.unreleased_share (default 0.2, in (0,1]): most a
                                   provider's unreleased models get of the votes */
    long refit_every;           /* arena.refit_every (default 5000, ≥ 1): battles between refits
                                   of the current leaderboard that picks the top k */

    int estimators[EST_N];      /* leaderboard.estimators (default [bt, bt_style, elo]) */
    int style_features[FEAT_N]; /* leaderboard.style_features (default [tokens,headers,lists,bold]) */
    params_penalty penalty;     /* leaderboard.style_penalty (default fastchat) */
    params_ci ci;               /* leaderboard.ci (default sandwich) */
    int n_bootstrap;            /* leaderboard.bootstrap_rounds (default 100, ≥ 1) */
    double ci_level;            /* leaderboard.ci_level (default 0.95, in (0,1)) */
    int has_anchor;             /* leaderboard.anchor present */
    char anchor_model[PARAMS_NAME_LEN]; /* leaderboard.anchor.model (a public model) */
    double anchor_score;        /* leaderboard.anchor.score */
    double elo_k;               /* leaderboard.elo_k (default 4, > 0) */
    int neutral_rerun;          /* leaderboard.neutral_rerun (default false) */

    int n_models;               /* models: 2..PARAMS_MAX_MODELS entries */
    params_model models[PARAMS_MAX_MODELS];
    int n_gaming;               /* gaming: 0..PARAMS_MAX_GAMING entries */
    params_gaming gaming[PARAMS_MAX_GAMING];

    params_policy policy;       /* policy: (arena rules) */
    int has_game;               /* game: block present */
    params_game game;           /* game: */
} params;

#endif
