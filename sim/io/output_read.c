/*
 * io/output_read.c — checked reading of result files (report, merge,
 * run --resume, fuzz targets; see output.h). A file is compared with the
 * layout its own stored config gives (built in memory by the writer's code,
 * so datasets other modules add are checked too) before any dataset is read;
 * reads verify the Fletcher-32 checksums of format 2. Format-1 files are
 * checked in a child process first (their variable-length labels go through
 * HDF5's unchecked global heap).
 */
#define _DEFAULT_SOURCE
#include "io/output.h"
#include "io/output_internal.h"

#include <stdint.h>
#include <fcntl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

/* A format-1 check in the child process gets this long (seconds). */
#define LEGACY_TIMEOUT_S 60
/* The stored config text is at most this long (bytes). */
#define MAX_CONFIG_TEXT ((size_t)64 << 20)

struct output_reader {
    hid_t f;
    char *path;
    int format;
    char *yaml, *hash;
    config *c;
    output *ref; /* the layout the stored config gives, in memory */
    unsigned char *complete;
    int progress_fd; /* format-1 check in a child: names each dataset before it is read */
};

static int check_chunks(const output_reader *r, hid_t d, const char *path, size_t p,
                        util_err *err);

static int bad(util_err *err, const output_reader *r, const char *fmt, const char *what)
{
    return util_err_set(err, UTIL_EINPUT, "%s: %s%s", r->path, what, fmt);
}

static void progress(const output_reader *r, const char *path)
{
    if (r->progress_fd >= 0) {
        char line[600];
        int n = snprintf(line, sizeof line, "@%s\n", path);
        if (write(r->progress_fd, line, (size_t)n) < 0) {
            /* the parent reports what it has */
        }
    }
}

/* Version of the HDF5 superblock (0..3) or −1 when the file has no HDF5
 * signature (at 0, 512, 1024, ... as the format allows). */
static int superblock_version(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    int v = -1;
    unsigned char buf[9];
    for (long at = 0; at <= (1L << 30) && v < 0; at = at ? 2 * at : 512) {
        if (fseek(fp, at, SEEK_SET) != 0 || fread(buf, 1, 9, fp) != 9)
            break;
        if (!memcmp(buf, sig, 8))
            v = buf[8];
    }
    fclose(fp);
    return v;
}

static int read_format(output_reader *r, util_err *err)
{
    r->format = 1; /* files without the attribute predate it */
    if (H5Aexists(r->f, "format_version") <= 0)
        return UTIL_OK;
    hid_t a = H5Aopen(r->f, "format_version", H5P_DEFAULT);
    hid_t sp = a >= 0 ? H5Aget_space(a) : -1, t = a >= 0 ? H5Aget_type(a) : -1;
    long long v = -1;
    int ok = a >= 0 && sp >= 0 && t >= 0 && H5Tget_class(t) == H5T_INTEGER &&
             H5Sget_simple_extent_type(sp) == H5S_SCALAR &&
             H5Aread(a, H5T_NATIVE_LLONG, &v) >= 0;
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    if (a >= 0)
        H5Aclose(a);
    if (!ok)
        return bad(err, r, " could not be read (damaged file)", "attribute /:format_version");
    if (v < 1 || v > OUTPUT_FORMAT_VERSION)
        return util_err_set(err, UTIL_EINPUT,
                            "%s: result-file format %lld; this arenasim reads formats 1 to %d "
                            "(written by a newer arenasim, or damaged)",
                            r->path, v, OUTPUT_FORMAT_VERSION);
    r->format = (int)v;
    return UTIL_OK;
}

/* Fixed-length string dataset `path` of one element (format 2). */
static char *read_text(output_reader *r, const char *path, util_err *err)
{
    progress(r, path);
    hid_t d = H5Lexists(r->f, path, H5P_DEFAULT) > 0 ? H5Dopen2(r->f, path, H5P_DEFAULT) : -1;
    if (d < 0) {
        bad(err, r, " is missing", path);
        return NULL;
    }
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    hsize_t n = 0;
    char *out = NULL;
    size_t size = t >= 0 ? H5Tget_size(t) : 0;
    if (t < 0 || sp < 0 || H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) != 0 ||
        H5Sget_simple_extent_ndims(sp) != 1 || H5Sget_simple_extent_dims(sp, &n, NULL) != 1 ||
        n != 1 || size == 0 || size > MAX_CONFIG_TEXT)
        bad(err, r, " is not one fixed-length string (damaged file?)", path);
    else if (check_chunks(r, d, path, SIZE_MAX, err) == UTIL_OK) {
        hid_t mt = H5Tcopy(t);
        out = util_malloc(size + 1);
        if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
            bad(err, r, " could not be read (damaged: checksum or HDF5 error)", path);
            free(out);
            out = NULL;
        } else
            out[size] = '\0';
        H5Tclose(mt);
    }
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    H5Dclose(d);
    return out;
}

/* Variable-length string attribute (format 1 only; checked in a child). */
static char *read_vlen_attr(output_reader *r, const char *obj, const char *name, util_err *err)
{
    char what[128];
    snprintf(what, sizeof what, "attribute %s:%s", obj, name);
    progress(r, what);
    char *out = NULL;
    if (H5Aexists_by_name(r->f, obj, name, H5P_DEFAULT) > 0) {
        hid_t a = H5Aopen_by_name(r->f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
        hid_t t = a >= 0 ? H5Aget_type(a) : -1;
        if (t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            hid_t mt = H5Tcopy(t);
            if (H5Aread(a, mt, &v) >= 0 && v) {
                out = util_strdup(v);
                H5free_memory(v);
            }
            H5Tclose(mt);
        }
        if (t >= 0)
            H5Tclose(t);
        if (a >= 0)
            H5Aclose(a);
    }
    if (!out)
        bad(err, r, " is missing or not a string", what);
    return out;
}

static int load_config(output_reader *r, util_err *err)
{
    if (r->format >= 2) {
        if (!(r->yaml = read_text(r, "/config/yaml", err)) ||
            !(r->hash = read_text(r, "/config/hash", err)))
            return UTIL_EINPUT;
    } else if (!(r->yaml = read_vlen_attr(r, "/config", "yaml", err)) ||
               !(r->hash = read_vlen_attr(r, "/config", "hash", err)))
        return UTIL_EINPUT;
    util_err e = {0, ""};
    if (!(r->c = config_load_string(r->yaml, "/config/yaml", &e)))
        return util_err_set(err, UTIL_EINPUT, "%s: the stored config does not load: %s", r->path,
                            e.msg);
    /* The stored hash is not compared with this build's hash of the text:
     * a newer build resolves an older file's config with its own defaults
     * (a different hash, same file). The text itself is checksummed. */
    output_meta m = {"", 0, 0, 1};
    if (!(r->ref = output_create_layout(NULL, r->c, &m, &e)))
        return util_err_set(err, UTIL_EINPUT, "%s: the stored config gives no layout: %s", r->path,
                            e.msg);
    return UTIL_OK;
}

/* ---- the layout check --------------------------------------------------- */

typedef struct {
    output_reader *r;
    util_err *err;
    int rc;
} visit_ctx;

/* Compare dataset `name` of the file with the layout's (rank, sizes, type). */
static int check_one(output_reader *r, const char *name, hid_t ref, util_err *err)
{
    char path[512];
    snprintf(path, sizeof path, "/%s", name);
    if (H5Lexists(r->f, path, H5P_DEFAULT) <= 0) {
        if (r->format < OUTPUT_FORMAT_VERSION) /* older files lack newer datasets */
            return UTIL_OK;
        return bad(err, r, " is missing", path);
    }
    hid_t d = H5Dopen2(r->f, path, H5P_DEFAULT);
    if (d < 0)
        return bad(err, r, " could not be opened (damaged file)", path);
    hid_t sp = H5Dget_space(d), t = H5Dget_type(d);
    hid_t rsp = H5Dget_space(ref), rt = H5Dget_type(ref);
    hsize_t dims[32], rdims[32];
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    int rrank = H5Sget_simple_extent_ndims(rsp);
    int rc = UTIL_OK;
    if (rank != rrank || rank < 0 || rank > 32 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0)
        rc = util_err_set(err, UTIL_EINPUT, "%s: dataset %s has rank %d, expected %d", r->path,
                          path, rank, rrank);
    else {
        H5Sget_simple_extent_dims(rsp, rdims, NULL);
        for (int k = 0; k < rank && !rc; k++)
            if (dims[k] != rdims[k])
                rc = util_err_set(err, UTIL_EINPUT,
                                  "%s: dataset %s has %llu entries along axis %d, expected %llu "
                                  "(from /config and /axes)",
                                  r->path, path, (unsigned long long)dims[k], k,
                                  (unsigned long long)rdims[k]);
    }
    if (!rc) {
        H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
        int same = c == H5Tget_class(rt);
        if (same && c == H5T_STRING && r->format < 2)
            same = 1; /* format 1: variable-length labels */
        else if (same)
            same = H5Tget_size(t) == H5Tget_size(rt) &&
                   (c != H5T_STRING || H5Tis_variable_str(t) == 0);
        if (!same)
            rc = util_err_set(err, UTIL_EINPUT, "%s: dataset %s has the wrong type (damaged file?)",
                              r->path, path);
    }
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    H5Tclose(rt);
    H5Sclose(rsp);
    H5Dclose(d);
    return rc;
}

static herr_t visit_ref(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    visit_ctx *v = data;
    if (info->type != H5L_TYPE_HARD)
        return 0;
    hid_t o = H5Oopen(g, name, H5P_DEFAULT);
    if (o < 0)
        return 0;
    if (H5Iget_type(o) == H5I_DATASET)
        v->rc = check_one(v->r, name, o, v->err);
    H5Oclose(o);
    return v->rc ? 1 : 0;
}

static int check_layout(output_reader *r, util_err *err)
{
    visit_ctx v = {r, err, UTIL_OK};
    if (H5Lvisit(r->ref->file, H5_INDEX_NAME, H5_ITER_INC, visit_ref, &v) < 0 && !v.rc)
        return util_err_set(err, UTIL_EINPUT, "%s: its groups could not be listed (damaged file)",
                            r->path);
    return v.rc;
}

static int read_complete(output_reader *r, util_err *err)
{
    size_t n = r->ref->n_points;
    r->complete = util_calloc(n + 1, 1);
    progress(r, "/sweep/complete");
    hid_t d = H5Dopen2(r->f, "/sweep/complete", H5P_DEFAULT);
    int rc = d < 0 || (n && H5Dread(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                    r->complete) < 0);
    if (d >= 0)
        H5Dclose(d);
    for (size_t p = 0; p < n && !rc; p++)
        rc = r->complete[p] > 1;
    return rc ? bad(err, r, " could not be read or holds values other than 0 and 1 (damaged file)",
                    "dataset /sweep/complete")
              : UTIL_OK;
}

static int open_checked(output_reader *r, util_err *err)
{
    if (access(r->path, R_OK) != 0)
        return util_err_set(err, UTIL_EINPUT, "%s: cannot read the file: %s", r->path,
                            strerror(errno));
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    r->f = H5Fopen(r->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (r->f < 0)
        return util_err_set(err, UTIL_EINPUT,
                            "%s: HDF5 could not open the file (damaged or truncated?)", r->path);
    static const char *const need[] = {"/config", "/sweep/complete"};
    for (size_t k = 0; k < sizeof need / sizeof need[0]; k++)
        if (H5Lexists(r->f, need[k], H5P_DEFAULT) <= 0)
            return util_err_set(err, UTIL_EINPUT, "%s: missing %s (not an arenasim result file)",
                                r->path, need[k]);
    int rc = read_format(r, err);
    if (!rc)
        rc = load_config(r, err);
    if (!rc)
        rc = check_layout(r, err);
    if (!rc)
        rc = read_complete(r, err);
    return rc;
}

/* ---- reading ------------------------------------------------------------ */

static hid_t open_known(const output_reader *r, const char *path, util_err *err)
{
    progress(r, path);
    if (H5Lexists(r->ref->file, path, H5P_DEFAULT) <= 0) {
        util_err_set(err, UTIL_EINPUT, "%s: dataset %s is not part of this layout", r->path, path);
        return -1;
    }
    hid_t d = H5Lexists(r->f, path, H5P_DEFAULT) > 0 ? H5Dopen2(r->f, path, H5P_DEFAULT) : -1;
    if (d < 0)
        util_err_set(err, UTIL_EINPUT, "%s: dataset %s is missing", r->path, path);
    return d;
}

static int is_point_major(const output_reader *r, const char *path)
{
    for (size_t k = 0; k < r->ref->n_data; k++)
        if (!strcmp(r->ref->data[k], path))
            return 1;
    return 0;
}

static size_t extent(hid_t d, hsize_t *dims, int *rank)
{
    hid_t sp = H5Dget_space(d);
    *rank = H5Sget_simple_extent_ndims(sp);
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    size_t n = 1;
    for (int k = 0; k < *rank; k++)
        n *= (size_t)dims[k];
    return n;
}

double *output_reader_doubles(const output_reader *r, const char *path, hsize_t *dims, int *rank,
                              util_err *err)
{
    hid_t d = open_known(r, path, err);
    if (d < 0)
        return NULL;
    size_t n = extent(d, dims, rank); /* checked against the layout at open */
    double *v = NULL;
    if (n > OUTPUT_READ_CAP / sizeof(double))
        util_err_set(err, UTIL_EINPUT, "%s: dataset %s holds %zu values, more than this reader reads at once",
                     r->path, path, n);
    else {
        int rc = UTIL_OK;
        if (!n)
            ;
        else if (!is_point_major(r, path))
            rc = check_chunks(r, d, path, SIZE_MAX, err);
        else
            for (size_t p = 0; p < r->ref->n_points && !rc; p++)
                if (r->complete[p])
                    rc = check_chunks(r, d, path, p, err);
        v = rc ? NULL : util_malloc((n + 1) * sizeof(double));
        if (v && n && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
            util_err_set(err, UTIL_EINPUT,
                         "%s: dataset %s could not be read (damaged: checksum or HDF5 error)",
                         r->path, path);
            free(v);
            v = NULL;
        }
    }
    H5Dclose(d);
    return v;
}

void output_free_strings(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t k = 0; k < n; k++)
        free(v[k]);
    free(v);
}

static int read_fixed_strings(hid_t d, hid_t t, size_t n, char **out)
{
    size_t size = H5Tget_size(t);
    if (size == 0 || size > (1u << 20) || n > OUTPUT_READ_CAP / size)
        return -1;
    char *buf = util_malloc(n * size + 1);
    hid_t mt = H5Tcopy(t);
    int rc = n && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0 ? -1 : 0;
    for (size_t k = 0; k < n && !rc; k++) {
        out[k] = util_malloc(size + 1);
        memcpy(out[k], buf + k * size, size);
        out[k][size] = '\0';
    }
    H5Tclose(mt);
    free(buf);
    return rc;
}

static int read_vlen_strings(hid_t d, size_t n, char **out)
{
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Dget_space(d);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char **raw = util_calloc(n + 1, sizeof *raw);
    int rc = n && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0 ? -1 : 0;
    if (!rc) {
        for (size_t k = 0; k < n; k++)
            out[k] = util_strdup(raw[k] ? raw[k] : "");
        if (n)
            H5Dvlen_reclaim(t, sp, H5P_DEFAULT, raw);
    }
    free(raw);
    H5Tclose(t);
    H5Sclose(sp);
    return rc;
}

char **output_reader_strings(const output_reader *r, const char *path, size_t *n, util_err *err)
{
    hid_t d = open_known(r, path, err);
    if (d < 0)
        return NULL;
    hsize_t dims[32];
    int rank;
    *n = extent(d, dims, &rank);
    hid_t t = H5Dget_type(d);
    char **out = util_calloc(*n + 1, sizeof *out);
    int rc = H5Tget_class(t) != H5T_STRING || *n > OUTPUT_READ_CAP / sizeof(char *);
    if (!rc && *n)
        rc = check_chunks(r, d, path, SIZE_MAX, err) ? -1 : 0;
    if (!rc)
        rc = H5Tis_variable_str(t) > 0 ? (r->format < 2 ? read_vlen_strings(d, *n, out) : -1)
                                        : read_fixed_strings(d, t, *n, out);
    H5Tclose(t);
    H5Dclose(d);
    if (rc) {
        util_err_set(err, UTIL_EINPUT,
                     "%s: dataset %s could not be read as strings (damaged: checksum or HDF5 error)",
                     r->path, path);
        output_free_strings(out, *n);
        return NULL;
    }
    return out;
}

/* Every chunk of point p's slice of d (of the whole dataset when p is
 * SIZE_MAX) is found by the lookup reads use and is stored with all its
 * filters applied. The chunk index of HDF5's 1.8 format has no checksum: a
 * damaged key would otherwise read as the fill value (NaN) or skip a filter,
 * silently. (H5Dget_chunk_info_by_coord walks the index another way and
 * misses such damage.) */
static int chunk_ok(hid_t d, const hsize_t *at)
{
    hsize_t size = 0;
    uint32_t filters = 1;
    if (H5Dget_chunk_storage_size(d, at, &size) < 0 || size == 0 || size > (64u << 20))
        return 0;
    void *raw = util_malloc((size_t)size);
    int ok = H5Dread_chunk(d, H5P_DEFAULT, at, &filters, raw) >= 0 && filters == 0;
    free(raw);
    return ok;
}

static int check_chunks(const output_reader *r, hid_t d, const char *path, size_t p,
                        util_err *err)
{
    if (r->format < 2)
        return UTIL_OK;
    hid_t dcpl = H5Dget_create_plist(d), fs = H5Dget_space(d);
    int rc = UTIL_OK, rank = H5Sget_simple_extent_ndims(fs);
    hsize_t dims[32], chunk[32], at[32], n = 1;
    H5Sget_simple_extent_dims(fs, dims, NULL);
    if (H5Pget_layout(dcpl) == H5D_CHUNKED && rank > 0 && H5Pget_chunk(dcpl, rank, chunk) == rank) {
        for (int k = 0; k < rank; k++) {
            at[k] = 0;
            if (k || p == SIZE_MAX)
                n *= (dims[k] + chunk[k] - 1) / chunk[k];
        }
        if (p != SIZE_MAX)
            at[0] = p;
        for (hsize_t i = 0; i < n && !rc; i++) {
            if (!chunk_ok(d, at))
                rc = util_err_set(err, UTIL_EINPUT,
                                  "%s: dataset %s: the chunk at point %llu is missing or damaged",
                                  r->path, path, (unsigned long long)at[0]);
            for (int k = rank - 1; k >= 0; k--) { /* next chunk origin, last axis fastest */
                if (k == 0 && p != SIZE_MAX)
                    break;
                at[k] += chunk[k];
                if (at[k] < dims[k])
                    break;
                at[k] = 0;
                if (k == 0)
                    break;
            }
        }
    }
    H5Sclose(fs);
    H5Pclose(dcpl);
    return rc;
}

/* Read point p's slice ([p, ...]) of `path` into buf (memory type mt). */
static int read_slice(const output_reader *r, const char *path, size_t p, hid_t mt, void *buf,
                      util_err *err)
{
    hid_t d = open_known(r, path, err);
    if (d < 0)
        return UTIL_EINPUT;
    hid_t fs = H5Dget_space(d);
    int rank = H5Sget_simple_extent_ndims(fs);
    hsize_t dims[32], start[32] = {0}, count[32], total = 1;
    H5Sget_simple_extent_dims(fs, dims, NULL);
    for (int k = 0; k < rank; k++) {
        count[k] = k == 0 ? 1 : dims[k];
        total *= count[k];
    }
    start[0] = p;
    int rc = UTIL_OK;
    if (total && rank > 0 && p < dims[0] && r->complete[p])
        rc = check_chunks(r, d, path, p, err);
    if (!rc && total && rank > 0 && p < dims[0]) {
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
        hid_t ms = H5Screate_simple(rank, count, NULL);
        if (H5Dread(d, mt, ms, fs, H5P_DEFAULT, buf) < 0)
            rc = util_err_set(err, UTIL_EINPUT,
                              "%s: dataset %s, point %zu could not be read (damaged: checksum or "
                              "HDF5 error)",
                              r->path, path, p);
        H5Sclose(ms);
    }
    H5Sclose(fs);
    H5Dclose(d);
    return rc;
}

/* Bytes of one point's slice of point-major dataset `path` in the layout. */
static size_t slice_bytes(const output_reader *r, const char *path, hid_t *mt)
{
    hid_t d = H5Dopen2(r->ref->file, path, H5P_DEFAULT);
    hsize_t dims[32];
    int rank;
    size_t n = extent(d, dims, &rank);
    hid_t t = H5Dget_type(d);
    *mt = H5Tget_native_type(t, H5T_DIR_ASCEND);
    H5Tclose(t);
    H5Dclose(d);
    return dims[0] ? n / (size_t)dims[0] * H5Tget_size(*mt) : 0;
}

int output_copy_point(const output_reader *src, output *dst, size_t point, util_err *err)
{
    int rc = UTIL_OK;
    for (size_t k = 0; k < dst->n_data && !rc; k++) {
        hid_t mt;
        size_t bytes = slice_bytes(src, dst->data[k], &mt);
        void *buf = util_malloc(bytes + 1);
        rc = read_slice(src, dst->data[k], point, mt, buf, err);
        if (!rc && output_write_slice(dst->file, dst->data[k], point, mt, buf) < 0)
            rc = util_err_set(err, UTIL_ERUNTIME, "%s: HDF5 failed to write %s", dst->path,
                              dst->data[k]);
        H5Tclose(mt);
        free(buf);
    }
    if (!rc && H5Fflush(dst->file, H5F_SCOPE_GLOBAL) < 0) /* data before the flag */
        rc = util_err_set(err, UTIL_ERUNTIME, "%s: HDF5 failed to flush a merged point", dst->path);
    if (!rc && output_mark_complete(dst, point) < 0)
        rc = util_err_set(err, UTIL_ERUNTIME, "%s: HDF5 failed to flush a merged point", dst->path);
    return rc;
}

int output_reader_check_data(output_reader *r, util_err *err)
{
    int rc = UTIL_OK;
    for (size_t k = 0; k < r->ref->n_data && !rc; k++) {
        if (H5Lexists(r->f, r->ref->data[k], H5P_DEFAULT) <= 0 && r->format < 2)
            continue;
        hid_t mt;
        size_t bytes = slice_bytes(r, r->ref->data[k], &mt);
        void *buf = util_malloc(bytes + 1);
        for (size_t p = 0; p < r->ref->n_points && !rc; p++)
            rc = read_slice(r, r->ref->data[k], p, mt, buf, err);
        H5Tclose(mt);
        free(buf);
    }
    /* and the labels and sweep values, whole */
    static const char *const labels[] = {"/axes/model", "/axes/vendor", "/axes/estimator",
                                         "/axes/feature", "/sweep/axis_names", "/sweep/values"};
    for (size_t k = 0; k < sizeof labels / sizeof labels[0] && !rc; k++) {
        size_t n;
        char **v = output_reader_strings(r, labels[k], &n, err);
        rc = v ? UTIL_OK : UTIL_EINPUT;
        output_free_strings(v, n);
    }
    if (!rc && r->format >= 2) {
        hsize_t dims[32];
        int rank;
        double *v = output_reader_doubles(r, "/sweep/values_numeric", dims, &rank, err);
        rc = v ? UTIL_OK : UTIL_EINPUT;
        free(v);
    }
    return rc;
}

/* ---- format 1: checked in a child process -------------------------------- */

/* Run the whole check of a format-1 file in a child; a crash or a hang of
 * HDF5 there is an error naming the dataset it was reading. */
static int check_isolated(const char *path, util_err *err)
{
    int fd[2];
    if (pipe(fd) != 0)
        return util_err_set(err, UTIL_ERUNTIME, "pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return util_err_set(err, UTIL_ERUNTIME, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fd[0]);
#if defined(__SANITIZE_ADDRESS__)
        /* HDF5 crashing in here on a damaged file is the result this child
         * exists for (the parent reports it); a sanitized build must not
         * report that crash as a bug of arenasim. The same checks run in the
         * parent for format-2 files, where reports stay on. */
        int quiet = open("/dev/null", O_WRONLY);
        if (quiet >= 0)
            __sanitizer_set_report_fd((void *)(intptr_t)quiet);
#endif
        util_err e = {0, ""};
        output_reader *r = util_calloc(1, sizeof *r);
        r->path = util_strdup(path);
        r->f = -1;
        r->progress_fd = fd[1];
        int rc = open_checked(r, &e);
        if (!rc)
            rc = output_reader_check_data(r, &e);
        if (rc) {
            char line[UTIL_ERR_LEN + 4];
            int n = snprintf(line, sizeof line, "!%s\n", e.msg);
            if (write(fd[1], line, (size_t)(n < (int)sizeof line ? n : (int)sizeof line - 1)) < 0) {
                /* the exit status still says it failed */
            }
        }
        _exit(rc ? 2 : 0);
    }
    close(fd[1]);
    char *text = util_calloc(1, 1);
    size_t len = 0;
    int status = 0, done = 0;
    double t0 = util_now();
    while (!done) {
        char buf[4096];
        ssize_t k = read(fd[0], buf, sizeof buf); /* EOF when the child ends */
        if (k > 0) {
            text = util_realloc(text, len + (size_t)k + 1);
            memcpy(text + len, buf, (size_t)k);
            text[len += (size_t)k] = '\0';
            if (len > (1u << 20)) { /* keep the tail only */
                memmove(text, text + len - 4096, 4096);
                text[len = 4096] = '\0';
            }
        }
        if (k <= 0 || util_now() - t0 > LEGACY_TIMEOUT_S) {
            if (util_now() - t0 > LEGACY_TIMEOUT_S)
                kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            done = 1;
        }
    }
    close(fd[0]);
    char *last = strrchr(text, '@'), *msg = strrchr(text, '!');
    char where[600] = "the file";
    if (last) {
        snprintf(where, sizeof where, "%s", last + 1);
        where[strcspn(where, "\n")] = '\0';
    }
    int rc = UTIL_OK;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        rc = UTIL_OK;
    else if (WIFEXITED(status) && msg) {
        msg[strcspn(msg, "\n")] = '\0';
        rc = util_err_set(err, UTIL_EINPUT, "%s", msg + 1);
    } else
        rc = util_err_set(err, UTIL_EINPUT,
                          "%s: HDF5 %s while reading %s: the file is damaged",
                          path, WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL
                                    ? "crashed"
                                    : "did not finish",
                          where);
    free(text);
    return rc;
}

/* ---- open, close, accessors --------------------------------------------- */

output_reader *output_open_read(const char *path, util_err *err)
{
    if (access(path, R_OK) != 0) {
        util_err_set(err, UTIL_EINPUT, "%s: cannot read the file: %s", path, strerror(errno));
        return NULL;
    }
    int sb = superblock_version(path);
    if (sb < 0) {
        util_err_set(err, UTIL_EINPUT, "%s: not an HDF5 file", path);
        return NULL;
    }
    if (sb < 2 && check_isolated(path, err) != UTIL_OK)
        return NULL;
    output_reader *r = util_calloc(1, sizeof *r);
    r->path = util_strdup(path);
    r->f = -1;
    r->progress_fd = -1;
    if (open_checked(r, err) != UTIL_OK) {
        output_reader_close(r);
        return NULL;
    }
    return r;
}

void output_reader_close(output_reader *r)
{
    if (!r)
        return;
    if (r->f >= 0)
        H5Fclose(r->f);
    output_free_layout(r->ref);
    config_free(r->c);
    free(r->yaml);
    free(r->hash);
    free(r->complete);
    free(r->path);
    free(r);
}

int output_validate(const char *path, util_err *err)
{
    output_reader *r = output_open_read(path, err);
    if (!r)
        return UTIL_EINPUT;
    int rc = output_reader_check_data(r, err);
    output_reader_close(r);
    return rc;
}

int output_reader_format(const output_reader *r) { return r->format; }
hid_t output_reader_file(const output_reader *r) { return r->f; }
const char *output_reader_path(const output_reader *r) { return r->path; }
const config *output_reader_config(const output_reader *r) { return r->c; }
const char *output_reader_yaml(const output_reader *r) { return r->yaml; }
const char *output_reader_hash(const output_reader *r) { return r->hash; }
size_t output_reader_points(const output_reader *r) { return r->ref->n_points; }
int output_reader_replicates(const output_reader *r) { return r->ref->R; }
const unsigned char *output_reader_complete(const output_reader *r) { return r->complete; }

/* ---- datasets outside the layout (/game) --------------------------------- */

double *output_read_doubles(hid_t file, const char *path, hsize_t *dims, int *rank,
                            util_err *err)
{
    hid_t d = H5Lexists(file, path, H5P_DEFAULT) > 0 ? H5Dopen2(file, path, H5P_DEFAULT) : -1;
    if (d < 0) {
        util_err_set(err, UTIL_EINPUT, "dataset %s is missing", path);
        return NULL;
    }
    hid_t sp = H5Dget_space(d), t = H5Dget_type(d);
    *rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    double *v = NULL;
    H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    if (*rank < 0 || *rank > 8 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0 ||
        (c != H5T_FLOAT && c != H5T_INTEGER))
        util_err_set(err, UTIL_EINPUT, "dataset %s is not an array of numbers of rank 8 or less",
                     path);
    else {
        size_t n = 1;
        for (int k = 0; k < *rank && n; k++)
            n = dims[k] > OUTPUT_READ_CAP / sizeof(double) / n ? SIZE_MAX : n * (size_t)dims[k];
        if (n > OUTPUT_READ_CAP / sizeof(double))
            util_err_set(err, UTIL_EINPUT, "dataset %s is larger than this reader reads at once",
                         path);
        else {
            v = util_malloc((n + 1) * sizeof(double));
            if (n && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
                util_err_set(err, UTIL_EINPUT,
                             "dataset %s could not be read (damaged: checksum or HDF5 error)", path);
                free(v);
                v = NULL;
            }
        }
    }
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(d);
    return v;
}

char **output_read_strings(hid_t file, const char *path, size_t *n, util_err *err)
{
    hid_t d = H5Lexists(file, path, H5P_DEFAULT) > 0 ? H5Dopen2(file, path, H5P_DEFAULT) : -1;
    if (d < 0) {
        util_err_set(err, UTIL_EINPUT, "dataset %s is missing", path);
        return NULL;
    }
    hid_t sp = H5Dget_space(d), t = H5Dget_type(d);
    hssize_t m = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    char **out = NULL;
    if (m < 0 || m > (1 << 24) || t < 0 || H5Tget_class(t) != H5T_STRING ||
        H5Tis_variable_str(t) != 0) /* variable-length data go through an unchecked heap */
        util_err_set(err, UTIL_EINPUT, "dataset %s is not an array of fixed-length strings", path);
    else {
        *n = (size_t)m;
        out = util_calloc(*n + 1, sizeof *out);
        if (read_fixed_strings(d, t, *n, out) < 0) {
            util_err_set(err, UTIL_EINPUT,
                         "dataset %s could not be read (damaged: checksum or HDF5 error)", path);
            output_free_strings(out, *n);
            out = NULL;
        }
    }
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(d);
    return out;
}

char *output_read_config_yaml(hid_t file)
{
    output_reader r;
    memset(&r, 0, sizeof r);
    r.f = file;
    r.path = "result file";
    r.progress_fd = -1;
    util_err e = {0, ""};
    if (read_format(&r, &e))
        return NULL;
    r.format = r.format < 2 ? 1 : r.format;
    return r.format >= 2 ? read_text(&r, "/config/yaml", &e) : read_vlen_attr(&r, "/config", "yaml", &e);
}
