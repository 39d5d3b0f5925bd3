/*
 * arena/scenario.c — everything about a sweep point that does not depend on the
 * replicate: the entities (public models, private variants, released
 * models), the fixed model-slot layout of the results, the fit sizes, the
 * anchor, the sampling weights and θ̃ of the public pool.
 * Units: θ in arena points.
 */
#include "arena/arena_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void add_entity(arena_scenario *s, const char *name, arena_entity_kind kind, int g,
                       int k, double theta, const params_style *st, double weight)
{
    arena_entity *e = &s->ent[s->n_ent];
    snprintf(s->names[s->n_ent], sizeof s->names[0], "%s", name);
    e->name = s->names[s->n_ent];
    e->kind = kind;
    e->gaming = g;
    e->variant = k;
    e->theta0 = theta;
    e->style = *st;
    for (int f = 0; f < FEAT_N; f++)
        e->log_mean[f] = st->mean[f] > 0 ? log(st->mean[f]) : -INFINITY;
    e->weight = weight;
    s->n_ent++;
}

static void build_entities(arena_scenario *s)
{
    const params *p = s->p;
    int total = p->n_models;
    for (int g = 0; g < p->n_gaming; g++)
        total += p->gaming[g].n_variants + 1;
    s->ent = util_calloc((size_t)total, sizeof *s->ent);
    s->names = util_calloc((size_t)total, sizeof *s->names);
    s->n_ent = 0;
    for (int i = 0; i < p->n_models; i++)
        add_entity(s, p->models[i].name, ARENA_ENT_PUBLIC, -1, -1, p->models[i].theta,
                   &p->models[i].style, p->models[i].weight);
    char name[2 * PARAMS_NAME_LEN];
    for (int g = 0; g < p->n_gaming; g++) {
        const params_gaming *v = &p->gaming[g];
        s->var_off[g] = s->n_ent;
        for (int k = 0; k < v->n_variants; k++) {
            snprintf(name, sizeof name, "%s#v%d", v->base_name, k);
            add_entity(s, name, ARENA_ENT_VARIANT, g, k, v->base_theta,
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
            add_entity(s, name, ARENA_ENT_RELEASE, g, k, v->base_theta, st, v->weight);
        }
    }
}

static void count_fits(arena_scenario *s)
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

int arena_scenario_init(arena_scenario *s, const params *p, util_err *err)
{
    memset(s, 0, sizeof *s);
    s->own = util_malloc(sizeof *s->own);
    *s->own = *p;
    arena_policy_apply(s->own);
    s->p = p = s->own;
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
    s->exp_eta = exp(p->tie_threshold);
    s->share_neutral_prefix = 1;
    s->r_public_true = util_calloc((size_t)p->n_models, sizeof(double));
    int rc = arena_public_true_ratings(s, err);
    for (int g = 0; !rc && g < p->n_gaming; g++)
        s->r_base_true[g] = arena_true_rating_vs_field(s, p->gaming[g].base_theta);
    return rc;
}

void arena_scenario_free(arena_scenario *s)
{
    free(s->ent);
    free(s->names);
    free(s->pub_cum);
    free(s->r_public_true);
    free(s->own);
    memset(s, 0, sizeof *s);
}

const char *arena_slot_name(const arena_scenario *s, int slot, char *buf, size_t n)
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
