/*
 * game/game_file.c — the game of a complete result file (game.h): which
 * sweep axes are a vendor's strategy (gaming[V].variants,
 * gaming[V].style_intensity, gaming[V].testing_battles) and which are the
 * arena's policy (every other axis); the payoff of each (policy, joint
 * strategy) from /summary; the equilibrium of each policy; and the group
 * /game with the policy table (README "Which policy stops the gaming?").
 * It reads only per-point summaries that every run or merge of the same
 * sweep writes bitwise alike, so /game is the same however the sweep was
 * sharded. Units: payoff units; ranks; arena points (inflation).
 */
#include "game/game.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "arena/arena.h"
#include "io/output.h"

static const char *const strategy_keys[3] = {"variants", "style_intensity", "testing_battles"};

typedef struct {
    const config *c;
    params *pp;            /* scratch params of one point */
    int n_gaming, n_axes;
    int owner[64];         /* axis → gaming vendor whose strategy it is, or −1 (policy) */
    int player_of[PARAMS_MAX_GAMING]; /* vendor → player index or −1 */
    int vendor_of[GAME_MAX_PLAYERS];
    game_def d;
    size_t n_policy, n_prof;
    long *table;           /* [policy][profile] → point */
    double *pay, *pse;     /* /summary/payoff_mean, payoff_se [point][vendor] */
} game_ctx;

/* "gaming[SEL].KEY" with KEY a strategy key: the vendor index, else −1. */
static int strategy_owner(const game_ctx *x, const char *path)
{
    char sel[PARAMS_NAME_LEN], key[64];
    if (sscanf(path, "gaming[%95[^]]].%63s", sel, key) != 2)
        return -1;
    int is_key = 0;
    for (int k = 0; k < 3; k++)
        is_key |= strcmp(key, strategy_keys[k]) == 0;
    if (!is_key)
        return -1;
    for (int g = 0; g < x->n_gaming; g++)
        if (strcmp(x->pp->gaming[g].vendor, sel) == 0)
            return g;
    char *end;
    long g = strtol(sel, &end, 10);
    return *end == '\0' && g >= 0 && g < x->n_gaming ? (int)g : -1;
}

static int classify_axes(game_ctx *x, util_err *err)
{
    x->n_axes = config_n_axes(x->c);
    if (x->n_axes > 64)
        return util_err_set(err, UTIL_EINPUT, "game: at most 64 sweep axes");
    for (int g = 0; g < PARAMS_MAX_GAMING; g++)
        x->player_of[g] = -1;
    x->d.n = 0;
    for (int a = 0; a < x->n_axes; a++)
        x->owner[a] = strategy_owner(x, config_axis_name(x->c, a));
    /* linked axes are one dimension: a strategy when any of its paths is */
    for (int a = 0; a < x->n_axes; a++) {
        int l = config_axis_lead(x->c, a);
        if (l == a || x->owner[a] < 0)
            continue;
        if (x->owner[l] >= 0 && x->owner[l] != x->owner[a])
            return util_err_set(err, UTIL_EINPUT, "game: linked axes %s and %s are strategies of "
                                "two vendors", config_axis_name(x->c, l), config_axis_name(x->c, a));
        x->owner[l] = x->owner[a];
    }
    for (int a = 0; a < x->n_axes; a++) {
        int g = x->owner[a] = x->owner[config_axis_lead(x->c, a)];
        if (g < 0 || x->player_of[g] >= 0)
            continue;
        if (x->d.n == GAME_MAX_PLAYERS)
            return util_err_set(err, UTIL_EINPUT, "game: at most %d strategic vendors (sweep axes "
                                "gaming[V].variants/style_intensity/testing_battles)", GAME_MAX_PLAYERS);
        x->vendor_of[x->d.n] = g;
        x->player_of[g] = x->d.n++;
    }
    if (x->d.n == 0)
        return util_err_set(err, UTIL_EINPUT, "game: no strategy axes (sweep gaming[V].variants, "
                            ".style_intensity or .testing_battles of a gaming vendor)");
    x->n_policy = 1;
    for (int i = 0; i < x->d.n; i++)
        x->d.n_strat[i] = 1;
    for (int a = 0; a < x->n_axes; a++) {
        size_t n = config_axis_len(x->c, a);
        if (config_axis_lead(x->c, a) != a)
            continue; /* linked: counted once, with its first axis */
        if (x->owner[a] < 0)
            x->n_policy *= n;
        else
            x->d.n_strat[x->player_of[x->owner[a]]] *= (int)n;
    }
    x->n_prof = game_n_profiles(&x->d);
    return UTIL_OK;
}

/* Every (policy, profile) must be exactly one point (a full grid). */
static int build_table(game_ctx *x, util_err *err)
{
    size_t np = config_n_points(x->c), cells = x->n_policy * x->n_prof;
    x->table = util_malloc(cells * sizeof(long));
    for (size_t k = 0; k < cells; k++)
        x->table[k] = -1;
    for (size_t p = 0; p < np; p++) {
        size_t pol = 0, st[GAME_MAX_PLAYERS] = {0};
        for (int a = 0; a < x->n_axes; a++) {
            size_t n = config_axis_len(x->c, a), v = config_axis_pos(x->c, a, p);
            if (config_axis_lead(x->c, a) != a)
                continue;
            if (x->owner[a] < 0)
                pol = pol * n + v;
            else {
                int i = x->player_of[x->owner[a]];
                st[i] = st[i] * n + v;
            }
        }
        size_t prof = 0;
        for (int i = 0; i < x->d.n; i++)
            prof = prof * (size_t)x->d.n_strat[i] + st[i];
        long *cell = &x->table[pol * x->n_prof + prof];
        if (*cell >= 0)
            return util_err_set(err, UTIL_EINPUT, "game: points %ld and %zu are the same strategy "
                                "and policy (use sweep.mode: grid)", *cell, p);
        *cell = (long)p;
    }
    for (size_t k = 0; k < cells; k++)
        if (x->table[k] < 0)
            return util_err_set(err, UTIL_EINPUT, "game: the sweep lacks some strategy × policy "
                                "combinations (use sweep.mode: grid)");
    return UTIL_OK;
}

/* The params of point p with the arena policies applied (effective strategy). */
static const params *effective(game_ctx *x, size_t p)
{
    config_point(x->c, p, x->pp, NULL);
    arena_policy_apply(x->pp);
    return x->pp;
}

typedef struct {
    double *mean, *se, *cost;
} game_buf;

/* The game of policy `pol` in x->d (payoffs and costs), then its equilibrium. */
static int solve_policy(game_ctx *x, size_t pol, game_buf *b, int *s, int *rounds)
{
    const int n = x->d.n, G = x->n_gaming;
    const long *row = &x->table[pol * x->n_prof];
    for (size_t q = 0; q < x->n_prof; q++)
        for (int i = 0; i < n; i++) {
            size_t at = (size_t)row[q] * (size_t)G + (size_t)x->vendor_of[i];
            b->mean[q * (size_t)n + (size_t)i] = x->pay[at];
            b->se[q * (size_t)n + (size_t)i] = x->pse[at];
        }
    int s0[GAME_MAX_PLAYERS] = {0}, off = 0;
    for (int i = 0; i < n; i++) {
        x->d.cost[i] = b->cost + off;
        for (int k = 0; k < x->d.n_strat[i]; k++) {
            s0[i] = k;
            const params *pp = effective(x, (size_t)row[game_profile_index(&x->d, s0)]);
            b->cost[off + k] = arena_policy_cost(pp, x->vendor_of[i]);
        }
        s0[i] = 0;
        off += x->d.n_strat[i];
    }
    x->d.mean = b->mean;
    x->d.se = b->se;
    return game_equilibrium(&x->d, s, rounds);
}

/* "axis=value, ..." of the policy axes at point p. */
static char *policy_label(const game_ctx *x, size_t p)
{
    size_t len = 1, at = 0;
    for (int a = 0; a < x->n_axes; a++)
        if (x->owner[a] < 0)
            len += strlen(config_axis_name(x->c, a)) + strlen(config_axis_value(x->c, a, p)) + 3;
    char *s = util_malloc(len + 16);
    s[0] = '\0';
    for (int a = 0; a < x->n_axes; a++)
        if (x->owner[a] < 0)
            at += (size_t)sprintf(s + at, "%s%s=%s", at ? ", " : "", config_axis_name(x->c, a),
                                  config_axis_value(x->c, a, p));
    if (!at)
        sprintf(s, "(as configured)");
    return s;
}

/* Per-point summaries copied into the table at each policy's equilibrium. */
static const struct {
    const char *src, *name, *desc;
    int per_est;
} copied[] = {
    {"listed_displayed_rank_median", "listed_displayed_rank", "median displayed rank of the listed model at the equilibrium", 1},
    {"listed_rank_median", "listed_rank", "median ordinal rank of the listed model at the equilibrium", 1},
    {"released_rank_median", "released_rank", "median ordinal rank of the released model at the equilibrium (NaN: none released)", 1},
    {"score_inflation_mean", "score_inflation", "mean score − θ̃ of the listed model at the equilibrium, relative to the field: minus the median over public models of score − θ̃ (arena points)", 1},
    {"corrected_inflation_mean", "corrected_inflation", "mean selection-corrected score − θ̃ of the listed model, relative to the field (arena points; NaN: no correction)", 1},
    {"real_gain_mean", "real_gain", "mean θ̃_listed − θ̃_base at the equilibrium (arena points)", 0},
};
#define N_COPIED (sizeof copied / sizeof copied[0])

typedef struct {
    int *status, *rounds, *point;
    double *strat[3], *pay[3]; /* variants, style, votes; mean, lo, hi: [policy][vendor] */
    double *cp[N_COPIED];      /* [policy][est][vendor] or [policy][vendor] */
    double *gap, *tau;         /* [policy][est][vendor], [policy][est] */
    char **label;
} game_table;

typedef struct {
    double *cp[N_COPIED], *kendall; /* the file's /summary datasets, [point][...] */
} game_src;

static void fill_row(game_ctx *x, const game_src *src, game_table *t, size_t pol, const int *s)
{
    const size_t G = (size_t)x->n_gaming, PG = pol * G, EG = EST_N * G;
    long p = s[0] >= 0 ? x->table[pol * x->n_prof + game_profile_index(&x->d, s)] : -1;
    t->point[pol] = (int)p;
    t->label[pol] = policy_label(x, (size_t)x->table[pol * x->n_prof]);
    const params *pp = p >= 0 ? effective(x, (size_t)p) : NULL;
    for (size_t g = 0; g < G; g++) {
        const params_gaming *v = pp ? &pp->gaming[g] : NULL;
        t->strat[0][PG + g] = v ? v->n_variants : NAN;
        t->strat[1][PG + g] = v ? (v->n_styled > 0 ? v->style_intensity : 0.0) : NAN;
        t->strat[2][PG + g] = v ? (double)v->n_test : NAN;
        double m = p >= 0 ? x->pay[(size_t)p * G + g] : NAN;
        double se = p >= 0 ? x->pse[(size_t)p * G + g] : NAN;
        t->pay[0][PG + g] = m;
        t->pay[1][PG + g] = m - 1.959963984540054 * se; /* 95% normal CI */
        t->pay[2][PG + g] = m + 1.959963984540054 * se;
    }
    for (size_t k = 0; k < N_COPIED; k++) {
        size_t n = copied[k].per_est ? EG : G;
        for (size_t j = 0; j < n; j++)
            t->cp[k][pol * n + j] = p >= 0 ? src->cp[k][(size_t)p * n + j] : NAN;
    }
    for (size_t j = 0; j < EG; j++) /* released − listed ordinal rank (indices 2 and 1) */
        t->gap[pol * EG + j] = t->cp[2][pol * EG + j] - t->cp[1][pol * EG + j];
    for (int e = 0; e < EST_N; e++)
        t->tau[pol * EST_N + (size_t)e] = p >= 0 ? src->kendall[(size_t)p * EST_N + (size_t)e] : NAN;
}

static int read_sources(hid_t f, game_ctx *x, game_src *src, util_err *err)
{
    hsize_t dims[8];
    int rank;
    char path[128];
    for (size_t k = 0; k < N_COPIED; k++) {
        snprintf(path, sizeof path, "/summary/%s", copied[k].src);
        if (!(src->cp[k] = output_read_doubles(f, path, dims, &rank, err)))
            return UTIL_EINPUT;
    }
    if (!(src->kendall = output_read_doubles(f, "/summary/kendall_tau_mean", dims, &rank, err)) ||
        !(x->pay = output_read_doubles(f, "/summary/payoff_mean", dims, &rank, err)) ||
        !(x->pse = output_read_doubles(f, "/summary/payoff_se", dims, &rank, err)))
        return UTIL_EINPUT;
    return UTIL_OK;
}

static int write_table(hid_t f, const game_ctx *x, const game_table *t)
{
    const hsize_t P = x->n_policy, G = (hsize_t)x->n_gaming;
    hsize_t pg[2] = {P, G}, peg[3] = {P, EST_N, G}, pe[2] = {P, EST_N};
    const char *names[PARAMS_MAX_GAMING];
    int strategic[PARAMS_MAX_GAMING];
    for (int g = 0; g < x->n_gaming; g++) {
        names[g] = x->pp->gaming[g].vendor;
        strategic[g] = x->player_of[g] >= 0;
    }
    static const char *const sdesc[3] = {
        "private variants tested at the equilibrium (after policy caps)",
        "style intensity at the equilibrium (0 base style, 1 tuned style; 0 without tuned variants)",
        "testing votes per variant at the equilibrium (after policy caps)"};
    static const char *const sname[3] = {"variants", "style_intensity", "testing_votes"};
    static const char *const pname[3] = {"payoff_mean", "payoff_ci_lo", "payoff_ci_hi"};
    static const char *const pdesc[3] = {
        "mean payoff over replicates at the equilibrium (payoff units: game.payoff minus costs)",
        "lower bound of the 95% CI of payoff_mean", "upper bound of the 95% CI of payoff_mean"};
    int rc = output_put_strings(f, "/game/policy", (const char *const *)t->label, (size_t)P, "policy",
                                "the policy: values of the sweep axes that are not strategies");
    rc |= output_put_strings(f, "/game/vendor", names, (size_t)G, "vendor", "gaming vendor");
    rc |= output_put_array(f, "/game/strategic", 1, 1, &G, strategic, "vendor",
                           "1: the vendor chooses a strategy (it has strategy axes in the sweep)");
    rc |= output_put_array(f, "/game/status", 1, 1, &P, t->status, "policy",
                           "0 equilibrium by iterated best response; 1 IBR cycles, a pure "
                           "equilibrium found by search; 2 IBR cycles and no pure equilibrium");
    rc |= output_put_array(f, "/game/rounds", 1, 1, &P, t->rounds, "policy",
                           "rounds of iterated best response played");
    rc |= output_put_array(f, "/game/point", 1, 1, &P, t->point, "policy",
                           "sweep point of the equilibrium (−1: none)");
    for (int k = 0; k < 3; k++) {
        char path[64];
        snprintf(path, sizeof path, "/game/%s", sname[k]);
        rc |= output_put_array(f, path, 0, 2, pg, t->strat[k], "policy,vendor", sdesc[k]);
        snprintf(path, sizeof path, "/game/%s", pname[k]);
        rc |= output_put_array(f, path, 0, 2, pg, t->pay[k], "policy,vendor", pdesc[k]);
    }
    for (size_t k = 0; k < N_COPIED; k++) {
        char path[64];
        snprintf(path, sizeof path, "/game/%s", copied[k].name);
        rc |= copied[k].per_est
                  ? output_put_array(f, path, 0, 3, peg, t->cp[k], "policy,estimator,vendor", copied[k].desc)
                  : output_put_array(f, path, 0, 2, pg, t->cp[k], "policy,vendor", copied[k].desc);
    }
    rc |= output_put_array(f, "/game/released_gap", 0, 3, peg, t->gap, "policy,estimator,vendor",
                           "released − listed median ordinal rank at the equilibrium (ranks; "
                           "positive: the released model ranks lower than the listed one)");
    rc |= output_put_array(f, "/game/kendall_tau", 0, 2, pe, t->tau, "policy,estimator",
                           "mean Kendall τ-b of score vs θ over the board at the equilibrium");
    return rc ? -1 : 0;
}

static void table_alloc(game_table *t, size_t P, size_t G)
{
    t->status = util_calloc(P, sizeof(int));
    t->rounds = util_calloc(P, sizeof(int));
    t->point = util_calloc(P, sizeof(int));
    for (int k = 0; k < 3; k++) {
        t->strat[k] = util_malloc(P * G * sizeof(double));
        t->pay[k] = util_malloc(P * G * sizeof(double));
    }
    for (size_t k = 0; k < N_COPIED; k++)
        t->cp[k] = util_malloc(P * (copied[k].per_est ? EST_N : 1) * G * sizeof(double));
    t->gap = util_malloc(P * EST_N * G * sizeof(double));
    t->tau = util_malloc(P * EST_N * sizeof(double));
    t->label = util_calloc(P, sizeof(char *));
}

static void table_free(game_table *t, size_t P)
{
    free(t->status);
    free(t->rounds);
    free(t->point);
    for (int k = 0; k < 3; k++)
        free(t->strat[k]), free(t->pay[k]);
    for (size_t k = 0; k < N_COPIED; k++)
        free(t->cp[k]);
    free(t->gap);
    free(t->tau);
    for (size_t k = 0; t->label && k < P; k++)
        free(t->label[k]);
    free(t->label);
}

static int all_complete(hid_t f, size_t np)
{
    hsize_t dims[8];
    int rank;
    double *c = output_read_doubles(f, "/sweep/complete", dims, &rank, NULL);
    int ok = c != NULL && dims[0] == np;
    for (size_t p = 0; ok && p < np; p++)
        ok = c[p] == 1;
    free(c);
    return ok;
}

static int solve_all(hid_t f, game_ctx *x, util_err *err)
{
    game_src src = {{0}, 0};
    game_table t;
    int rc = classify_axes(x, err);
    if (!rc)
        rc = build_table(x, err);
    if (!rc)
        rc = read_sources(f, x, &src, err);
    if (rc)
        goto out;
    size_t total = 0;
    for (int i = 0; i < x->d.n; i++)
        total += (size_t)x->d.n_strat[i];
    game_buf b = {util_malloc(x->n_prof * (size_t)x->d.n * sizeof(double)),
                  util_malloc(x->n_prof * (size_t)x->d.n * sizeof(double)),
                  util_malloc(total * sizeof(double))};
    table_alloc(&t, x->n_policy, (size_t)x->n_gaming);
    for (size_t pol = 0; pol < x->n_policy; pol++) {
        int s[GAME_MAX_PLAYERS];
        t.status[pol] = solve_policy(x, pol, &b, s, &t.rounds[pol]);
        fill_row(x, &src, &t, pol, s);
    }
    effective(x, 0);
    if (H5Lexists(f, "/game", H5P_DEFAULT) > 0)
        H5Ldelete(f, "/game", H5P_DEFAULT);
    if (write_table(f, x, &t) < 0)
        rc = util_err_set(err, UTIL_ERUNTIME, "cannot write /game");
    table_free(&t, x->n_policy);
    free(b.mean);
    free(b.se);
    free(b.cost);
out:
    for (size_t k = 0; k < N_COPIED; k++)
        free(src.cp[k]);
    free(src.kendall);
    return rc;
}

int game_check(const config *c, util_err *err)
{
    game_ctx x;
    memset(&x, 0, sizeof x);
    x.pp = util_malloc(sizeof *x.pp);
    int rc = config_point(c, 0, x.pp, err);
    if (!rc && x.pp->has_game) {
        x.c = c;
        x.n_gaming = x.pp->n_gaming;
        rc = classify_axes(&x, err);
        if (!rc)
            rc = build_table(&x, err);
    }
    free(x.table);
    free(x.pp);
    return rc;
}

int game_write_file(const char *path, util_err *err)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0)
        return util_err_set(err, UTIL_ERUNTIME, "%s: cannot open to write /game", path);
    game_ctx x;
    memset(&x, 0, sizeof x);
    x.pp = util_malloc(sizeof *x.pp);
    char *yaml = output_read_config_yaml(f);
    config *c = yaml ? config_load_string(yaml, path, err) : NULL;
    int rc = UTIL_OK;
    if (!c)
        rc = yaml ? UTIL_EINPUT : util_err_set(err, UTIL_EINPUT, "%s: missing /config:yaml", path);
    else if (config_point(c, 0, x.pp, err) == UTIL_OK && x.pp->has_game &&
             all_complete(f, config_n_points(c))) {
        x.c = c;
        x.n_gaming = x.pp->n_gaming;
        x.d.tie_se = x.pp->game.tie_se;
        rc = solve_all(f, &x, err);
        if (rc)
            util_err_prefix(err, "%s", path);
    }
    free(x.table);
    free(x.pay);
    free(x.pse);
    free(x.pp);
    free(yaml);
    config_free(c);
    if (H5Fclose(f) < 0 && !rc)
        rc = util_err_set(err, UTIL_ERUNTIME, "%s: cannot close after writing /game", path);
    return rc;
}
