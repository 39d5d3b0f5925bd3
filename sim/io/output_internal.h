/*
 * io/output_internal.h — what output.c (writing) and output_read.c (checked
 * reading) share: the state of an open result file and the dataset helpers.
 * Private to sim/io.
 */
#ifndef ARENASIM_OUTPUT_INTERNAL_H
#define ARENASIM_OUTPUT_INTERNAL_H

#include <stddef.h>

#include <hdf5.h>

#include "io/output.h"

/* An axis with labels (model, estimator, ...): its dimension scales copy them. */
typedef struct {
    char *name;
    size_t n;
    char **labels;
} output_axis;

struct output {
    hid_t file;
    char *path;
    size_t n_points;
    int R;
    hsize_t ax_len[4];
    unsigned char *complete;
    double *buf;
    size_t buf_len;
    double *scratch;
    const config *c;      /* while output_create runs: the sweep's coordinates */
    output_axis axes[16]; /* labelled axes known to this file */
    int n_axes;
    char *coords;         /* names of the sweep coordinates along `point`, space-separated */
    int in_coords;        /* creating those coordinates (they name no coordinates) */
    char **data;          /* point-major datasets (merge copies them, readers check them) */
    size_t n_data;
};

/* Create the layout of `c` (point 0 labels the axes) in `path`, or in memory
 * when path is NULL (readers compare files with it). */
output *output_create_layout(const char *path, const config *c, const output_meta *meta,
                             util_err *err);
void output_free_layout(output *o);
/* Mark `point` complete in /sweep/complete and flush. */
int output_mark_complete(output *o, size_t point);
/* Write point p's slice ([p, ...]) of dataset `path`. */
int output_write_slice(hid_t file, const char *path, size_t p, hid_t memtype, const void *buf);

#endif
