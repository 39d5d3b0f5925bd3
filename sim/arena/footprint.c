/*
 * arena/footprint.c — how much memory a sweep point takes, from its params
 * alone (no allocation), for the resource check of `run` (sweep/budget.c).
 * Upper bounds in bytes, counted from the allocations of arena_ws_alloc,
 * arena_result_alloc and the rating workspaces (dense n×n matrices, which
 * dominate once a fit has thousands of models).
 */
#include "arena/arena_internal.h"

/* One fit of n models and F style features: win/tie table (4 doubles per
 * pair), BT workspace (4 n×n matrices), and with F > 0 the style workspace
 * (4 (n+F)² matrices and its own table). */
static double fit_bytes(double n, int F)
{
    double b = 16.0 * n * n + 32.0 * n * n;
    if (F > 0)
        b += 32.0 * (n + F) * (n + F) + 16.0 * n * n;
    return b;
}

static void counts(const params *p, double *n_sel, double *n_fin, double *battles)
{
    *n_sel = *n_fin = p->n_models;
    *battles = (double)p->n_public;
    for (int g = 0; g < p->n_gaming; g++) {
        const params_gaming *v = &p->gaming[g];
        *n_sel += v->n_variants;
        *n_fin += 2 + (v->unlisted_votes == UNLISTED_KEEP ? v->n_variants - 1 : 0);
        *battles += (double)v->n_variants * (double)v->n_test + (double)v->n_listed +
                    (double)v->n_release;
    }
}

double arena_result_bytes(const params *p)
{
    double S = p->n_models + 2.0 * p->n_gaming, G = p->n_gaming;
    return S * (EST_N * (3 * 8 + 2 * 4) + 3 * 8 + 4) + G * (EST_N * 2 + 7) * 8.0 +
           sizeof(arena_result) + 8.0 * 3 * EST_N;
}

double arena_point_bytes(const params *p, int threads)
{
    double n_sel, n_fin, battles;
    int F = 0;
    for (int f = 0; f < FEAT_N; f++)
        F += p->style_features[f] != 0;
    counts(p, &n_sel, &n_fin, &battles);
    double ws = battles * (sizeof(arena_battle) + (p->neutral_rerun ? 1.0 : 0.0) +
                           2.0 * (4 + 4 + 1 + 8.0 * F)) +
                (double)p->n_voters * FEAT_N * 8 + fit_bytes(n_sel, F) + fit_bytes(n_fin, F) +
                fit_bytes(p->n_models, 0) + 8.0 * (n_fin + F) * (n_fin + F) + 8.0 * n_sel * n_sel;
    if (p->ci == CI_BOOTSTRAP)
        ws += 2.0 * p->n_bootstrap * (n_fin + F) * 8;
    return (threads > 0 ? threads : 1) * ws + (double)p->replicates * arena_result_bytes(p);
}
