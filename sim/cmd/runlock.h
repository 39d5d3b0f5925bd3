/*
 * cmd/runlock.h — one writer per output: `run` holds OUT.lock (an fcntl
 * lock, released by the kernel when the process ends however it ends) while
 * it writes OUT.part and renames it to OUT, so a second `run` (or a
 * `--resume`) for the same OUT refuses at once instead of replacing the
 * first one's file under it.
 */
#ifndef ARENASIM_RUNLOCK_H
#define ARENASIM_RUNLOCK_H

#include "base/util.h"

typedef struct {
    int fd;
    char *path;
} runlock;

/* Take OUT.lock; UTIL_ERUNTIME naming the holder (pid, host, start time)
 * when another process has it. */
int runlock_acquire(runlock *l, const char *out, util_err *err);
/* Remove the lock file and release the lock (no-op when not held). */
void runlock_release(runlock *l);

#endif
