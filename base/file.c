/*
 * file.c - durable whole-file writes and a bounded reader (see file.h).
 */
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void base_file_temp_name(const char *path, char out[BASE_TEMP_NAME_MAX])
{
    snprintf(out, BASE_TEMP_NAME_MAX, "%.4200s.tmp.%ld", path, (long)getpid());
}

int base_file_make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0777);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

char *base_file_dir(const char *path)
{
    size_t n = strlen(path);
    char *dir = malloc(n + 2);
    if (!dir)
        return NULL;
    memcpy(dir, path, n + 1);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    return dir;
}

int base_file_sync_dir(const char *path)
{
    char *dir = base_file_dir(path);
    if (!dir)
        return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    free(dir);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? 0 : -1;
}

/* rename() of a synced temp file onto path, then the folder's fsync; removes
 * tmp on failure. */
static int rename_into_place(const char *tmp, const char *path, char err[256])
{
    if (rename(tmp, path) != 0) {
        snprintf(err, 256, "%.200s: cannot rename the temporary file into place: %s", path,
                 strerror(errno));
        unlink(tmp);
        return -1;
    }
    base_file_sync_dir(path);
    return 0;
}

int base_file_commit_fd(int fd, const char *tmp, const char *path, char err[256])
{
    if (fsync(fd) != 0) {
        snprintf(err, 256, "%.200s: fsync: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) != 0) {
        snprintf(err, 256, "%.200s: close: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return rename_into_place(tmp, path, err);
}

int base_file_commit_stream(FILE *f, const char *tmp, const char *path, char err[256])
{
    if (fflush(f) != 0 || ferror(f)) {
        snprintf(err, 256, "%.200s: write failed: %s", tmp, strerror(errno));
        fclose(f);
        unlink(tmp);
        return -1;
    }
    int fd = dup(fileno(f));
    fclose(f);
    if (fd < 0) {
        snprintf(err, 256, "%.200s: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return base_file_commit_fd(fd, tmp, path, err);
}

int base_file_commit(const char *tmp, const char *path, char err[256])
{
    if (!tmp || !path) {
        snprintf(err, 256, "base_file_commit: no file name");
        return -1;
    }
    int fd = open(tmp, O_RDONLY);
    if (fd < 0) {
        snprintf(err, 256, "%.200s: fsync: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return base_file_commit_fd(fd, tmp, path, err);
}

int base_file_write(const char *path, const void *data, size_t len, char err[256])
{
    char tmp[BASE_TEMP_NAME_MAX];
    base_file_temp_name(path, tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        snprintf(err, 256, "%.200s: %s", tmp, strerror(errno));
        return -1;
    }
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, 256, "%.200s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    return base_file_commit_fd(fd, tmp, path, err);
}

FILE *base_file_open_regular(const char *path, struct stat *st, int *not_regular)
{
    *not_regular = 0;
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    int fl = fcntl(fd, F_GETFL);
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || fl < 0 ||
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        *not_regular = 1;
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}

char *base_file_read(const char *path, size_t max, size_t *len, char err[256])
{
    char *buf = NULL;
    int not_regular = 0;
    struct stat st;
    FILE *f = base_file_open_regular(path, &st, &not_regular);
    if (!f) {
        if (not_regular)
            snprintf(err, 256, "%.200s: not a regular file", path);
        else
            snprintf(err, 256, "%.200s: %s", path, strerror(errno));
        return NULL;
    }
    if ((unsigned long long)st.st_size > max) {
        snprintf(err, 256, "%.180s: expected at most %zu bytes, got %lld", path, max,
                 (long long)st.st_size);
        goto fail;
    }
    size_t n = (size_t)st.st_size;
    buf = malloc(n + 1);
    if (!buf) {
        snprintf(err, 256, "%.200s: out of memory for %zu bytes", path, n);
        goto fail;
    }
    if (fread(buf, 1, n, f) != n) {
        snprintf(err, 256, "%.200s: read error", path);
        goto fail;
    }
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = n;
    return buf;
fail:
    free(buf);
    fclose(f);
    return NULL;
}
