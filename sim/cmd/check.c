/*
 * cmd/check.c — `arenasim check CONFIG`: load and fully validate a config
 * (every sweep point), then print the resolved YAML and the expanded points.
 * Exit 0 ok, 2 bad config or usage (message on stderr). Writes no files.
 */
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "config/config.h"
#include "game/game.h"

const cli_cmd cmd_check_spec = {
    "check", "CONFIG", 1, 1,
    "Validate CONFIG (every sweep point) and print the resolved config and the sweep points.",
    "The resolved config has every default written out; running it again reproduces the same "
    "results. Then comes the table of the expanded sweep points (0-based index, the value of "
    "every axis; linked axes move together). Writes no files.",
    NULL, 0};

static int check_set(void *ctx, int opt, const char *v, util_err *err)
{
    return util_err_set(err, UTIL_EINPUT, "check takes no options");
}

int cmd_check(int argc, char **argv)
{
    const char **pos = util_calloc((size_t)argc + 1, sizeof *pos);
    int n_pos, rc = cli_parse(&cmd_check_spec, argc, argv, check_set, NULL, pos, &n_pos, NULL);
    const char *path = pos[0];
    util_err err = {0, ""};
    free(pos);
    if (rc)
        return rc < 0 ? 0 : rc;
    config *c = config_load(path, &err);
    if (!c) {
        fprintf(stderr, "arenasim check: %s\n", err.msg);
        return err.code ? err.code : UTIL_ERUNTIME;
    }
    if (game_check(c, &err)) {
        fprintf(stderr, "arenasim check: %s: %s\n", path, err.msg);
        config_free(c);
        return UTIL_EINPUT;
    }
    config_print(c, stdout);
    config_free(c);
    return fflush(stdout) == 0 ? 0 : UTIL_ERUNTIME;
}
