/*
 * test_command_objective.c - the external-program objective: parameters arrive
 * on stdin, steps and the final value are read from stdout, pruning and the time
 * limit terminate the program, failures carry the stderr tail.
 */
#include "experiments/command.h"
#include "tests/check.h"

#include <signal.h>

typedef struct { int n; int steps[16]; double values[16]; int prune_at; } steps_seen;

static int on_step(void *ctx, int step, double value)
{
    steps_seen *s = ctx;
    if (s->n < 16) {
        s->steps[s->n] = step;
        s->values[s->n] = value;
    }
    s->n++;
    return s->prune_at >= 0 && step >= s->prune_at;
}

static int run_sh(const char *script, const char *input, double timeout, steps_seen *s,
                  double *value, int *last, char err[256])
{
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    return exp_command_run(argv, input, timeout, NULL, on_step, s, NULL, value, last, err);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    char err[256] = "";
    double v = 0;
    int last = -9;

    /* Parameters on stdin come back; steps and a final value are parsed. */
    steps_seen s = {.prune_at = -1};
    int rc = run_sh("read p; echo \"0 0.5\"; echo noise line; echo '1 0.25'; "
                    "echo \"$p\" | grep -q '\"x\":3' && echo 0.125", "{\"x\":3}\n", 10, &s, &v, &last, err);
    CHECK_INT(rc, EXP_CMD_COMPLETE);
    CHECK_NEAR(v, 0.125, 0);
    CHECK_INT(s.n, 2);
    CHECK_INT(s.steps[1], 1);
    CHECK_NEAR(s.values[0], 0.5, 0);
    CHECK_INT(last, 1);

    /* Pruning at step 2 terminates the program: it never prints step 3. */
    steps_seen p = {.prune_at = 2};
    rc = run_sh("for i in 0 1 2 3 4; do echo \"$i $i.5\"; sleep 0.05; done; echo 9", "{}", 10, &p, &v, &last, err);
    CHECK_INT(rc, EXP_CMD_PRUNED);
    CHECK_INT(p.n, 3);
    CHECK_INT(last, 2);
    CHECK_NEAR(v, 2.5, 0);

    /* A non-zero exit fails with the stderr tail. */
    steps_seen f = {.prune_at = -1};
    rc = run_sh("echo 'CUDA out of memory' >&2; exit 3", "{}", 10, &f, &v, &last, err);
    CHECK_INT(rc, EXP_CMD_FAIL);
    CHECK_STR_CONTAINS(err, "exited with 3");
    CHECK_STR_CONTAINS(err, "CUDA out of memory");

    /* No final value is a failure. */
    rc = run_sh("echo '0 1.0'", "{}", 10, &f, &v, &last, err);
    CHECK_INT(rc, EXP_CMD_FAIL);
    CHECK_STR_CONTAINS(err, "no final value");

    /* The time limit kills a program that runs too long. */
    rc = run_sh("sleep 30; echo 1", "{}", 0.3, &f, &v, &last, err);
    CHECK_INT(rc, EXP_CMD_FAIL);
    CHECK_STR_CONTAINS(err, "time limit");

    /* A program that does not exist. */
    char *argv[] = {"/nonexistent/prog", NULL};
    rc = exp_command_run(argv, "{}", 5, NULL, on_step, &f, NULL, &v, &last, err);
    CHECK_INT(rc, EXP_CMD_FAIL);
    CHECK_STR_CONTAINS(err, "cannot run '/nonexistent/prog'");

    /* A program that ignores its stdin and exits at once does not kill us (SIGPIPE). */
    char big[200000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    rc = run_sh("echo 4", big, 5, &f, &v, &last, err);
    CHECK_INT(rc, EXP_CMD_COMPLETE);
    CHECK_NEAR(v, 4, 0);

    /* A stop request interrupts. */
    volatile sig_atomic_t stop = 1;
    char *argv2[] = {"/bin/sh", "-c", "sleep 30", NULL};
    rc = exp_command_run(argv2, "{}", 0, NULL, on_step, &f, &stop, &v, &last, err);
    CHECK_INT(rc, EXP_CMD_FAIL);
    CHECK_STR_CONTAINS(err, "interrupted");
    return check_done();
}
