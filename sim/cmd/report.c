/*
 * cmd/report.c — `arenasim report OUT.h5`: the summary table a person reads
 * first, from /summary alone. Per gaming vendor: true / raw / style-controlled
 * rank of the listed variant (median and 90% interval over replicates), the
 * released model's rank, score inflation per estimator, the decomposition
 * real gain + selection-on-noise + style, and the share of inflation that
 * style control removes — relative to the field (primary) and to the anchor,
 * each labelled. Scores in arena points.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "io/output.h"
#include "params/params.h"

typedef struct {
    output_reader *in;
    size_t n_points;
    int G, S;
    char **vendor, **model, **axis;
    size_t n_axis;
    char **values;
    double *complete;
    double *d[48];
    const char *name[48];
    int n;
} report;

static const char *const NEEDED[] = {
    "listed_rank_median", "listed_rank_q05", "listed_rank_q95", "true_rank_median",
    "true_rank_q05", "true_rank_q95", "released_rank_median", "released_rank_q05",
    "released_rank_q95", "score_inflation_mean", "score_inflation_se", "rank_inflation_mean",
    "real_gain_mean", "selection_on_noise_mean", "style_gain_mean", "share_removed",
    "share_removed_ci_lo", "share_removed_ci_hi", "kendall_tau_mean", "gamma_mean",
    "tie_share_mean", "bothbad_share_mean", "listed_score_mean", "selection_on_noise_neutral_mean",
    "fit_failures", "score_mean", "rank_median", "true_score_mean", "true_rank_model_median",
    "score_inflation_mean_anchor", "score_inflation_se_anchor", "selection_on_noise_mean_anchor",
    "style_gain_mean_anchor", "share_removed_anchor", "share_removed_ci_lo_anchor",
    "share_removed_ci_hi_anchor", "style_gain_se", "styled_variants", "ridge_fits"};
#define N_NEEDED (sizeof NEEDED / sizeof NEEDED[0])
_Static_assert(N_NEEDED <= 48, "report.d and report.name hold 48 datasets");

static const double *get(const report *r, const char *name, size_t p, size_t stride)
{
    for (int k = 0; k < r->n; k++)
        if (!strcmp(r->name[k], name))
            return r->d[k] + p * stride;
    return NULL;
}

/* Where dataset `name` of /summary comes from. Format-1 files (before the
 * field reference, issue 13) stored anchor-relative inflation under the
 * plain names and lack the later datasets: there the `_anchor` measures are
 * read from the plain names, the field-relative ones are not known (NaN),
 * and the later counts/se are NaN (shapes taken from a dataset like them). */
static void legacy_source(int legacy, const char *name, char *path, size_t n, int *nan_fill)
{
    static const char *const field_only[] = {
        "score_inflation_mean", "score_inflation_se", "selection_on_noise_mean", "style_gain_mean",
        "share_removed", "share_removed_ci_lo", "share_removed_ci_hi",
        "selection_on_noise_neutral_mean"};
    static const char *const later[][2] = {{"style_gain_se", "style_gain_mean"},
                                           {"styled_variants", "style_gain_mean"},
                                           {"ridge_fits", "fit_failures"}};
    size_t len = strlen(name), suf = strlen("_anchor");
    *nan_fill = 0;
    snprintf(path, n, "/summary/%s", name);
    if (!legacy)
        return;
    if (len > suf && !strcmp(name + len - suf, "_anchor")) {
        snprintf(path, n, "/summary/%.*s", (int)(len - suf), name);
        return;
    }
    for (size_t k = 0; k < sizeof field_only / sizeof field_only[0]; k++)
        if (!strcmp(name, field_only[k]))
            *nan_fill = 1;
    for (size_t k = 0; k < sizeof later / sizeof later[0]; k++)
        if (!strcmp(name, later[k][0])) {
            snprintf(path, n, "/summary/%s", later[k][1]);
            *nan_fill = 1;
        }
}

static int load(report *r, const char *path, util_err *err)
{
    memset(r, 0, sizeof *r);
    /* the file is checked against its own config's layout before any read;
     * every read below names the dataset when it fails */
    if (!(r->in = output_open_read(path, err)))
        return UTIL_EINPUT;
    size_t nv, nm, nvals;
    if (!(r->vendor = output_reader_strings(r->in, "/axes/vendor", &nv, err)) ||
        !(r->model = output_reader_strings(r->in, "/axes/model", &nm, err)) ||
        !(r->axis = output_reader_strings(r->in, "/sweep/axis_names", &r->n_axis, err)) ||
        !(r->values = output_reader_strings(r->in, "/sweep/values", &nvals, err)))
        return UTIL_EINPUT;
    r->G = (int)nv;
    r->S = (int)nm;
    hsize_t dims[8];
    int rank;
    r->n_points = output_reader_points(r->in);
    r->complete = util_malloc((r->n_points + 1) * sizeof(double));
    for (size_t p = 0; p < r->n_points; p++)
        r->complete[p] = output_reader_complete(r->in)[p];
    int legacy = output_reader_format(r->in) < 2;
    for (size_t k = 0; k < N_NEEDED; k++) {
        char p[128];
        int nan_fill = 0;
        legacy_source(legacy, NEEDED[k], p, sizeof p, &nan_fill);
        r->name[r->n] = NEEDED[k];
        if (!(r->d[r->n++] = output_reader_doubles(r->in, p, dims, &rank, err)))
            return UTIL_EINPUT;
        if (nan_fill) {
            size_t total = 1;
            for (int q = 0; q < rank; q++)
                total *= (size_t)dims[q];
            for (size_t q = 0; q < total; q++)
                r->d[r->n - 1][q] = NAN;
        }
        if (dims[0] != r->n_points)
            return util_err_set(err, UTIL_EINPUT, "%s: dataset %s has %llu points, expected %zu",
                                path, p, (unsigned long long)dims[0], r->n_points);
    }
    return UTIL_OK;
}

static void unload(report *r)
{
    output_reader_close(r->in);
    for (int k = 0; k < r->n; k++)
        free(r->d[k]);
    /* output_read_strings ends each list with NULL: free by that, not by
     * counts that are set only once every list has been read. */
    char **lists[] = {r->vendor, r->model, r->axis, r->values};
    for (int k = 0; k < 4; k++) {
        for (size_t i = 0; lists[k] && lists[k][i]; i++)
            free(lists[k][i]);
        free(lists[k]);
    }
    free(r->complete);
}

/* printf's widths count bytes; pad by displayed characters (UTF-8). */
static void put_cell(const char *s, int width)
{
    int chars = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        chars += (*c & 0xC0) != 0x80;
    fputs(s, stdout);
    for (; chars < width; chars++)
        putchar(' ');
}

static void put_row(const char *label, char c[EST_N][48])
{
    printf("    ");
    put_cell(label, 35);
    for (int e = 0; e < EST_N; e++)
        put_cell(c[e], 19);
    putchar('\n');
}

static void rank_cell(char *buf, size_t n, double med, double lo, double hi)
{
    if (isnan(med))
        snprintf(buf, n, "—");
    else
        snprintf(buf, n, "#%.0f [%.0f–%.0f]", med, lo, hi);
}

static void print_vendor(const report *r, size_t p, int g)
{
    const int G = r->G, EG = EST_N * G;
    char c[EST_N][48];
    printf("\n  vendor %s — listed variant and released model\n", r->vendor[g]);
    char head[EST_N][48] = {"bt (raw)", "bt_style", "elo"};
    put_row("", head);
    const char *rows[][4] = {{"listed rank, median [90%]", "listed_rank_median", "listed_rank_q05", "listed_rank_q95"},
                             {"released rank, median [90%]", "released_rank_median", "released_rank_q05", "released_rank_q95"}};
    for (int k = 0; k < 2; k++) {
        for (int e = 0; e < EST_N; e++)
            rank_cell(c[e], sizeof c[e], get(r, rows[k][1], p, EG)[e * G + g],
                      get(r, rows[k][2], p, EG)[e * G + g], get(r, rows[k][3], p, EG)[e * G + g]);
        put_row(rows[k][0], c);
    }
    const char *infl[2][3] = {{"score_inflation_mean", "score_inflation_se", "score inflation vs field (± se)"},
                              {"score_inflation_mean_anchor", "score_inflation_se_anchor", "score inflation vs anchor (± se)"}};
    for (int k = 0; k < 2; k++) {
        for (int e = 0; e < EST_N; e++) {
            double m = get(r, infl[k][0], p, EG)[e * G + g], se = get(r, infl[k][1], p, EG)[e * G + g];
            if (isnan(m))
                snprintf(c[e], sizeof c[e], "—");
            else
                snprintf(c[e], sizeof c[e], "%+.1f ± %.1f", m, se);
        }
        put_row(infl[k][2], c);
    }
    for (int e = 0; e < EST_N; e++) {
        double m = get(r, "rank_inflation_mean", p, EG)[e * G + g];
        snprintf(c[e], sizeof c[e], isnan(m) ? "—" : "%+.1f", m);
    }
    put_row("rank inflation (mean, ranks)", c);
    rank_cell(c[0], sizeof c[0], get(r, "true_rank_median", p, G)[g],
              get(r, "true_rank_q05", p, G)[g], get(r, "true_rank_q95", p, G)[g]);
    printf("    ");
    put_cell("true rank of the listed variant", 35);
    printf("%s\n", c[0]);
    double gain = get(r, "real_gain_mean", p, G)[g], sel = get(r, "selection_on_noise_mean", p, G)[g];
    double sty = get(r, "style_gain_mean", p, G)[g], neu = get(r, "selection_on_noise_neutral_mean", p, G)[g];
    printf("    relative to the field: listed raw score − θ̃_base = %+.1f points:\n", gain + sel + sty);
    printf("      real gain %+.1f  +  selection on noise %+.1f  +  style %+.1f\n", gain, sel, sty);
    if (!isnan(neu))
        printf("      (selection on noise in a style-neutral rerun: %+.1f)\n", neu);
    printf("    share of score inflation removed by style control: %.2f [95%% CI %.2f, %.2f] (vs field)\n",
           get(r, "share_removed", p, G)[g], get(r, "share_removed_ci_lo", p, G)[g],
           get(r, "share_removed_ci_hi", p, G)[g]);
    double sel_a = get(r, "selection_on_noise_mean_anchor", p, G)[g];
    double sty_a = get(r, "style_gain_mean_anchor", p, G)[g];
    printf("    relative to the anchor (the arena's page): real gain %+.1f + selection %+.1f + style %+.1f;"
           " share removed %.2f [%.2f, %.2f]\n", gain, sel_a, sty_a,
           get(r, "share_removed_anchor", p, G)[g], get(r, "share_removed_ci_lo_anchor", p, G)[g],
           get(r, "share_removed_ci_hi_anchor", p, G)[g]);
    double sty_se = get(r, "style_gain_se", p, G)[g];
    if (get(r, "styled_variants", p, G)[g] == 0 && fabs(sty) > sty_se)
        printf("    note: vendor %s has no tuned style, yet its style gain is %+.1f ± %.1f: its base\n"
               "      style differs from the field's median model, or the voters reward features the\n"
               "      control does not see; read the style part with care\n",
               r->vendor[g], sty, sty_se);
}

/* The leaderboard, by median style-controlled rank (raw when bt_style is
 * off): the top rows and every gaming vendor's slots. */
static void print_leaderboard(const report *r, size_t p)
{
    const int S = r->S, top = 10;
    const double *score = get(r, "score_mean", p, (size_t)EST_N * S);
    const double *rank = get(r, "rank_median", p, (size_t)EST_N * S);
    const double *ts = get(r, "true_score_mean", p, S), *tr = get(r, "true_rank_model_median", p, S);
    int key = isnan(rank[S + 0]) ? 0 : 1, *order = malloc((size_t)S * sizeof(int)), n = 0;
    for (int m = 0; m < S; m++)
        if (!isnan(rank[key * S + m]))
            order[n++] = m;
    for (int i = 1; i < n; i++) /* insertion sort by median rank, then mean score */
        for (int j = i; j > 0; j--) {
            int a = order[j - 1], b = order[j];
            double ra = rank[key * S + a], rb = rank[key * S + b];
            if (ra < rb || (ra == rb && score[key * S + a] >= score[key * S + b]))
                break;
            order[j - 1] = b;
            order[j] = a;
        }
    printf("\n  leaderboard (mean scores on the anchored scale, median ranks over replicates;\n"
           "  sorted by %s rank; true = θ̃, the score with infinite style-neutral votes):\n",
           key ? "bt_style" : "bt");
    printf("    %-50s %8s %6s %9s %6s %9s %6s\n", "model", "true", "true#", "bt", "#",
           "bt_style", "#");
    int shown = 0;
    for (int i = 0; i < n; i++) {
        int m = order[i];
        if (i >= top && !strchr(r->model[m], '('))
            continue;
        shown++;
        printf("    %-50.50s %8.1f %6.0f %9.1f %6.0f %9.1f %6.0f\n", r->model[m], ts[m], tr[m],
               score[m], rank[m], score[S + m], rank[S + m]);
    }
    if (n > shown) /* the top rows and every gaming vendor's slots are shown */
        printf("    (%d more models in /summary/score_mean)\n", n - shown);
    free(order);
}

static void print_point(const report *r, size_t p)
{
    printf("\npoint %zu", p);
    for (size_t a = 0; a < r->n_axis; a++)
        printf("%s %s = %s", a ? "," : ":", r->axis[a], r->values[p * r->n_axis + a]);
    printf("\n");
    if (!r->complete[p]) {
        printf("  (not complete in this file)\n");
        return;
    }
    const double *fail = get(r, "fit_failures", p, EST_N);
    if (fail[0] + fail[1] + fail[2] > 0)
        printf("  warning: failed fits (left out of the summaries): bt %.0f, "
               "bt_style %.0f, elo %.0f replicate(s); see /results/fit_status\n",
               fail[0], fail[1], fail[2]);
    const double *ridge = get(r, "ridge_fits", p, EST_N);
    if (ridge[0] + ridge[1] + ridge[2] > 0)
        printf("  note: fits without a finite MLE rated with a tiny ridge, as the arena's fits always\n"
               "  return a number: bt %.0f, bt_style %.0f, elo %.0f replicate(s) (fit_status 3)\n",
               ridge[0], ridge[1], ridge[2]);
    for (int g = 0; g < r->G; g++)
        print_vendor(r, p, g);
    print_leaderboard(r, p);
    const double *tau = get(r, "kendall_tau_mean", p, EST_N), *gam = get(r, "gamma_mean", p, FEAT_N);
    printf("\n  leaderboard: Kendall τ(score, θ) bt %.3f, bt_style %.3f, elo %.3f\n", tau[0],
           tau[1], tau[2]);
    printf("  fitted style coefficients γ:");
    for (int f = 0; f < FEAT_N; f++)
        if (!isnan(gam[f]))
            printf(" %s %.3f", params_feature_names[f], gam[f]);
    printf("\n  votes: %.1f%% ties, %.0f%% of them both-bad\n", 100 * get(r, "tie_share_mean", p, 1)[0],
           100 * get(r, "bothbad_share_mean", p, 1)[0]);
}

/* Many points: one line per point and vendor. */
static void print_compact(const report *r)
{
    const int G = r->G, EG = EST_N * G;
    printf("\nsweep values are");
    for (size_t a = 0; a < r->n_axis; a++)
        printf("%s %s", a ? "," : "", r->axis[a]);
    printf("\nscore inflation and share removed relative to the field (median public model)");
    printf("\n%-6s %-24s %-12s %-16s %-16s %-10s %-10s %s\n", "point", "sweep values", "vendor",
           "rank bt", "rank bt_style", "infl bt", "infl sty", "removed [95% CI]");
    for (size_t p = 0; p < r->n_points; p++) {
        char vals[25] = "";
        for (size_t a = 0; a < r->n_axis; a++) {
            strncat(vals, r->values[p * r->n_axis + a], sizeof vals - strlen(vals) - 1);
            if (a + 1 < r->n_axis)
                strncat(vals, ",", sizeof vals - strlen(vals) - 1);
        }
        if (!r->complete[p]) {
            printf("%-6zu %-24s (not complete)\n", p, vals);
            continue;
        }
        for (int g = 0; g < G; g++) {
            char a[32], b[32];
            rank_cell(a, sizeof a, get(r, "listed_rank_median", p, EG)[g],
                      get(r, "listed_rank_q05", p, EG)[g], get(r, "listed_rank_q95", p, EG)[g]);
            rank_cell(b, sizeof b, get(r, "listed_rank_median", p, EG)[G + g],
                      get(r, "listed_rank_q05", p, EG)[G + g], get(r, "listed_rank_q95", p, EG)[G + g]);
            printf("%-6zu %-24s %-12.12s ", p, vals, r->vendor[g]);
            put_cell(a, 17);
            put_cell(b, 17);
            printf("%+-10.1f %+-10.1f %.2f [%.2f, %.2f]\n", get(r, "score_inflation_mean", p, EG)[g],
                   get(r, "score_inflation_mean", p, EG)[G + g], get(r, "share_removed", p, G)[g],
                   get(r, "share_removed_ci_lo", p, G)[g], get(r, "share_removed_ci_hi", p, G)[g]);
        }
    }
}

const cli_cmd cmd_report_spec = {
    "report", "OUT.h5", 1, 1, "Print the summary table of a result file (from /summary alone).",
    "Up to 8 points: per point and gaming vendor the listed variant's rank and score inflation "
    "per estimator, the decomposition real gain + selection on noise + style, the share of "
    "inflation style control removes (with its 95% CI), and the leaderboard. More points: one "
    "line per point and vendor.",
    NULL, 0};

static int report_set(void *ctx, int opt, const char *v, util_err *err)
{
    return util_err_set(err, UTIL_EINPUT, "report takes no options");
}

int cmd_report(int argc, char **argv)
{
    const char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int n_pos, prc = cli_parse(&cmd_report_spec, argc, argv, report_set, NULL, pos, &n_pos, NULL);
    const char *path = pos[0];
    free(pos);
    if (prc)
        return prc < 0 ? 0 : prc;
    report r;
    util_err err = {0, ""};
    int rc = load(&r, path, &err);
    if (rc) {
        fprintf(stderr, "arenasim report: %s\n", err.msg);
        unload(&r);
        return UTIL_EINPUT;
    }
    size_t done = 0;
    for (size_t p = 0; p < r.n_points; p++)
        done += r.complete[p] != 0;
    printf("arenasim report: %s — %zu point(s), %zu complete, %lld replicates each\n", path,
           r.n_points, done, (long long)output_reader_replicates(r.in));
    printf("ranks: median [5%%–95%%] over replicates; inflation = leaderboard − truth (θ̃),\n"
           "relative to the field (minus the median of score − θ̃ over the public models, which\n"
           "no anchor moves) unless marked \"vs anchor\" (both on the anchored scale, as the\n"
           "arena's page shows them)\n");
    if (r.n_points <= 8 || r.G == 0)
        for (size_t p = 0; p < r.n_points; p++)
            print_point(&r, p);
    else
        print_compact(&r);
    rc = report_game_table(output_reader_file(r.in));
    unload(&r);
    return rc;
}
