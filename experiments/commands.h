/*
 * commands.h - the entry points of the `seqtune` subcommands, one per command.
 * Each takes (argc, argv) with argv[0] the command name and returns an exit code.
 */
#ifndef EXP_COMMANDS_H
#define EXP_COMMANDS_H

int cmd_version(int argc, char **argv);
int cmd_run(int argc, char **argv);       /* experiments/cmd_run.c */
int cmd_best(int argc, char **argv);      /* experiments/cmd_model.c */
int cmd_predict(int argc, char **argv);
int cmd_report(int argc, char **argv);    /* experiments/cmd_report.c */
int cmd_validate(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_studies(int argc, char **argv);   /* experiments/cmd_store.c */
int cmd_trials(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_study(int argc, char **argv);     /* experiments/cmd_study.c */
int cmd_tag(int argc, char **argv);
int cmd_ask(int argc, char **argv);       /* experiments/cmd_asktell.c */
int cmd_tell(int argc, char **argv);
extern const char exp_usage_ask[], exp_usage_tell[];
extern const char exp_usage_study[], exp_usage_tag[];
int cmd_register(int argc, char **argv);  /* experiments/cmd_registry.c */
int cmd_models(int argc, char **argv);
int cmd_alias(int argc, char **argv);
int cmd_ab(int argc, char **argv);        /* experiments/cmd_ab.c */
extern const char exp_usage_register[], exp_usage_models[], exp_usage_alias[], exp_usage_ab[];
int cmd_serve(int argc, char **argv);     /* experiments/cmd_serve.c */
extern const char exp_usage_serve[];
extern const char exp_usage_studies[], exp_usage_trials[], exp_usage_compare[], exp_usage_export[];

#endif
