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

int exp_command_run(char *const argv[], const char *stdin_text, double timeout_s,
                    const char *cwd, exp_step_fn on_step, void *ctx, volatile sig_atomic_t *stop,
                    double *value, int *last_step, char err[256])
{
    int in_p[2] = {-1, -1}, out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, exec_p[2] = {-1, -1};
    char line[LINE_MAX_LEN + 1], tail[TAIL_MAX + 1] = "";
    size_t line_len = 0, tail_len = 0, in_off = 0, in_len = strlen(stdin_text);
    int have_final = 0, rc = EXP_CMD_FAIL, pruned = 0, step = -1;
    double final_value = NAN, last_value = NAN;
    long n_lines = 0, n_steps = 0;
    pid_t pid = -1;
    *last_step = -1;

    if (pipe(in_p) || pipe(out_p) || pipe(err_p) || pipe(exec_p)) {
        snprintf(err, 256, "objective.command: pipe: %s", strerror(errno));
        goto done;
    }
    fcntl(exec_p[1], F_SETFD, FD_CLOEXEC);
    pid = fork();
    if (pid < 0) {
        snprintf(err, 256, "objective.command: fork: %s", strerror(errno));
        goto done;
    }
    if (pid == 0) {
        setpgid(0, 0);   /* its own group: the time limit ends grandchildren too */
        dup2(in_p[0], 0);
        dup2(out_p[1], 1);
        dup2(err_p[1], 2);
        close(in_p[0]); close(in_p[1]); close(out_p[0]); close(out_p[1]);
        close(err_p[0]); close(err_p[1]); close(exec_p[0]);
        int e = 0;
        if (cwd && chdir(cwd) != 0)
            e = errno;
        else
            execvp(argv[0], argv);
        if (!e)
            e = errno;
        if (write(exec_p[1], &e, sizeof e) < 0)
            _exit(127);
        _exit(127);
    }
    setpgid(pid, pid);   /* both sides, so that no kill can come before it */
    close(in_p[0]); in_p[0] = -1;
    close(out_p[1]); out_p[1] = -1;
    close(err_p[1]); err_p[1] = -1;
    close(exec_p[1]); exec_p[1] = -1;
    int exec_errno = 0;
    if (read(exec_p[0], &exec_errno, sizeof exec_errno) == (ssize_t)sizeof exec_errno) {
        waitpid(pid, NULL, 0);
        pid = -1;
        snprintf(err, 256, "objective.command: cannot run '%s': %s", argv[0], strerror(exec_errno));
        goto done;
    }
    fcntl(in_p[1], F_SETFL, O_NONBLOCK);
    if (in_len == 0) {
        close(in_p[1]);
        in_p[1] = -1;
    }

    double t0 = exp_now();
    int open_out = 1, open_err = 1;
    while (open_out || open_err) {
        struct pollfd fds[3];
        int nf = 0, io = -1, ie = -1, ii = -1;
        if (open_out) { io = nf; fds[nf++] = (struct pollfd){out_p[0], POLLIN, 0}; }
        if (open_err) { ie = nf; fds[nf++] = (struct pollfd){err_p[0], POLLIN, 0}; }
        if (in_p[1] >= 0) { ii = nf; fds[nf++] = (struct pollfd){in_p[1], POLLOUT, 0}; }
        int pr = poll(fds, (nfds_t)nf, 100);
        if (stop && *stop) {
            kill_child(pid);
            pid = -1;
            snprintf(err, 256, "interrupted");
            goto done;
        }
        if (timeout_s > 0 && exp_now() - t0 > timeout_s) {
            kill_child(pid);
            pid = -1;
            snprintf(err, 256, "time limit of %g s exceeded", timeout_s);
            goto done;
        }
        if (pr <= 0)
            continue;
        if (ii >= 0 && (fds[ii].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(in_p[1], stdin_text + in_off, in_len - in_off);
            if (w > 0)
                in_off += (size_t)w;
            if (w < 0 || in_off == in_len) {
                close(in_p[1]);
                in_p[1] = -1;
            }
        }
        if (ie >= 0 && (fds[ie].revents & (POLLIN | POLLHUP | POLLERR))) {
            char buf[1024];
            ssize_t r = read(err_p[0], buf, sizeof buf);
            if (r <= 0)
                open_err = 0;
            else
                tail_append(tail, &tail_len, buf, (size_t)r);
        }
        if (io >= 0 && (fds[io].revents & (POLLIN | POLLHUP | POLLERR))) {
            char buf[4096];
            ssize_t r = read(out_p[0], buf, sizeof buf);
            if (r <= 0) {
                open_out = 0;
                buf[0] = '\n';
                r = line_len ? 1 : 0;
            }
            for (ssize_t k = 0; k < r; k++) {
                if (buf[k] != '\n') {
                    if (line_len == LINE_MAX_LEN) {
                        kill_child(pid);
                        pid = -1;
                        snprintf(err, 256, "objective.command: stdout line %ld is longer than "
                                 "%d bytes", n_lines + 1, LINE_MAX_LEN);
                        goto done;
                    }
                    line[line_len++] = buf[k];
                    continue;
                }
                line[line_len] = '\0';
                line_len = 0;
                n_lines++;
                int s;
                double v;
                char why[96];
                int kind = parse_line(line, &s, &v, why);
                if (kind < 0 || (kind == 2 && ++n_steps > STEPS_MAX)) {
                    kill_child(pid);
                    pid = -1;
                    if (kind < 0)
                        snprintf(err, 256, "objective.command: stdout line %ld: %s", n_lines, why);
                    else
                        snprintf(err, 256, "objective.command: more than %d step lines",
                                 STEPS_MAX);
                    goto done;
                }
                if (kind == 1) {
                    final_value = v;
                    have_final = 1;
                } else if (kind == 2) {
                    step = s;
                    last_value = v;
                    have_final = 0;
                    if (on_step && on_step(ctx, s, v)) {
                        pruned = 1;
                        break;
                    }
                }
            }
            if (pruned) {
                kill_child(pid);
                pid = -1;
                *value = last_value;
                *last_step = step;
                rc = EXP_CMD_PRUNED;
                goto done;
            }
        }
    }
    /* Both pipes are closed, but the program may still run (a daemonised child,
     * or one that closed them and sleeps): the time limit and stop still hold. */
    int status = 0;
    for (;;) {
        if (child_ended(pid))
            break;
        if (stop && *stop) {
            kill_child(pid);
            pid = -1;
            snprintf(err, 256, "interrupted");
            goto done;
        }
        if (timeout_s > 0 && exp_now() - t0 > timeout_s) {
            kill_child(pid);
            pid = -1;
            snprintf(err, 256, "time limit of %g s exceeded", timeout_s);
            goto done;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    reap_group(pid, &status);   /* what it left running in its group ends with it */
    pid = -1;
    tail_clean(tail);
    if (WIFSIGNALED(status)) {
        snprintf(err, 256, "objective.command killed by signal %d%s%s", WTERMSIG(status),
                 tail[0] ? ": " : "", tail);
    } else if (WEXITSTATUS(status) != 0) {
        snprintf(err, 256, "objective.command exited with %d%s%s", WEXITSTATUS(status),
                 tail[0] ? ": " : "", tail);
    } else if (!have_final) {
        snprintf(err, 256, "objective.command printed no final value%s%s",
                 tail[0] ? ": " : "", tail);
    } else if (!isfinite(final_value)) {
        snprintf(err, 256, "objective.command returned a non-finite value");
    } else {
        *value = final_value;
        *last_step = step;
        rc = EXP_CMD_COMPLETE;
    }
done:
    if (pid > 0)
        kill_child(pid);
    int fds_all[] = {in_p[0], in_p[1], out_p[0], out_p[1], err_p[0], err_p[1], exec_p[0], exec_p[1]};
    for (size_t i = 0; i < sizeof fds_all / sizeof fds_all[0]; i++)
        if (fds_all[i] >= 0)
            close(fds_all[i]);
    return rc;
}
