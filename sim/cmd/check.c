/*
 * cmd/check.c — `arenasim check CONFIG`: load and fully validate a config
 * (every sweep point), then print the resolved YAML and the expanded points.
 * Exit 0 ok, 2 bad config or usage (message on stderr). Writes no files.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "config/config.h"
#include "game/game.h"

static void usage(FILE *f)
{
    fputs("usage: arenasim check CONFIG\n"
          "  Validate CONFIG (every sweep point) and print the resolved config\n"
          "  followed by the table of sweep points.\n", f);
}

int cmd_check(int argc, char **argv)
{
    const char *path = NULL;
    util_err err = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--") != 0) {
            fprintf(stderr, "arenasim check: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return UTIL_EINPUT;
        }
        if (!strcmp(argv[i], "--") && i + 1 < argc)
            i++;
        if (path) {
            fprintf(stderr, "arenasim check: expected one CONFIG, got also '%s'\n", argv[i]);
            usage(stderr);
            return UTIL_EINPUT;
        }
        path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "arenasim check: missing CONFIG\n");
        usage(stderr);
        return UTIL_EINPUT;
    }
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
