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

/* The new file's /provenance describes the first run (started_utc,
 * command_line) and records the resume (resumed_utc, resumed_command_line). */
static void keep_provenance(const output_reader *src, output *o, const output_meta *m)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    hid_t f = output_reader_file(src);
    const char *keep[] = {"started_utc", "command_line"};
    for (int k = 0; k < 2; k++) {
        hid_t a = H5Aexists_by_name(f, "/provenance", keep[k], H5P_DEFAULT) > 0
                      ? H5Aopen_by_name(f, "/provenance", keep[k], H5P_DEFAULT, H5P_DEFAULT)
                      : -1;
        hid_t t0 = a >= 0 ? H5Aget_type(a) : -1;
        size_t n = t0 >= 0 && H5Tget_class(t0) == H5T_STRING && !H5Tis_variable_str(t0)
                       ? H5Tget_size(t0)
                       : 0;
        if (n > 0 && n < 65536) {
            char *v = util_calloc(n + 1, 1);
            if (H5Aread(a, t0, v) >= 0)
                output_set_provenance(o, keep[k], v);
            free(v);
        }
        if (t0 >= 0)
            H5Tclose(t0);
        if (a >= 0)
            H5Aclose(a);
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
    snprintf(want, sizeof want, "%016llx", (unsigned long long)config_hash(c));
    if (strcmp(output_reader_hash(src), want) != 0 ||
        output_reader_points(src) != config_n_points(c)) {
        util_err_set(err, UTIL_EINPUT,
                     "%s: cannot resume: /config/hash is %s, the config's is %s (a different or "
                     "changed config)", part, output_reader_hash(src), want);
        output_reader_close(src);
        return NULL;
    }
    const unsigned char *done = output_reader_complete(src);
    size_t np = config_n_points(c);
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
