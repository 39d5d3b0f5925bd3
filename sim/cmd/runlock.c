/*
 * cmd/runlock.c — the lock file of `arenasim run` (see runlock.h). fcntl
 * locks work on NFS and Lustre, where cluster sweeps write, and vanish with
 * their process, so a killed run never leaves a stale lock. The file holds
 * "pid host start-time" of the holder for the message of the one refused.
 */
#define _DEFAULT_SOURCE
#include "cmd/runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int lock_fd(int fd)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    return fcntl(fd, F_SETLK, &fl);
}

static void describe_holder(int fd, char *buf, size_t n)
{
    ssize_t got = pread(fd, buf, n - 1, 0);
    buf[got > 0 ? got : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (!buf[0])
        snprintf(buf, n, "unknown process");
}

int runlock_acquire(runlock *l, const char *out, util_err *err)
{
    l->fd = -1;
    l->path = util_malloc(strlen(out) + 8);
    sprintf(l->path, "%s.lock", out);
    /* The holder removes the file when done: a lock taken on a file that
     * was removed (or replaced) meanwhile guards nothing, so check that the
     * path still names the locked file and try again if not. */
    for (int tries = 0; tries < 100; tries++) {
        int fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            util_err_set(err, UTIL_ERUNTIME, "cannot create the lock file %s: %s", l->path,
                         strerror(errno));
            break;
        }
        if (lock_fd(fd) != 0) {
            int e = errno;
            char who[256];
            describe_holder(fd, who, sizeof who);
            close(fd);
            if (e == EACCES || e == EAGAIN)
                util_err_set(err, UTIL_ERUNTIME,
                             "%s is being written by another arenasim run (%s holds %s); wait for "
                             "it to finish or choose another -o", out, who, l->path);
            else
                util_err_set(err, UTIL_ERUNTIME, "cannot lock %s: %s", l->path, strerror(e));
            break;
        }
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(l->path, &b) == 0 && a.st_ino == b.st_ino &&
            a.st_dev == b.st_dev) {
            char host[128] = "?", line[320], when[32];
            time_t t = time(NULL);
            struct tm tm;
            gethostname(host, sizeof host - 1);
            host[sizeof host - 1] = '\0';
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
            int len = snprintf(line, sizeof line, "process %ld on %s since %s\n", (long)getpid(),
                               host, when);
            if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)len, 0) != len) {
                /* the description is a courtesy; the lock is what counts */
            }
            l->fd = fd;
            return UTIL_OK;
        }
        close(fd);
    }
    if (!err->code)
        util_err_set(err, UTIL_ERUNTIME, "cannot lock %s: it keeps being replaced", l->path);
    free(l->path);
    l->path = NULL;
    return err->code;
}

void runlock_release(runlock *l)
{
    if (l->fd >= 0) {
        unlink(l->path); /* while still holding the lock: see runlock_acquire */
        close(l->fd);
    }
    l->fd = -1;
    free(l->path);
    l->path = NULL;
}
