/*
 * config/config_yaml.c — the base of the config module: YAML node helpers, source
 * marks of explicitly given fields, and errors located as
 * "FILE:LINE:COLUMN: key.path: what was expected" (UTIL_EINPUT).
 */
#include "config/config_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

config_mark config_node_mark(const yaml_node_t *n)
{
    config_mark m = {(int)n->start_mark.line + 1, (int)n->start_mark.column + 1};
    return m;
}

int config_fail(config_ctx *x, config_mark m, const char *disp, const char *fmt, ...)
{
    char msg[UTIL_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (disp && *disp)
        return util_err_set(x->err, UTIL_EINPUT, "%s:%d:%d: %s: %s", x->c->name, m.line, m.col,
                            disp, msg);
    return util_err_set(x->err, UTIL_EINPUT, "%s:%d:%d: %s", x->c->name, m.line, m.col, msg);
}

const char *config_scalar(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

const char *config_node_kind(const yaml_node_t *n)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    return n->data.scalar.length ? "a scalar" : "an empty value";
}

void config_mark_add(config *c, int key, int item, config_mark m)
{
    if (c->n_marks == c->cap_marks) {
        c->cap_marks = c->cap_marks ? 2 * c->cap_marks : 256;
        c->marks = util_realloc(c->marks, c->cap_marks * sizeof *c->marks);
    }
    config_markrec r = {key, item, m};
    c->marks[c->n_marks++] = r;
}

int config_mark_find(const config *c, int key, int item, config_mark *m)
{
    for (size_t i = 0; i < c->n_marks; i++)
        if (c->marks[i].key == key && c->marks[i].item == item) {
            *m = c->marks[i].m;
            return 1;
        }
    return 0;
}

int config_check_dup_keys(config_ctx *x, yaml_node_t *map, const char *disp)
{
    yaml_node_pair_t *a, *b;
    for (a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top; a++) {
        yaml_node_t *ka = yaml_document_get_node(x->doc, a->key);
        const char *sa = config_scalar(ka);
        if (!sa)
            return config_fail(x, config_node_mark(ka), disp, "expected a key name, got %s",
                               config_node_kind(ka));
        for (b = map->data.mapping.pairs.start; b < a; b++) {
            const char *sb = config_scalar(yaml_document_get_node(x->doc, b->key));
            if (strcmp(sa, sb) == 0)
                return config_fail(x, config_node_mark(ka), disp,
                                   "duplicate key '%s' (first given at line %d)", sa,
                                   config_node_mark(yaml_document_get_node(x->doc, b->key)).line);
        }
    }
    return UTIL_OK;
}
