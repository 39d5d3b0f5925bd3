/*
 * cmd/report_game.c — the policy table of `arenasim report` (README "Which
 * policy stops the gaming?"), printed from the group /game alone: per
 * policy, each gaming vendor at its best response / the equilibrium — its
 * variants N, style intensity and testing votes per variant, its mean
 * payoff with a 95% CI, the listed model's displayed rank raw and
 * style-controlled, its score inflation raw / style-controlled / corrected,
 * the released-minus-listed rank gap, and Kendall τ of the board.
 * Units: ranks; arena points (inflation); payoff units.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "game/game.h"
#include "io/output.h"
#include "params/params.h"

static const char *const GAME_SETS[] = {
    "variants", "style_intensity", "testing_votes", "payoff_mean", "payoff_ci_lo", "payoff_ci_hi",
    "listed_displayed_rank", "score_inflation", "corrected_inflation", "released_gap",
    "kendall_tau", "status", "strategic"};
#define N_SETS (sizeof GAME_SETS / sizeof GAME_SETS[0])
enum { V_N, V_STYLE, V_VOTES, V_PAY, V_LO, V_HI, V_RANK, V_INFL, V_CORR, V_GAP, V_TAU, V_STATUS, V_STRAT };

/* "—" for NaN, else prefix + x with `prec` decimals (signed if sign). */
static void cell(char *buf, size_t n, const char *pre, int sign, int prec, double x)
{
    if (isnan(x))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, sign ? "%s%+.*f" : "%s%.*f", pre, prec, x);
}

static void print_row(double *d[N_SETS], size_t pol, int g, int G, char **vendor)
{
    const size_t PG = pol * (size_t)G + (size_t)g, PEG = pol * EST_N * (size_t)G + (size_t)g;
    char c[12][40];
    cell(c[0], 40, "", 0, 0, d[V_N][PG]);
    cell(c[1], 40, "", 0, 2, d[V_STYLE][PG]);
    cell(c[2], 40, "", 0, 0, d[V_VOTES][PG]);
    if (isnan(d[V_PAY][PG]))
        snprintf(c[3], 40, "-");
    else
        snprintf(c[3], 40, "%.1f [%.1f, %.1f]", d[V_PAY][PG], d[V_LO][PG], d[V_HI][PG]);
    cell(c[4], 40, "#", 0, 0, d[V_RANK][PEG]);
    cell(c[5], 40, "#", 0, 0, d[V_RANK][PEG + (size_t)EST_BT_STYLE * G]);
    cell(c[6], 40, "", 1, 1, d[V_INFL][PEG]);
    cell(c[7], 40, "", 1, 1, d[V_INFL][PEG + (size_t)EST_BT_STYLE * G]);
    cell(c[8], 40, "", 1, 1, d[V_CORR][PEG + (size_t)EST_BT_STYLE * G]);
    cell(c[9], 40, "", 1, 0, d[V_GAP][PEG]);
    printf("%-4zu %-12.12s%s %-4s %-6s %-7s %-26s %-6s %-6s %-8s %-8s %-9s %-6s", pol, vendor[g],
           d[V_STRAT][g] ? " " : "*", c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]);
}

/* Each dataset's expected shape: (policy, vendor), (policy, estimator,
 * vendor), (policy, estimator), (policy) or (vendor). */
static int shape_ok(int k, const hsize_t *dims, int rank, size_t P, size_t G)
{
    hsize_t want[3] = {P, G, 0};
    int r = 2;
    if (k == V_RANK || k == V_INFL || k == V_CORR || k == V_GAP)
        want[1] = EST_N, want[2] = G, r = 3;
    else if (k == V_TAU)
        want[1] = EST_N;
    else if (k == V_STATUS)
        r = 1;
    else if (k == V_STRAT)
        want[0] = G, r = 1;
    if (rank != r)
        return 0;
    for (int i = 0; i < r; i++)
        if (dims[i] != want[i])
            return 0;
    return 1;
}

/* The policy table, when the file has /game; returns 0 (also without it),
 * UTIL_EINPUT when /game is damaged (message on stderr). */
int report_game_table(hid_t f)
{
    if (H5Lexists(f, "/game", H5P_DEFAULT) <= 0)
        return 0;
    util_err err = {0, ""};
    double *d[N_SETS] = {0};
    char **policy = NULL, **vendor = NULL;
    size_t P = 0, G = 0;
    hsize_t dims[8];
    int rank, rc = 0;
    char path[64];
    rc = !(policy = output_read_strings(f, "/game/policy", &P, &err)) ||
         !(vendor = output_read_strings(f, "/game/vendor", &G, &err));
    for (size_t k = 0; k < N_SETS && !rc; k++) {
        snprintf(path, sizeof path, "/game/%s", GAME_SETS[k]);
        rc = !(d[k] = output_read_doubles(f, path, dims, &rank, &err));
        if (!rc && !shape_ok((int)k, dims, rank, P, G))
            rc = util_err_set(&err, UTIL_EINPUT, "dataset %s has the wrong shape", path);
    }
    if (rc)
        fprintf(stderr, "arenasim report: /game: %s\n", err.msg);
    else if (G == 0)
        ;
    else {
        printf("\nWhich policy stops the gaming? Each vendor at its best response / the equilibrium\n"
               "(* = not strategic; rank = median displayed rank of the listed model; infl = mean\n"
               "score − θ̃ of the listed model relative to the field (minus the median public model's), points; gap = released − listed raw rank; tau_r, tau_s = Kendall τ of the raw and style boards)\n");
        printf("%-4s %-13s %-4s %-6s %-7s %-26s %-6s %-6s %-8s %-8s %-9s %-6s %-5s %-5s %s\n", "pol",
               "vendor", "N", "style", "votes", "payoff [95% CI]", "raw", "style", "infl raw",
               "infl sty", "infl corr", "gap", "tau_r", "tau_s", "status");
        for (size_t pol = 0; pol < P; pol++)
            for (size_t g = 0; g < G; g++) {
                print_row(d, pol, (int)g, (int)G, vendor);
                if (g == 0) {
                    int st = (int)d[V_STATUS][pol];
                    printf("%-5.2f %-5.2f %s\n", d[V_TAU][pol * EST_N], d[V_TAU][pol * EST_N + EST_BT_STYLE],
                           st >= 0 && st <= 2 ? game_status_names[st] : "?");
                } else
                    putchar('\n');
            }
        printf("policies:\n");
        for (size_t pol = 0; pol < P; pol++)
            printf("%-4zu %s\n", pol, policy[pol]);
    }
    for (size_t k = 0; k < N_SETS; k++)
        free(d[k]);
    for (size_t k = 0; policy && k < P; k++)
        free(policy[k]);
    for (size_t k = 0; vendor && k < G; k++)
        free(vendor[k]);
    free(policy);
    free(vendor);
    return rc ? UTIL_EINPUT : 0;
}
