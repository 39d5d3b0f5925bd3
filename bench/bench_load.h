/*
 * bench_load.h — the machine's 1-minute load average, printed beside every
 * benchmark figure so that a figure taken on a busy machine says so.
 * Returns −1 where /proc/loadavg cannot be read.
 */
#ifndef ARENASIM_BENCH_LOAD_H
#define ARENASIM_BENCH_LOAD_H

#include <stdio.h>

static inline double bench_load1(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

#endif
