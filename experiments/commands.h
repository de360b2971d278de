/*
 * commands.h - the entry points of the `seqtune` subcommands, one per command.
 * Each takes (argc, argv) with argv[0] the command name and returns an exit code.
 */
#ifndef EXP_COMMANDS_H
#define EXP_COMMANDS_H

int cmd_version(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_synth(int argc, char **argv);

#endif
