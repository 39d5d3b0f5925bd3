/*
 * cmd/cmd.h — the subcommands of the arenasim CLI (DESIGN §5). Each takes the
 * arguments after its name and returns the process exit code:
 * 0 ok, 1 runtime failure, 2 bad input (config, CLI, data file).
 * Each has an option table (cli.h) that drives its parser and its help.
 */
#ifndef ARENASIM_CMD_H
#define ARENASIM_CMD_H

#include <stdio.h>

#include "cmd/cli.h"

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_battles(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_help(int argc, char **argv);

extern const cli_cmd cmd_run_spec, cmd_check_spec, cmd_report_spec, cmd_fit_spec,
    cmd_battles_spec, cmd_merge_spec, cmd_help_spec;

/* Every subcommand, in the order help lists them. */
typedef struct {
    const cli_cmd *spec;
    int (*fn)(int argc, char **argv);
} cmd_entry;
extern const cmd_entry cmd_table[];
extern const int cmd_table_n;
/* The list of commands (top-level help). */
void cmd_overview(FILE *f);

/* report_game.c: the policy table of `report` from /game (nothing without it). */
#include <hdf5.h>
int report_game_table(hid_t f);

#endif
