/*
 * cmd/main.c — the arenasim command line: dispatch to the subcommands (cmd.h).
 * Exit codes: 0 ok, 1 runtime failure, 2 bad input (DESIGN §5).
 */
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <hdf5.h>

#include "cmd/cmd.h"

static const char *const HELP =
    "arenasim — Monte Carlo of leaderboard gaming on pairwise-vote arenas\n"
    "\n"
    "usage:\n"
    "  arenasim run CONFIG -o OUT.h5 [--threads N] [--shard I/N] [--resume] [--quiet]\n"
    "  arenasim check CONFIG\n"
    "  arenasim report OUT.h5\n"
    "  arenasim fit BATTLES [--format csv|fastchat-json|counts-json] [--style] ...\n"
    "  arenasim battles CONFIG -o FILE.csv [--point P] [--replicate R] [--all]\n"
    "  arenasim merge SHARD.h5... -o OUT.h5\n"
    "\n"
    "exit codes: 0 ok, 1 runtime failure, 2 bad input. See README.md.\n";

int main(int argc, char **argv)
{
    gsl_set_error_handler_off(); /* every GSL status is checked by the caller */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported with context */
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(HELP, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"run", cmd_run},       {"check", cmd_check}, {"report", cmd_report},
                {"fit", cmd_fit},       {"battles", cmd_battles}, {"merge", cmd_merge}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "arenasim: unknown command '%s'\n\n%s", argv[1], HELP);
    return 2;
}
