/*
 * io/output.h — the HDF5 result file of `arenasim run` (DESIGN §5, §6):
 * /provenance, /config, /sweep, /axes, /results (per replicate) and
 * /summary (per point). Datasets have a leading `point` axis sized for the
 * whole sweep; a run (or shard) writes the points it owns, marks each in
 * /sweep/complete and flushes before starting the next, so a killed run can
 * resume and shards can be merged point by point.
 */
#ifndef ARENASIM_OUTPUT_H
#define ARENASIM_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "config/config.h"
#include "arena/arena.h"
#include "base/util.h"

typedef struct output output;

typedef struct {
    const char *command_line;
    int threads;
    int shard_index, shard_count;
} output_meta;

/* Create a new file at `path` (truncating) for the config's full sweep;
 * `s` is point 0's scenario (its slot names label the model axis). */
output *output_create(const char *path, const config *c, const arena_scenario *s,
                      const output_meta *meta, util_err *err);
/* Reopen a file written by output_create for the same config (hash checked)
 * to continue it; UTIL_EINPUT if it belongs to another config or is damaged
 * (*unreadable is then set when HDF5 cannot read it as a result file). */
output *output_open_resume(const char *path, const config *c, const output_meta *meta,
                           int *unreadable, util_err *err);
int output_point_complete(const output *o, size_t point);
/* Rename the open file (POSIX keeps it open); 0 or −1 with errno. */
int output_rename(output *o, const char *path);
/* Write point p's R replicate results and its summary, mark it complete and
 * flush to disk. */
int output_write_point(output *o, size_t point, const arena_scenario *s, const arena_result *res,
                       int R, util_err *err);
int output_close(output *o, util_err *err);

/* Open an existing result file read-only, checking its layout; returns the
 * file id or a negative value with err (UTIL_EINPUT naming the dataset). */
hid_t output_open_read(const char *path, util_err *err);
/* Read string attribute `name` of object `obj` (malloc'd) or NULL. */
char *output_read_str_attr(hid_t file, const char *obj, const char *name);
/* Read integer attribute `name` of object `obj`, or −1. */
long long output_read_int_attr(hid_t file, const char *obj, const char *name);
/* Read a whole dataset as doubles (malloc'd, *n elements, dims out). */
double *output_read_doubles(hid_t file, const char *path, hsize_t *dims, int *rank,
                            util_err *err);
/* Read a 1-D string dataset (malloc'd array of malloc'd strings). */
char **output_read_strings(hid_t file, const char *path, size_t *n, util_err *err);

/* Write a whole dataset (double, or int when is_int) or a 1-D string
 * dataset at `path` (intermediate groups created) through the one helper
 * that creates and labels every dataset (`dims`, `description`); for
 * groups written after the points, e.g. /game. 0 or −1. */
int output_put_array(hid_t file, const char *path, int is_int, int rank, const hsize_t *shape,
                     const void *data, const char *dims, const char *desc);
int output_put_strings(hid_t file, const char *path, const char *const *v, size_t n,
                       const char *dims, const char *desc);

/* Copy point p of every per-point dataset from `src` to `dst` and mark it
 * complete in dst (merge). */
int output_copy_point(hid_t src, output *dst, size_t point, util_err *err);

#endif
