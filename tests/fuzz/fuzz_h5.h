/*
 * tests/fuzz/fuzz_h5.h — the body of the three result-file fuzz targets
 * (fuzz_h5_report.c, fuzz_h5_merge.c, fuzz_h5_resume.c): the bytes are a
 * (mutated) result file, written to a temporary directory and read by
 * `arenasim report`, by `arenasim merge` (one shard), or by the reopening done
 * by `run --resume` (output_resume with the config stored in the file).
 * Exit codes must be 0, 1 or 2, and nothing may crash, hang or leak.
 * One reader per target keeps each run well under the 1 s hang limit.
 * Seeds: small result files (tests/fuzz/corpus/h5_*).
 */
#ifndef FUZZ_H5_H
#define FUZZ_H5_H

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
#include "arena/arena.h"

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

/* The exit code is what counts; messages go to stderr (libFuzzer runs with
 * -close_fd_mask=3, the replay driver sends them to /dev/null). */
static int checked(int (*fn)(int, char **), int argc, char **argv)
{
    int rc = fn(argc, argv);
    if (rc < 0 || rc > 2)
        abort();
    return rc;
}

/* What `run --resume` does with a .part (io/resume.c), with the config
 * stored in the file itself so the hash check passes on intact files. */
static void resume(const char *path, const char *tmp)
{
    util_err err = {0, ""};
    output_reader *r = output_open_read(path, &err); /* checked: io/output.h */
    if (!r)
        return;
    char *yaml = util_strdup(output_reader_yaml(r));
    output_reader_close(r);
    config *c = yaml ? config_load_string(yaml, "/config:yaml", &err) : NULL;
    free(yaml);
    params *p = c ? malloc(sizeof *p) : NULL;
    arena_scenario s;
    if (p && config_point(c, 0, p, &err) == 0 && arena_scenario_init(&s, p, &err) == 0) {
        output_meta m = {"fuzz", 1, 0, 1};
        size_t copied, redone;
        int damaged = 0;
        output *o = output_resume(path, tmp, c, &s, &m, &copied, &redone, &damaged, &err);
        if (o)
            output_close(o, &err);
        else if (!err.msg[0] || (err.code != UTIL_EINPUT && !damaged))
            abort(); /* a refusal says why */
        unlink(tmp);
        arena_scenario_free(&s);
    }
    free(p);
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
        checked(cmd_report, 2, argv);
    } else if (which == FUZZ_H5_MERGE) {
        char *argv[] = {"merge", in, "-o", out, NULL};
        checked(cmd_merge, 4, argv);
        unlink(out);
    } else {
        resume(in, out);
    }
    unlink(in);
    return 0;
}

#endif
