/*
 * tests/fuzz/fuzz_h5.h — the body of the three result-file fuzz targets
 * (fuzz_h5_report.c, fuzz_h5_merge.c, fuzz_h5_resume.c): the bytes are a
 * (mutated) result file, written to a temporary directory and read by
 * `arenasim report`, by `arenasim merge` (one shard), or by the reopening done
 * by `run --resume` (output_open_resume with the config stored in the file).
 * Exit codes must be 0, 1 or 2, and nothing may crash, hang or leak.
 * One reader per target keeps each run well under the 1 s hang limit.
 * Seeds: small result files (tests/fuzz/corpus/h5_*).
 */
#ifndef FUZZ_H5_H
#define FUZZ_H5_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <hdf5.h>

#include "cmd/cmd.h"
#include "config/config.h"
#include "io/output.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void remove_dir(void)
{
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    gsl_set_error_handler_off();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/arenasim-fuzz-XXXXXX", tmp && strlen(tmp) < 32 ? tmp : "/tmp");
    if (!mkdtemp(dir))
        abort();
    atexit(remove_dir);
    return 0;
}

static int write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, size, f);
    return fclose(f) == 0 && w == size ? 0 : -1;
}

/* The command's messages are not wanted, its exit code is. */
static int quietly(int (*fn)(int, char **), int argc, char **argv)
{
    fflush(stdout);
    fflush(stderr);
    int o = dup(1), e = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    int rc = fn(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(o, 1);
    dup2(e, 2);
    close(o);
    close(e);
    close(null);
    if (rc < 0 || rc > 2)
        abort();
    return rc;
}

static void resume(const char *path)
{
    util_err err = {0, ""};
    hid_t f = output_open_read(path, &err);
    if (f < 0)
        return;
    char *yaml = output_read_str_attr(f, "/config", "yaml");
    H5Fclose(f);
    config *c = yaml ? config_load_string(yaml, "/config:yaml", &err) : NULL;
    free(yaml);
    if (!c)
        return;
    output_meta m = {"fuzz", 1, 0, 1};
    int unreadable = 0;
    output *o = output_open_resume(path, c, &m, &unreadable, &err);
    if (o) {
        for (size_t p = 0; p < config_n_points(c); p++)
            (void)output_point_complete(o, p);
        output_close(o, &err);
    } else if (err.code != UTIL_EINPUT || !err.msg[0]) {
        abort();
    }
    config_free(c);
}

enum { FUZZ_H5_REPORT, FUZZ_H5_MERGE, FUZZ_H5_RESUME };

static int fuzz_h5(const uint8_t *data, size_t size, int which)
{
    char in[128], out[128];
    snprintf(in, sizeof in, "%s/in.h5", dir);
    snprintf(out, sizeof out, "%s/merged.h5", dir);
    if (write_file(in, data, size))
        abort();
    if (which == FUZZ_H5_REPORT) {
        char *argv[] = {"report", in, NULL};
        quietly(cmd_report, 2, argv);
    } else if (which == FUZZ_H5_MERGE) {
        char *argv[] = {"merge", in, "-o", out, NULL};
        quietly(cmd_merge, 4, argv);
        unlink(out);
    } else {
        resume(in);
    }
    unlink(in);
    return 0;
}

#endif
