/*
 * bench_sim.c — simulated battles per second (1 and 2 threads) and the time
 * of one full replicate (battles + bt + bt_style + elo fits) on a 40-model
 * scenario with style-biased voters. Prints figures; asserts nothing.
 * Target (issue 2): ≥ 20 M battles/s on 2 cores. Each figure is printed with
 * the 1-minute load average at its end (the machine may be shared).
 * ARENASIM_BENCH_SIM_ONLY=1: the battles/s figures only (bench/bench_cli.py).
 */
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

static double time_generate(const arena_scenario *s, int threads, int reps)
{
    double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads)
    {
        util_err err;
        arena_ws *w = arena_ws_alloc(s);
#pragma omp for schedule(dynamic, 1)
        for (int k = 0; k < reps; k++)
            arena_generate(s, w, 0, (uint64_t)k, &err);
        arena_ws_free(w);
    }
    return omp_get_wtime() - t0;
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
    for (int threads = 1; threads <= 2; threads++) {
        int reps = 4;
        double t = time_generate(&s, threads, reps);
        printf("  battles/s, %d thread(s): %.2f M  (%d x %ld battles in %.2f s; load %.2f)\n", threads,
               reps * (double)battles / t / 1e6, reps, battles, t, bench_load1());
        fflush(stdout);
    }
    if (!getenv("ARENASIM_BENCH_SIM_ONLY"))
        time_replicate(&s, battles);
    printf("  memory per simulated battle: %zu bytes\n", sizeof(arena_battle));
    arena_scenario_free(&s);
    free(p);
    config_free(c);
    free(y);
    return 0;
}
