/*
 * output.c — HDF5 result files (see output.h for the layout). Units of each
 * dataset are in its `description` attribute; every dataset also carries
 * `dims`, the comma-separated names of its axes.
 */
#define _DEFAULT_SOURCE
#include "output.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_version.h>

#include "metrics.h"

#ifndef ARENASIM_GIT_REV
#define ARENASIM_GIT_REV "unknown"
#endif
#ifndef ARENASIM_CFLAGS
#define ARENASIM_CFLAGS ""
#endif
#define ARENASIM_VERSION "0.1.0"

/* Trailing axes after (point[, replicate]). */
enum { AX_NONE = -1, AX_MODEL = 0, AX_EST, AX_FEAT, AX_VENDOR };
static const char *const axis_names[] = {"model", "estimator", "feature", "vendor"};

/* How a per-replicate dataset reads its values from a sim_result. */
enum { F_DPTR, F_IPTR, F_DARR, F_IARR, F_DSCALAR };

typedef struct {
    const char *name, *desc;
    int field;        /* F_* */
    size_t off;       /* offsetof in sim_result */
    int ax[2];        /* trailing axes, AX_NONE when absent */
} result_spec;

#define R_(name, field, member, a0, a1, desc) \
    {name, desc, field, offsetof(sim_result, member), {a0, a1}}

static const result_spec results[] = {
    R_("theta", F_DPTR, theta, AX_MODEL, AX_NONE, "true substance θ of the model in the slot (arena points)"),
    R_("true_score", F_DPTR, true_score, AX_MODEL, AX_NONE, "θ̃: BT on the expected outcome table of style-neutral voters, on the leaderboard's scale (arena points)"),
    R_("true_rank", F_IPTR, true_rank, AX_MODEL, AX_NONE, "ordinal rank of θ̃ among shown models (1 = best; 0 = empty slot)"),
    R_("score", F_DPTR, score, AX_EST, AX_MODEL, "leaderboard score (arena points; NaN: estimator off or empty slot)"),
    R_("ci_lo", F_DPTR, ci_lo, AX_EST, AX_MODEL, "lower CI bound of the score (arena points; level leaderboard.ci_level)"),
    R_("ci_hi", F_DPTR, ci_hi, AX_EST, AX_MODEL, "upper CI bound of the score (arena points)"),
    R_("rank", F_IPTR, rank, AX_EST, AX_MODEL, "ordinal rank by score among shown models (1 = best; 0 = empty)"),
    R_("displayed_rank", F_IPTR, disp_rank, AX_EST, AX_MODEL, "arena rank 1 + #{j: lower_j > upper_i} (ordinal rank when no CI)"),
    R_("battles", F_DPTR, battles, AX_MODEL, AX_NONE, "battles of the model in the final leaderboard data (count)"),
    R_("gamma", F_DARR, gamma, AX_FEAT, AX_NONE, "fitted style coefficient of bt_style (log-odds per sd of the normalised difference; NaN: not controlled)"),
    R_("selected_variant", F_IPTR, selected, AX_VENDOR, AX_NONE, "index of the listed variant among the vendor's private variants"),
    R_("true_score_listed", F_DPTR, true_sel, AX_VENDOR, AX_NONE, "θ̃ of the listed variant (arena points)"),
    R_("true_score_base", F_DPTR, true_base, AX_VENDOR, AX_NONE, "θ̃ of the vendor's base model (arena points)"),
    R_("rank_inflation", F_DPTR, rank_infl, AX_EST, AX_VENDOR, "true rank − leaderboard rank of the listed variant (ranks)"),
    R_("score_inflation", F_DPTR, score_infl, AX_EST, AX_VENDOR, "score − θ̃ of the listed variant (arena points)"),
    R_("real_gain", F_DPTR, real_gain, AX_VENDOR, AX_NONE, "θ̃_listed − θ̃_base (arena points)"),
    R_("selection_on_noise", F_DPTR, selection, AX_VENDOR, AX_NONE, "score_bt_style − θ̃_listed: selection on noise plus style the control misses (arena points)"),
    R_("style_gain", F_DPTR, style, AX_VENDOR, AX_NONE, "score_bt − score_bt_style of the listed variant (arena points)"),
    R_("selection_on_noise_neutral", F_DPTR, selection_neutral, AX_VENDOR, AX_NONE, "selection_on_noise in a style-neutral rerun of the same replicate (arena points; NaN unless leaderboard.neutral_rerun)"),
    R_("kendall_tau", F_DARR, kendall, AX_EST, AX_NONE, "Kendall τ-b of score vs θ over shown models"),
    R_("spearman_rho", F_DARR, spearman, AX_EST, AX_NONE, "Spearman ρ of score vs θ over shown models"),
    R_("topk_overlap", F_DARR, topk, AX_EST, AX_NONE, "share of the top 10 by θ that is in the top 10 by score"),
    R_("tie_share", F_DSCALAR, tie_share, AX_NONE, AX_NONE, "share of final-leaderboard votes that are ties (either kind)"),
    R_("bothbad_share", F_DSCALAR, bothbad_share, AX_NONE, AX_NONE, "share of ties that are 'tie (bothbad)'"),
    R_("fit_status", F_IARR, fit_status, AX_EST, AX_NONE, "0 fitted; 1 the final fit had no finite MLE or did not converge (values NaN); 2 the selection fit failed (whole replicate NaN)"),
};
#define N_RESULTS (sizeof results / sizeof results[0])

/* Per-point summaries (computed in summarise()). */
enum {
    S_SCORE_INFL_MEAN, S_SCORE_INFL_SE, S_RANK_INFL_MEAN, S_LISTED_RANK_MED, S_LISTED_RANK_Q05,
    S_LISTED_RANK_Q95, S_LISTED_SCORE_MEAN, S_RELEASED_RANK_MED, S_RELEASED_RANK_Q05,
    S_RELEASED_RANK_Q95, S_TRUE_RANK_MED, S_TRUE_RANK_Q05, S_TRUE_RANK_Q95, S_REAL_GAIN,
    S_SELECTION, S_STYLE, S_SELECTION_NEUTRAL, S_SHARE, S_SHARE_LO, S_SHARE_HI, S_KENDALL,
    S_SPEARMAN, S_GAMMA, S_TIE, S_BOTHBAD, S_FAILURES, N_SUMMARY
};

typedef struct {
    const char *name, *desc;
    int ax[2];
} summary_spec;

static const summary_spec summaries[N_SUMMARY] = {
    [S_SCORE_INFL_MEAN] = {"score_inflation_mean", "mean over replicates of score − θ̃ of the listed variant (arena points)", {AX_EST, AX_VENDOR}},
    [S_SCORE_INFL_SE] = {"score_inflation_se", "standard error of score_inflation_mean (arena points)", {AX_EST, AX_VENDOR}},
    [S_RANK_INFL_MEAN] = {"rank_inflation_mean", "mean of true rank − leaderboard rank of the listed variant (ranks)", {AX_EST, AX_VENDOR}},
    [S_LISTED_RANK_MED] = {"listed_rank_median", "median leaderboard rank of the listed variant", {AX_EST, AX_VENDOR}},
    [S_LISTED_RANK_Q05] = {"listed_rank_q05", "5% quantile of the listed variant's rank", {AX_EST, AX_VENDOR}},
    [S_LISTED_RANK_Q95] = {"listed_rank_q95", "95% quantile of the listed variant's rank", {AX_EST, AX_VENDOR}},
    [S_LISTED_SCORE_MEAN] = {"listed_score_mean", "mean score of the listed variant (arena points)", {AX_EST, AX_VENDOR}},
    [S_RELEASED_RANK_MED] = {"released_rank_median", "median rank of the released model (NaN: none released)", {AX_EST, AX_VENDOR}},
    [S_RELEASED_RANK_Q05] = {"released_rank_q05", "5% quantile of the released model's rank", {AX_EST, AX_VENDOR}},
    [S_RELEASED_RANK_Q95] = {"released_rank_q95", "95% quantile of the released model's rank", {AX_EST, AX_VENDOR}},
    [S_TRUE_RANK_MED] = {"true_rank_median", "median true rank (by θ̃) of the listed variant", {AX_VENDOR, AX_NONE}},
    [S_TRUE_RANK_Q05] = {"true_rank_q05", "5% quantile of the listed variant's true rank", {AX_VENDOR, AX_NONE}},
    [S_TRUE_RANK_Q95] = {"true_rank_q95", "95% quantile of the listed variant's true rank", {AX_VENDOR, AX_NONE}},
    [S_REAL_GAIN] = {"real_gain_mean", "mean θ̃_listed − θ̃_base (arena points)", {AX_VENDOR, AX_NONE}},
    [S_SELECTION] = {"selection_on_noise_mean", "mean score_bt_style − θ̃_listed (arena points)", {AX_VENDOR, AX_NONE}},
    [S_STYLE] = {"style_gain_mean", "mean score_bt − score_bt_style of the listed variant (arena points)", {AX_VENDOR, AX_NONE}},
    [S_SELECTION_NEUTRAL] = {"selection_on_noise_neutral_mean", "mean selection_on_noise of style-neutral reruns (arena points)", {AX_VENDOR, AX_NONE}},
    [S_SHARE] = {"share_removed", "share of score inflation removed by style control: 1 − mean(infl_bt_style)/mean(infl_bt)", {AX_VENDOR, AX_NONE}},
    [S_SHARE_LO] = {"share_removed_ci_lo", "lower 95% bound of share_removed (delta method over replicates)", {AX_VENDOR, AX_NONE}},
    [S_SHARE_HI] = {"share_removed_ci_hi", "upper 95% bound of share_removed", {AX_VENDOR, AX_NONE}},
    [S_KENDALL] = {"kendall_tau_mean", "mean Kendall τ-b of score vs θ", {AX_EST, AX_NONE}},
    [S_SPEARMAN] = {"spearman_rho_mean", "mean Spearman ρ of score vs θ", {AX_EST, AX_NONE}},
    [S_GAMMA] = {"gamma_mean", "mean fitted style coefficient (log-odds per sd)", {AX_FEAT, AX_NONE}},
    [S_TIE] = {"tie_share_mean", "mean share of ties among final votes", {AX_NONE, AX_NONE}},
    [S_BOTHBAD] = {"bothbad_share_mean", "mean share of bothbad among ties", {AX_NONE, AX_NONE}},
    [S_FAILURES] = {"fit_failures", "replicates whose fit of this estimator failed (fit_status ≠ 0; left out of every summary)", {AX_EST, AX_NONE}},
};

struct output {
    hid_t file;
    char *path;
    size_t n_points;
    int R;
    hsize_t ax_len[4];
    unsigned char *complete;
    double *buf;
    size_t buf_len;
    double *scratch;
};

/* ---- small HDF5 helpers ------------------------------------------------- */

static int h5_fail(util_err *err, const char *what, const char *path)
{
    return util_err_set(err, UTIL_ERUNTIME, "%s: HDF5 failed to %s", path, what);
}

static herr_t set_str_attr(hid_t obj, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    if (H5Aexists(obj, name) > 0)
        H5Adelete(obj, name);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, t, &value);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return rc;
}

static herr_t set_int_attr(hid_t obj, const char *name, long long v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    if (H5Aexists(obj, name) > 0)
        H5Adelete(obj, name);
    hid_t a = H5Acreate2(obj, name, H5T_NATIVE_LLONG, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_LLONG, &v);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

char *output_read_str_attr(hid_t file, const char *obj, const char *name)
{
    char *out = NULL;
    if (H5Aexists_by_name(file, obj, name, H5P_DEFAULT) <= 0)
        return NULL;
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = H5Aget_type(a);
    if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0) {
        char *v = NULL;
        hid_t mt = H5Tcopy(t);
        if (H5Aread(a, mt, &v) >= 0 && v) {
            out = util_strdup(v);
            H5free_memory(v);
        }
        H5Tclose(mt);
    }
    H5Tclose(t);
    H5Aclose(a);
    return out;
}

static hid_t str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

static int write_strings(hid_t file, const char *path, const char *const *v, hsize_t n,
                         const char *dims, const char *desc)
{
    hid_t t = str_type(), sp = H5Screate_simple(1, &n, NULL);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t d = H5Dcreate2(file, path, t, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d < 0 || (n && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0);
    if (d >= 0) {
        set_str_attr(d, "dims", dims);
        set_str_attr(d, "description", desc);
        H5Dclose(d);
    }
    H5Pclose(lcpl);
    H5Sclose(sp);
    H5Tclose(t);
    return rc ? -1 : 0;
}

/* Dataset shape for (point[, replicate], ax0, ax1). */
static int shape(const output *o, int per_rep, const int ax[2], hsize_t *dims, char *dimstr,
                 size_t n)
{
    int rank = 0;
    dims[rank++] = o->n_points;
    snprintf(dimstr, n, "point");
    if (per_rep) {
        dims[rank++] = (hsize_t)o->R;
        strncat(dimstr, ",replicate", n - strlen(dimstr) - 1);
    }
    for (int k = 0; k < 2; k++)
        if (ax[k] != AX_NONE) {
            dims[rank++] = o->ax_len[ax[k]];
            strncat(dimstr, ",", n - strlen(dimstr) - 1);
            strncat(dimstr, axis_names[ax[k]], n - strlen(dimstr) - 1);
        }
    return rank;
}

static hsize_t trail_len(const output *o, const int ax[2])
{
    hsize_t m = 1;
    for (int k = 0; k < 2; k++)
        if (ax[k] != AX_NONE)
            m *= o->ax_len[ax[k]];
    return m;
}

static int create_dataset(output *o, const char *path, hid_t type, int per_rep, const int ax[2],
                          const char *desc)
{
    hsize_t dims[4], chunk[4];
    char dimstr[96];
    int rank = shape(o, per_rep, ax, dims, dimstr, sizeof dimstr);
    hsize_t total = 1;
    for (int k = 0; k < rank; k++)
        total *= dims[k];
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    double nan = NAN;
    int zero = 0;
    H5Pset_fill_value(dcpl, type, type == H5T_NATIVE_DOUBLE ? (void *)&nan : (void *)&zero);
    if (total > 0) {
        /* one chunk per point, capped near 1 MiB along the replicate axis */
        hsize_t inner = trail_len(o, ax);
        chunk[0] = 1;
        for (int k = 1; k < rank; k++)
            chunk[k] = dims[k];
        if (per_rep && inner * (hsize_t)o->R * 8 > (1u << 20)) {
            hsize_t r = (1u << 20) / (inner * 8);
            chunk[1] = r < 1 ? 1 : r;
        }
        H5Pset_chunk(dcpl, rank, chunk);
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 4);
    }
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t d = H5Dcreate2(o->file, path, type, sp, lcpl, dcpl, H5P_DEFAULT);
    if (d >= 0) {
        set_str_attr(d, "dims", dimstr);
        set_str_attr(d, "description", desc);
        H5Dclose(d);
    }
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return d < 0 ? -1 : 0;
}

/* Write the slice of point p ([p, ...] with the given trailing count). */
static int write_slice(hid_t file, const char *path, size_t p, hid_t memtype, const void *buf)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0)
        return -1;
    hid_t fs = H5Dget_space(d);
    int rank = H5Sget_simple_extent_ndims(fs);
    hsize_t dims[8], start[8] = {0}, count[8];
    H5Sget_simple_extent_dims(fs, dims, NULL);
    hsize_t total = 1;
    for (int k = 0; k < rank; k++) {
        count[k] = k == 0 ? 1 : dims[k];
        total *= count[k];
    }
    start[0] = p;
    int rc = 0;
    if (total > 0) {
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
        hid_t ms = H5Screate_simple(rank, count, NULL);
        rc = H5Dwrite(d, memtype, ms, fs, H5P_DEFAULT, buf) < 0 ? -1 : 0;
        H5Sclose(ms);
    }
    H5Sclose(fs);
    H5Dclose(d);
    return rc;
}

/* ---- file creation ------------------------------------------------------ */

static void utc_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int write_provenance(output *o, const config *c, const output_meta *m)
{
    hid_t g = H5Gcreate2(o->file, "/provenance", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    char buf[256], host[256] = "unknown";
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    gethostname(host, sizeof host - 1);
    set_str_attr(g, "version", ARENASIM_VERSION);
    set_str_attr(g, "git_revision", ARENASIM_GIT_REV);
    set_str_attr(g, "compiler", "gcc " __VERSION__);
    set_str_attr(g, "cflags", ARENASIM_CFLAGS);
    set_str_attr(g, "gsl_version", GSL_VERSION);
    snprintf(buf, sizeof buf, "%u.%u.%u", maj, min, rel);
    set_str_attr(g, "hdf5_version", buf);
    set_str_attr(g, "host", host);
    utc_now(buf, sizeof buf);
    set_str_attr(g, "started_utc", buf);
    set_int_attr(g, "threads", m->threads);
    set_str_attr(g, "command_line", m->command_line ? m->command_line : "");
    params *p0 = util_malloc(sizeof *p0);
    if (config_point(c, 0, p0, NULL) == 0) {
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)p0->seed);
        set_str_attr(g, "seed", buf);
    }
    free(p0);
    H5Gclose(g);
    return 0;
}

static int write_config_group(output *o, const config *c)
{
    hid_t g = H5Gcreate2(o->file, "/config", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    char hash[32];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)config_hash(c));
    set_str_attr(g, "yaml", config_resolved_yaml(c));
    set_str_attr(g, "hash", hash);
    H5Gclose(g);
    return 0;
}

static int write_sweep(output *o, const config *c, const output_meta *m)
{
    int na = config_n_axes(c);
    hsize_t np = o->n_points, nax = (hsize_t)na;
    const char **names = util_calloc((size_t)na + 1, sizeof *names);
    for (int a = 0; a < na; a++)
        names[a] = config_axis_name(c, a);
    int rc = write_strings(o->file, "/sweep/axis_names", names, nax, "axis",
                           "sweep axes: config paths of the swept parameters");
    free(names);
    const char **vals = util_calloc(np * nax + 1, sizeof *vals);
    double *num = util_malloc((np * nax + 1) * sizeof(double));
    for (size_t p = 0; p < np; p++)
        for (int a = 0; a < na; a++) {
            vals[p * nax + (size_t)a] = config_axis_value(c, a, p);
            if (!config_axis_numeric(c, a, p, &num[p * nax + (size_t)a]))
                num[p * nax + (size_t)a] = NAN;
        }
    hsize_t dims[2] = {np, nax};
    hid_t t = str_type(), sp = H5Screate_simple(2, dims, NULL);
    hid_t d = H5Dcreate2(o->file, "/sweep/values", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d < 0 || (np * nax > 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, vals) < 0))
        rc = -1;
    if (d >= 0) {
        set_str_attr(d, "dims", "point,axis");
        set_str_attr(d, "description", "value of each sweep axis at each point, as written in the config");
        H5Dclose(d);
    }
    d = H5Dcreate2(o->file, "/sweep/values_numeric", H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT,
                   H5P_DEFAULT, H5P_DEFAULT);
    if (d < 0 || (np * nax > 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, num) < 0))
        rc = -1;
    if (d >= 0) {
        set_str_attr(d, "dims", "point,axis");
        set_str_attr(d, "description", "numeric value of each sweep axis (NaN for categorical axes)");
        H5Dclose(d);
    }
    H5Sclose(sp);
    H5Tclose(t);
    free(vals);
    free(num);
    sp = H5Screate_simple(1, &np, NULL);
    d = H5Dcreate2(o->file, "/sweep/complete", H5T_NATIVE_UCHAR, sp, H5P_DEFAULT, H5P_DEFAULT,
                   H5P_DEFAULT);
    if (d < 0 || H5Dwrite(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, o->complete) < 0)
        rc = -1;
    if (d >= 0) {
        set_str_attr(d, "dims", "point");
        set_str_attr(d, "description", "1 when the point's results are complete in this file");
        H5Dclose(d);
    }
    H5Sclose(sp);
    hid_t g = H5Gopen2(o->file, "/sweep", H5P_DEFAULT);
    set_int_attr(g, "n_points", (long long)np);
    set_int_attr(g, "replicates", o->R);
    set_int_attr(g, "shard_index", m->shard_index);
    set_int_attr(g, "shard_count", m->shard_count);
    H5Gclose(g);
    return rc;
}

static int write_axes(output *o, const sim_scenario *s)
{
    const params *p = s->p;
    int S = s->n_slots, rc = 0;
    char (*names)[2 * PARAMS_NAME_LEN + 16] = util_calloc((size_t)S, sizeof *names);
    const char **ptr = util_calloc((size_t)S + (size_t)p->n_gaming + 1, sizeof *ptr);
    for (int m = 0; m < S; m++) {
        sim_slot_name(s, m, names[m], sizeof names[m]);
        ptr[m] = names[m];
    }
    rc |= write_strings(o->file, "/axes/model", ptr, (hsize_t)S, "model",
                        "model slots: the public models, then per gaming vendor its listed variant and its released model");
    for (int g = 0; g < p->n_gaming; g++)
        ptr[g] = p->gaming[g].vendor;
    rc |= write_strings(o->file, "/axes/vendor", ptr, (hsize_t)p->n_gaming, "vendor",
                        "gaming vendors");
    rc |= write_strings(o->file, "/axes/estimator", params_estimator_names, EST_N, "estimator",
                        "leaderboard estimators");
    rc |= write_strings(o->file, "/axes/feature", params_feature_names, FEAT_N, "feature",
                        "response style features");
    free(names);
    free(ptr);
    return rc;
}

static output *output_new(const config *c, const sim_scenario *s)
{
    output *o = util_calloc(1, sizeof *o);
    o->n_points = config_n_points(c);
    o->R = s->p->replicates;
    o->ax_len[AX_MODEL] = (hsize_t)s->n_slots;
    o->ax_len[AX_EST] = EST_N;
    o->ax_len[AX_FEAT] = FEAT_N;
    o->ax_len[AX_VENDOR] = (hsize_t)s->p->n_gaming;
    o->complete = util_calloc(o->n_points, 1);
    o->buf_len = (size_t)o->R * EST_N * (size_t)(s->n_slots > FEAT_N ? s->n_slots : FEAT_N);
    o->buf = util_malloc(o->buf_len * sizeof(double));
    o->scratch = util_malloc(((size_t)o->R + 1) * 3 * sizeof(double));
    return o;
}

static void output_free(output *o)
{
    if (!o)
        return;
    free(o->path);
    free(o->complete);
    free(o->buf);
    free(o->scratch);
    free(o);
}

output *output_create(const char *path, const config *c, const sim_scenario *s,
                      const output_meta *meta, util_err *err)
{
    output *o = output_new(c, s);
    o->path = util_strdup(path);
    o->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (o->file < 0) {
        h5_fail(err, "create the file", path);
        output_free(o);
        return NULL;
    }
    int rc = write_provenance(o, c, meta) | write_config_group(o, c) | write_sweep(o, c, meta) |
             write_axes(o, s);
    char p[128];
    for (size_t k = 0; k < N_RESULTS && !rc; k++) {
        const result_spec *r = &results[k];
        snprintf(p, sizeof p, "/results/%s", r->name);
        rc |= create_dataset(o, p, (r->field == F_IPTR || r->field == F_IARR) ? H5T_NATIVE_INT : H5T_NATIVE_DOUBLE, 1,
                             r->ax, r->desc);
    }
    for (int k = 0; k < N_SUMMARY && !rc; k++) {
        snprintf(p, sizeof p, "/summary/%s", summaries[k].name);
        rc |= create_dataset(o, p, H5T_NATIVE_DOUBLE, 0, summaries[k].ax, summaries[k].desc);
    }
    if (rc || H5Fflush(o->file, H5F_SCOPE_GLOBAL) < 0) {
        h5_fail(err, "lay out the result file", path);
        H5Fclose(o->file);
        output_free(o);
        return NULL;
    }
    return o;
}

static int read_uchar(hid_t file, const char *path, unsigned char *v, size_t n)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0)
        return -1;
    hid_t sp = H5Dget_space(d);
    hssize_t m = H5Sget_simple_extent_npoints(sp);
    int rc = (m != (hssize_t)n || H5Dread(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) ? -1 : 0;
    H5Sclose(sp);
    H5Dclose(d);
    return rc;
}

output *output_open_resume(const char *path, const config *c, const output_meta *meta,
                           util_err *err)
{
    util_err e2;
    hid_t f = output_open_read(path, err);
    if (f < 0)
        return NULL;
    H5Fclose(f);
    params *p0 = util_malloc(sizeof *p0);
    sim_scenario s;
    output *o = NULL;
    if (config_point(c, 0, p0, &e2) || sim_scenario_init(&s, p0, &e2)) {
        util_err_set(err, UTIL_ERUNTIME, "%s", e2.msg);
        free(p0);
        return NULL;
    }
    o = output_new(c, &s);
    sim_scenario_free(&s);
    free(p0);
    o->path = util_strdup(path);
    o->file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    char *hash = o->file >= 0 ? output_read_str_attr(o->file, "/config", "hash") : NULL;
    char want[32];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)config_hash(c));
    if (!hash || strcmp(hash, want) != 0) {
        util_err_set(err, UTIL_EINPUT,
                     "%s: cannot resume: /config:hash is %s, the config's is %s (a different or changed config)",
                     path, hash ? hash : "missing", want);
        goto fail;
    }
    if (read_uchar(o->file, "/sweep/complete", o->complete, o->n_points) < 0) {
        util_err_set(err, UTIL_EINPUT, "%s: dataset /sweep/complete is missing or has the wrong size", path);
        goto fail;
    }
    hid_t g = H5Gopen2(o->file, "/provenance", H5P_DEFAULT);
    char now[64];
    utc_now(now, sizeof now);
    set_str_attr(g, "resumed_utc", now);
    set_str_attr(g, "resumed_command_line", meta->command_line ? meta->command_line : "");
    H5Gclose(g);
    free(hash);
    return o;
fail:
    free(hash);
    if (o->file >= 0)
        H5Fclose(o->file);
    output_free(o);
    return NULL;
}

int output_rename(output *o, const char *path)
{
    if (rename(o->path, path) != 0)
        return -1;
    free(o->path);
    o->path = util_strdup(path);
    return 0;
}

int output_point_complete(const output *o, size_t point)
{
    return point < o->n_points && o->complete[point];
}

/* ---- per-point writing -------------------------------------------------- */

static void pack_result(const output *o, const result_spec *r, const sim_result *res, int R,
                        void *buf)
{
    size_t m = (size_t)trail_len(o, r->ax);
    for (int k = 0; k < R; k++) {
        const char *base = (const char *)&res[k] + r->off;
        switch (r->field) {
        case F_DPTR:
            memcpy((double *)buf + (size_t)k * m, *(double *const *)base, m * sizeof(double));
            break;
        case F_IPTR:
            memcpy((int *)buf + (size_t)k * m, *(int *const *)base, m * sizeof(int));
            break;
        case F_DARR:
            memcpy((double *)buf + (size_t)k * m, base, m * sizeof(double));
            break;
        case F_IARR:
            memcpy((int *)buf + (size_t)k * m, base, m * sizeof(int));
            break;
        default:
            ((double *)buf)[k] = *(const double *)base;
        }
    }
}

/* Gather field value (est, g) of every replicate: stride-1 array of R. */
static double *gather(output *o, const sim_result *res, int R, size_t off, size_t idx, int is_int)
{
    double *x = o->scratch + (size_t)R;
    for (int k = 0; k < R; k++) {
        const char *base = (const char *)&res[k] + off;
        x[k] = is_int ? (double)(*(int *const *)base)[idx] : (*(double *const *)base)[idx];
    }
    return x;
}

static double quant(output *o, const double *x, int R, double q)
{
    return metrics_quantile(x, (size_t)R, 1, q, o->scratch + 2 * (size_t)R);
}

static void summarise_est_vendor(output *o, const sim_scenario *s, const sim_result *res, int R,
                                 double *out[N_SUMMARY])
{
    const int G = s->p->n_gaming, S = s->n_slots;
    for (int est = 0; est < EST_N; est++)
        for (int g = 0; g < G; g++) {
            size_t q = (size_t)est * (size_t)G + (size_t)g;
            size_t ml = (size_t)est * (size_t)S + (size_t)(s->p->n_models + 2 * g);
            double *x = gather(o, res, R, offsetof(sim_result, score_infl), q, 0);
            out[S_SCORE_INFL_MEAN][q] = metrics_mean(x, (size_t)R, 1);
            out[S_SCORE_INFL_SE][q] = metrics_sd(x, (size_t)R, 1) / sqrt((double)R);
            x = gather(o, res, R, offsetof(sim_result, rank_infl), q, 0);
            out[S_RANK_INFL_MEAN][q] = metrics_mean(x, (size_t)R, 1);
            x = gather(o, res, R, offsetof(sim_result, score), ml, 0);
            out[S_LISTED_SCORE_MEAN][q] = metrics_mean(x, (size_t)R, 1);
            x = gather(o, res, R, offsetof(sim_result, rank), ml, 1);
            for (int k = 0; k < R; k++)
                x[k] = x[k] > 0 ? x[k] : NAN;
            out[S_LISTED_RANK_MED][q] = quant(o, x, R, 0.5);
            out[S_LISTED_RANK_Q05][q] = quant(o, x, R, 0.05);
            out[S_LISTED_RANK_Q95][q] = quant(o, x, R, 0.95);
            x = gather(o, res, R, offsetof(sim_result, rank), ml + 1, 1);
            for (int k = 0; k < R; k++)
                x[k] = x[k] > 0 ? x[k] : NAN;
            out[S_RELEASED_RANK_MED][q] = quant(o, x, R, 0.5);
            out[S_RELEASED_RANK_Q05][q] = quant(o, x, R, 0.05);
            out[S_RELEASED_RANK_Q95][q] = quant(o, x, R, 0.95);
        }
}

static void summarise_vendor(output *o, const sim_scenario *s, const sim_result *res, int R,
                             double *out[N_SUMMARY])
{
    const int G = s->p->n_gaming;
    double z = gsl_cdf_ugaussian_Pinv(0.975);
    for (int g = 0; g < G; g++) {
        size_t ml = (size_t)(s->p->n_models + 2 * g);
        double *x = gather(o, res, R, offsetof(sim_result, true_rank), ml, 1);
        for (int k = 0; k < R; k++)
            x[k] = x[k] > 0 ? x[k] : NAN; /* 0: unrated replicate */
        out[S_TRUE_RANK_MED][g] = quant(o, x, R, 0.5);
        out[S_TRUE_RANK_Q05][g] = quant(o, x, R, 0.05);
        out[S_TRUE_RANK_Q95][g] = quant(o, x, R, 0.95);
        out[S_REAL_GAIN][g] = metrics_mean(gather(o, res, R, offsetof(sim_result, real_gain), (size_t)g, 0), (size_t)R, 1);
        out[S_SELECTION][g] = metrics_mean(gather(o, res, R, offsetof(sim_result, selection), (size_t)g, 0), (size_t)R, 1);
        out[S_STYLE][g] = metrics_mean(gather(o, res, R, offsetof(sim_result, style), (size_t)g, 0), (size_t)R, 1);
        out[S_SELECTION_NEUTRAL][g] = metrics_mean(gather(o, res, R, offsetof(sim_result, selection_neutral), (size_t)g, 0), (size_t)R, 1);
        /* share removed = 1 − mean(infl_style)/mean(infl_raw) */
        double *raw = o->scratch + 2 * (size_t)R; /* R entries */
        double *sty = gather(o, res, R, offsetof(sim_result, score_infl), (size_t)EST_BT_STYLE * (size_t)G + (size_t)g, 0);
        for (int k = 0; k < R; k++)
            raw[k] = res[k].score_infl[(size_t)EST_BT * (size_t)G + (size_t)g];
        double se, ratio = metrics_ratio_of_means(sty, raw, (size_t)R, 1, &se);
        out[S_SHARE][g] = 1.0 - ratio;
        out[S_SHARE_LO][g] = 1.0 - ratio - z * se;
        out[S_SHARE_HI][g] = 1.0 - ratio + z * se;
    }
}

static void summarise_global(output *o, const sim_result *res, int R, double *out[N_SUMMARY])
{
    for (int est = 0; est < EST_N; est++) {
        double *x = o->scratch + (size_t)R;
        for (int k = 0; k < R; k++)
            x[k] = res[k].kendall[est];
        out[S_KENDALL][est] = metrics_mean(x, (size_t)R, 1);
        for (int k = 0; k < R; k++)
            x[k] = res[k].spearman[est];
        out[S_SPEARMAN][est] = metrics_mean(x, (size_t)R, 1);
        out[S_FAILURES][est] = 0;
        for (int k = 0; k < R; k++)
            out[S_FAILURES][est] += res[k].fit_status[est] != SIM_FIT_OK;
    }
    for (int f = 0; f < FEAT_N; f++)
        out[S_GAMMA][f] = metrics_mean(&res[0].gamma[f], (size_t)R, sizeof(sim_result) / sizeof(double));
    double *x = o->scratch + (size_t)R;
    for (int k = 0; k < R; k++)
        x[k] = res[k].tie_share;
    out[S_TIE][0] = metrics_mean(x, (size_t)R, 1);
    for (int k = 0; k < R; k++)
        x[k] = res[k].bothbad_share;
    out[S_BOTHBAD][0] = metrics_mean(x, (size_t)R, 1);
}

static int write_summary(output *o, size_t point, const sim_scenario *s, const sim_result *res,
                         int R)
{
    double *out[N_SUMMARY];
    size_t len[N_SUMMARY], total = 0;
    for (int k = 0; k < N_SUMMARY; k++) {
        len[k] = (size_t)trail_len(o, summaries[k].ax);
        total += len[k];
    }
    double *mem = util_malloc((total + 1) * sizeof(double));
    for (int k = 0, at = 0; k < N_SUMMARY; at += (int)len[k], k++)
        out[k] = mem + at;
    summarise_est_vendor(o, s, res, R, out);
    summarise_vendor(o, s, res, R, out);
    summarise_global(o, res, R, out);
    int rc = 0;
    char p[128];
    for (int k = 0; k < N_SUMMARY && !rc; k++) {
        snprintf(p, sizeof p, "/summary/%s", summaries[k].name);
        rc = write_slice(o->file, p, point, H5T_NATIVE_DOUBLE, out[k]);
    }
    free(mem);
    return rc;
}

static int mark_complete(output *o, size_t point)
{
    o->complete[point] = 1;
    hid_t d = H5Dopen2(o->file, "/sweep/complete", H5P_DEFAULT);
    if (d < 0)
        return -1;
    herr_t rc = H5Dwrite(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, o->complete);
    H5Dclose(d);
    if (rc < 0)
        return -1;
    return H5Fflush(o->file, H5F_SCOPE_GLOBAL) < 0 ? -1 : 0;
}

int output_write_point(output *o, size_t point, const sim_scenario *s, const sim_result *res,
                       int R, util_err *err)
{
    char p[128];
    for (size_t k = 0; k < N_RESULTS; k++) {
        const result_spec *r = &results[k];
        snprintf(p, sizeof p, "/results/%s", r->name);
        pack_result(o, r, res, R, o->buf);
        hid_t mt = (r->field == F_IPTR || r->field == F_IARR) ? H5T_NATIVE_INT : H5T_NATIVE_DOUBLE;
        if (write_slice(o->file, p, point, mt, o->buf) < 0)
            return h5_fail(err, "write /results", o->path);
    }
    if (write_summary(o, point, s, res, R) < 0)
        return h5_fail(err, "write /summary", o->path);
    if (mark_complete(o, point) < 0)
        return h5_fail(err, "flush a completed point", o->path);
    return UTIL_OK;
}

int output_close(output *o, util_err *err)
{
    if (!o)
        return UTIL_OK;
    int rc = H5Fclose(o->file) < 0 ? h5_fail(err, "close", o->path) : UTIL_OK;
    output_free(o);
    return rc;
}

/* ---- reading ------------------------------------------------------------ */

hid_t output_open_read(const char *path, util_err *err)
{
    if (access(path, R_OK) != 0) {
        util_err_set(err, UTIL_EINPUT, "%s: cannot read the file", path);
        return -1;
    }
    if (H5Fis_hdf5(path) <= 0) {
        util_err_set(err, UTIL_EINPUT, "%s: not an HDF5 file", path);
        return -1;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        util_err_set(err, UTIL_EINPUT,
                     "%s: HDF5 could not open the file (damaged or truncated?); if it is an "
                     "interrupted run's .part file, delete it to start over", path);
        return -1;
    }
    static const char *const need[][2] = {
        {"/config", "/config"}, {"/sweep", "/sweep/complete"}, {"/axes", "/axes/model"},
        {"/results", "/results/score"}, {"/summary", "/summary/score_inflation_mean"}};
    for (size_t k = 0; k < sizeof need / sizeof need[0]; k++)
        if (H5Lexists(f, need[k][0], H5P_DEFAULT) <= 0 ||
            H5Lexists(f, need[k][1], H5P_DEFAULT) <= 0) {
            util_err_set(err, UTIL_EINPUT, "%s: missing %s (not an arenasim result file)", path,
                         need[k][1]);
            H5Fclose(f);
            return -1;
        }
    char *yaml = output_read_str_attr(f, "/config", "yaml");
    free(yaml);
    if (!yaml) {
        util_err_set(err, UTIL_EINPUT, "%s: missing attribute /config:yaml", path);
        H5Fclose(f);
        return -1;
    }
    return f;
}

double *output_read_doubles(hid_t file, const char *path, hsize_t *dims, int *rank,
                            util_err *err)
{
    hid_t d = H5Lexists(file, path, H5P_DEFAULT) > 0 ? H5Dopen2(file, path, H5P_DEFAULT) : -1;
    if (d < 0) {
        util_err_set(err, UTIL_EINPUT, "dataset %s is missing", path);
        return NULL;
    }
    hid_t sp = H5Dget_space(d);
    *rank = H5Sget_simple_extent_ndims(sp);
    H5Sget_simple_extent_dims(sp, dims, NULL);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    double *v = util_malloc(((size_t)n + 1) * sizeof(double));
    if (n > 0 && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
        util_err_set(err, UTIL_EINPUT, "dataset %s could not be read as numbers", path);
        free(v);
        v = NULL;
    }
    H5Sclose(sp);
    H5Dclose(d);
    return v;
}

char **output_read_strings(hid_t file, const char *path, size_t *n, util_err *err)
{
    hid_t d = H5Lexists(file, path, H5P_DEFAULT) > 0 ? H5Dopen2(file, path, H5P_DEFAULT) : -1;
    if (d < 0) {
        util_err_set(err, UTIL_EINPUT, "dataset %s is missing", path);
        return NULL;
    }
    hid_t sp = H5Dget_space(d), t = str_type();
    *n = (size_t)H5Sget_simple_extent_npoints(sp);
    char **raw = util_calloc(*n + 1, sizeof *raw), **out = util_calloc(*n + 1, sizeof *out);
    if (*n && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
        util_err_set(err, UTIL_EINPUT, "dataset %s could not be read as strings", path);
        free(out);
        out = NULL;
    } else {
        for (size_t k = 0; k < *n; k++)
            out[k] = util_strdup(raw[k] ? raw[k] : "");
        if (*n)
            H5Dvlen_reclaim(t, sp, H5P_DEFAULT, raw);
    }
    free(raw);
    H5Tclose(t);
    H5Sclose(sp);
    H5Dclose(d);
    return out;
}

static int copy_group_point(hid_t src, output *dst, const char *group, size_t point,
                            util_err *err)
{
    hid_t g = H5Gopen2(src, group, H5P_DEFAULT);
    if (g < 0)
        return util_err_set(err, UTIL_EINPUT, "group %s is missing", group);
    H5G_info_t info;
    H5Gget_info(g, &info);
    int rc = UTIL_OK;
    for (hsize_t i = 0; i < info.nlinks && !rc; i++) {
        char name[128], path[160];
        H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
        snprintf(path, sizeof path, "%s/%s", group, name);
        hid_t d = H5Dopen2(src, path, H5P_DEFAULT);
        hid_t fs = H5Dget_space(d), t = H5Dget_type(d);
        int rank = H5Sget_simple_extent_ndims(fs);
        hsize_t dims[8], start[8] = {0}, count[8], total = 1;
        H5Sget_simple_extent_dims(fs, dims, NULL);
        for (int k = 0; k < rank; k++) {
            count[k] = k == 0 ? 1 : dims[k];
            total *= count[k];
        }
        start[0] = point;
        size_t esz = H5Tget_size(t);
        void *buf = util_malloc((size_t)total * esz + 1);
        if (total) {
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
            hid_t ms = H5Screate_simple(rank, count, NULL);
            if (H5Dread(d, t, ms, fs, H5P_DEFAULT, buf) < 0 ||
                write_slice(dst->file, path, point, t, buf) < 0)
                rc = util_err_set(err, UTIL_EINPUT, "dataset %s: point %zu could not be copied", path, point);
            H5Sclose(ms);
        }
        free(buf);
        H5Tclose(t);
        H5Sclose(fs);
        H5Dclose(d);
    }
    H5Gclose(g);
    return rc;
}

int output_copy_point(hid_t src, output *dst, size_t point, util_err *err)
{
    int rc = copy_group_point(src, dst, "/results", point, err);
    if (!rc)
        rc = copy_group_point(src, dst, "/summary", point, err);
    if (!rc && mark_complete(dst, point) < 0)
        rc = h5_fail(err, "flush a merged point", dst->path);
    return rc;
}
