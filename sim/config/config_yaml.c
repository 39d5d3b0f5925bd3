/*
 * config/config_yaml.c — the base of the config module: YAML node helpers, source
 * marks of explicitly given fields, and errors located as
 * "FILE:LINE:COLUMN: key.path: what was expected" (UTIL_EINPUT), and the
 * limits on the text (size, line length, nesting depth) checked before the
 * document is built.
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

static config_mark config_token_mark(const yaml_token_t *t)
{
    config_mark m = {(int)t->start_mark.line + 1, (int)t->start_mark.column + 1};
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

/* Nesting depth by a token scan: start tokens open a level, end tokens close
 * one. Scanning stops at the first level over the limit, so the cost stays
 * linear in the text; a syntax error just ends the scan (the loader reports
 * it with its location). */
static int check_depth(config_ctx *x, const char *text, size_t len)
{
    yaml_parser_t ps;
    yaml_token_t tok;
    int depth = 0, rc = UTIL_OK, done = 0;
    if (!yaml_parser_initialize(&ps))
        return util_err_set(x->err, UTIL_ERUNTIME, "cannot initialise the YAML parser");
    yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
    while (!done && !rc && yaml_parser_scan(&ps, &tok)) {
        switch (tok.type) {
        case YAML_BLOCK_SEQUENCE_START_TOKEN:
        case YAML_BLOCK_MAPPING_START_TOKEN:
        case YAML_FLOW_SEQUENCE_START_TOKEN:
        case YAML_FLOW_MAPPING_START_TOKEN:
            if (++depth > CONFIG_MAX_DEPTH)
                rc = config_fail(x, config_token_mark(&tok), NULL,
                                 "nesting deeper than %d levels of mappings and lists (the limit; "
                                 "a config needs at most 6)", CONFIG_MAX_DEPTH);
            break;
        case YAML_BLOCK_END_TOKEN:
        case YAML_FLOW_SEQUENCE_END_TOKEN:
        case YAML_FLOW_MAPPING_END_TOKEN:
            depth--;
            break;
        case YAML_STREAM_END_TOKEN:
            done = 1;
            break;
        default:
            break;
        }
        yaml_token_delete(&tok);
    }
    yaml_parser_delete(&ps);
    return rc;
}

int config_check_limits(config_ctx *x, const char *text, size_t len)
{
    if (len > CONFIG_MAX_BYTES)
        return util_err_set(x->err, UTIL_EINPUT,
                            "%s: the config is %zu bytes, more than the limit of %u MiB",
                            x->c->name, len, CONFIG_MAX_BYTES >> 20);
    size_t line = 1, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '\n')
            continue;
        if (i - start > CONFIG_MAX_LINE) {
            config_mark m = {(int)line, CONFIG_MAX_LINE + 1};
            return config_fail(x, m, NULL, "line is %zu bytes long, more than the limit of %d bytes",
                               i - start, CONFIG_MAX_LINE);
        }
        line++;
        start = i + 1;
    }
    return check_depth(x, text, len);
}
