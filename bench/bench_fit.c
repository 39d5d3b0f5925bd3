/*
 * bench_fit.c — timings of the leaderboard fits (rating.c): bt on the real
 * 1.67M-vote Chatbot Arena table (counts-json from $ARENASIM_ARENA_DATA or
 * ../shared/data/arena/chatbotarena_20240814.json; skipped when absent),
 * 100 bt bootstrap rounds, bt_style on 1M simulated battles (threads 1 and 2),
 * 100 style bootstrap rounds, and the memory kept per battle.
 * With ARENASIM_BENCH_CSV=FILE also the in-process CSV read of FILE with the
 * four style columns (MB/s, best of 3); ARENASIM_BENCH_PARSE_ONLY=1: only that.
 * Units: seconds (wall clock, best of a few runs), bytes. Targets (not
 * asserted): bt ≤ 0.1 s, 100 bt boots ≤ 2 s, style ≤ 0.2 s, 100 style boots ≤ 5 s
 * (issue 9).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omp.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "io/battles.h"
#include "rating/rating.h"
#include "base/rng.h"
#include "base/util.h"
#include "bench_load.h"

#define BENCH_LN10 2.302585092994045684

/* CPU seconds of the whole process (all threads): with the wall clock it
 * shows whether a figure was slowed by other load on the machine. */
static double bench_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void bench_real(void)
{
    const char *path = getenv("ARENASIM_ARENA_DATA");
    if (!path)
        path = "../shared/data/arena/chatbotarena_20240814.json";
    battles_data *d = NULL;
    util_err err;
    if (battles_read(path, BATTLES_FMT_COUNTS_JSON, NULL, 0, &d, &err)) {
        printf("bt (real table): skipped (%s)\n", err.msg);
        return;
    }
    int n = d->n_models;
    double *r = util_malloc((size_t)n * sizeof(double)), *cov = util_malloc((size_t)n * n * sizeof(double));
    double *lo = util_malloc((size_t)n * sizeof(double)), *hi = util_malloc((size_t)n * sizeof(double));
    double tot[1 << 10], best = 1e9, bestc = 1e9;
    rating_table_battles(d->table, tot);
    double votes = 0;
    for (int i = 0; i < n; i++)
        votes += tot[i] / 2;
    rating_bt_ws *w = rating_bt_ws_alloc(n);
    for (int k = 0; k < 5; k++) {
        double t0 = util_now();
        int rc = rating_bt_fit(d->table, w, NULL, r, NULL, &err);
        double t1 = util_now();
        rc |= rating_bt_fit(d->table, w, NULL, r, cov, &err);
        double t2 = util_now();
        if (rc) {
            printf("bt (real table): error: %s\n", err.msg);
            goto out;
        }
        best = fmin(best, t1 - t0);
        bestc = fmin(bestc, t2 - t1);
    }
    printf("bt fit, real table (%d models, %.0f votes): %.4f s (with sandwich cov: %.4f s)\n", n, votes, best, bestc);
    rating_boot_opts bo = {1, 0, 0, 100, 2, 0.95};
    double t0 = util_now(), c0 = bench_cpu();
    if (rating_bt_bootstrap(d->table, NULL, &bo, NULL, -1, 0, lo, hi, &err))
        printf("bt bootstrap: error: %s\n", err.msg);
    else
        printf("bt bootstrap, 100 rounds, 2 threads: %.3f s (cpu %.3f s)\n", util_now() - t0, bench_cpu() - c0);
out:
    rating_bt_ws_free(w);
    free(r);
    free(cov);
    free(lo);
    free(hi);
    battles_free(d);
}

/* 1M battles among n models with 4 style features (Philox stream). */
static rating_rows *simulate(int n, size_t nb)
{
    gsl_rng *g = rng_alloc();
    rng_set_stream(g, 2024, 0, 0, RNG_PURPOSE_USER, 0);
    rating_rows *rows = rating_rows_alloc(n, 4, nb);
    double *theta = util_malloc((size_t)n * sizeof(double)), *len = util_malloc((size_t)n * sizeof(double));
    const double rate[4] = {0, 0.004, 0.01, 0.02}, beta[4] = {0.6, 0.2, 0.2, 0.3};
    for (int i = 0; i < n; i++) {
        theta[i] = gsl_ran_gaussian(g, 0.25);
        len[i] = 200 + 600 * gsl_rng_uniform(g);
    }
    for (size_t k = 0; k < nb; k++) {
        int a = (int)gsl_rng_uniform_int(g, (unsigned long)n);
        int b = (a + 1 + (int)gsl_rng_uniform_int(g, (unsigned long)n - 1)) % n;
        double ta = len[a] * exp(gsl_ran_gaussian(g, 0.5)), tb = len[b] * exp(gsl_ran_gaussian(g, 0.5));
        double d[4], eta = BENCH_LN10 * (theta[a] - theta[b]);
        d[0] = (ta - tb) / (ta + tb + 1);
        for (int f = 1; f < 4; f++) {
            double x = gsl_ran_poisson(g, rate[f] * ta), y = gsl_ran_poisson(g, rate[f] * tb);
            d[f] = (x - y) / (x + y + 1);
        }
        for (int f = 0; f < 4; f++)
            eta += beta[f] * d[f];
        double u = gsl_rng_uniform(g);
        int oc = u < 0.3 ? (u < 0.15 ? RATING_TIE : RATING_BOTHBAD)
                         : gsl_rng_uniform(g) < 1 / (1 + exp(-eta)) ? RATING_A_WINS : RATING_B_WINS;
        rating_rows_push(rows, a, b, oc, d);
    }
    free(theta);
    free(len);
    gsl_rng_free(g);
    return rows;
}

static void bench_style(void)
{
    int n = 100, F = 4;
    size_t nb = 1000000;
    util_err err;
    rating_rows *rows = simulate(n, nb);
    double r[100], gam[4], lo[100], hi[100], glo[4], ghi[4], r2[100], gam2[4];
    rating_style_ws *w = rating_style_ws_alloc(n, F);
    for (int threads = 1; threads <= 2; threads++) {
        rating_style_opts so = {PENALTY_FASTCHAT, 0, 0, threads};
        double best = 1e9, cbest = 1e9;
        for (int k = 0; k < 3; k++) {
            double t0 = util_now(), c0 = bench_cpu();
            if (rating_style_fit(rows, NULL, w, &so, threads == 1 ? r : r2, threads == 1 ? gam : gam2, NULL, &err)) {
                printf("bt_style: error: %s\n", err.msg);
                goto out;
            }
            best = fmin(best, util_now() - t0);
            cbest = fmin(cbest, bench_cpu() - c0);
        }
        printf("bt_style fit (fastchat), %zu battles, %d models, %d features, %d thread(s): %.3f s (cpu %.3f s) "
               "(load %.2f)\n",
               nb, n, F, threads, best, cbest, bench_load1());
    }
    printf("bt_style threads 1 vs 2 bitwise identical: %s (gamma = %.4f %.4f %.4f %.4f)\n",
           memcmp(r, r2, sizeof r) || memcmp(gam, gam2, sizeof gam) ? "NO" : "yes", gam[0], gam[1], gam[2], gam[3]);
    rating_style_opts so = {PENALTY_FASTCHAT, 0, 0, 1};
    rating_boot_opts bo = {1, 0, 0, 100, 2, 0.95};
    double t0 = util_now(), c0 = bench_cpu();
    if (rating_style_bootstrap(rows, &so, NULL, &bo, NULL, -1, 0, lo, hi, glo, ghi, &err))
        printf("bt_style bootstrap: error: %s\n", err.msg);
    else
        printf("bt_style bootstrap, 100 rounds, 2 threads: %.2f s (cpu %.2f s) (load %.2f)\n", util_now() - t0,
               bench_cpu() - c0, bench_load1());
    printf("memory kept per battle (rating_rows, %d features): %zu bytes (bootstrap: + %zu per thread for weights, "
           "+ %zu shared for sigma at the full-data fit)\n",
           F, 2 * sizeof(int32_t) + sizeof(uint8_t) + (size_t)F * sizeof(double), sizeof(double), sizeof(double));
out:
    rating_style_ws_free(w);
    rating_rows_free(rows);
}

/* In-process read of a CSV battle log with the arena's four style columns. */
static void bench_parse(const char *path)
{
    static const int feats[4] = {0, 1, 2, 3};
    util_err err;
    double best = 1e9;
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    long bytes = -1;
    if (f && !fseek(f, 0, SEEK_END))
        bytes = ftell(f);
    if (f)
        fclose(f);
    for (int k = 0; k < 3; k++) {
        battles_data *d = NULL;
        double t0 = util_now();
        if (battles_read(path, BATTLES_FMT_CSV, feats, 4, &d, &err)) {
            printf("csv parse: error: %s\n", err.msg);
            return;
        }
        best = fmin(best, util_now() - t0);
        n = d->rows->n;
        battles_free(d);
    }
    printf("csv parse, %zu battles, %.1f MB, 4 style features, %d thread(s): %.3f s: %.0f MB/s (load %.2f)\n", n,
           (double)bytes / 1e6, omp_get_max_threads(), best, (double)bytes / 1e6 / best, bench_load1());
}

int main(void)
{
    gsl_set_error_handler_off();
    double load[1] = {0};
    FILE *fl = fopen("/proc/loadavg", "r");
    if (fl) {
        if (fscanf(fl, "%lf", load) != 1)
            load[0] = -1;
        fclose(fl);
    }
    printf("bench_fit (1-min load average at start: %.2f; figures are wall clock, best of runs)\n", load[0]);
    const char *csv = getenv("ARENASIM_BENCH_CSV");
    if (csv)
        bench_parse(csv);
    if (getenv("ARENASIM_BENCH_PARSE_ONLY"))
        return 0;
    bench_real();
    bench_style();
    return 0;
}
