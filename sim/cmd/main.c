/*
 * cmd/main.c — the arenasim command line: dispatch to the subcommands
 * (cmd.h, table in help.c). Exit codes: 0 ok, 1 runtime failure, 2 bad input
 * (DESIGN §5).
 */
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <hdf5.h>

#include "cmd/cmd.h"

int main(int argc, char **argv)
{
    gsl_set_error_handler_off(); /* every GSL status is checked by the caller */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported with context */
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        cmd_overview(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 0; i < cmd_table_n; i++)
        if (!strcmp(argv[1], cmd_table[i].spec->name))
            return cmd_table[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "arenasim: unknown command '%s'\n\n", argv[1]);
    cmd_overview(stderr);
    return 2;
}
