/*
 * config/config_axes.c — the sweep as data: which value of each axis a point takes
 * (grid: cartesian, last axis fastest; zip), the params of one point, and
 * the public accessors of config.h for axes and points.
 */
#include "config/config_internal.h"

#include <stdlib.h>
#include <string.h>

size_t config_axis_index(const config *c, int a, size_t p)
{
    const config_axis *ax = &c->axes[a];
    return c->zip ? p : (p / ax->stride) % ax->n;
}

void config_apply_point(const config *c, size_t p, params *w)
{
    for (int a = 0; a < c->n_axes; a++) {
        const config_axis *ax = &c->axes[a];
        char *rec = (char *)w;
        if (ax->item >= 0) {
            const config_key *l = &config_schema[ax->list_key];
            rec += l->off + (size_t)ax->item * l->item_size;
        }
        config_value_store(&config_schema[ax->key], rec, &ax->vals[config_axis_index(c, a, p)]);
    }
}

void config_axes_free(config *c)
{
    for (int a = 0; a < c->n_axes; a++) {
        config_axis *ax = &c->axes[a];
        for (size_t j = 0; ax->text && j < ax->n; j++)
            free(ax->text[j]);
        free(ax->text);
        free(ax->vals);
        free(ax->marks);
        free(ax->path);
    }
    free(c->axes);
    c->axes = NULL;
    c->n_axes = 0;
}

const char *config_axis_name(const config *c, int axis)
{
    return axis >= 0 && axis < c->n_axes ? c->axes[axis].path : NULL;
}

const char *config_axis_value(const config *c, int axis, size_t p)
{
    if (axis < 0 || axis >= c->n_axes || p >= c->n_points)
        return NULL;
    return c->axes[axis].text[config_axis_index(c, axis, p)];
}

size_t config_axis_len(const config *c, int axis)
{
    return axis >= 0 && axis < c->n_axes ? c->axes[axis].n : 0;
}

size_t config_axis_pos(const config *c, int axis, size_t p)
{
    return config_axis_index(c, axis, p);
}

int config_axis_lead(const config *c, int axis)
{
    return axis >= 0 && axis < c->n_axes ? c->axes[axis].lead : -1;
}

int config_sweep_zip(const config *c)
{
    return c->zip;
}

int config_axis_numeric(const config *c, int axis, size_t p, double *value)
{
    if (axis < 0 || axis >= c->n_axes || p >= c->n_points)
        return 0;
    const config_axis *ax = &c->axes[axis];
    const config_value *v = &ax->vals[config_axis_index(c, axis, p)];
    switch (config_schema[ax->key].type) {
    case CONFIG_INT:
    case CONFIG_LONG:
    case CONFIG_BOOL: *value = (double)v->i; return 1;
    case CONFIG_DOUBLE: *value = v->d; return 1;
    default: return 0;
    }
}

int config_point(const config *c, size_t p, params *out, util_err *err)
{
    if (p >= c->n_points)
        return util_err_set(err, UTIL_EINPUT, "%s: sweep point %zu out of range (%zu points)",
                            c->name, p, c->n_points);
    memcpy(out, c->base, sizeof *out);
    config_apply_point(c, p, out);
    return UTIL_OK;
}
