/*
 * sim.c — one replicate of the arena (DESIGN §2): voters with style
 * sensitivities, responses with random style features, Rao-Kupper votes,
 * private testing of gaming vendors' variants, selection of the listed
 * variant, post-listing and release battles, and the final leaderboards.
 *
 * Units: θ and scores in arena points; the latent vote difference D in
 * log-odds. The battle loop is pure math on preallocated buffers; all
 * randomness comes from the replicate's own Philox stream (rng.h).
 */
#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>

#include "metrics.h"
#include "rng.h"

const char *const sim_phase_names[4] = {"public", "testing", "listed", "release"};

#define LN10_400 (M_LN10 / 400.0)

struct sim_ws {
    gsl_rng *rng;
    sim_battle *b;
    size_t nb, cap;
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
    uint64_t point, rep;  /* the replicate being simulated */
};

/* ---- pure model math ---------------------------------------------------- */

double sim_transform(params_transform t, double a, double b)
{
    switch (t) {
    case TRANSFORM_LOG_RATIO:
        return log((a + 1.0) / (b + 1.0));
    case TRANSFORM_SATURATING:
        return tanh(log((a + 1.0) / (b + 1.0)));
    case TRANSFORM_DIFF_RATIO:
    default:
        return (a - b) / (a + b + 1.0);
    }
}

static double logistic(double x)
{
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

void sim_rao_kupper(double D, double eta, double *pa, double *pb, double *ptie)
{
    *pa = logistic(D - eta);
    *pb = logistic(-D - eta);
    *ptie = 1.0 - *pa - *pb;
    if (*ptie < 0)
        *ptie = 0;
}

/* Draw one response of an entity: log-normal length with the profile's
 * mean, counts Poisson with rates proportional to the realised length. */
static void draw_response(gsl_rng *r, const params_style *st, double length_sd,
                          uint32_t feat[FEAT_N])
{
    double xi = gsl_ran_gaussian_ziggurat(r, 1.0);
    double f = exp(length_sd * xi - 0.5 * length_sd * length_sd);
    double tok = st->mean[FEAT_TOKENS] * f;
    feat[FEAT_TOKENS] = tok < 1.0 ? 1u : (uint32_t)lround(tok);
    for (int k = 1; k < FEAT_N; k++)
        feat[k] = st->mean[k] > 0 ? gsl_ran_poisson(r, st->mean[k] * f) : 0u;
}

/* One vote: a random voter from the pool judges the two responses. */
static void battle(const sim_scenario *s, sim_ws *w, int a, int b, int phase)
{
    const params *p = s->p;
    gsl_rng *r = w->rng;
    sim_battle *bt = &w->b[w->nb++];
    bt->a = a;
    bt->b = b;
    bt->phase = (uint8_t)phase;
    bt->kept = 1;
    draw_response(r, &s->ent[a].style, p->length_sd, bt->feat_a);
    draw_response(r, &s->ent[b].style, p->length_sd, bt->feat_b);
    const double *beta = w->beta + FEAT_N * gsl_rng_uniform_int(r, (unsigned long)p->n_voters);
    double D = LN10_400 * (w->theta[a] - w->theta[b]);
    for (int k = 0; k < FEAT_N; k++)
        if (beta[k] != 0.0)
            D += beta[k] * sim_transform(p->transform, bt->feat_a[k], bt->feat_b[k]);
    double pa, pb, pt;
    sim_rao_kupper(D, p->tie_threshold, &pa, &pb, &pt);
    double u = gsl_rng_uniform(r);
    if (u < pa)
        bt->outcome = RATING_A_WINS;
    else if (u < pa + pb)
        bt->outcome = RATING_B_WINS;
    else
        bt->outcome = (pt > 0 && (u - pa - pb) < pt * p->bothbad_share) ? RATING_BOTHBAD
                                                                          : RATING_TIE;
}

/* A public opponent drawn by the sampling policy. */
static int draw_public(const sim_scenario *s, gsl_rng *r)
{
    const int n = s->p->n_models;
    if (s->p->sampling == SAMPLING_UNIFORM)
        return (int)gsl_rng_uniform_int(r, (unsigned long)n);
    double u = gsl_rng_uniform(r) * s->pub_cum[n - 1];
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s->pub_cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void public_battles(const sim_scenario *s, sim_ws *w)
{
    for (long i = 0; i < s->p->n_public; i++) {
        int a = draw_public(s, w->rng), b;
        do
            b = draw_public(s, w->rng);
        while (b == a);
        battle(s, w, a, b, SIM_PHASE_PUBLIC);
    }
}

/* n battles of entity e against public opponents, random sides. */
static void entity_battles(const sim_scenario *s, sim_ws *w, int e, long n, int phase)
{
    for (long i = 0; i < n; i++) {
        int o = draw_public(s, w->rng);
        if (gsl_rng_uniform(w->rng) < 0.5)
            battle(s, w, e, o, phase);
        else
            battle(s, w, o, e, phase);
    }
}

/* ---- scenario ----------------------------------------------------------- */

static void add_entity(sim_scenario *s, const char *name, sim_entity_kind kind, int g,
                       int k, double theta, const params_style *st, double weight)
{
    sim_entity *e = &s->ent[s->n_ent];
    snprintf(s->names[s->n_ent], sizeof s->names[0], "%s", name);
    e->name = s->names[s->n_ent];
    e->kind = kind;
    e->gaming = g;
    e->variant = k;
    e->theta0 = theta;
    e->style = *st;
    e->weight = weight;
    s->n_ent++;
}

static void build_entities(sim_scenario *s)
{
    const params *p = s->p;
    int total = p->n_models;
    for (int g = 0; g < p->n_gaming; g++)
        total += p->gaming[g].n_variants + 1;
    s->ent = util_calloc((size_t)total, sizeof *s->ent);
    s->names = util_calloc((size_t)total, sizeof *s->names);
    s->n_ent = 0;
    for (int i = 0; i < p->n_models; i++)
        add_entity(s, p->models[i].name, SIM_ENT_PUBLIC, -1, -1, p->models[i].theta,
                   &p->models[i].style, p->models[i].weight);
    char name[2 * PARAMS_NAME_LEN];
    for (int g = 0; g < p->n_gaming; g++) {
        const params_gaming *v = &p->gaming[g];
        s->var_off[g] = s->n_ent;
        for (int k = 0; k < v->n_variants; k++) {
            snprintf(name, sizeof name, "%s#v%d", v->base_name, k);
            add_entity(s, name, SIM_ENT_VARIANT, g, k, v->base_theta,
                       k < v->n_styled ? &v->tuned_style : &v->base_style, v->weight);
        }
    }
    for (int g = 0; g < p->n_gaming; g++) {
        const params_gaming *v = &p->gaming[g];
        s->rel_ent[g] = -1;
        if (v->release == RELEASE_BASE || v->release == RELEASE_VARIANT) {
            s->rel_ent[g] = s->n_ent;
            snprintf(name, sizeof name, "%s (released)", v->base_name);
            int k = v->release == RELEASE_VARIANT ? v->release_variant : -1;
            const params_style *st = k < 0 ? &v->base_style
                                           : &s->ent[s->var_off[g] + k].style;
            add_entity(s, name, SIM_ENT_RELEASE, g, k, v->base_theta, st, v->weight);
        }
    }
}

static void count_fits(sim_scenario *s)
{
    const params *p = s->p;
    s->n_sel_fit = p->n_models;
    s->n_fin_fit = p->n_models;
    s->max_battles = (size_t)p->n_public;
    for (int g = 0; g < p->n_gaming; g++) {
        const params_gaming *v = &p->gaming[g];
        s->n_sel_fit += v->n_variants;
        s->n_fin_fit += 1 + (s->rel_ent[g] >= 0);
        if (v->unlisted_votes == UNLISTED_KEEP)
            s->n_fin_fit += v->n_variants - 1;
        s->max_battles += (size_t)v->n_variants * (size_t)v->n_test +
                          (size_t)v->n_listed + (size_t)(s->rel_ent[g] >= 0 ? v->n_release : 0);
    }
    s->n_feat_ctl = 0;
    for (int f = 0; f < FEAT_N; f++)
        if (p->style_features[f])
            s->feat_ctl[s->n_feat_ctl++] = f;
}

/* Expected-table BT ratings of the public pool under style-neutral voters
 * and the public pair-sampling distribution (DESIGN §4, θ̃). */
static int public_true_ratings(sim_scenario *s, util_err *err)
{
    const params *p = s->p;
    const int n = p->n_models;
    double wsum = s->pub_cum[n - 1];
    rating_table *t = rating_table_alloc(n);
    rating_bt_ws *ws = rating_bt_ws_alloc(n);
    int rc;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double wi = s->ent[i].weight / wsum, wj = s->ent[j].weight / wsum;
            double pij = p->sampling == SAMPLING_UNIFORM
                             ? 1.0
                             : wi * wj * (1.0 / (1.0 - wi) + 1.0 / (1.0 - wj));
            double pa, pb, pt;
            sim_rao_kupper(LN10_400 * (p->models[i].theta - p->models[j].theta),
                           p->tie_threshold, &pa, &pb, &pt);
            rating_table_add(t, i, j, RATING_A_WINS, pij * pa);
            rating_table_add(t, i, j, RATING_B_WINS, pij * pb);
            rating_table_add(t, i, j, RATING_TIE, pij * pt);
        }
    rating_fit_opts fo = {1e-13, 200};
    rc = rating_bt_fit(t, ws, &fo, s->r_public_true, NULL, err);
    if (rc)
        util_err_prefix(err, "true scores of the public pool");
    rating_bt_ws_free(ws);
    rating_table_free(t);
    return rc;
}

static double true_rating_vs_field(const sim_scenario *s, double theta);

int sim_scenario_init(sim_scenario *s, const params *p, util_err *err)
{
    memset(s, 0, sizeof *s);
    s->p = p;
    build_entities(s);
    count_fits(s);
    s->n_slots = p->n_models + 2 * p->n_gaming;
    s->anchor = -1;
    if (p->has_anchor)
        for (int i = 0; i < p->n_models; i++)
            if (strcmp(p->models[i].name, p->anchor_model) == 0)
                s->anchor = i;
    if (p->has_anchor && s->anchor < 0)
        return util_err_set(err, UTIL_EINPUT, "anchor model '%s' is not a public model",
                            p->anchor_model);
    s->pub_cum = util_malloc((size_t)p->n_models * sizeof(double));
    double c = 0;
    for (int i = 0; i < p->n_models; i++)
        s->pub_cum[i] = (c += p->sampling == SAMPLING_UNIFORM ? 1.0 : p->models[i].weight);
    s->r_public_true = util_calloc((size_t)p->n_models, sizeof(double));
    int rc = public_true_ratings(s, err);
    for (int g = 0; !rc && g < p->n_gaming; g++)
        s->r_base_true[g] = true_rating_vs_field(s, p->gaming[g].base_theta);
    return rc;
}

void sim_scenario_free(sim_scenario *s)
{
    free(s->ent);
    free(s->names);
    free(s->pub_cum);
    free(s->r_public_true);
    memset(s, 0, sizeof *s);
}

const char *sim_slot_name(const sim_scenario *s, int slot, char *buf, size_t n)
{
    const params *p = s->p;
    if (slot < p->n_models)
        snprintf(buf, n, "%s", p->models[slot].name);
    else {
        int g = (slot - p->n_models) / 2;
        snprintf(buf, n, "%s (%s)", p->gaming[g].base_name,
                 (slot - p->n_models) % 2 ? "released" : "listed");
    }
    return buf;
}

/* ---- workspace and results ---------------------------------------------- */

sim_ws *sim_ws_alloc(const sim_scenario *s)
{
    sim_ws *w = util_calloc(1, sizeof *w);
    const int nf = s->n_fin_fit, F = s->n_feat_ctl;
    w->rng = rng_alloc();
    w->cap = s->max_battles;
    w->b = util_malloc(w->cap * sizeof *w->b);
    w->beta = util_malloc((size_t)s->p->n_voters * FEAT_N * sizeof(double));
    w->theta = util_malloc((size_t)s->n_ent * sizeof(double));
    w->tab_sel = rating_table_alloc(s->n_sel_fit);
    w->tab_fin = rating_table_alloc(nf);
    w->rows_sel = rating_rows_alloc(s->n_sel_fit, F, 1024);
    w->rows_fin = rating_rows_alloc(nf, F, 1024);
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
    return w;
}

void sim_ws_free(sim_ws *w)
{
    if (!w)
        return;
    gsl_rng_free(w->rng);
    free(w->b);
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
    free(w);
}

const sim_battle *sim_ws_battles(const sim_ws *w, size_t *n)
{
    *n = w->nb;
    return w->b;
}

void sim_result_alloc(sim_result *r, int n_slots, int n_gaming)
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
}

void sim_result_free(sim_result *r)
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
    memset(r, 0, sizeof *r);
}

/* ---- one replicate ------------------------------------------------------ */

/* Voter sensitivities and per-replicate variant substance. `neutral` zeroes
 * β after drawing it, so the stream stays aligned with the biased run. */
static void draw_population(const sim_scenario *s, sim_ws *w, int neutral)
{
    const params *p = s->p;
    for (int j = 0; j < p->n_voters; j++)
        for (int k = 0; k < FEAT_N; k++) {
            double z = gsl_ran_gaussian_ziggurat(w->rng, 1.0);
            w->beta[FEAT_N * j + k] = neutral ? 0.0 : p->beta_mean[k] + p->beta_sd[k] * z;
        }
    for (int e = 0; e < s->n_ent; e++)
        w->theta[e] = s->ent[e].theta0;
    for (int g = 0; g < p->n_gaming; g++) {
        const params_gaming *v = &p->gaming[g];
        for (int k = 0; k < v->n_variants; k++) {
            double z = gsl_ran_gaussian_ziggurat(w->rng, 1.0);
            w->theta[s->var_off[g] + k] = v->base_theta + v->tune_mean + v->tune_sd * z;
        }
        if (s->rel_ent[g] >= 0 && v->release == RELEASE_VARIANT)
            w->theta[s->rel_ent[g]] = w->theta[s->var_off[g] + v->release_variant];
    }
}

static void battle_diffs(const sim_scenario *s, const sim_battle *b, double *d)
{
    for (int i = 0; i < s->n_feat_ctl; i++) {
        int f = s->feat_ctl[i];
        d[i] = ((double)b->feat_a[f] - (double)b->feat_b[f]) /
               ((double)b->feat_a[f] + (double)b->feat_b[f] + 1.0);
    }
}

/* Fit `est` (bt or bt_style) on the battles whose entities map to fit
 * indices (map[e] ≥ 0); ratings r[n] out (Σ r = 0). */
static int fit_ratings(const sim_scenario *s, sim_ws *w, int est, const int *map, int n,
                       int selection, double *r, double *cov, util_err *err)
{
    rating_table *t = selection ? w->tab_sel : w->tab_fin;
    rating_rows *rows = selection ? w->rows_sel : w->rows_fin;
    double d[FEAT_N];
    rating_table_clear(t);
    rating_rows_clear(rows);
    for (size_t i = 0; i < w->nb; i++) {
        const sim_battle *b = &w->b[i];
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
    if (est == EST_BT) {
        rating_fit_opts fo = {0, 0};
        return rating_bt_fit(t, selection ? w->bt_sel : w->bt_fin, &fo, r, cov, err);
    }
    rating_style_opts so = {s->p->penalty, 0, 0, 1};
    return rating_style_fit(rows, NULL, selection ? w->st_sel : w->st_fin, &so, r, w->gamma,
                            cov, err);
}

/* Private testing is over: each gaming vendor lists its best variant. */
static int select_variants(const sim_scenario *s, sim_ws *w, util_err *err)
{
    const params *p = s->p;
    int *map = w->fin_map; /* reused as scratch: selection map */
    for (int e = 0; e < s->n_ent; e++)
        map[e] = e < s->n_sel_fit ? e : -1;
    for (int g = 0; g < p->n_gaming; g++)
        w->selected[g] = 0;
    for (int est = EST_BT; est <= EST_BT_STYLE; est++) {
        int used = 0;
        for (int g = 0; g < p->n_gaming; g++)
            used |= p->gaming[g].select_by == est;
        if (!used)
            continue;
        int rc = fit_ratings(s, w, est, map, s->n_sel_fit, 1, w->r_sel, NULL, err);
        if (rc)
            return util_err_prefix(err, "selection fit (%s)", params_estimator_names[est]);
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
static void build_final_map(const sim_scenario *s, sim_ws *w)
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
        w->shown[i] = i < shown_n;
}

/* Mark the testing votes the policies retract: the listed variant's under
 * "fresh", the unlisted ones' under "retract". They stay in the buffer (for
 * `arenasim battles --all`) but no final fit sees them. */
static void apply_vote_policies(const sim_scenario *s, sim_ws *w)
{
    const params *p = s->p;
    for (size_t i = 0; i < w->nb; i++) {
        sim_battle *b = &w->b[i];
        if (b->phase != SIM_PHASE_TESTING)
            continue;
        int e = s->ent[b->a].kind == SIM_ENT_VARIANT ? b->a : b->b;
        const params_gaming *v = &p->gaming[s->ent[e].gaming];
        int listed = s->ent[e].variant == w->selected[s->ent[e].gaming];
        b->kept = listed ? v->listed_votes == LISTED_KEEP : v->unlisted_votes == UNLISTED_KEEP;
    }
}

/* Share of the public field's pair draws that an outside model meets
 * opponent o in (uniform or ∝ weight). */
static double field_weight(const sim_scenario *s, int o)
{
    const params *p = s->p;
    return (p->sampling == SAMPLING_UNIFORM ? 1.0 : s->ent[o].weight) / s->pub_cum[p->n_models - 1];
}

/* 1-D MLE of one model's rating against the public field with the expected
 * outcomes of style-neutral voters (θ̃ of a non-public entity): solve
 * Σ_o w_o σ(ln10 (r − r_o)) = Σ_o w_o E[score vs o]. */
static double true_rating_vs_field(const sim_scenario *s, double theta)
{
    const params *p = s->p;
    double expected = 0, r = 0;
    for (int o = 0; o < p->n_models; o++) {
        double pa, pb, pt;
        sim_rao_kupper(LN10_400 * (theta - p->models[o].theta), p->tie_threshold, &pa, &pb, &pt);
        expected += field_weight(s, o) * (pa + 0.5 * pt);
    }
    for (int it = 0; it < 100; it++) {
        double f = expected, df = 0;
        for (int o = 0; o < p->n_models; o++) {
            double wo = field_weight(s, o), q = logistic(M_LN10 * (r - s->r_public_true[o]));
            f -= wo * q;
            df += wo * M_LN10 * q * (1 - q);
        }
        double step = f / df;
        r += step > 2 ? 2 : step < -2 ? -2 : step;
        if (fabs(f) < 1e-14)
            break;
    }
    return r;
}

static void true_scores(const sim_scenario *s, sim_ws *w, int n)
{
    for (int i = 0; i < n; i++) {
        int e = w->fin_ent[i];
        w->r_true[i] = s->ent[e].kind == SIM_ENT_PUBLIC ? s->r_public_true[e]
                                                        : true_rating_vs_field(s, w->theta[e]);
    }
    rating_scores(w->r_true, n, w->shown, s->anchor, s->p->anchor_score, w->s_true);
}

static void final_fits(const sim_scenario *s, sim_ws *w, sim_result *out);
static void clear_estimator(const sim_scenario *s, int est, sim_result *out);

static int run_once(const sim_scenario *s, sim_ws *w, uint64_t point, uint64_t rep,
                    int neutral, util_err *err)
{
    const params *p = s->p;
    rng_set_stream(w->rng, p->seed, point, rep, RNG_PURPOSE_SIM, 0);
    w->point = point;
    w->rep = rep;
    w->nb = 0;
    draw_population(s, w, neutral);
    public_battles(s, w);
    for (int g = 0; g < p->n_gaming; g++)
        for (int k = 0; k < p->gaming[g].n_variants; k++)
            entity_battles(s, w, s->var_off[g] + k, p->gaming[g].n_test, SIM_PHASE_TESTING);
    int rc = select_variants(s, w, err);
    if (rc)
        return rc;
    for (int g = 0; g < p->n_gaming; g++) {
        entity_battles(s, w, s->var_off[g] + w->selected[g], p->gaming[g].n_listed,
                       SIM_PHASE_LISTED);
        if (s->rel_ent[g] >= 0)
            entity_battles(s, w, s->rel_ent[g], p->gaming[g].n_release, SIM_PHASE_RELEASE);
    }
    build_final_map(s, w);
    apply_vote_policies(s, w);
    true_scores(s, w, s->n_fin_fit);
    return UTIL_OK;
}

int sim_generate(const sim_scenario *s, sim_ws *w, uint64_t point, uint64_t rep, util_err *err)
{
    return run_once(s, w, point, rep, 0, err);
}

/* A replicate whose selection fit has no finite MLE (e.g. a variant that
 * won every one of a few testing battles) has no leaderboard: everything is
 * NaN and fit_status says why; the run goes on. */
static void result_unrated(const sim_scenario *s, sim_result *out)
{
    const params *p = s->p;
    for (int m = 0; m < s->n_slots; m++)
        out->theta[m] = out->true_score[m] = out->battles[m] = NAN, out->true_rank[m] = 0;
    for (int est = 0; est < EST_N; est++) {
        clear_estimator(s, est, out);
        out->fit_status[est] = p->estimators[est] ? SIM_FIT_SELECTION_FAILED : SIM_FIT_OK;
    }
    for (int f = 0; f < FEAT_N; f++)
        out->gamma[f] = NAN;
    for (int g = 0; g < p->n_gaming; g++) {
        out->selected[g] = -1;
        out->true_sel[g] = out->true_base[g] = NAN;
        out->real_gain[g] = out->selection[g] = out->style[g] = NAN;
        for (int est = 0; est < EST_N; est++)
            out->rank_infl[est * p->n_gaming + g] = out->score_infl[est * p->n_gaming + g] = NAN;
    }
    out->tie_share = out->bothbad_share = NAN;
}

int sim_replicate(const sim_scenario *s, sim_ws *w, uint64_t point, uint64_t rep,
                  sim_result *out, util_err *err)
{
    const params *p = s->p;
    util_err fit_err;
    for (int g = 0; g < p->n_gaming; g++)
        out->selection_neutral[g] = NAN;
    if (p->neutral_rerun && p->estimators[EST_BT_STYLE] &&
        run_once(s, w, point, rep, 1, &fit_err) == UTIL_OK) {
        final_fits(s, w, out);
        for (int g = 0; g < p->n_gaming; g++)
            out->selection_neutral[g] = out->selection[g];
    }
    double keep[PARAMS_MAX_GAMING];
    memcpy(keep, out->selection_neutral, sizeof(double) * (size_t)p->n_gaming);
    if (run_once(s, w, point, rep, 0, &fit_err) == UTIL_OK)
        final_fits(s, w, out);
    else
        result_unrated(s, out);
    memcpy(out->selection_neutral, keep, sizeof(double) * (size_t)p->n_gaming);
    return UTIL_OK;
}

/* ---- final leaderboards and measurements -------------------------------- */

static int estimator_scores(const sim_scenario *s, sim_ws *w, int est, util_err *err)
{
    const params *p = s->p;
    const int n = s->n_fin_fit;
    int want_cov = p->ci == CI_SANDWICH && est != EST_ELO;
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
    int rc = fit_ratings(s, w, est, w->fin_map, n, 0, w->r, want_cov ? w->cov : NULL, err);
    if (rc)
        return rc;
    rating_scores(w->r, n, w->shown, s->anchor, p->anchor_score, w->score);
    if (want_cov) {
        if (est == EST_BT_STYLE) /* keep the ratings block of the (n+F)² covariance */
            rating_cov_ratings(w->cov, n, s->n_feat_ctl, w->cov);
        rating_ci_from_cov(w->score, w->cov, n, w->shown, s->anchor, p->ci_level, w->lo, w->hi);
    } else if (p->ci == CI_BOOTSTRAP) {
        /* bootstrap rounds of this replicate: streams (seed, point, replicate, BOOTSTRAP, k) */
        rating_boot_opts bo = {p->seed, w->point, w->rep, p->n_bootstrap, 1, p->ci_level};
        if (est == EST_BT) {
            rating_fit_opts fo = {0, 0};
            rc = rating_bt_bootstrap(w->tab_fin, &fo, &bo, w->shown, s->anchor, p->anchor_score,
                                     w->lo, w->hi, err);
        } else {
            rating_style_opts so = {p->penalty, 0, 0, 1};
            rc = rating_style_bootstrap(w->rows_fin, &so, &bo, w->shown, s->anchor,
                                        p->anchor_score, w->lo, w->hi, NULL, NULL, err);
        }
    }
    return rc;
}

static void store_estimator(const sim_scenario *s, sim_ws *w, int est, int with_ci,
                            sim_result *out)
{
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

static void clear_estimator(const sim_scenario *s, int est, sim_result *out)
{
    for (int m = 0; m < s->n_slots; m++) {
        size_t o = (size_t)est * (size_t)s->n_slots + (size_t)m;
        out->score[o] = out->ci_lo[o] = out->ci_hi[o] = NAN;
        out->rank[o] = out->disp_rank[o] = 0;
    }
    out->kendall[est] = out->spearman[est] = out->topk[est] = NAN;
}

/* Leaderboard-wide agreement of one estimator's scores with θ (shown models). */
static void agreement(const sim_scenario *s, sim_ws *w, int est, sim_result *out)
{
    int n = 0;
    double *x = w->r_sel, *y = w->lo; /* scratch: lo/hi are stored already */
    for (int i = 0; i < s->n_fin_fit; i++)
        if (w->shown[i]) {
            x[n] = w->theta[w->fin_ent[i]];
            y[n] = w->score[i];
            n++;
        }
    out->kendall[est] = metrics_kendall_tau_b(x, y, n);
    out->spearman[est] = metrics_spearman(x, y, n, w->dwork);
    out->topk[est] = metrics_topk_overlap(x, y, n, n < 10 ? n : 10, w->idx);
}

static void fill_truth(const sim_scenario *s, sim_ws *w, sim_result *out)
{
    const int n = s->n_fin_fit;
    double *battles = w->r_sel;
    int tie = 0, bothbad = 0;
    for (int i = 0; i < n; i++)
        battles[i] = 0;
    size_t kept = 0;
    for (size_t i = 0; i < w->nb; i++) {
        if (!w->b[i].kept)
            continue;
        kept++;
        battles[w->fin_map[w->b[i].a]] += 1;
        battles[w->fin_map[w->b[i].b]] += 1;
        tie += w->b[i].outcome >= RATING_TIE;
        bothbad += w->b[i].outcome == RATING_BOTHBAD;
    }
    out->tie_share = kept ? (double)tie / (double)kept : NAN;
    out->bothbad_share = tie ? (double)bothbad / tie : NAN;
    rating_ranks(w->s_true, NULL, NULL, n, w->shown, w->ord, w->disp);
    for (int m = 0; m < s->n_slots; m++) {
        int i = w->slot_fin[m];
        out->theta[m] = i >= 0 ? w->theta[w->fin_ent[i]] : NAN;
        out->true_score[m] = i >= 0 ? w->s_true[i] : NAN;
        out->true_rank[m] = i >= 0 ? w->ord[i] : 0;
        out->battles[m] = i >= 0 ? battles[i] : NAN;
    }
}

/* Inflation of each gaming vendor's listed variant and its decomposition
 * (DESIGN §4): raw − θ̃_base = real gain + selection-on-noise + style. */
static void vendor_measures(const sim_scenario *s, sim_ws *w, sim_result *out)
{
    const params *p = s->p;
    const int S = s->n_slots;
    /* offset between ratings and scores of the truth (anchor / centring) */
    double shift = w->s_true[0] - (RATING_SCALE * w->r_true[0] + RATING_INIT);
    for (int g = 0; g < p->n_gaming; g++) {
        int m = p->n_models + 2 * g;
        out->selected[g] = w->selected[g];
        out->true_sel[g] = out->true_score[m];
        out->true_base[g] = RATING_SCALE * s->r_base_true[g] + RATING_INIT + shift;
        for (int est = 0; est < EST_N; est++) {
            size_t o = (size_t)est * (size_t)S + (size_t)m;
            size_t q = (size_t)est * (size_t)p->n_gaming + (size_t)g;
            out->score_infl[q] = out->score[o] - out->true_sel[g];
            out->rank_infl[q] = out->rank[o] ? (double)(out->true_rank[m] - out->rank[o]) : NAN;
        }
        double raw = out->score[(size_t)EST_BT * S + m];
        double sty = out->score[(size_t)EST_BT_STYLE * S + m];
        out->real_gain[g] = out->true_sel[g] - out->true_base[g];
        out->selection[g] = sty - out->true_sel[g];
        out->style[g] = raw - sty;
    }
}

/* Final leaderboards. An estimator whose fit has no finite MLE or does not
 * converge is recorded in fit_status and left NaN; the others go on. */
static void final_fits(const sim_scenario *s, sim_ws *w, sim_result *out)
{
    const params *p = s->p;
    util_err err;
    fill_truth(s, w, out);
    for (int f = 0; f < FEAT_N; f++)
        out->gamma[f] = NAN;
    for (int est = 0; est < EST_N; est++) {
        out->fit_status[est] = SIM_FIT_OK;
        if (!p->estimators[est]) {
            clear_estimator(s, est, out);
            continue;
        }
        if (estimator_scores(s, w, est, &err) != UTIL_OK) {
            clear_estimator(s, est, out);
            out->fit_status[est] = SIM_FIT_FAILED;
            continue;
        }
        store_estimator(s, w, est, p->ci != CI_NONE && est != EST_ELO, out);
        agreement(s, w, est, out);
        if (est == EST_BT_STYLE)
            for (int k = 0; k < s->n_feat_ctl; k++)
                out->gamma[s->feat_ctl[k]] = w->gamma[k];
    }
    vendor_measures(s, w, out);
}

int sim_fixed_pair(const sim_scenario *s, sim_ws *w, int ea, int eb, long n, uint64_t point,
                   uint64_t rep, double counts[4])
{
    rng_set_stream(w->rng, s->p->seed, point, rep, RNG_PURPOSE_USER, 0);
    draw_population(s, w, 0);
    for (int k = 0; k < 4; k++)
        counts[k] = 0;
    for (long i = 0; i < n; i++) {
        w->nb = 0;
        battle(s, w, ea, eb, SIM_PHASE_PUBLIC);
        counts[w->b[0].outcome] += 1;
    }
    w->nb = 0;
    return UTIL_OK;
}
