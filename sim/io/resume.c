/*
 * io/resume.c — `run --resume`: continue a .part file by copying its
 * complete points into a freshly laid-out file, never by writing into the
 * old one. A run that stopped on a write error (disk full, quota, file-size
 * limit) or was killed during a flush leaves a file HDF5 can open but not
 * safely extend (metadata pointing past the end of the file: "addr
 * overflow"); a copy only reads it. Points are flagged complete only after
 * their data are flushed (output_write_point), so a complete point's data are
 * on disk; a point that cannot be read back is computed again, bitwise the
 * same; a .part HDF5 cannot read at all is moved aside by the caller.
 * Units: none (files).
 */
#include "io/output.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A write that failed for want of space leaves the superblock's end-of-file
 * address past the end of the file, and HDF5 then refuses to open it
 * ("truncated file") although every complete point is intact. Growing the
 * file (sparse, no blocks used) to that address makes it readable; the
 * address is read from the superblock (versions 0-3, 8-byte addresses).
 * Returns 1 when the file was grown. */
static int grow_to_stored_eof(const char *path)
{
    unsigned char sb[48];
    struct stat st;
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(sb, 1, sizeof sb, f) : 0;
    if (f)
        fclose(f);
    if (got < sizeof sb || memcmp(sb, "\x89HDF\r\n\x1a\n", 8) != 0 || stat(path, &st) != 0)
        return 0;
    int at = sb[8] == 0 ? 40 : sb[8] == 1 ? 44 : (sb[8] == 2 || sb[8] == 3) ? 28 : -1;
    int osize = sb[8] <= 1 ? sb[13] : sb[9];
    if (at < 0 || osize != 8)
        return 0;
    uint64_t eof = 0;
    for (int k = 7; k >= 0; k--)
        eof = eof << 8 | sb[at + k];
    if (eof <= (uint64_t)st.st_size || eof - (uint64_t)st.st_size > (1u << 30))
        return 0;
    return truncate(path, (off_t)eof) == 0;
}

/* A string attribute of a checked file (fixed-length in format 2; a
 * variable-length one of format 1 is read only after the reader's checks). */
static char *str_attr(hid_t f, const char *obj, const char *name)
{
    char *out = NULL;
    if (H5Aexists_by_name(f, obj, name, H5P_DEFAULT) <= 0)
        return NULL;
    hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING) {
        if (H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            if (H5Aread(a, t, &v) >= 0 && v) {
                out = util_strdup(v);
                H5free_memory(v);
            }
        } else {
            size_t n = H5Tget_size(t);
            if (n > 0 && n < ((size_t)1 << 20)) {
                out = util_calloc(n + 1, 1);
                if (H5Aread(a, t, out) < 0) {
                    free(out);
                    out = NULL;
                }
            }
        }
    }
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return out;
}

/* The new file's /provenance describes the first run (started_utc,
 * command_line) and records the resume (resumed_utc, resumed_command_line). */
static void keep_provenance(const output_reader *src, output *o, const output_meta *m)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    const char *keep[] = {"started_utc", "command_line"};
    for (int k = 0; k < 2; k++) {
        char *v = str_attr(output_reader_file(src), "/provenance", keep[k]);
        if (v)
            output_set_provenance(o, keep[k], v);
        free(v);
    }
    output_set_provenance(o, "resumed_utc", now);
    output_set_provenance(o, "resumed_command_line", m->command_line ? m->command_line : "");
}

output *output_resume(const char *part, const char *tmp, const config *c, const arena_scenario *s,
                      const output_meta *m, size_t *copied, size_t *redone, int *damaged,
                      util_err *err)
{
    *copied = *redone = 0;
    *damaged = 0;
    output_reader *src = output_open_read(part, err);
    if (!src && grow_to_stored_eof(part)) {
        util_err_clear(err);
        src = output_open_read(part, err);
    }
    if (!src) {
        *damaged = 1;
        return NULL;
    }
    char want[32];
    const char *hash = output_reader_hash(src);
    snprintf(want, sizeof want, "%016llx", (unsigned long long)config_hash(c));
    if (!hash || strcmp(hash, want) != 0) {
        util_err_set(err, UTIL_EINPUT,
                     "%s: cannot resume: /config/hash is %s, the config's is %s (a different or "
                     "changed config)", part, hash ? hash : "missing", want);
        output_reader_close(src);
        return NULL;
    }
    size_t np = config_n_points(c);
    if (output_reader_points(src) != np) {
        util_err_set(err, UTIL_EINPUT, "%s: /sweep/complete has %zu points, the config %zu", part,
                     output_reader_points(src), np);
        output_reader_close(src);
        *damaged = 1;
        return NULL;
    }
    const unsigned char *done = output_reader_complete(src);
    output *o = output_create(tmp, c, s, m, err);
    if (o)
        keep_provenance(src, o, m);
    for (size_t p = 0; o && p < np; p++) {
        util_err e2;
        if (!done[p])
            continue;
        if (output_copy_point(src, o, p, &e2) == UTIL_OK)
            ++*copied;
        else
            ++*redone;
    }
    output_reader_close(src);
    return o;
}
