/*
 * command.c - runs an external objective program with pipes and poll(): the
 * parameters are written to its stdin, stdout is parsed line by line as it comes,
 * stderr is kept as a bounded tail for the failure message.
 */
#include "experiments/command.h"

#include "experiments/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TAIL_MAX 160
#define LINE_MAX_LEN 4096        /* a longer stdout line fails the trial */
#define STEPS_MAX 100000         /* more step lines fail the trial */
#define GRACE_S 2.0

/* Length of a decimal number at `p` ([+-] digits [. digits] [e[+-]digits], at
 * least one digit before the exponent), 0 when there is none. */
static size_t decimal_len(const char *p)
{
    size_t i = 0, digits = 0;
    if (p[i] == '+' || p[i] == '-')
        i++;
    while (p[i] >= '0' && p[i] <= '9')
        i++, digits++;
    if (p[i] == '.') {
        i++;
        while (p[i] >= '0' && p[i] <= '9')
            i++, digits++;
    }
    if (!digits)
        return 0;
    if (p[i] == 'e' || p[i] == 'E') {
        size_t j = i + 1;
        if (p[j] == '+' || p[j] == '-')
            j++;
        if (p[j] < '0' || p[j] > '9')
            return i;
        while (p[j] >= '0' && p[j] <= '9')
            j++;
        i = j;
    }
    return i;
}

/* A line that starts like a number: a digit, or a sign or point before one. Other
 * lines are the program's own log text and are ignored. */
static int looks_numeric(const char *p)
{
    if (*p == '+' || *p == '-')
        p++;
    if (*p == '.')
        p++;
    return *p >= '0' && *p <= '9';
}

/*
 * Parses "STEP VALUE" (returns 2), a lone number (returns 1), log text (0), or a
 * line that starts like a number but is not one or two decimal numbers (-1 with
 * `why`): "0x10", "1.5abc" and "3 4 5" are errors, not text to skip.
 */
static int parse_line(const char *line, int *step, double *value, char why[96])
{
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!looks_numeric(p))
        return 0;
    size_t n1 = decimal_len(p);
    const char *q = p + n1;
    const char *after = q;
    while (*q == ' ' || *q == '\t' || *q == '\r')
        q++;
    if (n1 && *q == '\0') {
        *value = strtod(p, NULL);
        return 1;
    }
    size_t n2 = n1 && q > after ? decimal_len(q) : 0;
    const char *r = q + n2;
    while (*r == ' ' || *r == '\t' || *r == '\r')
        r++;
    if (!n2 || *r != '\0') {
        snprintf(why, 96, "'%.40s' is not a decimal number or 'STEP VALUE'", p);
        return -1;
    }
    for (size_t i = 0; i < n1; i++)
        if (p[i] < '0' || p[i] > '9' || n1 > 9) {
            snprintf(why, 96, "step '%.*s' is not a whole number 0-999999999", (int)(n1 < 20 ? n1 : 20), p);
            return -1;
        }
    *step = atoi(p);
    *value = strtod(q, NULL);
    return 2;
}

/* Keeps the last TAIL_MAX bytes of the child's stderr. */
static void tail_append(char *tail, size_t *len, const char *buf, size_t n)
{
    if (n >= TAIL_MAX) {
        memcpy(tail, buf + n - TAIL_MAX, TAIL_MAX);
        *len = TAIL_MAX;
    } else if (*len + n <= TAIL_MAX) {
        memcpy(tail + *len, buf, n);
        *len += n;
    } else {
        size_t keep = TAIL_MAX - n;
        memmove(tail, tail + *len - keep, keep);
        memcpy(tail + keep, buf, n);
        *len = TAIL_MAX;
    }
    tail[*len] = '\0';
}

static void tail_clean(char *tail)
{
    size_t n = strlen(tail);
    while (n && (tail[n - 1] == '\n' || tail[n - 1] == ' ' || tail[n - 1] == '\r'))
        tail[--n] = '\0';
    for (char *p = tail; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
}

/* 1 once the child has ended; it stays a zombie (WNOWAIT), so its pid and
 * process group id cannot be reused before reap_group. */
static int child_ended(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/* Kills what is left of the child's process group, then reaps the child. */
static void reap_group(pid_t pid, int *status)
{
    kill(-pid, SIGKILL);
    waitpid(pid, status, 0);
}

/* Ends the program and everything it started: it leads its own process group
 * (set up on both sides of the fork), so SIGTERM goes to the group, and SIGKILL
 * once the program has ended or after GRACE_S. Reaps the child. */
static void kill_child(pid_t pid)
{
    kill(-pid, SIGTERM);
    double t0 = exp_now();
    while (exp_now() - t0 < GRACE_S && !child_ended(pid)) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    reap_group(pid, NULL);
}

/* One run of the program: its pipes (-1 once closed), the stdout line being
 * read, stderr's tail and what stdout said so far. */
typedef struct {
    int in_p[2], out_p[2], err_p[2], exec_p[2];
    pid_t pid;                  /* -1 once reaped */
    const char *stdin_text;
    size_t in_off, in_len, line_len, tail_len;
    char line[LINE_MAX_LEN + 1], tail[TAIL_MAX + 1];
    int have_final, step;
    double final_value, last_value;
    long n_lines, n_steps;
} cmd_run;

/* Ends the program (kill_child) and forgets its pid. */
static void cmd_kill(cmd_run *r)
{
    kill_child(r->pid);
    r->pid = -1;
}

/* Forks and runs argv in cwd with the pipes on 0, 1 and 2, in its own process
 * group. 0 once it runs; -1 and err when it could not be started. */
static int cmd_spawn(cmd_run *r, char *const argv[], const char *cwd, char err[256])
{
    if (pipe(r->in_p) || pipe(r->out_p) || pipe(r->err_p) || pipe(r->exec_p)) {
        snprintf(err, 256, "objective.command: pipe: %s", strerror(errno));
        return -1;
    }
    fcntl(r->exec_p[1], F_SETFD, FD_CLOEXEC);
    r->pid = fork();
    if (r->pid < 0) {
        snprintf(err, 256, "objective.command: fork: %s", strerror(errno));
        return -1;
    }
    if (r->pid == 0) {
        setpgid(0, 0);   /* its own group: the time limit ends grandchildren too */
        dup2(r->in_p[0], 0);
        dup2(r->out_p[1], 1);
        dup2(r->err_p[1], 2);
        close(r->in_p[0]); close(r->in_p[1]); close(r->out_p[0]); close(r->out_p[1]);
        close(r->err_p[0]); close(r->err_p[1]); close(r->exec_p[0]);
        int e = 0;
        if (cwd && chdir(cwd) != 0)
            e = errno;
        else
            execvp(argv[0], argv);
        if (!e)
            e = errno;
        if (write(r->exec_p[1], &e, sizeof e) < 0)
            _exit(127);
        _exit(127);
    }
    setpgid(r->pid, r->pid);   /* both sides, so that no kill can come before it */
    close(r->in_p[0]); r->in_p[0] = -1;
    close(r->out_p[1]); r->out_p[1] = -1;
    close(r->err_p[1]); r->err_p[1] = -1;
    close(r->exec_p[1]); r->exec_p[1] = -1;
    int exec_errno = 0;
    if (read(r->exec_p[0], &exec_errno, sizeof exec_errno) == (ssize_t)sizeof exec_errno) {
        waitpid(r->pid, NULL, 0);
        r->pid = -1;
        snprintf(err, 256, "objective.command: cannot run '%s': %s", argv[0], strerror(exec_errno));
        return -1;
    }
    fcntl(r->in_p[1], F_SETFL, O_NONBLOCK);
    if (r->in_len == 0) {
        close(r->in_p[1]);
        r->in_p[1] = -1;
    }
    return 0;
}

/* The stop flag and the time limit (timeout_s > 0, counted from t0): 1 when one
 * of them ended the program (err says which), else 0. */
static int cmd_limits(cmd_run *r, volatile sig_atomic_t *stop, double timeout_s, double t0,
                      char err[256])
{
    if (stop && *stop) {
        cmd_kill(r);
        snprintf(err, 256, "interrupted");
        return 1;
    }
    if (timeout_s > 0 && exp_now() - t0 > timeout_s) {
        cmd_kill(r);
        snprintf(err, 256, "time limit of %g s exceeded", timeout_s);
        return 1;
    }
    return 0;
}

/* Writes what the program can take of its stdin; closes it when all is written
 * or the program stopped reading. */
static void cmd_feed(cmd_run *r)
{
    ssize_t w = write(r->in_p[1], r->stdin_text + r->in_off, r->in_len - r->in_off);
    if (w > 0)
        r->in_off += (size_t)w;
    if (w < 0 || r->in_off == r->in_len) {
        close(r->in_p[1]);
        r->in_p[1] = -1;
    }
}

/* One complete stdout line: a final value, a step (on_step may prune: returns
 * 1), log text; -1 and err (the program ended) for a bad line or too many steps. */
static int cmd_line(cmd_run *r, exp_step_fn on_step, void *ctx, char err[256])
{
    r->line[r->line_len] = '\0';
    r->line_len = 0;
    r->n_lines++;
    int s;
    double v;
    char why[96];
    int kind = parse_line(r->line, &s, &v, why);
    if (kind < 0 || (kind == 2 && ++r->n_steps > STEPS_MAX)) {
        cmd_kill(r);
        if (kind < 0)
            snprintf(err, 256, "objective.command: stdout line %ld: %s", r->n_lines, why);
        else
            snprintf(err, 256, "objective.command: more than %d step lines", STEPS_MAX);
        return -1;
    }
    if (kind == 1) {
        r->final_value = v;
        r->have_final = 1;
    } else if (kind == 2) {
        r->step = s;
        r->last_value = v;
        r->have_final = 0;
        if (on_step && on_step(ctx, s, v))
            return 1;
    }
    return 0;
}

/* Reads what stdout has; *open_out = 0 at its end (a last unterminated line
 * counts). 0 go on, 1 pruned, -1 and err when the program was ended. */
static int cmd_read_out(cmd_run *r, int *open_out, exp_step_fn on_step, void *ctx,
                        char err[256])
{
    char buf[4096];
    ssize_t n = read(r->out_p[0], buf, sizeof buf);
    if (n <= 0) {
        *open_out = 0;
        buf[0] = '\n';
        n = r->line_len ? 1 : 0;
    }
    for (ssize_t k = 0; k < n; k++) {
        if (buf[k] != '\n') {
            if (r->line_len == LINE_MAX_LEN) {
                cmd_kill(r);
                snprintf(err, 256, "objective.command: stdout line %ld is longer than %d bytes",
                         r->n_lines + 1, LINE_MAX_LEN);
                return -1;
            }
            r->line[r->line_len++] = buf[k];
            continue;
        }
        int rc = cmd_line(r, on_step, ctx, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* The poll loop until stdout and stderr are closed: 0, 1 pruned, -1 and err
 * when the program was ended (stop, time limit, bad output). */
static int cmd_talk(cmd_run *r, exp_step_fn on_step, void *ctx, volatile sig_atomic_t *stop,
                    double timeout_s, double t0, char err[256])
{
    int open_out = 1, open_err = 1;
    while (open_out || open_err) {
        struct pollfd fds[3];
        int nf = 0, io = -1, ie = -1, ii = -1;
        if (open_out) { io = nf; fds[nf++] = (struct pollfd){r->out_p[0], POLLIN, 0}; }
        if (open_err) { ie = nf; fds[nf++] = (struct pollfd){r->err_p[0], POLLIN, 0}; }
        if (r->in_p[1] >= 0) { ii = nf; fds[nf++] = (struct pollfd){r->in_p[1], POLLOUT, 0}; }
        int pr = poll(fds, (nfds_t)nf, 100);
        if (cmd_limits(r, stop, timeout_s, t0, err))
            return -1;
        if (pr <= 0)
            continue;
        if (ii >= 0 && (fds[ii].revents & (POLLOUT | POLLERR | POLLHUP)))
            cmd_feed(r);
        if (ie >= 0 && (fds[ie].revents & (POLLIN | POLLHUP | POLLERR))) {
            char buf[1024];
            ssize_t n = read(r->err_p[0], buf, sizeof buf);
            if (n <= 0)
                open_err = 0;
            else
                tail_append(r->tail, &r->tail_len, buf, (size_t)n);
        }
        if (io >= 0 && (fds[io].revents & (POLLIN | POLLHUP | POLLERR))) {
            int rc = cmd_read_out(r, &open_out, on_step, ctx, err);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* The outcome of a program that ended with status. */
static int cmd_outcome(cmd_run *r, int status, double *value, int *last_step, char err[256])
{
    const char *tail = r->tail, *sep = tail[0] ? ": " : "";
    if (WIFSIGNALED(status)) {
        snprintf(err, 256, "objective.command killed by signal %d%s%s", WTERMSIG(status), sep,
                 tail);
    } else if (WEXITSTATUS(status) != 0) {
        snprintf(err, 256, "objective.command exited with %d%s%s", WEXITSTATUS(status), sep,
                 tail);
    } else if (!r->have_final) {
        snprintf(err, 256, "objective.command printed no final value%s%s", sep, tail);
    } else if (!isfinite(r->final_value)) {
        snprintf(err, 256, "objective.command returned a non-finite value");
    } else {
        *value = r->final_value;
        *last_step = r->step;
        return EXP_CMD_COMPLETE;
    }
    return EXP_CMD_FAIL;
}

int exp_command_run(char *const argv[], const char *stdin_text, double timeout_s,
                    const char *cwd, exp_step_fn on_step, void *ctx, volatile sig_atomic_t *stop,
                    double *value, int *last_step, char err[256])
{
    static const cmd_run init = {{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}, -1, NULL, 0, 0, 0, 0,
                                 "", "", 0, -1, NAN, NAN, 0, 0};
    cmd_run *r = malloc(sizeof *r);
    int rc = EXP_CMD_FAIL;
    *last_step = -1;
    if (!r) {
        snprintf(err, 256, "objective.command: out of memory");
        return rc;
    }
    *r = init;
    r->stdin_text = stdin_text;
    r->in_len = strlen(stdin_text);
    if (cmd_spawn(r, argv, cwd, err) < 0)
        goto done;
    double t0 = exp_now();
    int talk = cmd_talk(r, on_step, ctx, stop, timeout_s, t0, err);
    if (talk == 1) {
        cmd_kill(r);
        *value = r->last_value;
        *last_step = r->step;
        rc = EXP_CMD_PRUNED;
    }
    if (talk)
        goto done;
    /* Both pipes are closed, but the program may still run (a daemonised child,
     * or one that closed them and sleeps): the time limit and stop still hold. */
    while (!child_ended(r->pid)) {
        if (cmd_limits(r, stop, timeout_s, t0, err))
            goto done;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    int status = 0;
    reap_group(r->pid, &status);   /* what it left running in its group ends with it */
    r->pid = -1;
    tail_clean(r->tail);
    rc = cmd_outcome(r, status, value, last_step, err);
done:
    if (r->pid > 0)
        kill_child(r->pid);
    int fds_all[] = {r->in_p[0],  r->in_p[1],  r->out_p[0],  r->out_p[1],
                     r->err_p[0], r->err_p[1], r->exec_p[0], r->exec_p[1]};
    for (size_t i = 0; i < sizeof fds_all / sizeof fds_all[0]; i++)
        if (fds_all[i] >= 0)
            close(fds_all[i]);
    free(r);
    return rc;
}
