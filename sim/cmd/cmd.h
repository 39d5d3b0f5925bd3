/*
 * cmd/cmd.h — the subcommands of the arenasim CLI (DESIGN §5). Each takes the
 * arguments after its name and returns the process exit code:
 * 0 ok, 1 runtime failure, 2 bad input (config, CLI, data file).
 */
#ifndef ARENASIM_CMD_H
#define ARENASIM_CMD_H

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_battles(int argc, char **argv);
int cmd_merge(int argc, char **argv);

/* report_game.c: the policy table of `report` from /game (nothing without it). */
#include <hdf5.h>
int report_game_table(hid_t f);

#endif
