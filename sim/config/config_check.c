/*
 * config/config_check.c — cross-field checks of one resolved sweep point (fields
 * that contradict each other), each error located at the swept value or
 * the written field that causes it. Units are those of params.h.
 */
#include "config/config_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Where the field `path` of item `item` was written at point p: the sweep
 * value, or its own node; *explicit = 0 if it was defaulted (then the
 * location of the nearest enclosing mapping that was written). */
static config_mark locate(const config_ctx *x, size_t p, const char *path, int item,
                          int *explicit)
{
    const config *c = x->c;
    char buf[CONFIG_PATH_LEN];
    config_mark m = c->root;
    int k = config_schema_find(path);
    *explicit = 1;
    for (int a = 0; a < c->n_axes; a++)
        if (c->axes[a].key == k && c->axes[a].item == item)
            return c->axes[a].marks[config_axis_index(c, a, p)];
    if (config_mark_find(c, k, item, &m))
        return m;
    *explicit = 0;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *dot = strrchr(buf, '.'); dot; dot = strrchr(buf, '.')) {
        *dot = '\0';
        size_t len = strlen(buf);
        if (len > 2 && strcmp(buf + len - 2, "[]") == 0)
            buf[len - 2] = '\0';
        if (config_mark_find(c, config_schema_find(buf), item, &m))
            return m;
    }
    return c->root;
}

static void display_path(char *out, const char *path, int item)
{
    const char *br = strstr(path, "[]");
    if (br)
        snprintf(out, CONFIG_PATH_LEN, "%.*s[%d]%s", (int)(br - path), path, item, br + 2);
    else
        snprintf(out, CONFIG_PATH_LEN, "%s", path);
}

static int swept(const config *c, size_t p, const char *path, int item, config_mark *m)
{
    int k = config_schema_find(path);
    for (int a = 0; a < c->n_axes; a++)
        if (c->axes[a].key == k && c->axes[a].item == item) {
            *m = c->axes[a].marks[config_axis_index(c, a, p)];
            return 1;
        }
    return 0;
}

/* A contradiction between fields `path` and `other` (item `item` where the
 * path is below a list). Located at a swept value of either, else at
 * whichever was written, else at the mapping enclosing `path`. */
static int point_fail(config_ctx *x, size_t p, int item, const char *path, const char *other,
                      const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int point_fail(config_ctx *x, size_t p, int item, const char *path, const char *other,
                      const char *fmt, ...)
{
    char msg[1024], disp[CONFIG_PATH_LEN];
    int explicit;
    int oitem = other && strstr(other, "[]") ? item : -1;
    config_mark m;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!swept(x->c, p, path, item, &m) && other && swept(x->c, p, other, oitem, &m)) {
        path = other;
        item = oitem;
    } else if (!swept(x->c, p, path, item, &m)) {
        m = locate(x, p, path, item, &explicit);
        if (!explicit && other) {
            config_mark mo = locate(x, p, other, oitem, &explicit);
            if (explicit) {
                m = mo;
                path = other;
                item = oitem;
            }
        }
    }
    display_path(disp, path, item);
    if (x->c->n_axes > 0)
        return config_fail(x, m, disp, "%s (sweep point %zu)", msg, p);
    return config_fail(x, m, disp, "%s", msg);
}

static int check_gaming(config_ctx *x, const params *w, size_t p, int g)
{
    const params_gaming *v = &w->gaming[g];
    if (!w->estimators[v->select_by])
        return point_fail(x, p, g, "gaming[].select_by", "leaderboard.estimators",
                          "'%s' is not enabled in leaderboard.estimators",
                          params_estimator_names[v->select_by]);
    if (v->n_styled > v->n_variants)
        return point_fail(x, p, g, "gaming[].tuned_style.count", "gaming[].variants",
                          "%d style-tuned variants but only %d variants", v->n_styled,
                          v->n_variants);
    if (v->n_styled > 0 && !(v->tuned_style.mean[FEAT_TOKENS] > 0))
        return point_fail(x, p, g, "gaming[].tuned_style.style.tokens", "gaming[].tuned_style.count",
                          "tuned_style.count > 0 needs tuned_style.style with tokens > 0");
    if (v->release_variant >= v->n_variants)
        return point_fail(x, p, g, "gaming[].release_variant", "gaming[].variants",
                          "variant %d does not exist (variants: %d, numbered from 0)",
                          v->release_variant, v->n_variants);
    if (v->listed_votes == LISTED_FRESH && v->n_listed < 1)
        return point_fail(x, p, g, "gaming[].listed_battles", "gaming[].listed_votes",
                          "listed_votes: fresh needs listed_battles >= 1");
    if (w->policy.fresh_votes && v->n_listed < 1)
        return point_fail(x, p, g, "gaming[].listed_battles", "policy.fresh_votes",
                          "policy.fresh_votes needs listed_battles >= 1 (the fresh votes)");
    if ((v->release == RELEASE_BASE || v->release == RELEASE_VARIANT) && v->n_release < 1)
        return point_fail(x, p, g, "gaming[].release_battles", "gaming[].release",
                          "release: %s needs release_battles >= 1",
                          v->release == RELEASE_BASE ? "base" : "variant");
    return UTIL_OK;
}

int config_check_point(config_ctx *x, const params *w, size_t p)
{
    int nf = 0;
    for (int f = 0; f < FEAT_N; f++)
        nf += w->style_features[f] != 0;
    if (w->estimators[EST_BT_STYLE] && nf == 0)
        return point_fail(x, p, -1, "leaderboard.style_features", "leaderboard.estimators",
                          "bt_style is enabled but no style features are controlled");
    if (w->has_game && !w->estimators[w->game.board])
        return point_fail(x, p, -1, "game.board", "leaderboard.estimators",
                          "'%s' is not enabled in leaderboard.estimators",
                          params_estimator_names[w->game.board]);
    if (w->ci == CI_BOOTSTRAP && w->n_bootstrap < 2)
        return point_fail(x, p, -1, "leaderboard.bootstrap_rounds", "leaderboard.ci",
                          "ci: bootstrap needs bootstrap_rounds >= 2, got %d", w->n_bootstrap);
    if (w->sampling == SAMPLING_ARENA && w->n_gaming * w->unreleased_share >= 1 && w->n_gaming > 1)
        return point_fail(x, p, -1, "arena.unreleased_share", "gaming",
                          "%d providers with unreleased_share %g leave the public models no votes",
                          w->n_gaming, w->unreleased_share);
    if (w->sampling != SAMPLING_UNIFORM)
        for (int i = 0; i < w->n_models; i++)
            if (!(w->models[i].weight > 0))
                return point_fail(x, p, i, "models[].weight", "arena.sampling",
                                  "sampling: weights needs weight > 0");
    for (int g = 0; g < w->n_gaming; g++) {
        int rc = check_gaming(x, w, p, g);
        if (rc)
            return rc;
    }
    return UTIL_OK;
}

/* Names are identities (selectors, anchor, outputs): unique across models
 * and gaming base names; gaming vendors unique. */
int config_check_names(config_ctx *x)
{
    const params *b = x->c->base;
    int nm = b->n_models, n = nm + b->n_gaming;
    for (int j = 0; j < n; j++) {
        const char *sj = j < nm ? b->models[j].name : b->gaming[j - nm].base_name;
        for (int i = 0; i < j; i++) {
            const char *si = i < nm ? b->models[i].name : b->gaming[i - nm].base_name;
            if (strcmp(si, sj) != 0)
                continue;
            return point_fail(x, 0, j < nm ? j : j - nm,
                              j < nm ? "models[].name" : "gaming[].base.name", NULL, "duplicate model name '%s' (also %s[%d])", sj,
                              i < nm ? "models" : "gaming", i < nm ? i : i - nm);
        }
    }
    for (int j = 0; j < b->n_gaming; j++)
        for (int i = 0; i < j; i++)
            if (strcmp(b->gaming[i].vendor, b->gaming[j].vendor) == 0)
                return point_fail(x, 0, j, "gaming[].vendor", NULL,
                                  "duplicate gaming vendor '%s' (also gaming[%d])",
                                  b->gaming[j].vendor, i);
    return UTIL_OK;
}

int config_check_anchor(config_ctx *x)
{
    const params *b = x->c->base;
    if (!b->has_anchor)
        return UTIL_OK;
    for (int i = 0; i < b->n_models; i++)
        if (strcmp(b->models[i].name, b->anchor_model) == 0)
            return UTIL_OK;
    char known[768] = ""; /* the public models, as many as fit */
    for (int i = 0; i < b->n_models; i++) {
        size_t len = strlen(known);
        if (len + strlen(b->models[i].name) + 8 >= sizeof known) {
            snprintf(known + len, sizeof known - len, ", ...");
            break;
        }
        snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", b->models[i].name);
    }
    return point_fail(x, 0, -1, "leaderboard.anchor.model", NULL,
                      "'%s' is not the name of an entry of models (models: %s)", b->anchor_model,
                      known);
}
