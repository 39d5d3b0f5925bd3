/*
 * cmd/help.c — `arenasim help [CMD]`, `arenasim help --man`: the top-level
 * help, the help of one command and the man page arenasim(1), all generated
 * from the option tables the parsers use (cli.h), so none can drift from
 * what the commands accept. Also the table of subcommands main.c dispatches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"

const cmd_entry cmd_table[] = {
    {&cmd_run_spec, cmd_run},         {&cmd_check_spec, cmd_check},
    {&cmd_report_spec, cmd_report},   {&cmd_fit_spec, cmd_fit},
    {&cmd_battles_spec, cmd_battles}, {&cmd_merge_spec, cmd_merge},
    {&cmd_help_spec, cmd_help},
};
const int cmd_table_n = (int)(sizeof cmd_table / sizeof cmd_table[0]);

static const char *const EXIT_CODES =
    "exit codes: 0 ok, 1 runtime failure, 2 bad input (config, command line, data file); "
    "every bad-input message names the file (line and column, or dataset) and what was "
    "expected, and nothing is written on bad input.";

enum { H_MAN, H_N };
static const cli_opt help_opts[H_N] = {
    [H_MAN] = {"--man", NULL, NULL, NULL, NULL,
               "print the manual page arenasim(1) in troff (make man writes build/arenasim.1)", 0},
};
const cli_cmd cmd_help_spec = {
    "help", "[CMD]", 0, 1, "Print the help of CMD, or list the commands.",
    "arenasim CMD --help prints the same text.", help_opts, H_N};

static int help_set(void *ctx, int opt, const char *v, util_err *err)
{
    *(int *)ctx = 1;
    return UTIL_OK;
}

void cmd_overview(FILE *f)
{
    fputs("arenasim — Monte Carlo of leaderboard gaming on pairwise-vote arenas\n\nusage:\n", f);
    for (int i = 0; i < cmd_table_n; i++) {
        const cli_cmd *c = cmd_table[i].spec;
        fprintf(f, "  arenasim %-8s %-12s %s\n", c->name, c->args, c->summary);
    }
    fprintf(f, "\narenasim help CMD (or arenasim CMD --help) lists every option of CMD with "
               "its default.\n%s\n", EXIT_CODES);
}

static void man_page(FILE *f)
{
    fputs(".TH ARENASIM 1 \"\" \"arenasim\" \"User Commands\"\n"
          ".SH NAME\narenasim \\- Monte Carlo of leaderboard gaming on pairwise\\-vote arenas\n"
          ".SH SYNOPSIS\n", f);
    for (int i = 0; i < cmd_table_n; i++)
        fprintf(f, ".B arenasim %s\n.I %s\n.br\n", cmd_table[i].spec->name,
                cmd_table[i].spec->args);
    fputs(".SH DESCRIPTION\n"
          "arenasim simulates vendors, private variants, voters and a pairwise\\-vote arena, "
          "fits the leaderboards as the arena does (Bradley\\-Terry with and without style "
          "control, Elo) and measures how much rank and score inflation each leaderboard "
          "policy removes. Configs are YAML; results are HDF5.\n"
          ".SH COMMANDS\n", f);
    for (int i = 0; i < cmd_table_n; i++)
        cli_man_section(cmd_table[i].spec, f);
    fputs(".SH EXIT STATUS\n", f);
    for (const char *s = EXIT_CODES; *s; s++)
        fputs(*s == '-' ? "\\-" : (char[2]){*s, 0}, f);
    fputs("\n.SH SEE ALSO\nREADME.md of the source tree (config reference, output layout).\n", f);
}

int cmd_help(int argc, char **argv)
{
    int man = 0;
    const char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int n_pos, rc = cli_parse(&cmd_help_spec, argc, argv, help_set, &man, pos, &n_pos, NULL);
    const char *name = pos[0];
    free(pos);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (man && name)
        return cli_fail(&cmd_help_spec, "--man prints the whole manual; give no CMD with it");
    if (man)
        man_page(stdout);
    else if (!name)
        cmd_overview(stdout);
    else {
        for (int i = 0; i < cmd_table_n; i++)
            if (!strcmp(name, cmd_table[i].spec->name)) {
                cli_help(cmd_table[i].spec, stdout);
                return fflush(stdout) ? UTIL_ERUNTIME : 0;
            }
        fprintf(stderr, "arenasim help: unknown command '%s' (commands:", name);
        for (int i = 0; i < cmd_table_n; i++)
            fprintf(stderr, " %s", cmd_table[i].spec->name);
        fputs(")\n", stderr);
        return UTIL_EINPUT;
    }
    return fflush(stdout) ? UTIL_ERUNTIME : 0;
}
