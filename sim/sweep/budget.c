/*
 * sweep/budget.c — will this run fit on the machine? Before the first point,
 * `run` estimates the memory of its largest point (arena_point_bytes: the
 * threads' workspaces and every replicate's results), plus the results of
 * the other points open at the same time (up to one per thread), and the size of the
 * result file (every replicate of every point of the shard, uncompressed:
 * an upper bound, deflate usually shrinks it several times), and compares
 * them with the memory it may use (the least of MemAvailable, the cgroup
 * limit of a batch job and RLIMIT_AS/RLIMIT_DATA) and the free space of the
 * output's file system. Units: bytes.
 */
#define _DEFAULT_SOURCE
#include "sweep/sweep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

#include "arena/arena.h"

/* A number (bytes) from the first line of `path` (or after `key` in it). */
static double read_bytes(const char *path, const char *key, double scale)
{
    FILE *f = fopen(path, "r");
    char line[256];
    double v = -1;
    while (f && fgets(line, sizeof line, f)) {
        char *p = line;
        if (key) {
            if (strncmp(line, key, strlen(key)) != 0)
                continue;
            p += strlen(key);
        }
        char *end;
        errno = 0;
        double x = strtod(p, &end);
        if (end != p && !errno && x > 0)
            v = x * scale;
        break;
    }
    if (f)
        fclose(f);
    return v;
}

static void take_min(double *best, double v)
{
    if (v > 0 && (*best < 0 || v < *best))
        *best = v;
}

double sweep_memory_available(void)
{
    double m = -1;
    struct rlimit rl;
    take_min(&m, read_bytes("/proc/meminfo", "MemAvailable:", 1024.0));
    take_min(&m, read_bytes("/sys/fs/cgroup/memory.max", NULL, 1.0)); /* v2; "max": none */
    take_min(&m, read_bytes("/sys/fs/cgroup/memory/memory.limit_in_bytes", NULL, 1.0)); /* v1 */
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        take_min(&m, (double)rl.rlim_cur);
    if (getrlimit(RLIMIT_DATA, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        take_min(&m, (double)rl.rlim_cur);
    return m;
}

static double disk_available(const char *out)
{
    char *dir = util_strdup(out), *slash = strrchr(dir, '/');
    struct statvfs st;
    if (slash)
        slash[slash == dir] = '\0';
    double v = statvfs(slash ? dir : ".", &st) == 0 ? (double)st.f_bavail * (double)st.f_frsize : -1;
    free(dir);
    return v;
}

static void human(double b, char *buf, size_t n)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int k = 0;
    while (b >= 1024 && k < 5)
        b /= 1024, k++;
    snprintf(buf, n, "%.3g %s", b, u[k]);
}

int sweep_budget(const config *c, int threads, int shard_i, int shard_n, const char *out,
                 sweep_budget_t *b, util_err *err)
{
    params *p = util_malloc(sizeof *p);
    size_t np = config_n_points(c), n_pts = 0;
    double res_max = 0;
    memset(b, 0, sizeof *b);
    for (size_t k = (size_t)shard_i; k < np; k += (size_t)(shard_n > 0 ? shard_n : 1)) {
        if (config_point(c, k, p, err)) {
            free(p);
            return err->code;
        }
        double mem = arena_point_bytes(p, threads), res = (double)p->replicates * arena_result_bytes(p);
        if (mem > b->memory) {
            b->memory = mem;
            b->worst_point = k;
        }
        res_max = res > res_max ? res : res_max;
        b->output += res;
        n_pts++;
    }
    free(p);
    /* up to `threads` points are open at once (sweep/sweep.c), each holding
     * its replicates' results; arena_point_bytes counted one */
    size_t t = threads > 0 ? (size_t)threads : 1, open = n_pts < t ? n_pts : t;
    if (open > 1)
        b->memory += (double)(open - 1) * res_max;
    b->memory += 64.0 * 1024 * 1024; /* the program, libraries, HDF5 caches */
    b->memory_available = sweep_memory_available();
    b->disk_available = disk_available(out);
    return UTIL_OK;
}

int sweep_budget_check(const sweep_budget_t *b, const char *out, int threads, util_err *err)
{
    char need[32], have[32];
    if (b->memory_available > 0 && b->memory > b->memory_available) {
        human(b->memory, need, sizeof need);
        human(b->memory_available, have, sizeof have);
        return util_err_set(err, UTIL_EINPUT,
                            "point %zu needs about %s of memory with %d thread(s), more than the "
                            "%s this process may use (the least of available memory, the job's "
                            "cgroup limit and ulimit -v/-d); use fewer --threads or replicates, "
                            "or pass --force to run anyway", b->worst_point, need, threads, have);
    }
    if (b->disk_available >= 0 && b->output > b->disk_available) {
        human(b->output, need, sizeof need);
        human(b->disk_available, have, sizeof have);
        return util_err_set(err, UTIL_EINPUT,
                            "the results of this run take up to %s (uncompressed), more than the %s "
                            "free where %s goes; free space, write elsewhere, or pass --force to "
                            "run anyway (compression usually shrinks them)", need, have, out);
    }
    return UTIL_OK;
}
