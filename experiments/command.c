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
#define LINE_MAX_LEN 4096
#define GRACE_S 2.0

/* Parses "STEP VALUE" (returns 2), a lone number (returns 1), anything else 0. */
static int parse_line(const char *line, int *step, double *value)
{
    char *end;
    errno = 0;
    double a = strtod(line, &end);
    if (end == line || errno)
        return 0;
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end == '\0' || *end == '\r') {
        *value = a;
        return 1;
    }
    char *end2;
    double b = strtod(end, &end2);
    if (end2 == end)
        return 0;
    while (*end2 == ' ' || *end2 == '\t' || *end2 == '\r')
        end2++;
    if (*end2 != '\0' || a != floor(a) || a < 0 || a > 1e9)
        return 0;
    *step = (int)a;
    *value = b;
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

static void kill_child(pid_t pid)
{
    kill(pid, SIGTERM);
    double t0 = exp_now();
    while (exp_now() - t0 < GRACE_S) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
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
                    if (line_len < LINE_MAX_LEN)
                        line[line_len++] = buf[k];
                    continue;
                }
                line[line_len] = '\0';
                line_len = 0;
                int s;
                double v;
                int kind = parse_line(line, &s, &v);
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
    int status = 0;
    waitpid(pid, &status, 0);
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
