/*
 * cmd_study.c - the commands that manage studies and runs in the store:
 * `seqtune study delete|rename|tag|note` and `seqtune tag RUN` (tracker/admin.h).
 * They open the store for writing (never creating it), change it in one
 * transaction each, and print one line saying what changed. Exit 0 on success,
 * 1 on a usage error, 2 on bad input (unknown study or run, bad name, a study a
 * coordinator holds).
 */
#include "experiments/cli.h"
#include "experiments/commands.h"
#include "tracker/admin.h"
#include "tracker/query.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char exp_usage_study[] =
    "usage: seqtune study delete NAME --yes [--db FILE]\n"
    "       seqtune study rename OLD NEW [--db FILE]\n"
    "       seqtune study tag NAME KEY=VALUE... [--unset KEY]... [--db FILE]\n"
    "       seqtune study note NAME TEXT [--db FILE]\n\n"
    "Manages a study in the store.\n\n"
    "  delete   removes the study with its runs, params, metric histories, tags,\n"
    "           artifacts and model files: the rows in one transaction, the files\n"
    "           after it commits. Needs --yes. Refused while `seqtune run` holds it.\n"
    "  rename   gives the study a new name (any printable text up to 200 characters);\n"
    "           the stored spec's \"name\" follows. Refused while a run holds it.\n"
    "  tag      sets study tags (KEY=VALUE, the first '=' splits) and removes those\n"
    "           named by --unset\n"
    "  note     sets the study's note (shown by `studies` and in the report); an\n"
    "           empty TEXT removes it\n\n"
    "  --db FILE   the store (default: $SEQTUNE_DB, then ./seqtune.db)\n"
    "  --help      show this text\n";

const char exp_usage_tag[] =
    "usage: seqtune tag RUN KEY=VALUE... [--unset KEY]... [--db FILE]\n\n"
    "Sets user tags on one run (its id, as `trials` shows it) and removes those named\n"
    "by --unset. Tags are queryable: seqtune trials --filter \"tags.KEY = 'VALUE'\".\n"
    "`seqtune run` tags every trial with worker, host, seed, objective and spec_hash.\n\n"
    "  --db FILE   the store (default: $SEQTUNE_DB, then ./seqtune.db)\n"
    "  --help      show this text\n";

/* Options shared by every form: --db, --yes, --unset (collected), --help. */
typedef struct study_opts {
    const char *db;
    int yes;
    const char *unset[64];
    int n_unset;
    int argc;          /* the positional arguments */
    char **argv;
} study_opts;

/* Parses options anywhere among the arguments; 0, or an exit code after a message. */
static int parse_opts(int argc, char **argv, const char *cmd, study_opts *o)
{
    static const struct option lo[] = {
        {"db", required_argument, NULL, 'd'},   {"yes", no_argument, NULL, 'y'},
        {"unset", required_argument, NULL, 'u'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->argc = 1; /* argv[0], the command, stays first */
    int c;
    optind = 1;
    while ((c = exp_cli_getopt(argc, argv, cmd, "+h", lo)) != -1 || optind < argc) {
        if (c == -1) { /* a positional argument: keep it, go on after it */
            argv[o->argc++] = argv[optind++];
            continue;
        }
        if (c == 'h') {
            exp_cli_usage(strncmp(cmd, "study", 5) == 0 ? "study" : "tag", stdout);
            return -1;
        } else if (c == 'd') {
            o->db = optarg;
        } else if (c == 'y') {
            o->yes = 1;
        } else if (c == 'u' && o->n_unset < 64) {
            o->unset[o->n_unset++] = optarg;
        } else {
            return EXP_EXIT_USAGE;
        }
    }
    o->argv = argv;
    return 0;
}

static trk_store *open_rw(const char *cmd, const char *db)
{
    char err[256];
    trk_store *s = trk_store_open(exp_db_path(db), 0, err);
    if (!s)
        exp_cli_error(cmd, "%s", err);
    return s;
}

static int exit_for(int rc)
{
    return rc == TRK_ERR ? EXP_EXIT_FAILED : EXP_EXIT_INPUT;
}

/* Splits "KEY=VALUE" at the first '='; NULL value when there is none or KEY is empty. */
static int split_kv(const char *cmd, char *arg, const char **key, const char **value)
{
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        exp_cli_error(cmd, "expected KEY=VALUE, got '%s'", arg);
        return -1;
    }
    *eq = '\0';
    *key = arg;
    *value = eq + 1;
    return 0;
}

static int study_delete(study_opts *o)
{
    const char *cmd = "study delete";
    if (o->argc != 2) {
        exp_cli_error(cmd, "expected one study NAME (see 'seqtune study --help')");
        return EXP_EXIT_USAGE;
    }
    if (!o->yes) {
        exp_cli_error(cmd, "deleting '%s' removes all its runs and files: add --yes", o->argv[1]);
        return EXP_EXIT_USAGE;
    }
    trk_store *s = open_rw(cmd, o->db);
    if (!s)
        return EXP_EXIT_INPUT;
    char err[256];
    trk_delete_stats st;
    int rc = trk_study_delete(s, o->argv[1], &st, err);
    trk_store_close(s);
    if (rc) {
        exp_cli_error(cmd, "%s", err);
        return exit_for(rc);
    }
    printf("deleted study %s: %lld runs, %lld metric rows, %lld artifacts (%d files)\n",
           o->argv[1], (long long)st.runs, (long long)st.metrics, (long long)st.artifacts,
           st.files);
    return EXP_EXIT_OK;
}

static int study_rename(study_opts *o)
{
    const char *cmd = "study rename";
    if (o->argc != 3) {
        exp_cli_error(cmd, "expected OLD and NEW names (see 'seqtune study --help')");
        return EXP_EXIT_USAGE;
    }
    trk_store *s = open_rw(cmd, o->db);
    if (!s)
        return EXP_EXIT_INPUT;
    char err[256];
    int rc = trk_study_rename(s, o->argv[1], o->argv[2], err);
    trk_store_close(s);
    if (rc) {
        exp_cli_error(cmd, "%s", err);
        return exit_for(rc);
    }
    printf("renamed study %s to %s\n", o->argv[1], o->argv[2]);
    return EXP_EXIT_OK;
}

/* study tag NAME KEY=VALUE... --unset KEY...; study note NAME TEXT */
static int study_tags(study_opts *o, int note)
{
    const char *cmd = note ? "study note" : "study tag";
    if (note ? o->argc != 3 || o->n_unset : o->argc < 2 || (o->argc == 2 && !o->n_unset)) {
        exp_cli_error(cmd, note ? "expected NAME and TEXT (see 'seqtune study --help')"
                                : "expected NAME and KEY=VALUE or --unset KEY (see 'seqtune study --help')");
        return EXP_EXIT_USAGE;
    }
    const char *keys[64], *values[64];
    int n = 0;
    for (int i = 2; !note && i < o->argc; i++) {
        if (n == 64 || split_kv(cmd, o->argv[i], &keys[n], &values[n]))
            return EXP_EXIT_USAGE;
        n++;
    }
    trk_store *s = open_rw(cmd, o->db);
    if (!s)
        return EXP_EXIT_INPUT;
    char err[256];
    int64_t id;
    int rc = trk_study_find(s, o->argv[1], &id, err);
    if (!rc && note && *o->argv[2])
        rc = trk_study_set_tag(s, id, TRK_NOTE_TAG, o->argv[2], err);
    else if (!rc && note)
        rc = trk_study_unset_tag(s, id, TRK_NOTE_TAG, NULL, err);
    for (int i = 0; !rc && i < n; i++)
        rc = trk_study_set_tag(s, id, keys[i], values[i], err);
    int removed = 0;
    for (int i = 0; !rc && i < o->n_unset; i++) {
        int r = 0;
        rc = trk_study_unset_tag(s, id, o->unset[i], &r, err);
        removed += r;
    }
    trk_store_close(s);
    if (rc) {
        exp_cli_error(cmd, "%s", err);
        return exit_for(rc);
    }
    if (note)
        printf("%s the note of study %s\n", *o->argv[2] ? "set" : "removed", o->argv[1]);
    else
        printf("study %s: %d tag(s) set, %d removed\n", o->argv[1], n, removed);
    return EXP_EXIT_OK;
}

int cmd_study(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        exp_cli_usage("study", argc < 2 ? stderr : stdout);
        return argc < 2 ? EXP_EXIT_USAGE : EXP_EXIT_OK;
    }
    static const char *const subs[] = {"delete", "rename", "tag", "note"};
    int which = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(argv[1], subs[i]) == 0)
            which = i;
    if (which < 0) {
        const char *hint = exp_closest(argv[1], subs, 4);
        exp_cli_error("study", "unknown subcommand '%s'%s%s%s (delete, rename, tag or note)",
                      argv[1], hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
        return EXP_EXIT_USAGE;
    }
    char cmd[32];
    snprintf(cmd, sizeof cmd, "study %s", subs[which]);
    study_opts o;
    int rc = parse_opts(argc - 1, argv + 1, cmd, &o);
    if (rc)
        return rc < 0 ? EXP_EXIT_OK : rc;
    if (which != 0 && o.yes) {
        exp_cli_error(cmd, "--yes is only for delete");
        return EXP_EXIT_USAGE;
    }
    if (which != 2 && o.n_unset) {
        exp_cli_error(cmd, "--unset is only for tag");
        return EXP_EXIT_USAGE;
    }
    switch (which) {
    case 0: return study_delete(&o);
    case 1: return study_rename(&o);
    default: return study_tags(&o, which == 3);
    }
}

int cmd_tag(int argc, char **argv)
{
    const char *cmd = "tag";
    study_opts o;
    int rc = parse_opts(argc, argv, cmd, &o);
    if (rc)
        return rc < 0 ? EXP_EXIT_OK : rc;
    if (o.yes) {
        exp_cli_error(cmd, "unknown option '--yes'");
        return EXP_EXIT_USAGE;
    }
    if (o.argc < 2 || (o.argc == 2 && !o.n_unset)) {
        exp_cli_error(cmd, "expected RUN and KEY=VALUE or --unset KEY (see 'seqtune tag --help')");
        return EXP_EXIT_USAGE;
    }
    long run;
    if (exp_parse_long(o.argv[1], 1, 1L << 53, cmd, "RUN", &run))
        return EXP_EXIT_USAGE;
    const char *keys[64], *values[64];
    int n = 0;
    for (int i = 2; i < o.argc; i++) {
        if (n == 64 || split_kv(cmd, o.argv[i], &keys[n], &values[n]))
            return EXP_EXIT_USAGE;
        n++;
    }
    trk_store *s = open_rw(cmd, o.db);
    if (!s)
        return EXP_EXIT_INPUT;
    char err[256];
    trk_run r;
    rc = trk_run_get(s, run, &r, err);
    if (!rc)
        trk_run_clear(&r);
    for (int i = 0; !rc && i < n; i++)
        rc = trk_run_set_tag(s, run, keys[i], values[i], err);
    int removed = 0;
    for (int i = 0; !rc && i < o.n_unset; i++) {
        int x = 0;
        rc = trk_run_unset_tag(s, run, o.unset[i], &x, err);
        removed += x;
    }
    trk_store_close(s);
    if (rc) {
        exp_cli_error(cmd, "%s", err);
        return exit_for(rc);
    }
    printf("run %ld: %d tag(s) set, %d removed\n", run, n, removed);
    return EXP_EXIT_OK;
}
