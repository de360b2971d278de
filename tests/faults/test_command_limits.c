/*
 * test_command_limits.c - the limits of an external objective program (issue
 * 14, item 7): the time limit ends the program's whole process group (its
 * grandchildren too) and holds when the program closes stdout and stderr and
 * sleeps; a stdout line over the limit and too many step lines fail the trial;
 * a value must be a decimal number ("0x10", "1.5abc", "3 4 5" fail with the
 * reason) while log text and exponents are fine.
 */
#include "experiments/cli.h"
#include "experiments/command.h"
#include "tests/check.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int count_steps(void *ctx, int step, double value)
{
    (void)step;
    (void)value;
    (*(long *)ctx)++;
    return 0;
}

static int run_sh(const char *script, double timeout, double *value, long *steps, char err[256])
{
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    int last;
    err[0] = '\0';
    return exp_command_run(argv, "{}\n", timeout, NULL, count_steps, steps, NULL, value, &last,
                           err);
}

/* 1 when process `pid` no longer runs (gone, or a zombie nobody reaped yet). */
static int process_gone(long pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z';
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    char err[256], script[512], pidfile[] = "/tmp/seqtune_cmd_XXXXXX";
    double v = 0;
    long steps = 0;
    int fd = mkstemp(pidfile);
    CHECK(fd >= 0);
    close(fd);

    /* The time limit ends the grandchild too (it would sleep for 60 s). */
    snprintf(script, sizeof script, "sleep 60 & echo $! > %s; sleep 60", pidfile);
    double t0 = exp_now();
    int rc = run_sh(script, 0.5, &v, &steps, err);
    CHECK_INT(rc, EXP_CMD_FAIL);
    CHECK_STR_CONTAINS(err, "time limit");
    CHECK(exp_now() - t0 < 5);
    FILE *f = fopen(pidfile, "r");
    long grandchild = 0;
    CHECK(f && fscanf(f, "%ld", &grandchild) == 1);
    if (f)
        fclose(f);
    unlink(pidfile);
    int gone = 0;
    for (int i = 0; i < 100 && !(gone = process_gone(grandchild)); i++)
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    CHECK(grandchild > 0 && gone);
    if (!gone && grandchild > 0)
        kill((pid_t)grandchild, SIGKILL);

    /* The limit holds when the program closes stdout and stderr and sleeps. */
    t0 = exp_now();
    rc = run_sh("exec >&- 2>&-; sleep 60", 0.5, &v, &steps, err);
    double took = exp_now() - t0;
    CHECK_INT(rc, EXP_CMD_FAIL);
    CHECK_STR_CONTAINS(err, "time limit of 0.5 s exceeded");
    CHECK(took < 5);
    printf("closed pipes and slept: ended after %.2f s\n", took);

    /* An over-long line is an error, not a line cut short and read. */
    rc = run_sh("printf '%5000s\\n' | tr ' ' 7; echo 1", 10, &v, &steps, err);
    CHECK_INT(rc, EXP_CMD_FAIL);
    CHECK_STR_CONTAINS(err, "stdout line 1 is longer than 4096 bytes");

    /* At most 100000 step lines. */
    steps = 0;
    rc = run_sh("seq 0 100001 | sed 's/$/ 0.5/'; echo 1", 30, &v, &steps, err);
    CHECK_INT(rc, EXP_CMD_FAIL);
    CHECK_STR_CONTAINS(err, "more than 100000 step lines");
    CHECK_INT(steps, 100000);

    /* Values are decimal numbers. */
    const char *bad[][2] = {
        {"echo 0x10", "'0x10' is not a decimal number"},
        {"echo 1.5abc", "'1.5abc' is not a decimal number"},
        {"echo '3 4 5'", "'3 4 5' is not a decimal number"},
        {"echo '1.5 0.2'", "step '1.5' is not a whole number"},
        {"echo 'epoch done'; echo -7x", "stdout line 2: '-7x'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rc = run_sh(bad[i][0], 10, &v, &steps, err);
        CHECK_INT(rc, EXP_CMD_FAIL);
        CHECK_STR_CONTAINS(err, bad[i][1]);
    }
    const char *good[][2] = {
        {"echo 'epoch 1 of 3'; echo '-----'; echo '  2.5  '", "2.5"},
        {"echo 1e-3", "0.001"},
        {"echo '0 0.5'; echo -.25", "-0.25"},
        {"echo 12", "12"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        rc = run_sh(good[i][0], 10, &v, &steps, err);
        CHECK_INT(rc, EXP_CMD_COMPLETE);
        CHECK_NEAR(v, strtod(good[i][1], NULL), 0);
    }
    return check_done();
}
