/*
 * config/config_internal.h — private to the config module (config*.c): the config
 * object, source marks (1-based line:column of each YAML node that set a
 * field), sweep axes, and the load context shared by the parser, the sweep
 * expander and the dumper. The files call one way only:
 * config.c → config_dump.c → config_sweep.c → config_check.c →
 * config_axes.c → config_yaml.c → config_schema.c.
 */
#ifndef ARENASIM_CONFIG_INTERNAL_H
#define ARENASIM_CONFIG_INTERNAL_H

#include <yaml.h>

#include "config/config.h"
#include "config/config_schema.h"

#define CONFIG_MAX_POINTS 1000000
/* Limits on the text itself, checked before the YAML document is built
 * (libyaml's loader takes time quadratic in the nesting depth of flow
 * collections: 100,000 levels took 45 s). The schema nests 5 levels deep. */
#define CONFIG_MAX_BYTES (16u << 20) /* whole file */
#define CONFIG_MAX_LINE 65536        /* bytes per line */
#define CONFIG_MAX_DEPTH 64          /* nested mappings and lists */
#define CONFIG_PATH_LEN 512

typedef struct {
    int line, col; /* 1-based */
} config_mark;

typedef struct {
    int key;  /* schema row */
    int item; /* list item, -1 outside lists */
    config_mark m;
} config_markrec;

/* One swept key. A sweep.axes entry with `path` is one axis; an entry with
 * `paths` (linked keys, values given as tuples) is one axis per path, all
 * sharing one grid dimension: they take value j together. */
typedef struct {
    char *path;          /* as written, e.g. "gaming[meta].variants" */
    int entry;           /* index of its sweep.axes entry (the grid dimension) */
    int member;          /* position in the entry's `paths`, or -1 for `path` */
    int lead;            /* first axis of the same entry */
    int key;             /* schema row of the target scalar */
    int list_key, item;  /* enclosing list row and item, or -1, -1 */
    size_t n;            /* number of values */
    size_t stride;       /* grid: points between successive values */
    config_value *vals;
    char **text;         /* canonical text of each value */
    config_mark *marks;  /* where each value is written */
    config_mark path_mark;
    yaml_node_t *values_node, *range_node; /* during load only */
} config_axis;

struct config {
    char *name;      /* file name (or dataset) used in messages */
    params *base;    /* the config without sweep values */
    int zip;         /* sweep mode: 0 grid, 1 zip */
    int n_axes;
    config_axis *axes;
    size_t n_points;
    char *yaml;      /* resolved YAML */
    uint64_t hash;
    config_markrec *marks;
    size_t n_marks, cap_marks;
    config_mark root;
};

typedef struct {
    config *c;
    yaml_document_t *doc;
    util_err *err;
    yaml_node_t *sweep; /* the sweep: block, if any */
} config_ctx;

/* config_yaml.c — the base: YAML node helpers, marks, located errors. */
config_mark config_node_mark(const yaml_node_t *n);
/* Set err to "FILE:LINE:COL: DISP: message" (UTIL_EINPUT); returns it. */
int config_fail(config_ctx *x, config_mark m, const char *disp, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int config_check_dup_keys(config_ctx *x, yaml_node_t *map, const char *disp);
/* The size, line-length and nesting-depth limits above, on the raw text
 * (a token scan that stops at the first level too deep). */
int config_check_limits(config_ctx *x, const char *text, size_t len);
const char *config_scalar(yaml_node_t *n);
/* "a mapping", "a list", "a scalar" or "an empty value" (for messages). */
const char *config_node_kind(const yaml_node_t *n);
/* Marks of explicitly given fields. */
void config_mark_add(config *c, int key, int item, config_mark m);
int config_mark_find(const config *c, int key, int item, config_mark *m);

/* config_axes.c — the sweep as data (uses config_yaml.c, config_schema.c). */
size_t config_axis_index(const config *c, int a, size_t p);
void config_apply_point(const config *c, size_t p, params *w);
void config_axes_free(config *c);

/* config_check.c — cross-field checks of one point (w = params of point p). */
int config_check_point(config_ctx *x, const params *w, size_t p);
/* Names are identities: unique models / base names / vendors; the anchor exists. */
int config_check_names(config_ctx *x);
int config_check_anchor(config_ctx *x);

/* config_sweep.c — the sweep: block (uses the three above). */
int config_sweep_parse(config_ctx *x, yaml_node_t *node);
int config_sweep_validate(config_ctx *x);

/* config_dump.c — the resolved YAML and the `check` listing. */
char *config_dump(const config *c);

/* config.c, the top of the module, loads a file with all of the above;
 * no file of the module calls back into it. */

#endif
