/*
 * config/config_schema.h — private to the config module (config*.c): the schema
 * table that drives parsing, validation, defaults, sweeps and the resolved
 * dump. One row per YAML key, addressed by its path ("voters.count",
 * "models[].style.tokens"; "[]" marks the items of a list). Offsets are into
 * the enclosing record: `params`, or the list item (params_model,
 * params_gaming) for paths below a "[]".
 */
#ifndef ARENASIM_CONFIG_SCHEMA_H
#define ARENASIM_CONFIG_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "params/params.h"

typedef enum {
    CONFIG_MAP,    /* nested mapping (children are rows with this path as parent) */
    CONFIG_LIST,   /* sequence of mappings, items below "path[]" */
    CONFIG_SWEEP,  /* the sweep block (parsed by config_sweep.c, not into params) */
    CONFIG_U64,    /* uint64_t */
    CONFIG_INT,    /* int */
    CONFIG_LONG,   /* long */
    CONFIG_DOUBLE, /* double, finite */
    CONFIG_BOOL,   /* int 0/1; YAML true/false */
    CONFIG_ENUM,   /* int index into names */
    CONFIG_STR,    /* char[PARAMS_NAME_LEN], non-empty unless default "" */
    CONFIG_SET     /* int flags[n_names]; YAML list of names */
} config_ktype;

enum {
    CONFIG_REQ = 1,      /* required whenever the enclosing mapping is given */
    CONFIG_MINX = 2,     /* min is exclusive */
    CONFIG_MAXX = 4,     /* max is exclusive */
    CONFIG_NOSWEEP = 8,  /* may not be a sweep axis */
    CONFIG_FLOW = 16,    /* dump this mapping in flow style {a: 1, b: 2} */
    CONFIG_PRESENCE = 32 /* optional mapping; int flag at `off` says it was given */
};

typedef struct {
    const char *path;
    config_ktype type;
    size_t off;
    double min, max;           /* numeric bounds */
    unsigned flags;
    double def;                /* numeric / bool default */
    const char *sdef;          /* STR, ENUM default; SET default as "a,b,c" */
    const char *const *names;  /* ENUM and SET spellings */
    int n_names;
    size_t count_off;          /* LIST: offset of the item count in params */
    size_t item_size;          /* LIST */
    int min_items, max_items;  /* LIST and SET */
    const char *sel;           /* LIST: item key that `[name]` selectors match */
} config_key;

/* A parsed scalar value, before it is stored. */
typedef struct {
    double d;
    long long i;
    uint64_t u;
    char s[PARAMS_NAME_LEN];
} config_value;

extern const config_key config_schema[];
extern const int config_schema_n;

/* Last path component ("tokens" of "models[].style.tokens"). */
const char *config_key_name(const config_key *k);
/* 1 if `k` is a direct child of the mapping at `prefix` ("" = top). */
int config_key_is_child(const config_key *k, const char *prefix);
/* 1 if `k` belongs to the record at `rec` ("" = params, "models[]" = item). */
int config_key_in_record(const config_key *k, const char *rec);
/* Row index of the child `name` of `prefix`, or of the full `path`; -1 if none. */
int config_schema_child(const char *prefix, const char *name);
int config_schema_find(const char *path);
/* The known key (child of prefix) closest to `name` by edit distance. */
const char *config_schema_suggest(const char *prefix, const char *name);
/* Levenshtein distance (case-sensitive). */
int config_edit_distance(const char *a, const char *b);

/* "an integer in [1, 1024]", "one of: bt, bt_style" ... */
void config_key_expect(const config_key *k, char *buf, size_t n);
/* Parse text for a scalar key; `quoted` = YAML quoted scalar. Returns 0, or
 * -1 with a message "expected ..., got '...'" in why. */
int config_value_parse(const config_key *k, const char *text, int quoted, config_value *v,
                       char *why, size_t nwhy);
void config_value_store(const config_key *k, void *rec, const config_value *v);
void config_value_load(const config_key *k, const void *rec, config_value *v);
/* Canonical text of a scalar value (doubles: shortest text that round-trips). */
void config_value_format(const config_key *k, const config_value *v, char *buf, size_t n);
/* Write the defaults of every row of record `rec` into `base`. */
void config_schema_defaults(const char *rec, void *base);
/* 1 for scalar row types (U64..STR). */
int config_key_is_scalar(const config_key *k);

#endif
