/*
 * cmd/merge.c — `arenasim merge SHARD.h5... -o OUT.h5`: join the shard files
 * of one sweep. Checks that every shard carries the same resolved config
 * (hash and text) and that every point is complete in exactly one shard,
 * naming duplicated and missing points; then copies each point's /results
 * and /summary slices into a fresh file (written as OUT.h5.part, renamed
 * when complete; an existing OUT.h5 is replaced only with --force). Nothing
 * is written when a check fails; on success it says what it wrote.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "config/config.h"
#include "io/output.h"
#include "game/game.h"

typedef struct {
    const char *out;
    int force;
} merge_args;

enum { M_OUT, M_FORCE, M_N };
static const cli_opt merge_opts[M_N] = {
    [M_OUT] = {"--output", "-o", "OUT.h5", NULL, NULL, "the merged result file", CLI_REQUIRED},
    [M_FORCE] = {"--force", NULL, NULL, NULL, NULL, "replace an existing OUT.h5", 0},
};
const cli_cmd cmd_merge_spec = {
    "merge", "SHARD.h5...", 1, -1, "Join the shard files of one sweep into one result file.",
    "Every shard must carry the same resolved config, and every point must be complete in "
    "exactly one shard (shards come from run --shard I/N, I = 0..N-1); duplicated and missing "
    "points are named. Nothing is written when a check fails.",
    merge_opts, M_N};

static int merge_set(void *ctx, int opt, const char *v, util_err *err)
{
    merge_args *a = ctx;
    if (opt == M_OUT)
        a->out = v;
    else
        a->force = 1;
    return UTIL_OK;
}

typedef struct {
    const char *path;
    hid_t f;
    char *hash, *yaml;
    unsigned char *complete;
    size_t n;
} shard;

static int open_shard(shard *s, util_err *err)
{
    s->f = output_open_read(s->path, err);
    if (s->f < 0)
        return UTIL_EINPUT;
    s->hash = output_read_str_attr(s->f, "/config", "hash");
    s->yaml = output_read_str_attr(s->f, "/config", "yaml");
    hsize_t dims[8];
    int rank;
    double *c = output_read_doubles(s->f, "/sweep/complete", dims, &rank, err);
    if (!c || !s->hash || !s->yaml)
        return util_err_prefix(err, "%s", s->path);
    s->n = (size_t)dims[0];
    s->complete = util_malloc(s->n + 1);
    for (size_t p = 0; p < s->n; p++)
        s->complete[p] = c[p] != 0;
    free(c);
    return UTIL_OK;
}

/* Each point complete in exactly one shard; names offenders. */
static int check_cover(shard *sh, int n, size_t np, int *owner, util_err *err)
{
    char missing[512] = "", dup[512] = "";
    size_t nmiss = 0, ndup = 0;
    for (size_t p = 0; p < np; p++) {
        owner[p] = -1;
        for (int k = 0; k < n; k++)
            if (sh[k].complete[p]) {
                if (owner[p] >= 0) {
                    if (ndup++ < 20)
                        snprintf(dup + strlen(dup), sizeof dup - strlen(dup),
                                 "%s%zu (%s and %s)", ndup > 1 ? ", " : "", p,
                                 sh[owner[p]].path, sh[k].path);
                } else
                    owner[p] = k;
            }
        if (owner[p] < 0 && nmiss++ < 40)
            snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%zu",
                     nmiss > 1 ? ", " : "", p);
    }
    if (ndup)
        return util_err_set(err, UTIL_EINPUT, "%zu point(s) are in more than one shard: %s%s",
                            ndup, dup, ndup > 20 ? ", ..." : "");
    if (nmiss)
        return util_err_set(err, UTIL_EINPUT,
                            "%zu of %zu point(s) are missing or incomplete in every shard: %s%s",
                            nmiss, np, missing, nmiss > 40 ? ", ..." : "");
    return UTIL_OK;
}

static int merge_into(const char *out, int force, shard *sh, int n, const config *c, int *owner,
                      const char *cmdline, util_err *err)
{
    char *part = util_malloc(strlen(out) + 8);
    sprintf(part, "%s.part", out);
    params *p0 = util_malloc(sizeof *p0);
    arena_scenario s;
    output *o = NULL;
    int rc = config_point(c, 0, p0, err);
    if (!rc && !(rc = arena_scenario_init(&s, p0, err))) {
        output_meta m = {cmdline, 0, 0, 1};
        o = output_create(part, c, &s, &m, err);
        arena_scenario_free(&s);
        if (!o)
            rc = UTIL_ERUNTIME;
    }
    for (size_t p = 0; !rc && p < config_n_points(c); p++)
        if ((rc = output_copy_point(sh[owner[p]].f, o, p, err)))
            util_err_prefix(err, "%s", sh[owner[p]].path);
    if (o && output_close(o, rc ? NULL : err) && !rc)
        rc = UTIL_ERUNTIME;
    if (!rc)
        rc = game_write_file(part, err);
    if (!rc)
        rc = cli_place(part, out, force, err);
    if (rc)
        unlink(part);
    free(part);
    free(p0);
    return rc;
}

int cmd_merge(int argc, char **argv)
{
    merge_args a = {0};
    const char **pos = util_calloc((size_t)argc + 1, sizeof *pos);
    int n = 0, rc = cli_parse(&cmd_merge_spec, argc, argv, merge_set, &a, pos, &n, NULL);
    const char *out = a.out;
    shard *sh = util_calloc((size_t)n + 1, sizeof *sh);
    for (int k = 0; k < n; k++)
        sh[k].path = pos[k];
    free(pos);
    if (rc) {
        free(sh);
        return rc < 0 ? 0 : rc;
    }
    util_err err = {0, ""};
    config *c = NULL;
    int *owner = NULL;
    char *cmdline = cli_command_line(argc, argv);
    rc = cli_check_new_output("-o", out, a.force, &err);
    for (int k = 0; k < n && !rc; k++) {
        sh[k].f = -1;
        rc = open_shard(&sh[k], &err);
        if (!rc && k > 0 && strcmp(sh[k].hash, sh[0].hash) != 0)
            rc = util_err_set(&err, UTIL_EINPUT,
                              "%s: config hash %s differs from %s's %s (shards of different configs)",
                              sh[k].path, sh[k].hash, sh[0].path, sh[0].hash);
    }
    if (!rc && !(c = config_load_string(sh[0].yaml, sh[0].path, &err)))
        rc = UTIL_EINPUT;
    if (!rc && config_n_points(c) != sh[0].n)
        rc = util_err_set(&err, UTIL_EINPUT, "%s: /sweep/complete has %zu points, its config %zu",
                          sh[0].path, sh[0].n, config_n_points(c));
    for (int k = 1; k < n && !rc; k++)
        if (sh[k].n != sh[0].n)
            rc = util_err_set(&err, UTIL_EINPUT, "%s: %zu points, %s has %zu", sh[k].path,
                              sh[k].n, sh[0].path, sh[0].n);
    if (!rc) {
        owner = util_malloc((sh[0].n + 1) * sizeof(int));
        rc = check_cover(sh, n, sh[0].n, owner, &err);
    }
    if (!rc)
        rc = merge_into(out, a.force, sh, n, c, owner, cmdline, &err);
    if (rc)
        fprintf(stderr, "arenasim merge: %s\n", err.msg);
    else
        fprintf(stderr, "arenasim merge: wrote %s: %zu point(s) from %d shard(s)\n", out,
                config_n_points(c), n);
    for (int k = 0; k < n; k++) {
        if (sh[k].f > 0)
            H5Fclose(sh[k].f);
        free(sh[k].hash);
        free(sh[k].yaml);
        free(sh[k].complete);
    }
    free(sh);
    free(owner);
    free(cmdline);
    config_free(c);
    return rc;
}
