/*
 * cmd/fit.c — `arenasim fit`: the leaderboard estimators of DESIGN §3 on a
 * real (or exported) battle log. Reads the log (battles_io), optionally drops
 * rarely-seen models, fits bt / bt_style / elo (rating), computes CIs and
 * ranks, and prints a leaderboard or writes the CSV of DESIGN §5 atomically
 * (temp file, then placed without replacing an existing file unless
 * --force; nothing is written on bad input). --config takes the estimator
 * settings from a config's leaderboard: block.
 *
 * Units: scores and CIs in arena points (400·log10-odds + 1000, anchored);
 * style coefficients in log-odds per sd of the z-scored feature difference.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "io/battles.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "config/config.h"
#include "rating/rating.h"
#include "base/util.h"

typedef struct {
    const char *path, *out;
    battles_format fmt;
    int style, n_feat, feats[FEAT_N];
    params_penalty penalty;
    params_ci ci;
    const char *anchor_model;
    double anchor_score;
    int nboot, threads, elo;
    uint64_t seed;
    double elo_k, level;
    long min_battles, point;
    const char *config;
    int force;
} fit_args;

typedef struct {
    int n, f;
    double *score, *lo, *hi, *battles, *gamma, *glo, *ghi;
    int *rank, *disp, anchor;
} fit_result;

/* ---- Argument parsing ------------------------------------------------------ */

static char *style_path(const char *out);

static int parse_long(const char *opt, const char *v, long lo, long hi, long *x, util_err *err)
{
    char *end;
    errno = 0;
    long y = strtol(v, &end, 10);
    if (!*v || *end || errno || y < lo || y > hi)
        return util_err_set(err, UTIL_EINPUT, "%s: expected an integer in [%ld, %ld], got '%s'", opt, lo, hi, v);
    *x = y;
    return UTIL_OK;
}

static int parse_features(const char *v, fit_args *a, util_err *err)
{
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", v);
    a->n_feat = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int f;
        for (f = 0; f < FEAT_N && strcmp(tok, battles_feature_names[f]); f++)
            ;
        if (f == FEAT_N)
            return util_err_set(err, UTIL_EINPUT,
                                "--style-features: unknown feature '%s' (expected tokens, headers, lists, bold, emoji)", tok);
        for (int k = 0; k < a->n_feat; k++)
            if (a->feats[k] == f)
                return util_err_set(err, UTIL_EINPUT, "--style-features: '%s' listed twice", tok);
        a->feats[a->n_feat++] = f;
    }
    if (a->n_feat == 0)
        return util_err_set(err, UTIL_EINPUT, "--style-features: empty list");
    return UTIL_OK;
}

static int parse_anchor(const char *v, fit_args *a, util_err *err)
{
    const char *eq = strrchr(v, '=');
    char *end;
    if (!eq || eq == v)
        return util_err_set(err, UTIL_EINPUT, "--anchor: expected MODEL=SCORE, got '%s'", v);
    errno = 0;
    a->anchor_score = strtod(eq + 1, &end);
    if (!eq[1] || *end || errno || !isfinite(a->anchor_score))
        return util_err_set(err, UTIL_EINPUT, "--anchor: '%s' is not a number", eq + 1);
    char *m = util_strdup(v);
    m[eq - v] = '\0';
    free((char *)a->anchor_model);
    a->anchor_model = m;
    return UTIL_OK;
}

static int parse_choice(const char *opt, const char *v, const char *const *names, int n, int *x, util_err *err)
{
    for (int k = 0; k < n; k++)
        if (!strcmp(v, names[k])) {
            *x = k;
            return UTIL_OK;
        }
    char list[256] = "";
    for (int k = 0; k < n; k++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", names[k]);
    return util_err_set(err, UTIL_EINPUT, "%s: unknown value '%s' (expected %s)", opt, v, list);
}

enum {
    F_FORMAT, F_STYLE, F_FEATURES, F_PENALTY, F_ANCHOR, F_CI, F_LEVEL, F_BOOT, F_SEED,
    F_THREADS, F_ELO, F_ELO_K, F_MIN, F_CONFIG, F_POINT, F_OUT, F_FORCE, F_N
};
static const cli_opt fit_opts[F_N] = {
    [F_FORMAT] = {"--format", NULL, "csv|fastchat-json|counts-json", NULL,
                  "from the file's first bytes", "format of BATTLES", 0},
    [F_STYLE] = {"--style", NULL, NULL, NULL, NULL,
                 "fit bt_style (style control) instead of plain Bradley-Terry", 0},
    [F_FEATURES] = {"--style-features", NULL, "LIST", "tokens,headers,lists,bold", NULL,
                    "controlled style features, from tokens,headers,lists,bold,emoji", 0},
    [F_PENALTY] = {"--style-penalty", NULL, "none|fastchat|arena_rank", "fastchat", NULL,
                   "penalty convention of the style fit (README, Estimators)", 0},
    [F_ANCHOR] = {"--anchor", NULL, "MODEL=SCORE", NULL, "none: scores centred, mean r = 0",
                  "shift scores so that MODEL has SCORE", 0},
    [F_CI] = {"--ci", NULL, "sandwich|bootstrap", "sandwich", NULL, "confidence intervals", 0},
    [F_LEVEL] = {"--ci-level", NULL, "L", "0.95", NULL, "CI level, in (0, 1)", 0},
    [F_BOOT] = {"--bootstrap", NULL, "N", "100", NULL, "bootstrap rounds (with --ci bootstrap)", 0},
    [F_SEED] = {"--seed", NULL, "S", "1", NULL, "random seed of the bootstrap (64-bit)", 0},
    [F_THREADS] = {"--threads", NULL, "N", NULL, "OMP_NUM_THREADS, else all cores",
                   "threads of the style fit and the bootstrap", 0},
    [F_ELO] = {"--elo", NULL, NULL, NULL, NULL, "online Elo in battle order instead of BT", 0},
    [F_ELO_K] = {"--elo-k", NULL, "K", "4", NULL, "Elo K factor", 0},
    [F_MIN] = {"--min-battles", NULL, "K", "0", NULL,
               "drop models with fewer than K battles (models with none are always dropped)", 0},
    [F_CONFIG] = {"--config", NULL, "CONFIG", NULL, NULL,
                  "take the anchor, style features and penalty, CI method, level and bootstrap "
                  "rounds, and Elo K from the leaderboard: block of CONFIG (options given on "
                  "the command line win)", 0},
    [F_POINT] = {"--point", NULL, "P", "0", NULL,
                 "with --config: the sweep point (0-based) whose settings to use", 0},
    [F_OUT] = {"--output", "-o", "FILE.csv", NULL, "print a table on stdout",
               "write model,score,ci_lo,ci_hi,rank,displayed_rank,battles (with --style also "
               "FILE.style.csv: feature,coef,ci_lo,ci_hi)", 0},
    [F_FORCE] = {"--force", NULL, NULL, NULL, NULL,
                 "replace an existing FILE.csv (and FILE.style.csv)", 0},
};
const cli_cmd cmd_fit_spec = {
    "fit", "BATTLES", 1, 1,
    "Fit the leaderboard estimators to a real or exported battle log.",
    "BATTLES is the arena's CSV schema (model_a,model_b,winner, optional tstamp and style "
    "columns), the arena's published battle JSON (fastchat-json) or aggregated pair counts "
    "(counts-json). Scores are in arena points, 400 log10-odds + 1000, anchored with --anchor "
    "(or --config); rank is by score, displayed_rank = 1 + the models whose CI lies entirely "
    "above. The export of `arenasim battles CONFIG --point P --replicate R`, refitted with "
    "--config CONFIG --point P, gives the scores run stored for that replicate.",
    fit_opts, F_N};

static int fit_set(void *ctx, int opt, const char *v, util_err *err)
{
    static const char *const pens[] = {"none", "fastchat", "arena_rank"};
    static const char *const cis[] = {"sandwich", "bootstrap"};
    fit_args *a = ctx;
    const char *name = fit_opts[opt].name;
    long x;
    int c, rc = UTIL_OK;
    char *end;
    switch (opt) {
    case F_FORMAT: rc = battles_parse_format(v, &a->fmt, err); break;
    case F_STYLE: a->style = 1; break;
    case F_FEATURES: rc = parse_features(v, a, err); break;
    case F_PENALTY:
        rc = parse_choice(name, v, pens, 3, &c, err);
        a->penalty = c == 0 ? PENALTY_NONE : c == 1 ? PENALTY_FASTCHAT : PENALTY_ARENA_RANK;
        break;
    case F_CI:
        rc = parse_choice(name, v, cis, 2, &c, err);
        a->ci = c == 0 ? CI_SANDWICH : CI_BOOTSTRAP;
        break;
    case F_LEVEL:
        a->level = strtod(v, &end);
        if (!*v || *end || !(a->level > 0 && a->level < 1))
            rc = util_err_set(err, UTIL_EINPUT, "--ci-level: expected a number in (0, 1), got '%s'", v);
        break;
    case F_ANCHOR: rc = parse_anchor(v, a, err); break;
    case F_BOOT:
        rc = parse_long(name, v, 1, 1000000, &x, err);
        a->nboot = (int)x;
        break;
    case F_SEED: {
        errno = 0;
        unsigned long long sd = strtoull(v, &end, 10);
        if (!*v || *end || errno || v[0] == '-')
            rc = util_err_set(err, UTIL_EINPUT, "--seed: expected an unsigned 64-bit integer, got '%s'", v);
        a->seed = (uint64_t)sd;
        break;
    }
    case F_THREADS:
        rc = parse_long(name, v, 1, 4096, &x, err);
        a->threads = (int)x;
        break;
    case F_ELO: a->elo = 1; break;
    case F_ELO_K:
        a->elo_k = strtod(v, &end);
        if (!*v || *end || !(a->elo_k > 0) || !isfinite(a->elo_k))
            rc = util_err_set(err, UTIL_EINPUT, "--elo-k: expected a number > 0, got '%s'", v);
        break;
    case F_MIN: rc = parse_long(name, v, 0, 2000000000L, &a->min_battles, err); break;
    case F_CONFIG: a->config = v; break;
    case F_POINT: rc = parse_long(name, v, 0, 100000000, &a->point, err); break;
    case F_OUT: a->out = v; break;
    case F_FORCE: a->force = 1; break;
    }
    return rc;
}

/* --config: the leaderboard settings of point a->point, for every option
 * not given on the command line. */
static int apply_config(fit_args *a, const unsigned char *given, util_err *err)
{
    config *c = config_load(a->config, err);
    if (!c)
        return util_err_prefix(err, "--config");
    params *p = util_malloc(sizeof *p);
    int rc = config_point(c, (size_t)a->point, p, err);
    if (rc)
        util_err_prefix(err, "--point %ld", a->point);
    if (!rc && !given[F_FEATURES]) {
        a->n_feat = 0;
        for (int f = 0; f < FEAT_N; f++)
            if (p->style_features[f])
                a->feats[a->n_feat++] = f;
    }
    if (!rc && !given[F_PENALTY])
        a->penalty = p->penalty;
    if (!rc && !given[F_CI] && p->ci != CI_NONE)
        a->ci = p->ci;
    if (!rc && !given[F_LEVEL])
        a->level = p->ci_level;
    if (!rc && !given[F_BOOT])
        a->nboot = p->n_bootstrap;
    if (!rc && !given[F_ELO_K])
        a->elo_k = p->elo_k;
    if (!rc && !given[F_ANCHOR] && p->has_anchor) {
        free((char *)a->anchor_model);
        a->anchor_model = util_strdup(p->anchor_model);
        a->anchor_score = p->anchor_score;
    }
    free(p);
    config_free(c);
    return rc;
}

static int fit_parse(int argc, char **argv, fit_args *a, util_err *err)
{
    memset(a, 0, sizeof *a);
    a->threads = 1;
#ifdef _OPENMP
    a->threads = omp_get_max_threads();
#endif
    unsigned char given[F_N];
    const char **pos = util_calloc((size_t)argc + 1, sizeof *pos);
    int n_pos, rc = cli_parse(&cmd_fit_spec, argc, argv, fit_set, a, pos, &n_pos, given);
    a->path = pos[0];
    free(pos);
    if (rc)
        return rc;
    if (given[F_POINT] && !a->config)
        return cli_fail(&cmd_fit_spec, "--point needs --config (it picks the sweep point)");
    if (a->elo && a->style)
        return cli_fail(&cmd_fit_spec, "--elo and --style are exclusive");
    if (a->config && apply_config(a, given, err)) {
        fprintf(stderr, "arenasim fit: %s\n", err->msg);
        return UTIL_EINPUT;
    }
    if (a->out && a->style) {
        char *sp = style_path(a->out);
        rc = cli_check_new_output("-o", sp, a->force, err);
        free(sp);
    }
    if (!rc && a->out)
        rc = cli_check_new_output("-o", a->out, a->force, err);
    if (rc)
        fprintf(stderr, "arenasim fit: %s\n", err->msg);
    return rc;
}

/* ---- Fitting --------------------------------------------------------------- */

/* Replace each "WORD K" (WORD = "model " or "style feature ") in a rating
 * error by the name of model K or of the K-th fitted feature. */
static void name_in_error(util_err *err, const char *word, const char *const *names, int n,
                          const int *index)
{
    size_t wl = strlen(word);
    for (char *p = strstr(err->msg, word); p; p = strstr(p + wl, word)) {
        int k, len;
        if (sscanf(p + wl, "%d%n", &k, &len) != 1 || k < 0 || k >= n)
            continue;
        char buf[UTIL_ERR_LEN];
        snprintf(buf, sizeof buf, "%.*s%s'%s'%s", (int)(p - err->msg), err->msg, word,
                 names[index ? index[k] : k], p + wl + len);
        memcpy(err->msg, buf, sizeof buf);
    }
}

static void name_models_in_error(util_err *err, const battles_data *d, const fit_args *a)
{
    name_in_error(err, "model ", (const char *const *)d->names, d->n_models, NULL);
    name_in_error(err, "style feature ", battles_feature_names, a->n_feat, a->feats);
}

/* Ties only: the fit is fine (every model the same score) but the CIs have
 * zero width, which deserves a word. */
static void warn_ties_only(const battles_data *d, const fit_args *a)
{
    const rating_table *t = d->table;
    size_t cells = (size_t)t->n * (size_t)(t->n - 1) / 2;
    for (size_t k = 0; k < cells; k++)
        if (t->cell[4 * k] > 0 || t->cell[4 * k + 1] > 0)
            return;
    fprintf(stderr, "arenasim fit: warning: %s: every battle is a tie, so every model gets the same "
                    "score and the CIs have zero width\n", a->path);
}

/* Drop models with fewer than min battles (and models with none at all). */
static int apply_min_battles(battles_data *d, const fit_args *a, util_err *err)
{
    double *b = util_malloc((size_t)d->n_models * sizeof(double));
    unsigned char *keep = util_malloc((size_t)d->n_models);
    int m = 0, rc = UTIL_OK, drop = 0;
    rating_table_battles(d->table, b);
    for (int i = 0; i < d->n_models; i++) {
        keep[i] = b[i] > 0 && b[i] >= (double)a->min_battles;
        m += keep[i];
        drop += !keep[i];
    }
    if (m < 2)
        rc = util_err_set(err, UTIL_EINPUT, "%s: only %d model(s) with at least %ld battles; need 2", a->path, m,
                          a->min_battles);
    else if (drop) {
        fprintf(stderr, "arenasim fit: %s: dropped %d model(s) with fewer than %ld battles (and their battles)\n",
                a->path, drop, a->min_battles > 1 ? a->min_battles : 1);
        battles_subset(d, keep);
    }
    free(b);
    free(keep);
    return rc;
}

static void result_alloc(fit_result *r, int n, int f)
{
    r->n = n;
    r->f = f;
    r->score = util_calloc((size_t)n, sizeof(double));
    r->lo = util_calloc((size_t)n, sizeof(double));
    r->hi = util_calloc((size_t)n, sizeof(double));
    r->battles = util_calloc((size_t)n, sizeof(double));
    r->rank = util_calloc((size_t)n, sizeof(int));
    r->disp = util_calloc((size_t)n, sizeof(int));
    r->gamma = util_calloc((size_t)(f + 1), sizeof(double));
    r->glo = util_calloc((size_t)(f + 1), sizeof(double));
    r->ghi = util_calloc((size_t)(f + 1), sizeof(double));
}

static void result_free(fit_result *r)
{
    free(r->score);
    free(r->lo);
    free(r->hi);
    free(r->battles);
    free(r->rank);
    free(r->disp);
    free(r->gamma);
    free(r->glo);
    free(r->ghi);
}

static rating_boot_opts boot_opts(const fit_args *a)
{
    rating_boot_opts bo = {a->seed, 0, 0, a->nboot, a->threads, a->level};
    return bo;
}

static int fit_bt(const battles_data *d, const fit_args *a, fit_result *res, util_err *err)
{
    int n = d->n_models, rc;
    double *r = util_malloc((size_t)n * sizeof(double));
    double *cov = a->ci == CI_SANDWICH ? util_malloc((size_t)n * (size_t)n * sizeof(double)) : NULL;
    rating_bt_ws *w = rating_bt_ws_alloc(n);
    rating_fit_opts fo = {0, 0};
    rc = rating_bt_fit(d->table, w, &fo, r, cov, err);
    if (rc)
        goto out;
    rating_scores(r, n, NULL, res->anchor, a->anchor_score, res->score);
    if (cov) {
        rating_ci_from_cov(res->score, cov, n, NULL, res->anchor, a->level, res->lo, res->hi);
    } else {
        rating_boot_opts bo = boot_opts(a);
        rc = rating_bt_bootstrap(d->table, &fo, &bo, NULL, res->anchor, a->anchor_score, res->lo, res->hi, err);
    }
out:
    rating_bt_ws_free(w);
    free(r);
    free(cov);
    return rc;
}

static int fit_style(const battles_data *d, const fit_args *a, fit_result *res, util_err *err)
{
    int n = d->n_models, F = a->n_feat, rc;
    size_t P = (size_t)n + (size_t)F;
    double *r = util_malloc((size_t)n * sizeof(double));
    double *cov = a->ci == CI_SANDWICH ? util_malloc(P * P * sizeof(double)) : NULL;
    double *cr = util_malloc((size_t)n * (size_t)n * sizeof(double));
    rating_style_ws *w = rating_style_ws_alloc(n, F);
    rating_style_opts so = {a->penalty, 0, 0, a->threads};
    rc = rating_style_fit(d->rows, NULL, w, &so, r, res->gamma, cov, err);
    if (rc)
        goto out;
    rating_scores(r, n, NULL, res->anchor, a->anchor_score, res->score);
    if (cov) {
        double zq = gsl_cdf_ugaussian_Pinv(0.5 + 0.5 * a->level);
        rating_cov_ratings(cov, n, F, cr);
        rating_ci_from_cov(res->score, cr, n, NULL, res->anchor, a->level, res->lo, res->hi);
        for (int f = 0; f < F; f++) {
            double sd = sqrt(fmax(0, cov[(size_t)(n + f) * P + (size_t)(n + f)]));
            res->glo[f] = res->gamma[f] - zq * sd;
            res->ghi[f] = res->gamma[f] + zq * sd;
        }
    } else {
        rating_boot_opts bo = boot_opts(a);
        /* w holds the full-data fit just made with so: the rounds start from it */
        rc = rating_style_bootstrap(d->rows, &so, w, &bo, NULL, res->anchor, a->anchor_score, res->lo, res->hi,
                                    res->glo, res->ghi, err);
    }
out:
    rating_style_ws_free(w);
    free(r);
    free(cr);
    free(cov);
    return rc;
}

static int fit_elo(battles_data *d, const fit_args *a, fit_result *res, util_err *err)
{
    if (!d->rows)
        return util_err_set(err, UTIL_EINPUT, "--elo needs per-battle rows (counts-json has none)");
    battles_sort_by_time(d);
    rating_elo(d->rows, a->elo_k, res->score);
    double shift = res->anchor >= 0 ? a->anchor_score - res->score[res->anchor] : 0;
    for (int i = 0; i < d->n_models; i++) {
        res->score[i] += shift;
        res->lo[i] = res->hi[i] = NAN;
    }
    return UTIL_OK;
}

/* ---- Output ---------------------------------------------------------------- */

static int *order_by_score(const fit_result *r)
{
    int *o = util_malloc((size_t)r->n * sizeof(int));
    for (int i = 0; i < r->n; i++)
        o[i] = i;
    for (int i = 1; i < r->n; i++) { /* insertion sort: stable, n is small */
        int x = o[i], j = i - 1;
        while (j >= 0 && r->score[o[j]] < r->score[x]) {
            o[j + 1] = o[j];
            j--;
        }
        o[j + 1] = x;
    }
    return o;
}

/* CSV field: quoted when it holds a comma, quote or newline. */
static void csv_field(FILE *fp, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

static void write_models_csv(FILE *fp, const battles_data *d, const fit_result *r, const int *o)
{
    fprintf(fp, "model,score,ci_lo,ci_hi,rank,displayed_rank,battles\n");
    for (int k = 0; k < r->n; k++) {
        int i = o[k];
        csv_field(fp, d->names[i]);
        fprintf(fp, ",%.8f,%.8f,%.8f,%d,%d,%.0f\n", r->score[i], r->lo[i], r->hi[i], r->rank[i], r->disp[i],
                r->battles[i]);
    }
}

static void write_style_csv(FILE *fp, const fit_args *a, const fit_result *r)
{
    fprintf(fp, "feature,coef,ci_lo,ci_hi\n");
    for (int f = 0; f < a->n_feat; f++)
        fprintf(fp, "%s,%.10g,%.10g,%.10g\n", battles_feature_names[a->feats[f]], r->gamma[f], r->glo[f], r->ghi[f]);
}

/* Create a temp file next to `path`; *tmp receives its name. */
static FILE *open_temp(const char *path, char **tmp, util_err *err)
{
    size_t n = strlen(path) + 16;
    *tmp = util_malloc(n);
    snprintf(*tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(*tmp);
    FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!fp) {
        util_err_set(err, UTIL_ERUNTIME, "%s: cannot create: %s", *tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(*tmp);
        *tmp = NULL;
    }
    return fp;
}

static char *style_path(const char *out)
{
    size_t n = strlen(out);
    char *s = util_malloc(n + 16);
    if (n >= 4 && !strcmp(out + n - 4, ".csv"))
        n -= 4;
    snprintf(s, n + 16, "%.*s.style.csv", (int)n, out);
    return s;
}

static int close_checked(FILE *fp, const char *name, util_err *err)
{
    int bad = ferror(fp);
    if (fclose(fp) || bad)
        return util_err_set(err, UTIL_ERUNTIME, "%s: write failed", name);
    return UTIL_OK;
}

static int write_outputs(const battles_data *d, const fit_args *a, const fit_result *r, util_err *err)
{
    int *o = order_by_score(r), rc = UTIL_OK;
    char *tmp1 = NULL, *tmp2 = NULL, *spath = a->style ? style_path(a->out) : NULL;
    FILE *fp = open_temp(a->out, &tmp1, err);
    if (!fp) {
        rc = UTIL_ERUNTIME;
        goto out;
    }
    write_models_csv(fp, d, r, o);
    rc = close_checked(fp, tmp1, err);
    if (!rc && spath) {
        fp = open_temp(spath, &tmp2, err);
        if (!fp)
            rc = UTIL_ERUNTIME;
        else {
            write_style_csv(fp, a, r);
            rc = close_checked(fp, tmp2, err);
        }
    }
    if (!rc)
        rc = cli_place(tmp1, a->out, a->force, err);
    if (!rc && tmp2)
        rc = cli_place(tmp2, spath, a->force, err);
out:
    if (rc && tmp1)
        remove(tmp1);
    if (rc && tmp2)
        remove(tmp2);
    free(tmp1);
    free(tmp2);
    free(spath);
    free(o);
    return rc;
}

static void print_table(const battles_data *d, const fit_args *a, const fit_result *r)
{
    int *o = order_by_score(r);
    const char *est = a->elo ? "elo" : a->style ? "bt_style" : "bt";
    printf("# %s: %d models, estimator %s", a->path, r->n, est);
    if (a->anchor_model)
        printf(", anchor %s = %g", a->anchor_model, a->anchor_score);
    if (!a->elo)
        printf(", %.0f%% CI %s", 100 * a->level, a->ci == CI_SANDWICH ? "sandwich" : "bootstrap");
    printf("\n%4s %5s  %-44s %9s %16s %9s\n", "rank", "disp", "model", "score", "95% CI", "battles");
    for (int k = 0; k < r->n; k++) {
        int i = o[k];
        char ci[48] = "";
        if (!a->elo)
            snprintf(ci, sizeof ci, "+%.1f/-%.1f", r->hi[i] - r->score[i], r->score[i] - r->lo[i]);
        printf("%4d %5d  %-44s %9.2f %16s %9.0f\n", r->rank[i], r->disp[i], d->names[i], r->score[i], ci,
               r->battles[i]);
    }
    if (a->style) {
        printf("\n%-10s %12s %26s\n", "feature", "coef", "95% CI");
        for (int f = 0; f < a->n_feat; f++)
            printf("%-10s %12.6f   [%10.6f, %10.6f]\n", battles_feature_names[a->feats[f]], r->gamma[f], r->glo[f],
                   r->ghi[f]);
    }
    free(o);
}

/* ---- Entry point ----------------------------------------------------------- */

static int fit_run(fit_args *a, util_err *err)
{
    battles_data *d = NULL;
    fit_result res;
    int rc;
    memset(&res, 0, sizeof res);
#ifdef _OPENMP
    omp_set_num_threads(a->threads); /* the CSV reader parses one chunk per thread */
#endif
    /* plain bt fits the win/tie table: no per-battle rows needed */
    rc = battles_read_opt(a->path, a->fmt, a->feats, a->style ? a->n_feat : 0,
                          a->style || a->elo ? 0 : BATTLES_TABLE_ONLY, &d, err);
    if (rc)
        return rc;
    if (a->style && !d->rows) {
        rc = util_err_set(err, UTIL_EINPUT, "%s: --style needs per-battle rows with style columns (not counts-json)",
                          a->path);
        goto out;
    }
    rc = apply_min_battles(d, a, err);
    if (rc)
        goto out;
    warn_ties_only(d, a);
    result_alloc(&res, d->n_models, a->n_feat);
    res.anchor = -1;
    if (a->anchor_model && (res.anchor = battles_find_model(d, a->anchor_model)) < 0) {
        char known[768] = ""; /* the models fitted, as many as fit */
        for (int i = 0; i < d->n_models; i++) {
            size_t len = strlen(known);
            if (len + strlen(d->names[i]) + 8 >= sizeof known) {
                snprintf(known + len, sizeof known - len, ", ...");
                break;
            }
            snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", d->names[i]);
        }
        rc = util_err_set(err, UTIL_EINPUT, "%s: --anchor%s: model '%s' is not among the %d models "
                          "fitted (%s)", a->path, a->config ? " (from --config)" : "",
                          a->anchor_model, d->n_models, known);
        goto out;
    }
    rc = a->elo ? fit_elo(d, a, &res, err) : a->style ? fit_style(d, a, &res, err) : fit_bt(d, a, &res, err);
    if (rc) {
        name_models_in_error(err, d, a);
        util_err_prefix(err, "%s", a->path);
        goto out;
    }
    rating_table_battles(d->table, res.battles);
    rating_ranks(res.score, a->elo ? NULL : res.lo, a->elo ? NULL : res.hi, res.n, NULL, res.rank, res.disp);
    if (a->out)
        rc = write_outputs(d, a, &res, err);
    else
        print_table(d, a, &res);
out:
    result_free(&res);
    battles_free(d);
    return rc;
}

int cmd_fit(int argc, char **argv)
{
    util_err err;
    fit_args a;
    util_err_clear(&err);
    int rc = fit_parse(argc, argv, &a, &err);
    if (!rc) {
        rc = fit_run(&a, &err);
        if (rc)
            fprintf(stderr, "arenasim fit: %s\n", err.msg);
    }
    free((char *)a.anchor_model);
    return rc < 0 ? 0 : rc;
}
