/*
 * io/output.h — the HDF5 result file of `arenasim run` (DESIGN §5, §6):
 * /provenance, /config, /sweep, /axes, /results (per replicate) and
 * /summary (per point). Datasets have a leading `point` axis sized for the
 * whole sweep; a run (or shard) writes the points it owns, marks each in
 * /sweep/complete and flushes before starting the next, so a killed run can
 * resume and shards can be merged point by point. Every dataset is made by
 * one helper that labels it (`dims`, `description`, CF `long_name`/`units`)
 * and attaches it to the HDF5 dimension scales of its axes (each group holds
 * its own: labels, indices, and the sweep values along `point`), so netCDF-4
 * readers and xarray see named, labelled dimensions (README "Output layout").
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
/* Continue `part` (io/resume.c): lay out a new file at `tmp` as
 * output_create does and copy into it every complete point of `part` that
 * reads back (*copied; *redone counts those that did not and so will be
 * computed again). NULL with UTIL_EINPUT when `part` belongs to another
 * config, or with *damaged = 1 when HDF5 cannot read it as a result file.
 * The caller renames `tmp` over `part`. */
output *output_resume(const char *part, const char *tmp, const config *c, const arena_scenario *s,
                      const output_meta *m, size_t *copied, size_t *redone, int *damaged,
                      util_err *err);
int output_point_complete(const output *o, size_t point);
/* Set string attribute `name` of /provenance; 0 or −1. */
int output_set_provenance(output *o, const char *name, const char *value);
/* Rename the open file (POSIX keeps it open); 0 or −1 with errno. */
int output_rename(output *o, const char *path);
/* Write point p's R replicate results and its summary, mark it complete and
 * flush to disk. */
int output_write_point(output *o, size_t point, const arena_scenario *s, const arena_result *res,
                       int R, util_err *err);
int output_close(output *o, util_err *err);

/* ---- reading: checked before anything is read ----------------------------
 *
 * Format 2 (OUTPUT_FORMAT_VERSION; root attribute `format_version`) uses
 * HDF5's 1.8 file format, whose superblock, object headers and group indexes
 * carry checksums, gives every dataset a Fletcher-32 checksum, and checks
 * that each chunk of a complete point is found by the (unchecksummed) chunk
 * index, so damage on disk is a read error. Labels and the stored config are fixed-length strings: arenasim
 * never reads variable-length data of a format-2 file (HDF5 does not check
 * the global heap that holds it). Format 1 (files without `format_version`,
 * from before dimension scales) is read by `report` only; its checks run in
 * a child process first, so a file that makes HDF5 crash or hang is an
 * error naming the dataset, not a crash.
 *
 * Every reader call returns UTIL_EINPUT (2) with a message naming the file
 * and the dataset on a damaged, truncated, foreign or inconsistent file and
 * never crashes, hangs or allocates more than OUTPUT_READ_CAP bytes at once.
 * Fuzz targets call output_validate(path) on a mutated file (it runs every
 * check below and reads every dataset and label), or output_open_read +
 * output_reader_* for one reader's path; output_resume (io/resume.c) is the
 * --resume path. Seeds should be format-2 files (a format-1 file is checked in a
 * forked child, which a fuzzer does not see into).
 */
#define OUTPUT_FORMAT_VERSION 2
#define OUTPUT_READ_CAP ((size_t)1 << 30)

typedef struct output_reader output_reader;

/* Open `path` read-only and check it: HDF5 signature, format version, the
 * stored config (/config/yaml loads and matches /config/hash), and every
 * dataset of /sweep, /axes, /results, /summary (and any group the layout
 * adds) against the layout that config gives: rank, sizes, type class and
 * size. Datasets are not read yet (see output_reader_check_data). */
output_reader *output_open_read(const char *path, util_err *err);
void output_reader_close(output_reader *r);
/* Read every dataset of the layout whole (per point), so that each checksum
 * is verified: UTIL_OK or UTIL_EINPUT naming the dataset. */
int output_reader_check_data(output_reader *r, util_err *err);
/* output_open_read + output_reader_check_data + every label read: the whole
 * check a fuzz target runs on a file. UTIL_OK or UTIL_EINPUT. */
int output_validate(const char *path, util_err *err);

int output_reader_format(const output_reader *r);
const char *output_reader_path(const output_reader *r);
const config *output_reader_config(const output_reader *r);
const char *output_reader_yaml(const output_reader *r);
const char *output_reader_hash(const output_reader *r);
size_t output_reader_points(const output_reader *r);
int output_reader_replicates(const output_reader *r);
/* The open file (read-only), for groups outside the layout (e.g. /game,
 * read with output_read_* below). */
hid_t output_reader_file(const output_reader *r);
/* 1 when point p is complete in this file (n_points entries). */
const unsigned char *output_reader_complete(const output_reader *r);
/* Read a whole dataset of the layout as doubles (malloc'd; dims[8], rank). */
double *output_reader_doubles(const output_reader *r, const char *path, hsize_t *dims, int *rank,
                              util_err *err);
/* Read a 1-D or 2-D string dataset of the layout (malloc'd array of
 * malloc'd strings, *n elements). */
char **output_reader_strings(const output_reader *r, const char *path, size_t *n, util_err *err);
void output_free_strings(char **v, size_t n);

/* Copy point p of every point-major dataset from `src` to `dst` (both of one
 * config) and mark it complete in dst (merge). */
int output_copy_point(const output_reader *src, output *dst, size_t point, util_err *err);

/* Datasets outside the layout its config gives (/game, written after the
 * points): checked reads of file `file` — rank at most 8, at most
 * OUTPUT_READ_CAP bytes, checksums verified, fixed-length strings only in
 * format 2; UTIL_EINPUT naming the dataset otherwise. */
double *output_read_doubles(hid_t file, const char *path, hsize_t *dims, int *rank,
                            util_err *err);
char **output_read_strings(hid_t file, const char *path, size_t *n, util_err *err);
/* The stored config text (/config/yaml, or the attribute in format 1), or NULL. */
char *output_read_config_yaml(hid_t file);

/* Write a whole dataset (double, or int when is_int) or a 1-D string
 * dataset at `path` (intermediate groups created) through the one helper
 * that creates and labels every dataset (`dims`, `description`, CF
 * attributes, dimension scales, checksums); for groups written after the
 * points, e.g. /game. 0 or −1. */
int output_put_array(hid_t file, const char *path, int is_int, int rank, const hsize_t *shape,
                     const void *data, const char *dims, const char *desc);
int output_put_strings(hid_t file, const char *path, const char *const *v, size_t n,
                       const char *dims, const char *desc);

#endif
