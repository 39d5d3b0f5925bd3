/*
 * config/config_schema.c — the config schema table (every YAML key of params.h with
 * its type, offset, bounds, default and spellings) and the scalar helpers
 * that read, check, store and print one value. Units are those of params.h.
 */
#include "config/config_schema.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(params_transform) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(params_release) == sizeof(int), "enums are stored as int");

static const char *const transform_names[] = {"diff_ratio", "log_ratio", "saturating"};
static const char *const sampling_names[] = {"uniform", "weights", "arena"};
static const char *const penalty_names[] = {"none", "fastchat", "arena_rank"};
static const char *const ci_names[] = {"none", "sandwich", "bootstrap"};
static const char *const listed_names[] = {"keep", "fresh"};
static const char *const unlisted_names[] = {"retract", "keep"};
static const char *const release_names[] = {"none", "listed", "base", "variant"};
static const char *const select_names[] = {"bt", "bt_style"}; /* = EST_BT, EST_BT_STYLE */
static const char *const estimator_names[] = {"bt", "bt_style", "elo"};
static const char *const feature_names[] = {"tokens", "headers", "lists", "bold", "emoji"};
static const char *const correction_names[] = {"none", "pooled", "eb"};
static const char *const payoff_names[] = {"rank", "score"};

#define NAMES(a) a, (int)(sizeof a / sizeof a[0])
#define P(f) offsetof(params, f)
#define M(f) offsetof(params_model, f)
#define G(f) offsetof(params_gaming, f)
#define PO(f) offsetof(params, policy.f)
#define GA(f) offsetof(params, game.f)
#define BIG DBL_MAX

#define DBL(p, o, lo, hi, fl, d) {.path = p, .type = CONFIG_DOUBLE, .off = o, .min = lo, .max = hi, .flags = fl, .def = d}
#define INT(p, o, lo, hi, fl, d) {.path = p, .type = CONFIG_INT, .off = o, .min = lo, .max = hi, .flags = fl, .def = d}
#define LNG(p, o, lo, hi, fl, d) {.path = p, .type = CONFIG_LONG, .off = o, .min = lo, .max = hi, .flags = fl, .def = d}
#define BOOL(p, o, d) {.path = p, .type = CONFIG_BOOL, .off = o, .def = d}
#define ENM(p, o, nm, d) {.path = p, .type = CONFIG_ENUM, .off = o, .sdef = d, .names = NAMES(nm)}
#define STR(p, o, fl, d) {.path = p, .type = CONFIG_STR, .off = o, .flags = (fl) | CONFIG_NOSWEEP, .sdef = d}
#define SET(p, o, nm, mn, d) {.path = p, .type = CONFIG_SET, .off = o, .names = NAMES(nm), .min_items = mn, .sdef = d}
#define MAP(p, fl) {.path = p, .type = CONFIG_MAP, .flags = fl}
/* A style profile or a per-feature vector: one double row per feature. */
#define FEATS(p, o, lo, fl, tok_lo, tok_fl)                                              \
    MAP(p, CONFIG_FLOW | (fl)),                                                           \
    DBL(p ".tokens", (o) + FEAT_TOKENS * sizeof(double), tok_lo, BIG, tok_fl, 0),         \
    DBL(p ".headers", (o) + FEAT_HEADERS * sizeof(double), lo, BIG, 0, 0),                \
    DBL(p ".lists", (o) + FEAT_LISTS * sizeof(double), lo, BIG, 0, 0),                    \
    DBL(p ".bold", (o) + FEAT_BOLD * sizeof(double), lo, BIG, 0, 0),                      \
    DBL(p ".emoji", (o) + FEAT_EMOJI * sizeof(double), lo, BIG, 0, 0)
#define STYLE(p, o, fl, tok_fl) FEATS(p, o, 0, fl, 0, CONFIG_REQ | (tok_fl))

/* Order = dump order; a mapping's children follow it. */
const config_key config_schema[] = {
    {.path = "seed", .type = CONFIG_U64, .off = P(seed), .flags = CONFIG_REQ | CONFIG_NOSWEEP},
    INT("replicates", P(replicates), 1, INT_MAX, CONFIG_NOSWEEP, 100),
    MAP("response", 0),
    DBL("response.length_sd", P(length_sd), 0, BIG, 0, 0.5),
    ENM("response.transform", P(transform), transform_names, "diff_ratio"),
    MAP("voters", 0),
    INT("voters.count", P(n_voters), 1, INT_MAX, 0, 1000),
    FEATS("voters.beta_mean", P(beta_mean), -BIG, 0, -BIG, 0),
    FEATS("voters.beta_sd", P(beta_sd), 0, 0, 0, 0),
    DBL("voters.tie_threshold", P(tie_threshold), 0, BIG, 0, 0),
    DBL("voters.bothbad_share", P(bothbad_share), 0, 1, 0, 0.5),
    MAP("arena", CONFIG_REQ),
    ENM("arena.sampling", P(sampling), sampling_names, "uniform"),
    LNG("arena.public_battles", P(n_public), 1, (double)LONG_MAX, CONFIG_REQ, 0),
    DBL("arena.new_model_weight", P(new_weight), 0, BIG, CONFIG_MINX, 5),
    LNG("arena.new_model_votes", P(new_votes), 0, (double)LONG_MAX, 0, 3000),
    DBL("arena.top_weight", P(top_weight), 0, BIG, CONFIG_MINX, 3),
    INT("arena.top_k", P(top_k), 0, PARAMS_MAX_MODELS, 0, 10),
    DBL("arena.unreleased_share", P(unreleased_share), 0, 1, CONFIG_MINX, 0.2),
    LNG("arena.refit_every", P(refit_every), 1, (double)LONG_MAX, 0, 5000),
    MAP("leaderboard", 0),
    SET("leaderboard.estimators", P(estimators), estimator_names, 1, "bt,bt_style,elo"),
    SET("leaderboard.style_features", P(style_features), feature_names, 0,
        "tokens,headers,lists,bold"),
    ENM("leaderboard.style_penalty", P(penalty), penalty_names, "fastchat"),
    ENM("leaderboard.ci", P(ci), ci_names, "sandwich"),
    INT("leaderboard.bootstrap_rounds", P(n_bootstrap), 1, INT_MAX, 0, 100),
    DBL("leaderboard.ci_level", P(ci_level), 0, 1, CONFIG_MINX | CONFIG_MAXX, 0.95),
    {.path = "leaderboard.anchor", .type = CONFIG_MAP, .off = P(has_anchor),
     .flags = CONFIG_PRESENCE | CONFIG_FLOW},
    STR("leaderboard.anchor.model", P(anchor_model), CONFIG_REQ, ""),
    DBL("leaderboard.anchor.score", P(anchor_score), -BIG, BIG, CONFIG_REQ, 0),
    DBL("leaderboard.elo_k", P(elo_k), 0, BIG, CONFIG_MINX, 4),
    BOOL("leaderboard.neutral_rerun", P(neutral_rerun), 0),
    {.path = "models", .type = CONFIG_LIST, .off = P(models), .flags = CONFIG_REQ,
     .count_off = P(n_models), .item_size = sizeof(params_model), .min_items = 2,
     .max_items = PARAMS_MAX_MODELS, .sel = "name"},
    STR("models[].name", M(name), CONFIG_REQ, ""),
    STR("models[].vendor", M(vendor), 0, ""),
    DBL("models[].theta", M(theta), -BIG, BIG, CONFIG_REQ, 0),
    STYLE("models[].style", M(style.mean), CONFIG_REQ, CONFIG_MINX),
    DBL("models[].weight", M(weight), 0, BIG, CONFIG_MINX, 1),
    {.path = "gaming", .type = CONFIG_LIST, .off = P(gaming), .count_off = P(n_gaming),
     .item_size = sizeof(params_gaming), .min_items = 0, .max_items = PARAMS_MAX_GAMING,
     .sel = "vendor"},
    STR("gaming[].vendor", G(vendor), CONFIG_REQ, ""),
    MAP("gaming[].base", CONFIG_REQ),
    STR("gaming[].base.name", G(base_name), CONFIG_REQ, ""),
    DBL("gaming[].base.theta", G(base_theta), -BIG, BIG, CONFIG_REQ, 0),
    STYLE("gaming[].base.style", G(base_style.mean), CONFIG_REQ, CONFIG_MINX),
    INT("gaming[].variants", G(n_variants), 1, PARAMS_MAX_VARIANTS, CONFIG_REQ, 1),
    DBL("gaming[].tune_mean", G(tune_mean), -BIG, BIG, 0, 0),
    DBL("gaming[].tune_sd", G(tune_sd), 0, BIG, 0, 0),
    MAP("gaming[].tuned_style", 0),
    INT("gaming[].tuned_style.count", G(n_styled), 0, PARAMS_MAX_VARIANTS, 0, 0),
    /* tokens ≥ 0 here so the all-default dump reloads; count > 0 needs tokens > 0 */
    STYLE("gaming[].tuned_style.style", G(tuned_style.mean), 0, 0),
    LNG("gaming[].testing_battles", G(n_test), 1, (double)LONG_MAX, CONFIG_REQ, 1),
    ENM("gaming[].select_by", G(select_by), select_names, "bt"),
    ENM("gaming[].listed_votes", G(listed_votes), listed_names, "keep"),
    LNG("gaming[].listed_battles", G(n_listed), 0, (double)LONG_MAX, 0, 0),
    ENM("gaming[].unlisted_votes", G(unlisted_votes), unlisted_names, "retract"),
    ENM("gaming[].release", G(release), release_names, "none"),
    INT("gaming[].release_variant", G(release_variant), 0, PARAMS_MAX_VARIANTS - 1, 0, 0),
    LNG("gaming[].release_battles", G(n_release), 0, (double)LONG_MAX, 0, 0),
    DBL("gaming[].weight", G(weight), 0, BIG, CONFIG_MINX, 1),
    DBL("gaming[].style_intensity", G(style_intensity), 0, 1, 0, 1),
    MAP("policy", 0),
    INT("policy.max_variants", PO(max_variants), 0, PARAMS_MAX_VARIANTS, 0, 0),
    LNG("policy.max_testing_votes", PO(max_testing_votes), 0, (double)LONG_MAX, 0, 0),
    BOOL("policy.fresh_votes", PO(fresh_votes), 0),
    LNG("policy.provisional_votes", PO(provisional_votes), 0, (double)LONG_MAX, 0, 2000),
    INT("policy.provisional_min_variants", PO(provisional_min_variants), 0, PARAMS_MAX_VARIANTS, 0, 10),
    BOOL("policy.disclosure", PO(disclosure), 0),
    BOOL("policy.list_is_ship", PO(list_is_ship), 0),
    ENM("policy.selection_correction", PO(correction), correction_names, "none"),
    {.path = "game", .type = CONFIG_MAP, .off = P(has_game), .flags = CONFIG_PRESENCE},
    ENM("game.payoff", GA(payoff), payoff_names, "rank"),
    ENM("game.board", GA(board), select_names, "bt_style"),
    DBL("game.cost_per_variant", GA(cost_variant), 0, BIG, 0, 0),
    DBL("game.cost_per_vote", GA(cost_vote), 0, BIG, 0, 0),
    DBL("game.cost_style", GA(cost_style), 0, BIG, 0, 0),
    DBL("game.tie_se", GA(tie_se), 0, BIG, CONFIG_NOSWEEP, 1),
    {.path = "sweep", .type = CONFIG_SWEEP},
};
const int config_schema_n = (int)(sizeof config_schema / sizeof config_schema[0]);

const char *config_key_name(const config_key *k)
{
    const char *dot = strrchr(k->path, '.');
    return dot ? dot + 1 : k->path;
}

int config_key_is_child(const config_key *k, const char *prefix)
{
    size_t n = strlen(prefix);
    if (n == 0)
        return strchr(k->path, '.') == NULL;
    return strncmp(k->path, prefix, n) == 0 && k->path[n] == '.' &&
           strchr(k->path + n + 1, '.') == NULL;
}

int config_key_in_record(const config_key *k, const char *rec)
{
    const char *last = NULL;
    for (const char *s = strstr(k->path, "[]"); s; s = strstr(s + 2, "[]"))
        last = s + 2;
    size_t len = last ? (size_t)(last - k->path) : 0;
    return strlen(rec) == len && strncmp(k->path, rec, len) == 0;
}

int config_schema_child(const char *prefix, const char *name)
{
    for (int i = 0; i < config_schema_n; i++)
        if (config_key_is_child(&config_schema[i], prefix) &&
            strcmp(config_key_name(&config_schema[i]), name) == 0)
            return i;
    return -1;
}

int config_schema_find(const char *path)
{
    for (int i = 0; i < config_schema_n; i++)
        if (strcmp(config_schema[i].path, path) == 0)
            return i;
    return -1;
}

int config_edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 63 || nb > 63)
        return (int)(na > nb ? na : nb);
    int row[64];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

const char *config_schema_suggest(const char *prefix, const char *name)
{
    const char *best = NULL;
    int bestd = INT_MAX;
    for (int i = 0; i < config_schema_n; i++) {
        if (!config_key_is_child(&config_schema[i], prefix))
            continue;
        int d = config_edit_distance(name, config_key_name(&config_schema[i]));
        if (d < bestd) {
            bestd = d;
            best = config_key_name(&config_schema[i]);
        }
    }
    return best;
}

int config_key_is_scalar(const config_key *k)
{
    return k->type >= CONFIG_U64 && k->type <= CONFIG_STR;
}

/* Shortest %.Ng text that reads back as exactly x. */
static void format_double(double x, char *buf, size_t n)
{
    int plain = fabs(x) >= 1e-4 && fabs(x) < 1e15; /* never 1.25e+03 for 1250 */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, x);
        if (strtod(buf, NULL) == x && !(plain && strchr(buf, 'e')))
            break;
    }
    if (strcmp(buf, "-0") == 0)
        snprintf(buf, n, "0");
}

static void format_bound(double x, char *buf, size_t n)
{
    if (x >= DBL_MAX)
        snprintf(buf, n, "inf");
    else if (x <= -DBL_MAX)
        snprintf(buf, n, "-inf");
    else
        format_double(x, buf, n);
}

static void join_names(const config_key *k, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; i < k->n_names; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", i ? ", " : "", k->names[i]);
    }
}

void config_key_expect(const config_key *k, char *buf, size_t n)
{
    char lo[40], hi[40], names[256];
    const char *what = k->type == CONFIG_DOUBLE ? "a number" : "an integer";
    format_bound(k->min, lo, sizeof lo);
    format_bound(k->max, hi, sizeof hi);
    switch (k->type) {
    case CONFIG_U64:
        snprintf(buf, n, "an unsigned 64-bit integer");
        break;
    case CONFIG_INT:
    case CONFIG_LONG:
    case CONFIG_DOUBLE: {
        int has_lo = k->min > -DBL_MAX, has_hi = k->max < DBL_MAX && k->max < (double)INT_MAX;
        if (has_lo && has_hi)
            snprintf(buf, n, "%s in %c%s, %s%c", what, (k->flags & CONFIG_MINX) ? '(' : '[', lo,
                     hi, (k->flags & CONFIG_MAXX) ? ')' : ']');
        else if (has_lo)
            snprintf(buf, n, "%s %s %s", what, (k->flags & CONFIG_MINX) ? ">" : ">=", lo);
        else
            snprintf(buf, n, "%s", what);
        break;
    }
    case CONFIG_BOOL:
        snprintf(buf, n, "true or false");
        break;
    case CONFIG_ENUM:
    case CONFIG_SET:
        join_names(k, names, sizeof names);
        snprintf(buf, n, "%s%s", k->type == CONFIG_SET ? "a list of: " : "one of: ", names);
        break;
    case CONFIG_STR:
        snprintf(buf, n, "a name of %d to %d characters", (k->flags & CONFIG_REQ) ? 1 : 0,
                 PARAMS_NAME_LEN - 1);
        break;
    default:
        snprintf(buf, n, "%s", k->type == CONFIG_LIST ? "a list" : "a mapping");
    }
}

static int in_bounds(const config_key *k, double x)
{
    if (x < k->min || x > k->max)
        return 0;
    if ((k->flags & CONFIG_MINX) && x == k->min)
        return 0;
    if ((k->flags & CONFIG_MAXX) && x == k->max)
        return 0;
    return 1;
}

/* A finite number spelled fully (YAML plain scalar). */
static int parse_number(const char *text, double *x)
{
    char *end;
    if (!*text || isspace((unsigned char)*text))
        return -1;
    errno = 0;
    *x = strtod(text, &end);
    if (*end || errno == ERANGE || !isfinite(*x))
        return -1;
    return 0;
}

static int parse_integer(const config_key *k, const char *text, config_value *v)
{
    char *end;
    errno = 0;
    long long i = strtoll(text, &end, 10);
    if (*text && !isspace((unsigned char)*text) && !*end && errno == 0) {
        v->i = i;
        v->d = (double)i;
        return in_bounds(k, v->d) ? 0 : -1;
    }
    double x; /* 1e5 and 3.0 are integers too */
    if (parse_number(text, &x) || x != floor(x) || !in_bounds(k, x) || fabs(x) > 9.0e15)
        return -1;
    v->i = (long long)x;
    v->d = x;
    return 0;
}

static int parse_u64(const char *text, config_value *v)
{
    char *end;
    if (!isdigit((unsigned char)*text))
        return -1;
    errno = 0;
    unsigned long long u = strtoull(text, &end, 10);
    if (*end || errno == ERANGE)
        return -1;
    v->u = (uint64_t)u;
    v->d = (double)u;
    return 0;
}

static int parse_enum(const config_key *k, const char *text, config_value *v)
{
    for (int i = 0; i < k->n_names; i++)
        if (strcmp(text, k->names[i]) == 0) {
            v->i = i;
            v->d = i;
            return 0;
        }
    return -1;
}

static int parse_bool(const char *text, config_value *v)
{
    if (!strcmp(text, "true") || !strcmp(text, "True") || !strcmp(text, "TRUE"))
        v->i = 1;
    else if (!strcmp(text, "false") || !strcmp(text, "False") || !strcmp(text, "FALSE"))
        v->i = 0;
    else
        return -1;
    v->d = (double)v->i;
    return 0;
}

int config_value_parse(const config_key *k, const char *text, int quoted, config_value *v,
                       char *why, size_t nwhy)
{
    int rc = -1;
    memset(v, 0, sizeof *v);
    if (k->type == CONFIG_STR) {
        size_t len = strlen(text);
        size_t min = (k->flags & CONFIG_REQ) ? 1 : 0; /* optional names may be "" */
        rc = (len >= min && len < PARAMS_NAME_LEN) ? 0 : -1;
        if (rc == 0)
            memcpy(v->s, text, len + 1);
    } else if (!quoted) {
        switch (k->type) {
        case CONFIG_U64: rc = parse_u64(text, v); break;
        case CONFIG_INT:
        case CONFIG_LONG: rc = parse_integer(k, text, v); break;
        case CONFIG_DOUBLE: rc = parse_number(text, &v->d) || !in_bounds(k, v->d) ? -1 : 0; break;
        case CONFIG_BOOL: rc = parse_bool(text, v); break;
        case CONFIG_ENUM: rc = parse_enum(k, text, v); break;
        default: rc = -1;
        }
    } else if (k->type == CONFIG_ENUM) {
        rc = parse_enum(k, text, v);
    }
    if (rc) {
        char exp[320];
        config_key_expect(k, exp, sizeof exp);
        snprintf(why, nwhy, "expected %s, got %s'%.80s'", exp,
                 quoted && k->type != CONFIG_STR && k->type != CONFIG_ENUM ? "string " : "",
                 text);
    }
    return rc;
}

void config_value_store(const config_key *k, void *rec, const config_value *v)
{
    char *p = (char *)rec + k->off;
    switch (k->type) {
    case CONFIG_U64: *(uint64_t *)(void *)p = v->u; break;
    case CONFIG_INT:
    case CONFIG_BOOL:
    case CONFIG_ENUM: *(int *)(void *)p = (int)v->i; break;
    case CONFIG_LONG: *(long *)(void *)p = (long)v->i; break;
    case CONFIG_DOUBLE: *(double *)(void *)p = v->d; break;
    case CONFIG_STR:
        memset(p, 0, PARAMS_NAME_LEN);
        memcpy(p, v->s, strlen(v->s));
        break;
    default: break;
    }
}

void config_value_load(const config_key *k, const void *rec, config_value *v)
{
    const char *p = (const char *)rec + k->off;
    memset(v, 0, sizeof *v);
    switch (k->type) {
    case CONFIG_U64: v->u = *(const uint64_t *)(const void *)p; break;
    case CONFIG_INT:
    case CONFIG_BOOL:
    case CONFIG_ENUM: v->i = *(const int *)(const void *)p; break;
    case CONFIG_LONG: v->i = *(const long *)(const void *)p; break;
    case CONFIG_DOUBLE: v->d = *(const double *)(const void *)p; break;
    case CONFIG_STR: memcpy(v->s, p, PARAMS_NAME_LEN - 1); break;
    default: break;
    }
}

/* YAML double-quoted string. */
static void format_string(const char *s, char *buf, size_t n)
{
    size_t o = 0;
    if (n < 8)
        return;
    buf[o++] = '"';
    for (; *s && o + 7 < n; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            o += (size_t)snprintf(buf + o, n - o, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            o += (size_t)snprintf(buf + o, n - o, "\\x%02x", ch);
        else
            buf[o++] = (char)ch;
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

void config_value_format(const config_key *k, const config_value *v, char *buf, size_t n)
{
    switch (k->type) {
    case CONFIG_U64: snprintf(buf, n, "%llu", (unsigned long long)v->u); break;
    case CONFIG_INT:
    case CONFIG_LONG: snprintf(buf, n, "%lld", v->i); break;
    case CONFIG_DOUBLE: format_double(v->d, buf, n); break;
    case CONFIG_BOOL: snprintf(buf, n, "%s", v->i ? "true" : "false"); break;
    case CONFIG_ENUM: snprintf(buf, n, "%s", k->names[v->i]); break;
    case CONFIG_STR: format_string(v->s, buf, n); break;
    default: snprintf(buf, n, "~");
    }
}

static void set_defaults(const config_key *k, char *base)
{
    config_value v;
    memset(&v, 0, sizeof v);
    if (k->type == CONFIG_SET) {
        int *flags = (int *)(void *)(base + k->off);
        for (int i = 0; i < k->n_names; i++) {
            size_t len = strlen(k->names[i]);
            const char *s = strstr(k->sdef, k->names[i]);
            /* exact item of the comma list */
            while (s && !((s == k->sdef || s[-1] == ',') && (s[len] == ',' || !s[len])))
                s = strstr(s + 1, k->names[i]);
            flags[i] = s != NULL;
        }
        return;
    }
    if (k->type == CONFIG_MAP && (k->flags & CONFIG_PRESENCE)) {
        *(int *)(void *)(base + k->off) = 0;
        return;
    }
    if (k->type == CONFIG_LIST) {
        *(int *)(void *)(base + k->count_off) = 0;
        return;
    }
    if (!config_key_is_scalar(k))
        return;
    v.d = k->def;
    v.i = (long long)k->def;
    if (k->type == CONFIG_STR)
        snprintf(v.s, sizeof v.s, "%s", k->sdef ? k->sdef : "");
    if (k->type == CONFIG_ENUM)
        parse_enum(k, k->sdef, &v);
    config_value_store(k, base, &v);
}

void config_schema_defaults(const char *rec, void *base)
{
    for (int i = 0; i < config_schema_n; i++)
        if (config_key_in_record(&config_schema[i], rec))
            set_defaults(&config_schema[i], base);
}
