/*
 * config/config_sweep.c — the `sweep:` block of a config: axes that name a scalar
 * key of the schema (list entries selected by [index] or [name]), their
 * values (a list, or an inclusive linspace `range`), linked axes (`paths`:
 * several keys set together from tuples of values, one grid dimension), grid
 * (cartesian, last entry fastest) or zip expansion, and the validation of
 * every point at load.
 */
#include "config/config_internal.h"

#include <ctype.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {"grid", "zip"};
static const char *const sweep_keys[] = {"mode", "axes"};
static const char *const axis_keys[] = {"path", "paths", "values", "range"};
static const char *const range_keys[] = {"from", "to", "steps"};
static const config_key mode_key = {.path = "sweep.mode", .type = CONFIG_ENUM,
                                    .names = mode_names, .n_names = 2};
static const config_key range_rows[] = {
    {.path = "from", .type = CONFIG_DOUBLE, .min = -DBL_MAX, .max = DBL_MAX},
    {.path = "to", .type = CONFIG_DOUBLE, .min = -DBL_MAX, .max = DBL_MAX},
    {.path = "steps", .type = CONFIG_INT, .min = 1, .max = CONFIG_MAX_POINTS},
};

/* Index of `name` in a list of known keys, or an error with a hint. */
static int known_key(config_ctx *x, yaml_node_t *key, const char *const *keys, int n,
                     const char *disp)
{
    const char *name = config_scalar(key);
    int best = 0, bestd = 1 << 30;
    for (int i = 0; i < n; i++) {
        if (strcmp(name, keys[i]) == 0)
            return i;
        int d = config_edit_distance(name, keys[i]);
        if (d < bestd) {
            bestd = d;
            best = i;
        }
    }
    config_fail(x, config_node_mark(key), disp, "unknown key '%s' (did you mean '%s'?)", name,
                keys[best]);
    return -1;
}

/* Fill vals[] with the child nodes of `map` by known key; -1 on error. */
static int read_map(config_ctx *x, yaml_node_t *map, const char *const *keys, int n,
                    yaml_node_t **vals, const char *disp)
{
    if (map->type != YAML_MAPPING_NODE) {
        config_fail(x, config_node_mark(map), disp, "expected a mapping");
        return -1;
    }
    if (config_check_dup_keys(x, map, disp))
        return -1;
    for (int i = 0; i < n; i++)
        vals[i] = NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        int i = known_key(x, yaml_document_get_node(x->doc, p->key), keys, n, disp);
        if (i < 0)
            return -1;
        vals[i] = yaml_document_get_node(x->doc, p->value);
    }
    return 0;
}

static int parse_value(config_ctx *x, const config_key *k, yaml_node_t *n, config_value *v,
                       const char *disp)
{
    char why[512];
    if (!config_scalar(n))
        return config_fail(x, config_node_mark(n), disp, "expected a scalar");
    if (config_value_parse(k, config_scalar(n), n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE,
                           v, why, sizeof why))
        return config_fail(x, config_node_mark(n), disp, "%s", why);
    return UTIL_OK;
}

/* ---- axis paths ------------------------------------------------------------------- */

/* Item of list row `lk` named by selector `sel` ([index] or [name]). */
static int select_item(config_ctx *x, int lk, const char *sel, config_mark m, const char *disp,
                       int *item)
{
    const config_key *l = &config_schema[lk];
    int n = *(const int *)(const void *)((const char *)x->c->base + l->count_off);
    const char *s = sel;
    while (isdigit((unsigned char)*s))
        s++;
    if (*sel && !*s) {
        *item = atoi(sel);
        if (*item < n && strlen(sel) < 8)
            return UTIL_OK;
        return config_fail(x, m, disp, "index %s out of range (%s has %d entries)", sel, l->path,
                           n);
    }
    char prefix[CONFIG_PATH_LEN];
    snprintf(prefix, sizeof prefix, "%s[]", l->path);
    const config_key *sk = &config_schema[config_schema_child(prefix, l->sel)];
    for (int i = 0; i < n; i++) {
        const char *rec = (const char *)x->c->base + l->off + (size_t)i * l->item_size;
        if (strcmp(rec + sk->off, sel) == 0) {
            *item = i;
            return UTIL_OK;
        }
    }
    char known[512] = "";
    for (int i = 0; i < n && strlen(known) + PARAMS_NAME_LEN + 8 < sizeof known; i++) {
        const char *rec = (const char *)x->c->base + l->off + (size_t)i * l->item_size;
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                 rec + sk->off);
    }
    return config_fail(x, m, disp, "no entry of %s has %s '%s' (%s: %s; or an index 0..%d)",
                       l->path, l->sel, sel, n == 1 ? "the one entry is" : "entries are",
                       n ? known : "none", n - 1);
}

/* One component "name" or "name[sel]" of a path; returns the rest or NULL. */
static const char *next_component(const char *s, char *name, char *sel, int *has_sel)
{
    size_t n = strcspn(s, ".[");
    if (n == 0 || n >= CONFIG_PATH_LEN)
        return NULL;
    memcpy(name, s, n);
    name[n] = '\0';
    s += n;
    *has_sel = *s == '[';
    if (*has_sel) {
        const char *close = strchr(s, ']');
        if (!close || close - s - 1 >= PARAMS_NAME_LEN)
            return NULL;
        memcpy(sel, s + 1, (size_t)(close - s - 1));
        sel[close - s - 1] = '\0';
        s = close + 1;
    }
    if (*s == '.')
        return s[1] ? s + 1 : NULL;
    return *s ? NULL : s;
}

static int path_unknown(config_ctx *x, config_axis *ax, const char *rest, const char *name,
                        const char *prefix, const char *disp)
{
    const char *hint = config_schema_suggest(prefix, name);
    return config_fail(x, ax->path_mark, disp,
                       "'%s' does not name a config key: unknown key '%s' (did you mean '%.*s%s'?)",
                       ax->path, name, (int)(rest - ax->path), ax->path, hint ? hint : "");
}

static int check_target(config_ctx *x, config_axis *ax, const config_key *k, const char *disp)
{
    if (!config_key_is_scalar(k))
        return config_fail(x, ax->path_mark, disp,
                           "'%s' is %s, not a scalar key; only scalar keys can be swept",
                           ax->path, k->type == CONFIG_MAP ? "a mapping" : "a list");
    if (k->flags & CONFIG_NOSWEEP)
        return config_fail(x, ax->path_mark, disp, "'%s' cannot be swept", ax->path);
    return UTIL_OK;
}

static int resolve_path(config_ctx *x, config_axis *ax, const char *disp)
{
    char prefix[CONFIG_PATH_LEN] = "", name[CONFIG_PATH_LEN], sel[PARAMS_NAME_LEN];
    const char *s = ax->path, *rest;
    int has_sel, k = -1;
    ax->list_key = ax->item = -1;
    for (; *s; s = rest) {
        rest = next_component(s, name, sel, &has_sel);
        if (!rest)
            return config_fail(x, ax->path_mark, disp,
                               "malformed path '%s' (expected e.g. voters.count or "
                               "gaming[NAME].variants)", ax->path);
        if (k >= 0 && config_key_is_scalar(&config_schema[k]))
            return config_fail(x, ax->path_mark, disp, "'%s': %s has no keys below it", ax->path,
                               config_schema[k].path);
        if ((k = config_schema_child(prefix, name)) < 0 || config_schema[k].type == CONFIG_SWEEP)
            return path_unknown(x, ax, s, name, prefix, disp);
        const config_key *row = &config_schema[k];
        if (row->type == CONFIG_LIST && !has_sel && !*rest)
            return config_fail(x, ax->path_mark, disp,
                               "'%s' is a list; list lengths cannot be swept (sweep a key of "
                               "one entry, e.g. %s[0].%s)", ax->path, name,
                               k == config_schema_find("models") ? "theta" : "variants");
        if (has_sel != (row->type == CONFIG_LIST))
            return config_fail(x, ax->path_mark, disp,
                               has_sel ? "'%s': %s is not a list" :
                                         "'%s': %s is a list; select an entry as %s[NAME] or %s[INDEX]",
                               ax->path, name, name, name);
        if (row->type == CONFIG_LIST) {
            if (!*rest)
                break;
            if (select_item(x, k, sel, ax->path_mark, disp, &ax->item))
                return x->err->code;
            ax->list_key = k;
            snprintf(prefix, sizeof prefix, "%s[]", row->path);
        } else {
            if ((row->flags & CONFIG_PRESENCE) &&
                !*(const int *)(const void *)((const char *)x->c->base + row->off))
                return config_fail(x, ax->path_mark, disp,
                                   "'%s': %s is not given, so its keys cannot be swept",
                                   ax->path, row->path);
            snprintf(prefix, sizeof prefix, "%s", row->path);
        }
    }
    ax->key = k;
    return check_target(x, ax, &config_schema[k], disp);
}

/* ---- axes ------------------------------------------------------------------------ */

/* Axis a (already holding path, marks and entry) resolved and not a duplicate. */
static int add_axis(config_ctx *x, int a)
{
    config_axis *ax = &x->c->axes[a];
    char disp[64];
    snprintf(disp, sizeof disp, "sweep.axes[%d].path%s", ax->entry, ax->member >= 0 ? "s" : "");
    int rc = resolve_path(x, ax, disp);
    for (int b = 0; !rc && b < a; b++)
        if (x->c->axes[b].key == ax->key && x->c->axes[b].item == ax->item)
            rc = config_fail(x, ax->path_mark, disp, "'%s' is already swept by sweep.axes[%d]",
                             ax->path, x->c->axes[b].entry);
    return rc;
}

/* Entry e of sweep.axes: one axis (`path`) or linked axes (`paths`), appended
 * at x->c->axes[*na]. */
static int parse_axis(config_ctx *x, int e, yaml_node_t *node, int *na)
{
    yaml_node_t *v[4];
    char disp[64];
    snprintf(disp, sizeof disp, "sweep.axes[%d]", e);
    if (read_map(x, node, axis_keys, 4, v, disp))
        return x->err->code;
    if (!v[0] == !v[1])
        return config_fail(x, config_node_mark(node), disp,
                           "give exactly one of 'path' (one key) or 'paths' (a list of keys "
                           "set together, with tuples of values)");
    if (v[0] && (!config_scalar(v[0]) || !*config_scalar(v[0])))
        return config_fail(x, config_node_mark(v[0]), disp, "expected a key path for 'path'");
    if (!v[2] == !v[3])
        return config_fail(x, config_node_mark(node), disp,
                           "give exactly one of 'values' (a list) or 'range' "
                           "({from:, to:, steps:})");
    yaml_node_t **paths = &v[0];
    int np = 1, member = -1;
    if (v[1]) {
        if (v[1]->type != YAML_SEQUENCE_NODE ||
            v[1]->data.sequence.items.top == v[1]->data.sequence.items.start)
            return config_fail(x, config_node_mark(v[1]), disp,
                               "expected 'paths' to be a non-empty list of key paths");
        if (v[3])
            return config_fail(x, config_node_mark(v[3]), disp,
                               "linked 'paths' take 'values': a list of tuples [v1, v2, ...], "
                               "one value per path");
        np = (int)(v[1]->data.sequence.items.top - v[1]->data.sequence.items.start);
        member = 0;
    }
    int lead = *na;
    for (int m = 0; m < np; m++) {
        yaml_node_t *pn = v[1] ? yaml_document_get_node(x->doc, v[1]->data.sequence.items.start[m])
                               : *paths;
        if (!config_scalar(pn) || !*config_scalar(pn))
            return config_fail(x, config_node_mark(pn), disp, "expected a key path in 'paths'");
        config_axis *ax = &x->c->axes[(*na)++];
        x->c->n_axes = *na;
        ax->path = util_strdup(config_scalar(pn));
        ax->path_mark = config_node_mark(pn);
        ax->values_node = v[2];
        ax->range_node = v[3];
        ax->entry = e;
        ax->member = member < 0 ? -1 : m;
        ax->lead = lead;
        if (add_axis(x, *na - 1))
            return x->err->code;
    }
    return UTIL_OK;
}

/* Keys in one entry: 1, or the length of its `paths`. */
static int entry_width(config_ctx *x, yaml_node_t *node)
{
    if (node->type != YAML_MAPPING_NODE)
        return 1;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(x->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(x->doc, p->value);
        if (config_scalar(k) && !strcmp(config_scalar(k), "paths") &&
            v->type == YAML_SEQUENCE_NODE && v->data.sequence.items.top > v->data.sequence.items.start)
            return (int)(v->data.sequence.items.top - v->data.sequence.items.start);
    }
    return 1;
}

/* Number of values of an axis (reads `range` into from/to/steps). */
static int count_values(config_ctx *x, int a, double range[3])
{
    config_axis *ax = &x->c->axes[a];
    char disp[64];
    if (ax->values_node) {
        snprintf(disp, sizeof disp, "sweep.axes[%d].values", ax->entry);
        yaml_node_t *n = ax->values_node;
        if (n->type != YAML_SEQUENCE_NODE || n->data.sequence.items.top == n->data.sequence.items.start)
            return config_fail(x, config_node_mark(n), disp, "expected a non-empty list of values");
        ax->n = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (ax->member != 0)
            return UTIL_OK;
        int width = 0; /* a linked entry's first axis checks every tuple */
        while (a + width < x->c->n_axes && x->c->axes[a + width].lead == a)
            width++;
        for (size_t j = 0; j < ax->n; j++) {
            yaml_node_t *t = yaml_document_get_node(x->doc, n->data.sequence.items.start[j]);
            if (t->type != YAML_SEQUENCE_NODE ||
                t->data.sequence.items.top - t->data.sequence.items.start != width)
            {
                char got[64];
                if (t->type == YAML_SEQUENCE_NODE)
                    snprintf(got, sizeof got, "a list of %d",
                             (int)(t->data.sequence.items.top - t->data.sequence.items.start));
                else
                    snprintf(got, sizeof got, "%s", config_node_kind(t));
                return config_fail(x, config_node_mark(t), disp,
                                   "value %zu: expected a list of %d values (one per path: %s, "
                                   "...), got %s", j, width, ax->path, got);
            }
        }
        return UTIL_OK;
    }
    yaml_node_t *v[3];
    snprintf(disp, sizeof disp, "sweep.axes[%d].range", ax->entry);
    if (read_map(x, ax->range_node, range_keys, 3, v, disp))
        return x->err->code;
    for (int i = 0; i < 3; i++) {
        config_value cv;
        char d2[96];
        snprintf(d2, sizeof d2, "%s.%s", disp, range_keys[i]);
        if (!v[i])
            return config_fail(x, config_node_mark(ax->range_node), disp,
                               "missing required key '%s'", range_keys[i]);
        if (parse_value(x, &range_rows[i], v[i], &cv, d2))
            return x->err->code;
        range[i] = cv.d;
    }
    ax->n = (size_t)range[2];
    return UTIL_OK;
}

/* Value j of n from range[0] to range[1] inclusive; this form is exact for
 * integer grids such as 1..1000 in 1000 steps. */
static double linspace(const double range[3], size_t j, size_t n)
{
    if (j == 0 || n < 2)
        return range[0];
    if (j == n - 1)
        return range[1];
    double m = (double)(n - 1);
    return (range[0] * (m - (double)j) + range[1] * (double)j) / m;
}

static int fill_values(config_ctx *x, int a, const double range[3])
{
    config_axis *ax = &x->c->axes[a];
    const config_key *k = &config_schema[ax->key];
    char disp[CONFIG_PATH_LEN + 96], text[64], why[512];
    ax->vals = util_calloc(ax->n, sizeof *ax->vals);
    ax->text = util_calloc(ax->n, sizeof *ax->text);
    ax->marks = util_calloc(ax->n, sizeof *ax->marks);
    for (size_t j = 0; j < ax->n; j++) {
        size_t first = x->c->zip ? j : j * ax->stride; /* first point using value j */
        yaml_node_t *n = ax->range_node;
        int rc;
        if (ax->values_node) {
            n = yaml_document_get_node(x->doc, ax->values_node->data.sequence.items.start[j]);
            if (ax->member >= 0) {
                n = yaml_document_get_node(x->doc, n->data.sequence.items.start[ax->member]);
                snprintf(disp, sizeof disp, "sweep.axes[%d].values[%zu][%d] (%s)", ax->entry, j,
                         ax->member, ax->path);
            } else
                snprintf(disp, sizeof disp, "sweep.axes[%d].values[%zu]", ax->entry, j);
            rc = parse_value(x, k, n, &ax->vals[j], disp);
        } else {
            snprintf(text, sizeof text, "%.17g", linspace(range, j, ax->n));
            snprintf(disp, sizeof disp, "sweep.axes[%d].range", ax->entry);
            rc = config_value_parse(k, text, 0, &ax->vals[j], why, sizeof why)
                     ? config_fail(x, config_node_mark(n), disp, "value %zu: %s", j, why) : 0;
        }
        ax->marks[j] = config_node_mark(n);
        if (rc) {
            size_t len = strlen(x->err->msg);
            snprintf(x->err->msg + len, sizeof x->err->msg - len, " (sweep point %zu)", first);
            return rc;
        }
        config_value_format(k, &ax->vals[j], text, sizeof text);
        ax->text[j] = util_strdup(text);
    }
    return UTIL_OK;
}

/* Points of the sweep: product (grid) or common length (zip), capped. */
static int count_points(config_ctx *x, yaml_node_t *node)
{
    config *c = x->c;
    size_t n = 1;
    for (int a = c->n_axes - 1; a >= 0; a--) {
        config_axis *ax = &c->axes[a];
        yaml_node_t *src = ax->values_node ? ax->values_node : ax->range_node;
        if (c->zip && ax->n != c->axes[0].n)
            return config_fail(x, config_node_mark(src), "sweep",
                               "mode zip needs axes of equal length: axes[0] has %zu values, "
                               "axes[%d] has %zu", c->axes[0].n, ax->entry, ax->n);
        if (ax->lead != a)
            continue; /* linked: takes its entry's stride below */
        ax->stride = c->zip ? 1 : n;
        if (!c->zip && ax->n > CONFIG_MAX_POINTS / n)
            return config_fail(x, config_node_mark(node), "sweep",
                               "the grid has more than %d points", CONFIG_MAX_POINTS);
        n = c->zip ? ax->n : n * ax->n;
    }
    for (int a = 0; a < c->n_axes; a++)
        c->axes[a].stride = c->axes[c->axes[a].lead].stride;
    c->n_points = n;
    return UTIL_OK;
}

int config_sweep_parse(config_ctx *x, yaml_node_t *node)
{
    config *c = x->c;
    yaml_node_t *v[2];
    config_value mode;
    if (read_map(x, node, sweep_keys, 2, v, "sweep"))
        return x->err->code;
    if (v[0] && parse_value(x, &mode_key, v[0], &mode, "sweep.mode"))
        return x->err->code;
    c->zip = v[0] ? (int)mode.i : 0;
    if (!v[1])
        return config_fail(x, config_node_mark(node), "sweep", "missing required key 'axes'");
    yaml_node_t *axes = v[1];
    if (axes->type != YAML_SEQUENCE_NODE || axes->data.sequence.items.top == axes->data.sequence.items.start)
        return config_fail(x, config_node_mark(axes), "sweep.axes",
                           "expected a non-empty list of {path:, values:} mappings");
    int ne = (int)(axes->data.sequence.items.top - axes->data.sequence.items.start), n = 0;
    for (int e = 0; e < ne; e++)
        n += entry_width(x, yaml_document_get_node(x->doc, axes->data.sequence.items.start[e]));
    double(*range)[3] = util_calloc((size_t)n, sizeof *range);
    c->axes = util_calloc((size_t)n, sizeof *c->axes);
    int rc = UTIL_OK, na = 0;
    for (int e = 0; !rc && e < ne; e++) {
        int first = na;
        rc = parse_axis(x, e, yaml_document_get_node(x->doc, axes->data.sequence.items.start[e]),
                        &na);
        for (int a = first; !rc && a < na; a++)
            rc = count_values(x, a, range[a]);
    }
    if (!rc)
        rc = count_points(x, node);
    for (int a = 0; !rc && a < na; a++)
        rc = fill_values(x, a, range[a]);
    free(range);
    return rc;
}

/* Every point is materialised and checked, so a run never meets a bad one. */
int config_sweep_validate(config_ctx *x)
{
    config *c = x->c;
    if (c->n_axes == 0)
        return config_check_point(x, c->base, 0);
    params *w = util_malloc(sizeof *w);
    memcpy(w, c->base, sizeof *w);
    int rc = UTIL_OK;
    for (size_t p = 0; !rc && p < c->n_points; p++) {
        config_apply_point(c, p, w); /* every axis is set at every point */
        rc = config_check_point(x, w, p);
    }
    free(w);
    return rc;
}
