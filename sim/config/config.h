/*
 * config/config.h — scenario configs: YAML (libyaml) → validated params per sweep
 * point. One schema table (keys, types, bounds, defaults, required) drives
 * parsing, validation, defaults and the resolved dump. Errors name
 * file:line:column, the key, and what was expected; unknown keys get a
 * "did you mean" hint; every bad input returns UTIL_EINPUT.
 */
#ifndef ARENASIM_CONFIG_H
#define ARENASIM_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "params/params.h"
#include "base/util.h"

typedef struct config config;

/* Parse and fully validate (every sweep point is materialised and checked).
 * On error returns NULL with err set (code UTIL_EINPUT for bad input). */
config *config_load(const char *path, util_err *err);
/* Same, from text in memory; `name` is used in messages (e.g. the HDF5
 * dataset "/config:yaml" when re-reading a stored config). */
config *config_load_string(const char *text, const char *name, util_err *err);
void config_free(config *c);

/* Number of sweep points (1 without a sweep block). */
size_t config_n_points(const config *c);
/* Sweep axes: count, name (the path, e.g. "gaming[meta].variants"). */
int config_n_axes(const config *c);
const char *config_axis_name(const config *c, int axis);
/* The value of axis `axis` at point `p`, as text (for /sweep and check). */
const char *config_axis_value(const config *c, int axis, size_t p);
/* Number of values of axis `axis`, and the index of the value point p takes. */
size_t config_axis_len(const config *c, int axis);
size_t config_axis_pos(const config *c, int axis, size_t p);
/* Linked axes (sweep.axes[].paths) share one grid dimension: the first axis
 * of `axis`'s group (axis itself when it is not linked). The grid's
 * dimensions are the axes with config_axis_lead(c, a) == a. */
int config_axis_lead(const config *c, int axis);
/* Sweep mode: 1 for zip (axes walked together), 0 for grid (or no sweep). */
int config_sweep_zip(const config *c);
/* Numeric value of that axis at p if numeric (returns 1), else 0. */
int config_axis_numeric(const config *c, int axis, size_t p, double *value);

/* Resolved parameters of point p (defaults applied, sweep values set). */
int config_point(const config *c, size_t p, params *out, util_err *err);

/* The resolved config as YAML text (every default written out, sweep block
 * kept): loading it again gives identical params for every point. Owned by c. */
const char *config_resolved_yaml(const config *c);
/* 64-bit hash of the resolved YAML (shard/merge/resume identity). */
uint64_t config_hash(const config *c);

/* `arenasim check`: resolved config, then a table of the expanded points. */
void config_print(const config *c, FILE *out);

#endif
