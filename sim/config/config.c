/*
 * config/config.c — load a scenario config: YAML text (libyaml) → params, driven by
 * the schema table of config_schema.c. Every bad input becomes UTIL_EINPUT
 * with "FILE:LINE:COLUMN: key.path: what was expected" (config_yaml.c).
 * Units are those of params.h.
 */
#include "config/config_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_map(config_ctx *x, yaml_node_t *node, const char *prefix, char *rec, int item,
                     const char *disp);

static void join_path(char *out, const char *parent, const char *name)
{
    if (*parent)
        snprintf(out, CONFIG_PATH_LEN, "%s.%s", parent, name);
    else
        snprintf(out, CONFIG_PATH_LEN, "%s", name);
}

static int parse_scalar(config_ctx *x, const config_key *k, yaml_node_t *val, char *rec,
                        const char *disp)
{
    char why[512];
    config_value v;
    if (val->type != YAML_SCALAR_NODE) {
        config_key_expect(k, why, sizeof why);
        return config_fail(x, config_node_mark(val), disp, "expected %s, got %s", why,
                           config_node_kind(val));
    }
    int quoted = val->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    if (config_value_parse(k, config_scalar(val), quoted, &v, why, sizeof why))
        return config_fail(x, config_node_mark(val), disp, "%s", why);
    config_value_store(k, rec, &v);
    return UTIL_OK;
}

static int parse_set(config_ctx *x, const config_key *k, yaml_node_t *val, char *rec,
                     const char *disp)
{
    char exp[320];
    int *flags = (int *)(void *)(rec + k->off);
    config_key_expect(k, exp, sizeof exp);
    if (val->type != YAML_SEQUENCE_NODE)
        return config_fail(x, config_node_mark(val), disp, "expected %s, got %s", exp,
                           config_node_kind(val));
    memset(flags, 0, (size_t)k->n_names * sizeof *flags);
    int n = 0;
    for (yaml_node_item_t *it = val->data.sequence.items.start; it < val->data.sequence.items.top;
         it++) {
        yaml_node_t *e = yaml_document_get_node(x->doc, *it);
        const char *s = config_scalar(e);
        int j = 0;
        while (s && j < k->n_names && strcmp(s, k->names[j]) != 0)
            j++;
        if (!s || j == k->n_names)
            return config_fail(x, config_node_mark(e), disp, "expected %s, got '%s'", exp,
                               s ? s : config_node_kind(e));
        if (flags[j])
            return config_fail(x, config_node_mark(e), disp, "'%s' is listed twice", s);
        flags[j] = 1;
        n++;
    }
    if (n < k->min_items)
        return config_fail(x, config_node_mark(val), disp, "expected at least %d of: %s",
                           k->min_items, exp + strlen("a list of: "));
    return UTIL_OK;
}

static int parse_list(config_ctx *x, int ki, yaml_node_t *val, char *rec, const char *disp)
{
    const config_key *k = &config_schema[ki];
    char prefix[CONFIG_PATH_LEN], idisp[CONFIG_PATH_LEN + 16];
    if (val->type != YAML_SEQUENCE_NODE)
        return config_fail(x, config_node_mark(val), disp, "expected a list of mappings, got %s",
                           config_node_kind(val));
    int n = (int)(val->data.sequence.items.top - val->data.sequence.items.start);
    if (n < k->min_items || n > k->max_items)
        return config_fail(x, config_node_mark(val), disp,
                           "expected %d to %d entries, got %d", k->min_items, k->max_items, n);
    snprintf(prefix, sizeof prefix, "%s[]", k->path);
    for (int i = 0; i < n; i++) {
        yaml_node_t *e = yaml_document_get_node(x->doc, val->data.sequence.items.start[i]);
        char *item = rec + k->off + (size_t)i * k->item_size;
        memset(item, 0, k->item_size);
        config_schema_defaults(prefix, item);
        config_mark_add(x->c, ki, i, config_node_mark(e));
        snprintf(idisp, sizeof idisp, "%s[%d]", disp, i);
        int rc = parse_map(x, e, prefix, item, i, idisp);
        if (rc)
            return rc;
    }
    *(int *)(void *)(rec + k->count_off) = n;
    return UTIL_OK;
}

static int parse_entry(config_ctx *x, int ki, yaml_node_t *val, char *rec, int item,
                       const char *disp)
{
    const config_key *k = &config_schema[ki];
    config_mark_add(x->c, ki, item, config_node_mark(val));
    switch (k->type) {
    case CONFIG_MAP:
        if (k->flags & CONFIG_PRESENCE)
            *(int *)(void *)(rec + k->off) = 1;
        return parse_map(x, val, k->path, rec, item, disp);
    case CONFIG_LIST:
        return parse_list(x, ki, val, rec, disp);
    case CONFIG_SET:
        return parse_set(x, k, val, rec, disp);
    case CONFIG_SWEEP:
        x->sweep = val;
        return UTIL_OK;
    default:
        return parse_scalar(x, k, val, rec, disp);
    }
}

static int unknown_key(config_ctx *x, yaml_node_t *key, const char *prefix, const char *disp)
{
    const char *name = config_scalar(key);
    const char *hint = config_schema_suggest(prefix, name);
    char known[1024] = "";
    for (int i = 0; i < config_schema_n; i++)
        if (config_key_is_child(&config_schema[i], prefix)) {
            size_t len = strlen(known);
            snprintf(known + len, sizeof known - len, "%s%s", len ? ", " : "",
                     config_key_name(&config_schema[i]));
        }
    char where[CONFIG_PATH_LEN];
    join_path(where, disp, name);
    return config_fail(x, config_node_mark(key), where,
                       "unknown key '%s' (did you mean '%s'?; known keys here: %s)", name,
                       hint ? hint : "", known);
}

static int check_required(config_ctx *x, yaml_node_t *node, const char *prefix,
                          const unsigned char *seen, const char *disp)
{
    for (int i = 0; i < config_schema_n; i++) {
        const config_key *k = &config_schema[i];
        if (!config_key_is_child(k, prefix) || !(k->flags & CONFIG_REQ) || seen[i])
            continue;
        char exp[320];
        config_key_expect(k, exp, sizeof exp);
        return config_fail(x, config_node_mark(node), disp,
                           "missing required key '%s' (expected %s)", config_key_name(k), exp);
    }
    return UTIL_OK;
}

static int parse_map(config_ctx *x, yaml_node_t *node, const char *prefix, char *rec, int item,
                     const char *disp)
{
    unsigned char seen[256] = {0};
    char kdisp[CONFIG_PATH_LEN];
    if (node->type != YAML_MAPPING_NODE)
        return config_fail(x, config_node_mark(node), disp, "expected a mapping, got %s",
                           config_node_kind(node));
    int rc = config_check_dup_keys(x, node, disp);
    for (yaml_node_pair_t *pr = node->data.mapping.pairs.start;
         !rc && pr < node->data.mapping.pairs.top; pr++) {
        yaml_node_t *key = yaml_document_get_node(x->doc, pr->key);
        int ki = config_schema_child(prefix, config_scalar(key));
        if (ki < 0)
            return unknown_key(x, key, prefix, disp);
        seen[ki] = 1;
        join_path(kdisp, disp, config_key_name(&config_schema[ki]));
        rc = parse_entry(x, ki, yaml_document_get_node(x->doc, pr->value), rec, item, kdisp);
    }
    return rc ? rc : check_required(x, node, prefix, seen, disp);
}

/* ---- cross-field checks ---------------------------------------------------------- */

/* ---- loading ----------------------------------------------------------------------- */

/* Line and column of a byte offset (reader errors carry only the offset). */
static config_mark offset_mark(const char *text, size_t len, size_t off)
{
    config_mark m = {1, 1};
    for (size_t i = 0; i < off && i < len; i++) {
        m.col = text[i] == '\n' ? 1 : m.col + 1;
        m.line += text[i] == '\n';
    }
    return m;
}

static int syntax_error(config_ctx *x, const yaml_parser_t *ps, const char *text, size_t len)
{
    config_mark m = {(int)ps->problem_mark.line + 1, (int)ps->problem_mark.column + 1};
    if (ps->error == YAML_READER_ERROR)
        m = offset_mark(text, len, ps->problem_offset);
    if (ps->error != YAML_SCANNER_ERROR && ps->error != YAML_PARSER_ERROR &&
        ps->error != YAML_COMPOSER_ERROR && ps->error != YAML_READER_ERROR)
        return util_err_set(x->err, UTIL_EINPUT, "%s: cannot read YAML", x->c->name);
    if (ps->context)
        return config_fail(x, m, NULL, "YAML syntax error: %s %s", ps->problem, ps->context);
    return config_fail(x, m, NULL, "YAML syntax error: %s", ps->problem);
}

/* Parse the one YAML document into the base params. */
static int parse_document(config_ctx *x, yaml_parser_t *ps, const char *text, size_t len)
{
    yaml_document_t extra;
    yaml_node_t *root = yaml_document_get_root_node(x->doc);
    if (!root)
        return config_fail(x, x->c->root, NULL,
                           "empty config (expected a mapping with seed, arena, models, ...)");
    x->c->root = config_node_mark(root);
    if (!yaml_parser_load(ps, &extra))
        return syntax_error(x, ps, text, len);
    int more = yaml_document_get_root_node(&extra) != NULL;
    config_mark m = more ? config_node_mark(yaml_document_get_root_node(&extra)) : x->c->root;
    yaml_document_delete(&extra);
    if (more)
        return config_fail(x, m, NULL, "expected a single YAML document, found another");
    if (root->type != YAML_MAPPING_NODE)
        return config_fail(x, x->c->root, NULL, "expected a mapping at the top level, got %s",
                           config_node_kind(root));
    config_schema_defaults("", x->c->base);
    int rc = parse_map(x, root, "", (char *)x->c->base, -1, "");
    if (!rc)
        rc = config_check_names(x);
    if (!rc)
        rc = config_check_anchor(x);
    return rc;
}

static int load_document(config_ctx *x, const char *text, size_t len)
{
    yaml_parser_t ps;
    yaml_document_t doc;
    int rc = UTIL_OK;
    if ((rc = config_check_limits(x, text, len)))
        return rc;
    if (!yaml_parser_initialize(&ps))
        return util_err_set(x->err, UTIL_ERUNTIME, "cannot initialise the YAML parser");
    yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
    if (!yaml_parser_load(&ps, &doc)) {
        rc = syntax_error(x, &ps, text, len);
        goto out_parser;
    }
    x->doc = &doc;
    rc = parse_document(x, &ps, text, len);
    if (!rc && x->sweep)
        rc = config_sweep_parse(x, x->sweep);
    if (!rc)
        rc = config_sweep_validate(x);
    yaml_document_delete(&doc);
    x->doc = NULL;
out_parser:
    yaml_parser_delete(&ps);
    return rc;
}

static config *load_buffer(const char *text, size_t len, const char *name, util_err *err)
{
    config *c = util_calloc(1, sizeof *c);
    config_ctx x = {c, NULL, err, NULL};
    c->name = util_strdup(name ? name : "<config>");
    c->base = util_calloc(1, sizeof *c->base);
    c->root.line = c->root.col = 1;
    c->n_points = 1;
    if (load_document(&x, text, len))
        goto fail;
    c->yaml = config_dump(c);
    c->hash = util_hash64(c->yaml, strlen(c->yaml));
    free(c->marks); /* only needed for messages while loading */
    c->marks = NULL;
    c->n_marks = c->cap_marks = 0;
    return c;
fail:
    config_free(c);
    return NULL;
}

config *config_load_string(const char *text, const char *name, util_err *err)
{
    util_err_clear(err);
    return load_buffer(text, strlen(text), name, err);
}

static char *read_file(const char *path, size_t *len, util_err *err)
{
    char *buf = NULL;
    size_t cap = 0, n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        util_err_set(err, UTIL_EINPUT, "%s: cannot open config: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (cap - n < 4096)
            buf = util_realloc(buf, cap = 2 * cap + 8192);
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        util_err_set(err, UTIL_EINPUT, "%s: cannot read config: %s", path, strerror(errno));
        free(buf);
        buf = NULL;
    } else {
        buf[n] = '\0';
        *len = n;
    }
    fclose(f);
    return buf;
}

config *config_load(const char *path, util_err *err)
{
    size_t len = 0;
    util_err_clear(err);
    char *text = read_file(path, &len, err);
    if (!text)
        return NULL;
    config *c = load_buffer(text, len, path, err);
    free(text);
    return c;
}

void config_free(config *c)
{
    if (!c)
        return;
    config_axes_free(c);
    free(c->marks);
    free(c->yaml);
    free(c->base);
    free(c->name);
    free(c);
}

/* ---- accessors ------------------------------------------------------------------- */

size_t config_n_points(const config *c) { return c->n_points; }
int config_n_axes(const config *c) { return c->n_axes; }
const char *config_resolved_yaml(const config *c) { return c->yaml; }
uint64_t config_hash(const config *c) { return c->hash; }
