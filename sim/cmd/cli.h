/*
 * cmd/cli.h — the command-line layer shared by the subcommands: one option
 * table per command (cli_cmd) drives the parser, `arenasim CMD --help`,
 * `arenasim help CMD` and the man page, so the three cannot drift apart;
 * strict number parsing; outputs that are never overwritten silently; the
 * command line as one string (for provenance). No units.
 */
#ifndef ARENASIM_CLI_H
#define ARENASIM_CLI_H

#include <stdio.h>

#include "base/util.h"

enum { CLI_REQUIRED = 1 }; /* cli_opt.flags */

typedef struct {
    const char *name;     /* long form, "--threads" (or "-o" when there is none) */
    const char *alias;    /* short form ("-o"), or NULL */
    const char *arg;      /* value placeholder ("N"); NULL for a flag */
    const char *def;      /* default value, passed to the setter before argv; NULL: none */
    const char *def_note; /* the default in words when it is not a literal value */
    const char *help;     /* one sentence */
    int flags;
} cli_opt;

typedef struct {
    const char *name;     /* "run" */
    const char *args;     /* positional arguments in the synopsis ("CONFIG") */
    int min_pos, max_pos; /* how many positional arguments (max -1: any number) */
    const char *summary;  /* one line */
    const char *details;  /* a paragraph (may hold newlines) */
    const cli_opt *opts;
    int n_opts;
} cli_cmd;

/* Setter of one command: option `opt` (index in its table) with value `val`
 * (NULL for a flag). Returns UTIL_OK or sets err (UTIL_EINPUT). */
typedef int (*cli_set_fn)(void *ctx, int opt, const char *val, util_err *err);

enum { CLI_HELP_SHOWN = -1 };
/* Parse argv[1..argc-1] against cmd's table: defaults first, then every
 * option in order (--opt VALUE, --opt=VALUE, flags), positional arguments
 * into pos[] (room for argc entries), -h/--help prints the help on stdout.
 * given[k] (may be NULL; n_opts entries) is set when option k was on the
 * command line. Returns UTIL_OK, CLI_HELP_SHOWN (exit 0), or UTIL_EINPUT
 * after printing "arenasim CMD: message" and the usage on stderr. */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_set_fn set, void *ctx,
              const char **pos, int *n_pos, unsigned char *given);

/* "usage: arenasim run CONFIG -o OUT.h5 [--threads N] ..." (no newline). */
void cli_synopsis(const cli_cmd *cmd, FILE *f);
/* The full help of one command (synopsis, description, options, defaults). */
void cli_help(const cli_cmd *cmd, FILE *f);
/* The same as a section of a troff man page. */
void cli_man_section(const cli_cmd *cmd, FILE *f);

/* Parse a whole string as a long in [lo, hi]; 0 on success. */
int cli_parse_long(const char *s, long lo, long hi, long *out);
/* "arenasim sub arg..." (malloc'd). */
char *cli_command_line(int argc, char **argv);
/* Usage error after parsing: "arenasim CMD: message" and the synopsis on
 * stderr; returns UTIL_EINPUT. */
int cli_fail(const cli_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Outputs are never overwritten silently. cli_check_new_output: UTIL_EINPUT
 * naming `path` (and --force) when it exists and !force. cli_place: move the
 * finished temporary file `tmp` to `path` — atomically refusing an existing
 * file unless force (hard link, then unlink; rename where the file system has
 * no hard links). On failure tmp is left for the caller to remove. */
int cli_check_new_output(const char *opt, const char *path, int force, util_err *err);
/* UTIL_EINPUT when `path` exists and is neither a regular file nor a
 * symbolic link (a device such as /dev/null, a FIFO, a directory): the
 * rename into place would replace it, --force or not. */
int cli_check_output_kind(const char *opt, const char *path, util_err *err);
int cli_place(const char *tmp, const char *path, int force, util_err *err);

#endif
