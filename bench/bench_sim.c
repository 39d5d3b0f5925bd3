/*
 * bench_sim.c — simulated battles per second (1 and 2 threads) and the time
 * of one full replicate (battles + bt + bt_style + elo fits) on a 40-model
 * scenario with style-biased voters. Prints figures; asserts nothing.
 * Target (issue 2): ≥ 20 M battles/s on 2 cores, and a 2-thread speed-up
 * ≥ 1.9× (issue 9). Each figure is printed with the 1-minute load average at
 * its end (the machine may be shared).
 *
 * The two CPUs of a virtual machine need not be equally fast (a vCPU whose
 * host core is shared runs slower, and which one changes over time), so a
 * 1-thread figure depends on where it ran. The 1-thread figure is therefore
 * taken pinned to each of the first two CPUs the process may use, the
 * 2-thread figure with one thread pinned to each, in rounds that alternate
 * (ARENASIM_BENCH_ROUNDS, default 3; medians). The speed-up is the 2-thread
 * rate over the mean of the two 1-thread rates, i.e. twice the parallel
 * efficiency rate(2) / (rate(CPU a) + rate(CPU b)).
 * ARENASIM_BENCH_SIM_ONLY=1: the battles/s figures only (bench/bench_cli.py).
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <sched.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "arena/arena.h"
#include "bench_load.h"

static char *scenario_yaml(long battles)
{
    size_t cap = 1 << 16, n = 0;
    char *y = malloc(cap);
    n += (size_t)snprintf(y + n, cap - n,
                          "seed: 1\nreplicates: 8\n"
                          "voters: {count: 1000, beta_mean: {tokens: 0.8, headers: 0.1, lists: 0.1, bold: 0.1, emoji: 0.3},"
                          " beta_sd: {tokens: 0.3}, tie_threshold: 0.6, bothbad_share: 0.5}\n"
                          "arena: {public_battles: %ld}\nleaderboard: {ci: sandwich}\nmodels:\n",
                          battles);
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(y + n, cap - n,
                              "  - {name: m%02d, theta: %d, style: {tokens: %d, headers: %.1f, lists: %.1f, bold: %.1f, emoji: %.1f}}\n",
                              i, 1100 + 8 * i, 300 + 13 * i, 0.1 * (i % 7), 0.3 * (i % 11),
                              0.4 * (i % 9), 0.2 * (i % 5));
    return y;
}

/* The first two CPUs of affinity mask m (−1 where it has fewer). */
static void bench_cpus(const cpu_set_t *m, int cpu[2])
{
    cpu[0] = cpu[1] = -1;
    for (int c = 0, k = 0; c < CPU_SETSIZE && k < 2; c++)
        if (CPU_ISSET(c, m))
            cpu[k++] = c;
}

/* Pin the calling thread to one CPU (no-op for cpu < 0). */
static void pin(int cpu)
{
    if (cpu < 0)
        return;
    cpu_set_t m;
    CPU_ZERO(&m);
    CPU_SET(cpu, &m);
    (void)sched_setaffinity(0, sizeof m, &m);
}

/* Seconds to generate reps replicates on `threads` threads, thread t pinned
 * to cpus[t] (unpinned where cpus is NULL) and using workspace ws[t]. The
 * workspaces are made and first touched before timing, as in a sweep, where
 * a thread keeps its workspace from one replicate to the next. */
static double time_generate(const arena_scenario *s, arena_ws **ws, int threads, int reps, const int *cpus)
{
    double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads)
    {
        util_err err;
        int t = omp_get_thread_num();
        if (cpus)
            pin(cpus[t]);
#pragma omp for schedule(dynamic, 1)
        for (int k = 0; k < reps; k++)
            arena_generate(s, ws[t], 0, (uint64_t)k, &err);
    }
    return omp_get_wtime() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* battles/s: 1 thread on each of two CPUs, then 2 threads (one per CPU), in
 * alternating rounds; prints medians, the speed-up and the efficiency. */
static void bench_rates(const arena_scenario *s, long battles)
{
    enum { MAXR = 15 };
    const int reps = 4;
    const char *env = getenv("ARENASIM_BENCH_ROUNDS");
    int rounds = env ? atoi(env) : 3, cpu[2];
    rounds = rounds < 1 ? 1 : rounds > MAXR ? MAXR : rounds;
    cpu_set_t all;
    int have_all = sched_getaffinity(0, sizeof all, &all) == 0;
    cpu[0] = cpu[1] = -1;
    if (have_all)
        bench_cpus(&all, cpu);
    arena_ws *ws[2] = {arena_ws_alloc(s), arena_ws_alloc(s)};
    time_generate(s, ws, 2, 2, NULL); /* first touch of both workspaces, untimed */
    double r[3][MAXR]; /* CPU a, CPU b, 2 threads */
    for (int k = 0; k < rounds; k++) {
        for (int c = 0; c < 2; c++)
            r[c][k] = reps * (double)battles / time_generate(s, ws, 1, reps, &cpu[c]) / 1e6;
        if (have_all) /* the 1-thread runs pinned the main thread */
            (void)sched_setaffinity(0, sizeof all, &all);
        r[2][k] = reps * (double)battles / time_generate(s, ws, 2, reps, cpu[1] >= 0 ? cpu : NULL) / 1e6;
    }
    arena_ws_free(ws[0]);
    arena_ws_free(ws[1]);
    double ra = median(r[0], rounds), rb = median(r[1], rounds), r2 = median(r[2], rounds);
    printf("  battles/s, 1 thread(s): %.2f M  (mean of CPU %d: %.2f M and CPU %d: %.2f M; "
           "median of %d rounds of %d x %ld battles; load %.2f)\n",
           0.5 * (ra + rb), cpu[0], ra, cpu[1], rb, rounds, reps, battles, bench_load1());
    printf("  battles/s, 2 thread(s): %.2f M  (one thread per CPU; median of %d rounds; load %.2f)\n", r2,
           rounds, bench_load1());
    printf("  2-thread speed-up: %.2fx over the mean 1-thread rate (parallel efficiency %.0f %%)\n",
           r2 / (0.5 * (ra + rb)), 100 * r2 / (ra + rb));
    fflush(stdout);
}

static void time_replicate(const arena_scenario *s, long battles)
{
    util_err err;
    arena_ws *w = arena_ws_alloc(s);
    arena_result r;
    arena_result_alloc(&r, s->n_slots, s->p->n_gaming);
    double t0 = omp_get_wtime();
    int rc = arena_replicate(s, w, 0, 0, &r, &err);
    double t = omp_get_wtime() - t0;
    printf("  one replicate with bt + bt_style + elo fits and sandwich CIs on %ld battles: %.3f s%s (load %.2f)\n",
           battles, t, rc ? " (failed)" : "", bench_load1());
    arena_result_free(&r);
    arena_ws_free(w);
}

int main(void)
{
    const long battles = 2000000;
    util_err err;
    char *y = scenario_yaml(battles);
    config *c = config_load_string(y, "bench", &err);
    if (!c) {
        fprintf(stderr, "bench_sim: %s\n", err.msg);
        return 1;
    }
    params *p = malloc(sizeof *p);
    arena_scenario s;
    if (config_point(c, 0, p, &err) || arena_scenario_init(&s, p, &err)) {
        fprintf(stderr, "bench_sim: %s\n", err.msg);
        return 1;
    }
    printf("== simulation (40 models, 5 features, 1000 voters, Rao-Kupper ties)\n");
    bench_rates(&s, battles);
    if (!getenv("ARENASIM_BENCH_SIM_ONLY"))
        time_replicate(&s, battles);
    printf("  memory per simulated battle: %zu bytes\n", sizeof(arena_battle));
    arena_scenario_free(&s);
    free(p);
    config_free(c);
    free(y);
    return 0;
}
