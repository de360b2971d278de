/*
 * cmd_serve.c - `seqtune serve [--db FILE] [--host 127.0.0.1] [--port 8080]
 * [--open]`: the live, read-only dashboard over the store (reports/serve.h),
 * until SIGINT or SIGTERM.
 */
#include "experiments/cli.h"
#include "experiments/commands.h"
#include "reports/serve.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ALLOW 16

const char exp_usage_serve[] =
    "usage: seqtune serve [--db FILE] [--host 127.0.0.1] [--port 8080] [--open]\n"
    "                     [--allow-host NAME]\n\n"
    "Serves a live dashboard over the store: the studies, each study with the\n"
    "report's sections (updating while it runs), the trial table with the store's\n"
    "filter grammar, ordering and pages, each trial, and comparisons; and the same\n"
    "as JSON under /api/ (see the README). Read-only: the store is opened read-only\n"
    "and never locked for writing, so a running study is not slowed. Stops on\n"
    "SIGINT/SIGTERM (Ctrl-C).\n\n"
    "  --db FILE          the store (default $SEQTUNE_DB, then ./seqtune.db)\n"
    "  --host ADDR        address to listen on (default 127.0.0.1, this machine only;\n"
    "                     anything else is reachable from the network: a warning is printed)\n"
    "  --port N           port (default 8080; 0 picks a free one)\n"
    "  --allow-host NAME  also accept requests addressed to NAME (a DNS name of this\n"
    "                     machine, when bound beyond loopback); repeatable\n"
    "  --open             open the dashboard in the desktop's browser (xdg-open)\n"
    "  --help             show this text\n";

/* Starts xdg-open on url in the background (posix_spawnp: the server's threads
 * are running); a missing opener is only a note. */
static void open_browser(const char *url)
{
    extern char **environ;
    pid_t pid;
    char *const args[] = {"xdg-open", (char *)url, NULL};
    int rc = posix_spawnp(&pid, "xdg-open", NULL, NULL, args, environ);
    if (rc != 0)
        fprintf(stderr, "seqtune: serve: --open: cannot start xdg-open (%s); open %s yourself\n",
                strerror(rc), url);
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},   {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'}, {"allow-host", required_argument, NULL, 'a'},
        {"open", no_argument, NULL, 'o'},       {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *host = "127.0.0.1", *allow[MAX_ALLOW];
    long port = 8080;
    int n_allow = 0, open_it = 0, c;
    while ((c = exp_cli_getopt(argc, argv, "serve", "d:H:p:a:oh", opts)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'H': host = optarg; break;
        case 'p':
            if (exp_parse_long(optarg, 0, 65535, "serve", "--port", &port) != 0)
                return EXP_EXIT_USAGE;
            break;
        case 'a':
            if (n_allow == MAX_ALLOW) {
                exp_cli_error("serve", "--allow-host: at most %d names", MAX_ALLOW);
                return EXP_EXIT_USAGE;
            }
            allow[n_allow++] = optarg;
            break;
        case 'o': open_it = 1; break;
        case 'h': exp_cli_usage("serve", stdout); return EXP_EXIT_OK;
        default: return EXP_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        exp_cli_error("serve", "unexpected argument '%s'", argv[optind]);
        return EXP_EXIT_USAGE;
    }
    const char *path = exp_db_path(db);
    /* Block the stop signals before the server's threads start, so that they
     * all inherit the mask and the signal reaches this thread. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    signal(SIGPIPE, SIG_IGN);
    rep_serve_opts o = {.db_path = path, .host = host, .port = (int)port,
                        .allow_hosts = allow, .n_allow_hosts = n_allow};
    char err[256];
    rep_server *sv = rep_serve_start(&o, err);
    if (!sv) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        exp_cli_error("serve", "%s", err);
        return EXP_EXIT_INPUT;
    }
    char url[300];
    int v6 = strchr(host, ':') != NULL;
    snprintf(url, sizeof url, "http://%s%s%s:%d/", v6 ? "[" : "",
             rep_serve_is_loopback(sv) ? (v6 ? "::1" : "127.0.0.1") : host, v6 ? "]" : "",
             rep_serve_port(sv));
    if (!rep_serve_is_loopback(sv))
        fprintf(stderr, "seqtune: serve: WARNING: listening on %s, which is reachable from "
                "other machines; the dashboard has no login: anyone who can reach this port "
                "can read every study in %s\n", host, path);
    fprintf(stderr, "seqtune: serve: %s on %s (read-only; Ctrl-C stops)\n", path, url);
    fflush(stderr);
    if (open_it)
        open_browser(url);
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    fprintf(stderr, "seqtune: serve: stopping (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    rep_serve_stop(sv);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    return EXP_EXIT_OK;
}
