/*
 * cmd/cli.h — small helpers shared by the subcommands: strict number parsing
 * and the command line as one string (for provenance).
 */
#ifndef ARENASIM_CLI_H
#define ARENASIM_CLI_H

/* Parse a whole string as a long in [lo, hi]; 0 on success. */
int cli_parse_long(const char *s, long lo, long hi, long *out);
/* "arenasim sub arg..." (malloc'd). */
char *cli_command_line(int argc, char **argv);
/* Usage error: prints "arenasim <sub>: <msg>" and the usage line; returns 2. */
int cli_usage(const char *sub, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
