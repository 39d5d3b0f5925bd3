/*
 * rating/rating.c — the leaderboard estimators of DESIGN §3 (see rating.h).
 *
 * Units: internal ratings r in log10-odds (logit = ln10·(r_a − r_b)); scores
 * in arena points (400 r + 1000, shifted by the anchor rule); style
 * coefficients γ in log-odds per sd of the z-scored feature difference.
 *
 * Numerics. Both fits are damped Newton iterations on a convex loss, solved
 * with GSL's Cholesky; converged when max |gradient| ≤ tol·max(1, Σ weights).
 * Losses are kept on the "summed" scale (arena_rank's mean loss is multiplied
 * by Σw, which does not move its minimiser) so one tolerance rule serves all.
 * When r is unpenalised (bt, none, arena_rank) the loss is invariant to
 * shifting r, so model 0 is pinned in the Newton system and r is centred
 * afterwards. Sandwich covariances H⁻¹GH⁻¹ use A = (H + uuᵀ)⁻¹ with
 * u = (1,…,1,0…)/√n: H u = G u = 0, so A G A is the covariance in the centred
 * parameterisation.
 *
 * Reproducibility. The style fit accumulates over fixed blocks of
 * RATING_BLOCK rows; each block's partial sums are added to the total in block
 * order, whatever the thread count, so results are bitwise independent of it.
 * Bootstrap round k always uses stream (seed, point, replicate, BOOTSTRAP, k)
 * and starts from the full-data fit, so rounds are independent of scheduling.
 */
#include "rating/rating.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_vector.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "base/rng.h"

#define RATING_LN10 2.302585092994045684
#define RATING_BLOCK 65536
#define RATING_MAX_HALVINGS 40

/* ---- Table ---------------------------------------------------------------- */

rating_table *rating_table_alloc(int n)
{
    rating_table *t = util_malloc(sizeof *t);
    size_t m = (size_t)n * (size_t)(n > 0 ? n - 1 : 0) / 2;
    t->n = n;
    t->cell = util_calloc(4 * m + 1, sizeof *t->cell);
    return t;
}

void rating_table_free(rating_table *t)
{
    if (!t)
        return;
    free(t->cell);
    free(t);
}

void rating_table_clear(rating_table *t)
{
    size_t m = (size_t)t->n * (size_t)(t->n > 0 ? t->n - 1 : 0) / 2;
    memset(t->cell, 0, 4 * m * sizeof *t->cell);
}

size_t rating_pair_index(int n, int i, int j)
{
    return (size_t)i * (size_t)(2 * n - i - 1) / 2 + (size_t)(j - i - 1);
}

void rating_table_add(rating_table *t, int a, int b, int outcome, double count)
{
    if (a == b)
        return;
    if (a > b) {
        int s = a;
        a = b;
        b = s;
        if (outcome == RATING_A_WINS)
            outcome = RATING_B_WINS;
        else if (outcome == RATING_B_WINS)
            outcome = RATING_A_WINS;
    }
    t->cell[4 * rating_pair_index(t->n, a, b) + (size_t)outcome] += count;
}

void rating_table_battles(const rating_table *t, double *battles)
{
    const double *c = t->cell;
    for (int i = 0; i < t->n; i++)
        battles[i] = 0;
    for (int i = 0; i < t->n; i++)
        for (int j = i + 1; j < t->n; j++, c += 4) {
            double s = c[0] + c[1] + c[2] + c[3];
            battles[i] += s;
            battles[j] += s;
        }
}

/* ---- Existence of the MLE ------------------------------------------------- */

/* Graph scratch for the existence checks. */
typedef struct {
    int n;
    double *win, *loss, *tot; /* per model: score won, score lost, battles */
    int *queue;
    unsigned char *seen;
} exist_ws;

static void exist_alloc(exist_ws *e, int n)
{
    e->n = n;
    e->win = util_calloc((size_t)n, sizeof(double));
    e->loss = util_calloc((size_t)n, sizeof(double));
    e->tot = util_calloc((size_t)n, sizeof(double));
    e->queue = util_calloc((size_t)n, sizeof(int));
    e->seen = util_calloc((size_t)n, 1);
}

static void exist_free(exist_ws *e)
{
    free(e->win);
    free(e->loss);
    free(e->tot);
    free(e->queue);
    free(e->seen);
}

/* BFS from model 0 over pairs; dir 0: any battle, 1: i scored against j,
 * 2: j scored against i (reverse edges). Returns the number reached. */
static int exist_reach(const rating_table *t, exist_ws *e, int dir)
{
    int n = t->n, head = 0, tail = 0;
    memset(e->seen, 0, (size_t)n);
    e->queue[tail++] = 0;
    e->seen[0] = 1;
    while (head < tail) {
        int i = e->queue[head++];
        for (int j = 0; j < n; j++) {
            if (j == i || e->seen[j])
                continue;
            int lo = i < j ? i : j, hi = i < j ? j : i;
            const double *c = t->cell + 4 * rating_pair_index(n, lo, hi);
            double slo = c[0] + 0.5 * (c[2] + c[3]), shi = c[1] + 0.5 * (c[2] + c[3]);
            double s_ij = (i == lo) ? slo : shi, s_ji = (i == lo) ? shi : slo;
            double w = dir == 0 ? c[0] + c[1] + c[2] + c[3] : dir == 1 ? s_ij : s_ji;
            if (w > 0) {
                e->seen[j] = 1;
                e->queue[tail++] = j;
            }
        }
    }
    return tail;
}

static int first_unseen(const exist_ws *e)
{
    for (int i = 0; i < e->n; i++)
        if (!e->seen[i])
            return i;
    return 0;
}

/* UTIL_OK when the BT MLE exists (the "beats or ties" digraph is strongly
 * connected); otherwise UTIL_EINPUT naming the first offending model. */
static int exist_check(const rating_table *t, exist_ws *e, util_err *err)
{
    int n = t->n;
    const double *c = t->cell;
    if (n < 2)
        return util_err_set(err, UTIL_EINPUT, "need at least 2 models, got %d", n);
    memset(e->win, 0, (size_t)n * sizeof(double));
    memset(e->loss, 0, (size_t)n * sizeof(double));
    memset(e->tot, 0, (size_t)n * sizeof(double));
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++, c += 4) {
            double ti = c[0] + 0.5 * (c[2] + c[3]), tj = c[1] + 0.5 * (c[2] + c[3]);
            e->win[i] += ti, e->loss[i] += tj, e->tot[i] += ti + tj;
            e->win[j] += tj, e->loss[j] += ti, e->tot[j] += ti + tj;
        }
    for (int i = 0; i < n; i++) {
        if (e->tot[i] <= 0)
            return util_err_set(err, UTIL_EINPUT, "model %d has no battles: its rating is not identified", i);
        if (e->loss[i] <= 0)
            return util_err_set(err, UTIL_EINPUT, "model %d has only wins: its BT rating is infinite", i);
        if (e->win[i] <= 0)
            return util_err_set(err, UTIL_EINPUT, "model %d has only losses: its BT rating is −infinite", i);
    }
    if (exist_reach(t, e, 0) < n)
        return util_err_set(err, UTIL_EINPUT,
                            "comparison graph not connected: model %d never meets the group of model 0", first_unseen(e));
    if (exist_reach(t, e, 1) < n || exist_reach(t, e, 2) < n)
        return util_err_set(err, UTIL_EINPUT,
                            "no BT MLE: the group of model %d never loses (or never wins) against the rest", first_unseen(e));
    return UTIL_OK;
}

/* ---- Small numerics ------------------------------------------------------- */

static double max_abs(const double *g, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(g[i]));
    return m;
}

/* Mirror the upper triangle of a p×p row-major matrix into the lower. */
static void symmetrize(double *h, size_t p)
{
    for (size_t i = 0; i < p; i++)
        for (size_t j = i + 1; j < p; j++)
            h[j * p + i] = h[i * p + j];
}

/* Solve H δ = −g for δ (all p), with the first `pin` coordinates fixed at 0.
 * fac: p×p scratch. Returns a GSL status. */
static int newton_step(const gsl_matrix *h, const gsl_vector *g, gsl_matrix *fac,
                       gsl_vector *delta, size_t pin)
{
    size_t p = h->size1, q = p - pin;
    gsl_matrix_memcpy(fac, h);
    gsl_matrix_view f = gsl_matrix_submatrix(fac, pin, pin, q, q);
    gsl_vector_const_view gs = gsl_vector_const_subvector(g, pin, q);
    gsl_vector_view ds = gsl_vector_subvector(delta, pin, q);
    int st = gsl_linalg_cholesky_decomp1(&f.matrix);
    if (st)
        return st;
    st = gsl_linalg_cholesky_solve(&f.matrix, &gs.vector, &ds.vector);
    if (st)
        return st;
    gsl_vector_scale(&ds.vector, -1.0);
    for (size_t i = 0; i < pin; i++)
        gsl_vector_set(delta, i, 0.0);
    return GSL_SUCCESS;
}

/* cov = A G A with A = (H + c u uᵀ)⁻¹, u = (1..1 on the first nr, 0 after)/√nr
 * when nr > 0 (else A = H⁻¹). c, the mean diagonal of H's ratings block,
 * puts the null direction u on H's scale: with c = 1 and counts of 10¹²
 * the inverse's rounding noise (H⁻¹ far larger along u than elsewhere)
 * leaked into the CIs as tens of points. A G A does not depend on c
 * otherwise (H u = G u = 0). fac, tmp: p×p scratch; G is overwritten. */
static int sandwich(const gsl_matrix *h, gsl_matrix *g, size_t nr, gsl_matrix *fac,
                    gsl_matrix *tmp, double *cov)
{
    size_t p = h->size1;
    double c = 0;
    gsl_matrix_memcpy(fac, h);
    for (size_t i = 0; i < nr; i++)
        c += h->data[i * h->tda + i];
    c = nr && c > 0 ? c / (double)nr : 1.0;
    for (size_t i = 0; i < nr; i++)
        for (size_t j = 0; j < nr; j++)
            fac->data[i * fac->tda + j] += c / (double)nr;
    int st = gsl_linalg_cholesky_decomp1(fac);
    if (!st)
        st = gsl_linalg_cholesky_invert(fac);
    if (st)
        return st;
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, fac, g, 0.0, tmp);
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, tmp, fac, 0.0, g);
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++)
            cov[i * p + j] = g->data[i * g->tda + j];
    return GSL_SUCCESS;
}

/* Negative log-likelihood of one battle at logit eta with outcome y ∈ {0,½,1};
 * *prob receives σ(eta). Stable for any eta. */
static inline double nll_one(double eta, double y, double *prob)
{
    double e = exp(-fabs(eta));
    *prob = eta >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    return (eta > 0 ? eta : 0.0) + log1p(e) - y * eta;
}

static void center(double *r, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++)
        m += r[i];
    m /= n;
    for (int i = 0; i < n; i++)
        r[i] -= m;
}

/* ---- bt on the table ------------------------------------------------------- */

struct rating_bt_ws {
    int n;
    gsl_matrix *h, *fac, *g2, *tmp;
    gsl_vector *grad, *delta;
    double *r, *rnew;
    exist_ws ex;
};

rating_bt_ws *rating_bt_ws_alloc(int n)
{
    rating_bt_ws *w = util_calloc(1, sizeof *w);
    size_t p = (size_t)(n > 1 ? n : 2);
    w->n = n;
    w->h = gsl_matrix_alloc(p, p);
    w->fac = gsl_matrix_alloc(p, p);
    w->g2 = gsl_matrix_alloc(p, p);
    w->tmp = gsl_matrix_alloc(p, p);
    w->grad = gsl_vector_alloc(p);
    w->delta = gsl_vector_alloc(p);
    w->r = util_calloc(p, sizeof(double));
    w->rnew = util_calloc(p, sizeof(double));
    if (!w->h || !w->fac || !w->g2 || !w->tmp || !w->grad || !w->delta) {
        rating_bt_ws_free(w);
        return NULL;
    }
    exist_alloc(&w->ex, (int)p);
    return w;
}

void rating_bt_ws_free(rating_bt_ws *w)
{
    if (!w)
        return;
    gsl_matrix_free(w->h);
    gsl_matrix_free(w->fac);
    gsl_matrix_free(w->g2);
    gsl_matrix_free(w->tmp);
    gsl_vector_free(w->grad);
    gsl_vector_free(w->delta);
    free(w->r);
    free(w->rnew);
    if (w->ex.win)
        exist_free(&w->ex);
    free(w);
}

/* One pass over the pairs: loss, and (when h != NULL) gradient and Hessian
 * of Σ NLL at r. mode 2 puts G = Σ (score outer products) into h instead. */
static double bt_pass(const rating_table *t, const double *r, double *g, gsl_matrix *hm, int mode)
{
    int n = t->n;
    const double *c = t->cell;
    const double L = RATING_LN10, L2 = L * L;
    double loss = 0;
    size_t ld = hm ? hm->tda : 0;
    double *h = hm ? hm->data : NULL;
    if (hm) {
        gsl_matrix_set_zero(hm);
        memset(g, 0, (size_t)n * sizeof *g);
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++, c += 4) {
            double tot = c[0] + c[1] + c[2] + c[3];
            if (tot <= 0)
                continue;
            double s = c[0] + 0.5 * (c[2] + c[3]), eta = L * (r[i] - r[j]), p;
            double e = exp(-fabs(eta));
            p = eta >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
            loss += tot * ((eta > 0 ? eta : 0.0) + log1p(e)) - s * eta;
            if (!hm)
                continue;
            double res = L * (tot * p - s), hh;
            g[i] += res;
            g[j] -= res;
            if (mode == 2)
                hh = L2 * (c[0] * (1 - p) * (1 - p) + c[1] * p * p + (c[2] + c[3]) * (0.5 - p) * (0.5 - p));
            else
                hh = L2 * tot * p * (1 - p);
            h[(size_t)i * ld + (size_t)i] += hh;
            h[(size_t)j * ld + (size_t)j] += hh;
            h[(size_t)i * ld + (size_t)j] -= hh;
            h[(size_t)j * ld + (size_t)i] -= hh;
        }
    return loss;
}

/* ½·ridge·‖r‖², and its gradient and Hessian added to g, h (when g != NULL). */
static double bt_ridge(const double *r, int n, double ridge, double *g, gsl_matrix *h)
{
    double pen = 0;
    if (!(ridge > 0))
        return 0;
    for (int i = 0; i < n; i++) {
        pen += 0.5 * ridge * r[i] * r[i];
        if (g) {
            g[i] += ridge * r[i];
            h->data[(size_t)i * h->tda + (size_t)i] += ridge;
        }
    }
    return pen;
}

/* Default convergence tolerance and iteration cap of the BT and style fits
 * (an option ≤ 0 means the default). */
static double fit_tol(double tol)
{
    return tol > 0 ? tol : 1e-10;
}

static int fit_max_iter(int max_iter)
{
    return max_iter > 0 ? max_iter : 100;
}

static int bt_fit_core(const rating_table *t, rating_bt_ws *w, const rating_fit_opts *o,
                       double ridge, double *r, double *cov, util_err *err)
{
    int n = t->n, rc = UTIL_OK, it;
    double tol = fit_tol(o ? o->tol : 0);
    int max_iter = fit_max_iter(o ? o->max_iter : 0);
    size_t pin = ridge > 0 ? 0 : 1; /* the ridge fixes the level of r */
    if (w->n != n)
        return util_err_set(err, UTIL_ERUNTIME, "rating_bt_fit: workspace for %d models, table has %d", w->n, n);
    rc = ridge > 0 ? UTIL_OK : exist_check(t, &w->ex, err);
    if (rc)
        return rc;
    gsl_matrix_view hv = gsl_matrix_submatrix(w->h, 0, 0, (size_t)n, (size_t)n);
    gsl_matrix_view fv = gsl_matrix_submatrix(w->fac, 0, 0, (size_t)n, (size_t)n);
    gsl_vector_view gv = gsl_vector_subvector(w->grad, 0, (size_t)n);
    gsl_vector_view dv = gsl_vector_subvector(w->delta, 0, (size_t)n);
    double total = 0;
    for (size_t k = 0; k < 4 * (size_t)n * (size_t)(n - 1) / 2; k++)
        total += t->cell[k];
    double thr = tol * fmax(1.0, total);
    memset(w->r, 0, (size_t)n * sizeof(double));
    double loss = bt_pass(t, w->r, gv.vector.data, &hv.matrix, 0) +
                  bt_ridge(w->r, n, ridge, gv.vector.data, &hv.matrix);
    for (it = 0; it < max_iter; it++) {
        if (max_abs(gv.vector.data, (size_t)n) <= thr)
            break;
        if (newton_step(&hv.matrix, &gv.vector, &fv.matrix, &dv.vector, pin)) {
            rc = util_err_set(err, UTIL_ERUNTIME, "bt: Newton system not positive definite at iteration %d", it);
            goto out;
        }
        double step = 1.0, lnew = 0;
        int k;
        for (k = 0; k < RATING_MAX_HALVINGS; k++, step *= 0.5) {
            for (int i = 0; i < n; i++)
                w->rnew[i] = w->r[i] + step * dv.vector.data[i];
            lnew = bt_pass(t, w->rnew, NULL, NULL, 0) + bt_ridge(w->rnew, n, ridge, NULL, NULL);
            if (lnew <= loss + 1e-12 * fabs(loss))
                break;
        }
        if (k == RATING_MAX_HALVINGS) {
            rc = util_err_set(err, UTIL_ERUNTIME, "bt: line search failed at iteration %d", it);
            goto out;
        }
        memcpy(w->r, w->rnew, (size_t)n * sizeof(double));
        loss = bt_pass(t, w->r, gv.vector.data, &hv.matrix, 0) +
               bt_ridge(w->r, n, ridge, gv.vector.data, &hv.matrix);
    }
    if (it == max_iter) {
        rc = util_err_set(err, UTIL_ERUNTIME, "bt: not converged after %d Newton iterations (max |grad| %.3g > %.3g)",
                          max_iter, max_abs(gv.vector.data, (size_t)n), thr);
        goto out;
    }
    center(w->r, n);
    memcpy(r, w->r, (size_t)n * sizeof(double));
    if (cov) {
        gsl_matrix_view g2 = gsl_matrix_submatrix(w->g2, 0, 0, (size_t)n, (size_t)n);
        gsl_matrix_view tv = gsl_matrix_submatrix(w->tmp, 0, 0, (size_t)n, (size_t)n);
        bt_pass(t, w->r, w->rnew, &g2.matrix, 2);
        if (sandwich(&hv.matrix, &g2.matrix, pin ? (size_t)n : 0, &fv.matrix, &tv.matrix, cov))
            rc = util_err_set(err, UTIL_ERUNTIME, "bt: sandwich covariance failed (singular Hessian)");
    }
out:
    return rc;
}

int rating_bt_fit(const rating_table *t, rating_bt_ws *w, const rating_fit_opts *o,
                  double *r, double *cov, util_err *err)
{
    return bt_fit_core(t, w, o, 0, r, cov, err);
}

int rating_bt_fit_ridge(const rating_table *t, rating_bt_ws *w, const rating_fit_opts *o,
                        double ridge, double *r, double *cov, util_err *err)
{
    return bt_fit_core(t, w, o, ridge > 0 ? ridge : 0, r, cov, err);
}

/* ---- Rows ------------------------------------------------------------------ */

rating_rows *rating_rows_alloc(int n_models, int n_feat, size_t cap)
{
    rating_rows *r = util_calloc(1, sizeof *r);
    r->n_models = n_models;
    r->n_feat = n_feat;
    r->cap = cap ? cap : 1024;
    r->a = util_malloc_large(r->cap * sizeof *r->a); /* huge pages from 256 KiB (util.h) */
    r->b = util_malloc_large(r->cap * sizeof *r->b);
    r->outcome = util_malloc_large(r->cap);
    r->d = util_malloc_large(r->cap * (size_t)(n_feat > 0 ? n_feat : 1) * sizeof *r->d);
    return r;
}

void rating_rows_free(rating_rows *r)
{
    if (!r)
        return;
    free(r->a);
    free(r->b);
    free(r->outcome);
    free(r->d);
    free(r);
}

void rating_rows_clear(rating_rows *r)
{
    r->n = 0;
}

void rating_rows_push(rating_rows *r, int a, int b, int outcome, const double *d)
{
    size_t f = (size_t)(r->n_feat > 0 ? r->n_feat : 1);
    if (r->n == r->cap) {
        r->cap *= 2;
        r->a = util_realloc(r->a, r->cap * sizeof *r->a);
        r->b = util_realloc(r->b, r->cap * sizeof *r->b);
        r->outcome = util_realloc(r->outcome, r->cap);
        r->d = util_realloc(r->d, r->cap * f * sizeof *r->d);
    }
    r->a[r->n] = a;
    r->b[r->n] = b;
    r->outcome[r->n] = (uint8_t)outcome;
    if (r->n_feat > 0)
        memcpy(r->d + r->n * f, d, f * sizeof *d);
    r->n++;
}

/* ---- bt_style on rows ------------------------------------------------------ */

/* Partial sums of one block: loss, gradient (p), Hessian upper triangle (p²). */
typedef struct {
    double loss;
    double *g, *h;
} style_slot;

/* What a workspace's last fit was: theta holds its optimum, mu/isd/zmax
 * (and pw for arena_rank) its fixed z-scoring and weights. rows == NULL: no
 * usable fit (none yet, or the last one failed). */
typedef struct {
    const rating_rows *rows;
    size_t nrows;
    int plain; /* no weights, no ridge, own z-scoring: a full-data fit */
    params_penalty penalty;
    double tol;
    int max_iter;
} style_fit_record;

struct rating_style_ws {
    int n, f, nslots;
    size_t p;
    double *mu, *isd;     /* z-scoring per feature */
    double *zmax;         /* max over rows of |z| per feature (for style_descends) */
    double *theta, *tnew; /* (r, γ) */
    double *g;            /* scratch gradient (sandwich) */
    double *dt, *hdt;     /* line search: tnew − theta, H·(tnew − theta) */
    style_slot *slot;
    gsl_matrix *h, *fac, *g2, *tmp;
    gsl_vector *grad, *delta;
    rating_table *tab;    /* for the existence check of unpenalised r */
    exist_ws ex;
    double *pw;           /* arena_rank: per-row pair weights (mean 1), or NULL */
    size_t pw_cap;
    style_fit_record last; /* the last fit, for rating_style_bootstrap's reuse */
};

static void slots_ensure(rating_style_ws *w, int k)
{
    if (k <= w->nslots)
        return;
    w->slot = util_realloc(w->slot, (size_t)k * sizeof *w->slot);
    for (int s = w->nslots; s < k; s++) {
        w->slot[s].g = util_malloc(w->p * sizeof(double));
        w->slot[s].h = util_malloc(w->p * w->p * sizeof(double));
    }
    w->nslots = k;
}

rating_style_ws *rating_style_ws_alloc(int n_models, int n_feat)
{
    rating_style_ws *w = util_calloc(1, sizeof *w);
    w->n = n_models;
    w->f = n_feat;
    w->p = (size_t)n_models + (size_t)n_feat;
    size_t p = w->p, f = (size_t)(n_feat > 0 ? n_feat : 1);
    w->mu = util_calloc(f, sizeof(double));
    w->isd = util_calloc(f, sizeof(double));
    w->zmax = util_calloc(f, sizeof(double));
    w->dt = util_calloc(p, sizeof(double));
    w->hdt = util_calloc(p, sizeof(double));
    w->theta = util_calloc(p, sizeof(double));
    w->tnew = util_calloc(p, sizeof(double));
    w->g = util_calloc(p, sizeof(double));
    w->h = gsl_matrix_alloc(p, p);
    w->fac = gsl_matrix_alloc(p, p);
    w->g2 = gsl_matrix_alloc(p, p);
    w->tmp = gsl_matrix_alloc(p, p);
    w->grad = gsl_vector_alloc(p);
    w->delta = gsl_vector_alloc(p);
    w->tab = rating_table_alloc(n_models);
    exist_alloc(&w->ex, n_models);
    slots_ensure(w, 1);
    return w;
}

void rating_style_ws_free(rating_style_ws *w)
{
    if (!w)
        return;
    free(w->mu);
    free(w->isd);
    free(w->zmax);
    free(w->dt);
    free(w->hdt);
    free(w->theta);
    free(w->tnew);
    free(w->g);
    for (int s = 0; s < w->nslots; s++) {
        free(w->slot[s].g);
        free(w->slot[s].h);
    }
    free(w->slot);
    gsl_matrix_free(w->h);
    gsl_matrix_free(w->fac);
    gsl_matrix_free(w->g2);
    gsl_matrix_free(w->tmp);
    gsl_vector_free(w->grad);
    gsl_vector_free(w->delta);
    rating_table_free(w->tab);
    exist_free(&w->ex);
    free(w->pw);
    free(w);
}

/* Sums for the feature columns [f0, f0 + nc) of d (N rows × F): one sweep
 * for the means (and extremes), one for the squared deviations; each
 * column's sum runs over the rows in order. Inlined with constant nc (see
 * zscore_cols) so the sums stay in registers. */
static inline __attribute__((always_inline)) void
zscore_cols_n(const double *d, size_t N, int F, int f0, const int nc, double *m, double *v, double *lo, double *hi)
{
    double sm[FEAT_N], sv[FEAT_N], sl[FEAT_N], sh[FEAT_N];
    const double *x0 = d + f0;
    for (int f = 0; f < nc; f++) {
        sm[f] = sv[f] = 0;
        sl[f] = sh[f] = x0[f];
    }
    for (size_t i = 0; i < N; i++) {
        const double *x = x0 + i * (size_t)F;
#pragma GCC unroll 5
        for (int f = 0; f < nc; f++) {
            sm[f] += x[f];
            sl[f] = x[f] < sl[f] ? x[f] : sl[f];
            sh[f] = x[f] > sh[f] ? x[f] : sh[f];
        }
    }
    for (int f = 0; f < nc; f++)
        sm[f] /= (double)N;
    for (size_t i = 0; i < N; i++) {
        const double *x = x0 + i * (size_t)F;
#pragma GCC unroll 5
        for (int f = 0; f < nc; f++) {
            double y = x[f] - sm[f];
            sv[f] += y * y;
        }
    }
    for (int f = 0; f < nc; f++) {
        m[f0 + f] = sm[f];
        v[f0 + f] = sv[f];
        lo[f0 + f] = sl[f];
        hi[f0 + f] = sh[f];
    }
}

static void zscore_cols(const double *d, size_t N, int F, int f0, int f1, double *m, double *v, double *lo,
                        double *hi)
{
    switch (f1 - f0) {
    case 1:
        zscore_cols_n(d, N, F, f0, 1, m, v, lo, hi);
        break;
    case 2:
        zscore_cols_n(d, N, F, f0, 2, m, v, lo, hi);
        break;
    case 3:
        zscore_cols_n(d, N, F, f0, 3, m, v, lo, hi);
        break;
    case 4:
        zscore_cols_n(d, N, F, f0, 4, m, v, lo, hi);
        break;
    default:
        zscore_cols_n(d, N, F, f0, f1 - f0 < FEAT_N ? f1 - f0 : FEAT_N, m, v, lo, hi);
        break;
    }
}

/* Population mean and 1/sd of each feature column over all rows (N ≥ 1),
 * the columns shared out over up to `threads` threads: every column's sums
 * are the same doubles whatever the split. */
static int style_zscore(const rating_rows *rows, rating_style_ws *w, int threads, util_err *err)
{
    int F = rows->n_feat, T = threads < F ? threads : F;
    size_t N = rows->n;
    double m[FEAT_N], v[FEAT_N], lo[FEAT_N], hi[FEAT_N];
    if (F > FEAT_N)
        return util_err_set(err, UTIL_ERUNTIME, "bt_style: %d style features, at most %d", F, FEAT_N);
    if (T > 1) {
#ifdef _OPENMP
#pragma omp parallel for num_threads(T) schedule(static, 1)
#endif
        for (int t = 0; t < T; t++)
            zscore_cols(rows->d, N, F, t * F / T, (t + 1) * F / T, m, v, lo, hi);
    } else if (F > 0) {
        zscore_cols(rows->d, N, F, 0, F, m, v, lo, hi);
    }
    for (int f = 0; f < F; f++) {
        v[f] /= (double)N;
        if (!(v[f] > 0) || !isfinite(v[f]))
            return util_err_set(err, UTIL_EINPUT,
                                "style feature %d is constant over all %zu battles: its coefficient is not identified",
                                f, N);
        w->mu[f] = m[f];
        w->isd[f] = 1.0 / sqrt(v[f]);
        w->zmax[f] = fmax(hi[f] - m[f], m[f] - lo[f]) * w->isd[f];
    }
    return UTIL_OK;
}

typedef struct {
    const rating_rows *rows;
    const double *wt;     /* frequency weights (bootstrap) or NULL */
    const double *pw;     /* importance weights (arena_rank pairs) or NULL */
    const double *theta;
    const double *mu, *isd;
    int mode; /* 0 loss+grad+Hessian, 1 loss only, 2 G (score outer products),
                 3 grad+Hessian without the loss (no log1p),
                 4 only σ of each row into prob_out (nothing summed),
                 5 gradient only (as mode 3 without the Hessian) */
    const double *prob_in; /* mode 3: σ of each row at theta, known (or NULL) */
    double *prob_out;      /* mode 4 */
} style_ctx;

/* Whether a pass of this mode sums a Hessian (or G), a gradient. */
static int style_mode_hess(int mode)
{
    return mode == 0 || mode == 2 || mode == 3;
}

static int style_mode_grad(int mode)
{
    return style_mode_hess(mode) || mode == 5;
}

/* Rows [lo, hi) into slot s (zeroed first), for one mode and F features.
 * Each row touches the two rating parameters and the F features: sparse
 * updates of the upper triangle of h. Rows go in chunks of STYLE_CHUNK, in
 * three loops: (1) logits of the rows with weight, branch-free; (2) σ and
 * the loss, the only calls (exp, log1p), kept away from the accumulators so
 * these are not spilled around every call; (3) the sums. Inlined with
 * constant mode and F (see style_block) so the feature loops unroll and the
 * feature block of g and h is summed in registers. Every entry still
 * receives the same terms in row order, so the sums are the same doubles
 * whatever the chunking or specialisation (no FP contraction in ISO C). */
#define STYLE_CHUNK 128
/* Two doubles in one SSE2 register (GCC/Clang vector extension): lane-wise
 * IEEE operations, so the same doubles as the scalar code. */
typedef double v2d __attribute__((vector_size(16)));
static inline v2d v2_load(const double *p)
{
    v2d x;
    memcpy(&x, p, sizeof x);
    return x;
}
static inline void v2_store(double *p, v2d x)
{
    memcpy(p, &x, sizeof x);
}
static const double style_y[4] = {1.0, 0.0, 0.5, 0.5}; /* y by RATING_* outcome */
static inline __attribute__((always_inline)) void
style_rows(const style_ctx *c, size_t lo, size_t hi, style_slot *s, size_t p, const int mode, const int nf)
{
    const int F = nf < FEAT_N ? nf : FEAT_N; /* rows never have more (battles.h) */
    const rating_rows *R = c->rows;
    const size_t n = (size_t)R->n_models;
    const double L = RATING_LN10, L2 = L * L;
    const double *th = c->theta, *wtv = c->wt, *pwv = c->pw, *dv = R->d;
    const int32_t *av = R->a, *bv = R->b;
    const uint8_t *ov = R->outcome;
    double mu[FEAT_N], isd[FEAT_N], gam[FEAT_N], gf[FEAT_N], hf[FEAT_N][FEAT_N], loss = 0;
    double et[STYLE_CHUNK], pr[STYLE_CHUNK], yv[STYLE_CHUNK], wv[STYLE_CHUNK], zb[STYLE_CHUNK][FEAT_N];
    uint32_t ix[STYLE_CHUNK + 1];
    v2d gv01 = {0, 0}, gv23 = {0, 0}, hv0_01 = {0, 0}, hv0_23 = {0, 0}, hv1_01 = {0, 0}, hv1_23 = {0, 0},
        hv2_23 = {0, 0}, hv3_23 = {0, 0}; /* F == 4: gf and the upper hf in lane pairs */
    double *g = s->g, *h = s->h;
    for (int f = 0; f < FEAT_N; f++) {
        mu[f] = f < F ? c->mu[f] : 0;
        isd[f] = f < F ? c->isd[f] : 0;
        gam[f] = f < F ? th[n + (size_t)f] : 0;
        gf[f] = 0;
        for (int e = 0; e < FEAT_N; e++)
            hf[f][e] = 0;
    }
    v2d mu01 = {mu[0], mu[1]}, mu23 = {mu[2], mu[3]}, isd01 = {isd[0], isd[1]}, isd23 = {isd[2], isd[3]};
    v2d gam01 = {gam[0], gam[1]}, gam23 = {gam[2], gam[3]};
    const double *pin = mode == 3 ? c->prob_in : NULL;
    if (style_mode_grad(mode))
        memset(g, 0, p * sizeof *g);
    if (style_mode_hess(mode))
        memset(h, 0, p * p * sizeof *h);
    for (size_t i0 = lo; i0 < hi; i0 += STYLE_CHUNK) {
        size_t i1 = hi - i0 < STYLE_CHUNK ? hi : i0 + STYLE_CHUNK;
        int m = 0;
        if (wtv) { /* (1a) the rows with frequency weight ≠ 0 (bootstrap: ~63 %) */
            for (size_t i = i0; i < i1; i++) {
                ix[m] = (uint32_t)(i - i0);
                m += wtv[i] != 0;
            }
        } else {
            for (size_t i = i0; i < i1; i++)
                ix[m++] = (uint32_t)(i - i0);
        }
        for (int k = 0; k < m; k++) { /* (1b) their logits */
            size_t i = i0 + ix[k];
            double eta = L * (th[av[i]] - th[bv[i]]);
            if (F == 4) { /* as below, two lanes at a time; the sum in order */
                const double *d = dv + i * 4;
                v2d z01 = (v2_load(d) - mu01) * isd01, z23 = (v2_load(d + 2) - mu23) * isd23;
                v2_store(zb[k], z01);
                v2_store(zb[k] + 2, z23);
                if (!pin) {
                    v2d t01 = z01 * gam01, t23 = z23 * gam23;
                    eta += t01[0];
                    eta += t01[1];
                    eta += t23[0];
                    eta += t23[1];
                }
            } else {
#pragma GCC unroll 5
                for (int f = 0; f < F; f++) {
                    zb[k][f] = (dv[i * (size_t)F + (size_t)f] - mu[f]) * isd[f];
                    eta += zb[k][f] * gam[f];
                }
            }
            yv[k] = style_y[ov[i] & 3];
            et[k] = eta;
            wv[k] = (wtv ? wtv[i] : 1.0) * (pwv ? pwv[i] : 1.0);
        }
        if (pin) { /* (2) σ known */
            for (int k = 0; k < m; k++)
                pr[k] = pin[i0 + ix[k]];
        } else { /* (2) σ, loss */
            for (int k = 0; k < m; k++) {
                if (mode >= 3) { /* σ(eta) exactly as nll_one computes it */
                    double e = exp(-fabs(et[k])), num = et[k] >= 0 ? 1.0 : e;
                    pr[k] = num / (1.0 + e);
                } else {
                    loss += wv[k] * nll_one(et[k], yv[k], &pr[k]);
                }
            }
        }
        if (mode == 4)
            for (int k = 0; k < m; k++)
                c->prob_out[i0 + ix[k]] = pr[k];
        if (!style_mode_grad(mode))
            continue;
        for (int k = 0; k < m; k++) { /* (3) gradient and Hessian */
            size_t i = i0 + ix[k], a = (size_t)av[i], b = (size_t)bv[i];
            double prob = pr[k], y = yv[k], wt = wv[k], res = wt * (prob - y), hh;
            if (mode == 5) { /* the gradient's terms of mode 3, nothing else */
                g[a] += L * res;
                g[b] -= L * res;
                if (F == 4) {
                    v2d z01 = v2_load(zb[k]), z23 = v2_load(zb[k] + 2), rv = {res, res};
                    gv01 += rv * z01;
                    gv23 += rv * z23;
                } else {
#pragma GCC unroll 5
                    for (int f = 0; f < F; f++)
                        gf[f] += res * zb[k][f];
                }
                continue;
            }
            if (mode == 2) {
                double fw = wtv ? wtv[i] : 1.0, iw = pwv ? pwv[i] : 1.0;
                hh = fw * (iw * (prob - y)) * (iw * (prob - y));
            } else {
                hh = wt * prob * (1.0 - prob);
            }
            double *ha = h + a * p, *hb = h + b * p;
            g[a] += L * res;
            g[b] -= L * res;
            ha[a] += L2 * hh;
            hb[b] += L2 * hh;
            h[(a < b ? a : b) * p + (a < b ? b : a)] -= L2 * hh;
            if (F == 4) { /* the same products and sums, two lanes at a time */
                v2d z01 = v2_load(zb[k]), z23 = v2_load(zb[k] + 2), hv = {hh, hh}, rv = {res, res}, Lv = {L, L};
                v2d hz01 = hv * z01, hz23 = hv * z23, c01 = Lv * hz01, c23 = Lv * hz23;
                v2d h0 = {hz01[0], hz01[0]}, h1 = {hz01[1], hz01[1]}, h2 = {hz23[0], hz23[0]}, h3 = {hz23[1], hz23[1]};
                gv01 += rv * z01;
                gv23 += rv * z23;
                v2_store(ha + n, v2_load(ha + n) + c01);
                v2_store(ha + n + 2, v2_load(ha + n + 2) + c23);
                v2_store(hb + n, v2_load(hb + n) - c01);
                v2_store(hb + n + 2, v2_load(hb + n + 2) - c23);
                hv0_01 += h0 * z01;
                hv0_23 += h0 * z23;
                hv1_01 += h1 * z01; /* lane 0, entry (1,0), unused */
                hv1_23 += h1 * z23;
                hv2_23 += h2 * z23;
                hv3_23 += h3 * z23; /* lane 0, entry (3,2), unused */
                continue;
            }
#pragma GCC unroll 5
            for (int f = 0; f < F; f++) {
                double hz = hh * zb[k][f];
                gf[f] += res * zb[k][f];
                ha[n + (size_t)f] += L * hz;
                hb[n + (size_t)f] -= L * hz;
#pragma GCC unroll 5
                for (int e = f; e < F; e++)
                    hf[f][e] += hz * zb[k][e];
            }
        }
    }
    if (F == 4) {
        gf[0] = gv01[0], gf[1] = gv01[1], gf[2] = gv23[0], gf[3] = gv23[1];
        hf[0][0] = hv0_01[0], hf[0][1] = hv0_01[1], hf[0][2] = hv0_23[0], hf[0][3] = hv0_23[1];
        hf[1][1] = hv1_01[1], hf[1][2] = hv1_23[0], hf[1][3] = hv1_23[1];
        hf[2][2] = hv2_23[0], hf[2][3] = hv2_23[1], hf[3][3] = hv3_23[1];
    }
    for (int f = 0; f < F && style_mode_grad(mode); f++) {
        size_t q = n + (size_t)f;
        g[q] = gf[f];
        for (int e = f; e < F && style_mode_hess(mode); e++)
            h[q * p + n + (size_t)e] = hf[f][e];
    }
    s->loss = loss;
}

/* style_rows specialised: the hot modes for the arena's usual 4 features,
 * anything else with F as a variable. */
#define STYLE_ROWS_F(mode)                                      \
    do {                                                        \
        if (F == 4)                                             \
            style_rows(c, lo, hi, s, p, mode, 4);               \
        else                                                    \
            style_rows(c, lo, hi, s, p, mode, F);               \
    } while (0)

static void style_block(const style_ctx *c, size_t lo, size_t hi, style_slot *s, size_t p)
{
    const int F = c->rows->n_feat;
    switch (c->mode) {
    case 3:
        STYLE_ROWS_F(3);
        break;
    case 1:
        STYLE_ROWS_F(1);
        break;
    case 5:
        STYLE_ROWS_F(5);
        break;
    case 2:
        style_rows(c, lo, hi, s, p, 2, F);
        break;
    case 4:
        style_rows(c, lo, hi, s, p, 4, F);
        break;
    default:
        style_rows(c, lo, hi, s, p, 0, F);
        break;
    }
}

static void slot_add(const style_slot *s, double *loss, double *g, double *h, size_t p, int mode)
{
    *loss += s->loss;
    if (!style_mode_grad(mode))
        return;
    for (size_t k = 0; k < p; k++)
        g[k] += s->g[k];
    for (size_t i = 0; i < p && style_mode_hess(mode); i++)
        for (size_t j = i; j < p; j++)
            h[i * p + j] += s->h[i * p + j];
}

/* Blocks accumulated per parallel region: all of them when their partial
 * sums fit in RATING_SLOT_BYTES (one fork/join per pass), at least `threads`. */
#define RATING_SLOT_BYTES ((size_t)64 << 20)
static int style_wave(size_t nrows, size_t p, int threads)
{
    size_t nblk = (nrows + RATING_BLOCK - 1) / RATING_BLOCK, fit = RATING_SLOT_BYTES / (p * p * sizeof(double) + 1);
    if (threads <= 1)
        return 1;
    size_t wv = nblk < fit ? nblk : fit;
    return wv > (size_t)threads ? (int)wv : threads;
}

/* Sum over all rows, block by block in block order (bitwise independent of
 * the thread count). g, h: totals (h full p×p after symmetrising). */
static double style_pass(const style_ctx *c, rating_style_ws *w, int threads, double *g, double *h)
{
    size_t nrows = c->rows->n, p = w->p;
    size_t nblk = (nrows + RATING_BLOCK - 1) / RATING_BLOCK;
    int T = threads > 1 ? threads : 1, W = style_wave(nrows, p, threads);
    double loss = 0;
    if (style_mode_grad(c->mode))
        memset(g, 0, p * sizeof *g);
    if (style_mode_hess(c->mode))
        memset(h, 0, p * p * sizeof *h);
    for (size_t b0 = 0; b0 < nblk; b0 += (size_t)W) {
        size_t nb = nblk - b0 < (size_t)W ? nblk - b0 : (size_t)W;
        if (T > 1 && nb > 1) {
#ifdef _OPENMP
#pragma omp parallel for num_threads(T) schedule(dynamic, 1)
#endif
            for (size_t k = 0; k < nb; k++) {
                size_t lo = (b0 + k) * RATING_BLOCK, hi = lo + RATING_BLOCK < nrows ? lo + RATING_BLOCK : nrows;
                style_block(c, lo, hi, &w->slot[k], p);
            }
        } else {
            for (size_t k = 0; k < nb; k++) {
                size_t lo = (b0 + k) * RATING_BLOCK, hi = lo + RATING_BLOCK < nrows ? lo + RATING_BLOCK : nrows;
                style_block(c, lo, hi, &w->slot[k], p);
            }
        }
        for (size_t k = 0; k < nb; k++)
            slot_add(&w->slot[k], &loss, g, h, p, c->mode);
    }
    if (style_mode_hess(c->mode))
        symmetrize(h, p);
    return loss;
}

/* Penalty weights on the summed scale: loss += lr‖r‖² + lg‖γ‖². */
static void style_lambdas(params_penalty pen, double wsum, double *lr, double *lg)
{
    *lr = pen == PENALTY_FASTCHAT ? 0.25 : 0.0;
    *lg = pen == PENALTY_FASTCHAT ? 0.25 : pen == PENALTY_ARENA_RANK ? 0.5 * wsum : 0.0;
}

static double style_penalize(const rating_style_ws *w, const double *theta, double lr, double lg,
                             double *g, double *h)
{
    double pen = 0;
    for (size_t k = 0; k < w->p; k++) {
        double lam = k < (size_t)w->n ? lr : lg;
        pen += lam * theta[k] * theta[k];
        if (g)
            g[k] += 2 * lam * theta[k];
        if (h)
            h[k * w->p + k] += 2 * lam;
    }
    return pen;
}

/* Existence check of the r part when r is unpenalised. */
static int style_exist(const rating_rows *rows, const double *wt, rating_style_ws *w, util_err *err)
{
    rating_table_clear(w->tab);
    for (size_t i = 0; i < rows->n; i++) {
        double x = wt ? wt[i] : 1.0;
        if (x != 0)
            rating_table_add(w->tab, rows->a[i], rows->b[i], rows->outcome[i], x);
    }
    return exist_check(w->tab, &w->ex, err);
}

/* arena_rank's row weights (lmarena arena-rank, contextual BT): each row
 * 1/max(n_pair, 50), n_pair the rows of its unordered pair over all rows,
 * then normalised to mean 1. Fixed from the full data, like the z-scoring. */
#define ARENA_RANK_MIN_PAIR 50.0
static void arena_rank_weights(const rating_rows *rows, rating_style_ws *w)
{
    if (rows->n > w->pw_cap) {
        w->pw = util_realloc(w->pw, rows->n * sizeof(double));
        w->pw_cap = rows->n;
    }
    rating_table_clear(w->tab);
    for (size_t i = 0; i < rows->n; i++)
        rating_table_add(w->tab, rows->a[i], rows->b[i], RATING_A_WINS, 1.0);
    double sum = 0;
    for (size_t i = 0; i < rows->n; i++) {
        int a = rows->a[i], b = rows->b[i];
        const double *c = w->tab->cell + 4 * rating_pair_index(rows->n_models, a < b ? a : b, a < b ? b : a);
        double cnt = c[0] + c[1] + c[2] + c[3]; /* the side decides the cell */
        w->pw[i] = 1.0 / fmax(cnt, ARENA_RANK_MIN_PAIR);
        sum += w->pw[i];
    }
    for (size_t i = 0; i < rows->n; i++)
        w->pw[i] *= (double)rows->n / sum;
}

/* arena-rank's sandwich. In its units (natural-log ratings ρ = ln10·r, mean
 * loss over nobs rows): H = (1/nobs) Σ w p(1−p) x xᵀ + 1e-5·I — the
 * unpenalised Hessian plus a ridge —, G = (1/nobs) Σ (w (y − p))² x xᵀ −
 * (1/nobs) (0, γ)(0, γ)ᵀ, cov = H⁻¹ G H⁻¹ / nobs. Here in r units: the
 * ridge becomes 1e-5·ln10² on the rating diagonal. Needs c->theta at the
 * optimum; overwrites w->h, w->g2. */
#define ARENA_RANK_HESSIAN_RIDGE 1e-5
static int arena_rank_sandwich(rating_style_ws *w, style_ctx *c, int threads, double nobs,
                               double *cov)
{
    size_t p = w->p, n = (size_t)w->n;
    double *h = w->h->data, *g2 = w->g2->data;
    c->mode = 0;
    style_pass(c, w, threads, w->g, h);
    c->mode = 2;
    style_pass(c, w, threads, w->g, g2);
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++) {
            h[i * p + j] /= nobs;
            g2[i * p + j] /= nobs;
            if (i >= n && j >= n)
                g2[i * p + j] -= c->theta[i] * c->theta[j] / nobs;
        }
    for (size_t i = 0; i < p; i++)
        h[i * p + i] += ARENA_RANK_HESSIAN_RIDGE * (i < n ? RATING_LN10 * RATING_LN10 : 1.0);
    if (sandwich(w->h, w->g2, 0, w->fac, w->tmp, cov))
        return -1;
    for (size_t k = 0; k < p * p; k++)
        cov[k] /= nobs;
    return 0;
}

/* Whether the loss at the trial point tnew is certainly not above the loss
 * at theta, judged from the gradient g and Hessian h at tnew alone (no loss
 * evaluation). Along the segment θ(u) = theta + uΔ, Δ = tnew − theta, the
 * loss f is convex and f(1) − f(0) = f'(1) − ∫₀¹ u f''(u) du. Per row, the
 * logistic σ' satisfies σ'(x) ≥ σ'(x') e^{−|x − x'|} (|(ln σ')'| = |1 − 2σ|
 * ≤ 1), and the row's logit moves by at most M = ln10·(max Δr − min Δr) +
 * Σ_f zmax_f |Δγ_f| along the segment, so f''(u) ≥ e^{−M(1−u)} f''(1) (the
 * quadratic penalties have constant f'') and
 *     f(1) − f(0) ≤ s1 − c(M)·q1,  s1 = g·Δ, q1 = Δᵀ h Δ,
 *     c(M) = ∫₀¹ u e^{−M(1−u)} du = (M − 1 + e^{−M})/M² ≥ ½ − M/6.
 * It answers yes when s1 ≤ ½·c(M)·q1, i.e. when the loss certainly fell by
 * at least ½·c(M)·q1 — far more than the rounding of the computed losses,
 * so the loss comparison of the line search would accept this point too:
 * the accepted steps (and so the results) are the same as with losses.
 * With h_at_start, h is the Hessian at theta instead (f''(u) ≥ e^{−Mu}
 * f''(0)), and c(M) = ∫₀¹ u e^{−Mu} du = (1 − e^{−M}(1 + M))/M² ≥ ½ − M/3. */
static int style_descends(rating_style_ws *w, const double *g, const double *h, int h_at_start)
{
    size_t p = w->p, n = (size_t)w->n;
    double s1 = 0, q1 = 0, dmin = 0, dmax = 0, M = 0, c;
    for (size_t q = 0; q < p; q++)
        w->dt[q] = w->tnew[q] - w->theta[q];
    gsl_vector_const_view dv = gsl_vector_const_view_array(w->dt, p);
    gsl_vector_view hv = gsl_vector_view_array(w->hdt, p);
    gsl_matrix_const_view hm = gsl_matrix_const_view_array(h, p, p);
    gsl_blas_dgemv(CblasNoTrans, 1.0, &hm.matrix, &dv.vector, 0.0, &hv.vector);
    for (size_t q = 0; q < p; q++) {
        s1 += g[q] * w->dt[q];
        q1 += w->dt[q] * w->hdt[q];
    }
    for (size_t q = 0; q < n; q++) {
        dmin = fmin(dmin, w->dt[q]);
        dmax = fmax(dmax, w->dt[q]);
    }
    M = RATING_LN10 * (dmax - dmin);
    for (size_t q = n; q < p; q++)
        M += w->zmax[q - n] * fabs(w->dt[q]);
    M *= 1.0 + 1e-9; /* rounding of the bound itself */
    if (h_at_start)
        c = M > 1e-3 ? (-expm1(-M) - M * exp(-M)) / (M * M) : 0.5 - M / 3;
    else
        c = M > 1e-3 ? (M + expm1(-M)) / (M * M) : 0.5 - M / 6;
    return isfinite(q1) && q1 > 0 && s1 <= 0.5 * c * q1;
}

#ifdef RATING_CHECK_DESCENT
/* Test builds only (tests/unit/test_rating_kernel.c includes this file with
 * RATING_CHECK_DESCENT defined; single-threaded callers): every yes of
 * style_descends is checked against the loss comparison it replaces. */
static long descent_yes, descent_no, descent_wrong, lazy_used, lazy_missed;
static void descent_verify(style_ctx *cl, rating_style_ws *w, int threads, double lr, double lg)
{
    cl->theta = w->theta;
    double l0 = style_pass(cl, w, threads, NULL, NULL) + style_penalize(w, w->theta, lr, lg, NULL, NULL);
    cl->theta = w->tnew;
    double l1 = style_pass(cl, w, threads, NULL, NULL) + style_penalize(w, w->tnew, lr, lg, NULL, NULL);
    descent_yes++;
    descent_wrong += !(l1 <= l0 + 1e-12 * fabs(l0));
}
#endif

/* The fit proper; init: starting (r, γ) or NULL for zeros; prob0: σ of each
 * row at init (from style_sigma, or NULL) to spare the first pass its exps. */
static int style_fit_core(const rating_rows *rows, const double *wt, rating_style_ws *w,
                          const rating_style_opts *o, double ridge, const double *init,
                          const double *prob0, int z_ready, double *r, double *gamma, double *cov, util_err *err)
{
    static const rating_style_opts defaults = {PENALTY_FASTCHAT, 0, 0, 1};
    if (!o)
        o = &defaults;
    int n = rows->n_models, F = rows->n_feat, rc, it, threads = o->threads > 1 ? o->threads : 1;
    size_t p = w->p, pin;
    double tol = fit_tol(o->tol), wsum = 0, lr, lg;
    int max_iter = fit_max_iter(o->max_iter);
    if (w->n != n || w->f != F)
        return util_err_set(err, UTIL_ERUNTIME, "rating_style_fit: workspace is %d models × %d features, rows %d × %d",
                            w->n, w->f, n, F);
    w->last.rows = NULL; /* until this fit succeeds */
    if (rows->n == 0)
        return util_err_set(err, UTIL_EINPUT, "bt_style: no battles");
    if (wt)
        for (size_t i = 0; i < rows->n; i++)
            wsum += wt[i];
    else
        wsum = (double)rows->n; /* = the sum of n ones, exactly (n < 2^53) */
    rc = z_ready ? UTIL_OK : style_zscore(rows, w, threads, err);
    if (!rc && !z_ready && o->penalty == PENALTY_ARENA_RANK)
        arena_rank_weights(rows, w);
    if (!rc && o->penalty != PENALTY_FASTCHAT && !(ridge > 0))
        rc = style_exist(rows, wt, w, err);
    if (rc)
        return rc;
    style_lambdas(o->penalty, wsum, &lr, &lg);
    if (ridge > 0)
        lr += 0.5 * ridge;
    pin = lr > 0 ? 0 : 1;
    slots_ensure(w, style_wave(rows->n, p, threads));
    if (init)
        memcpy(w->theta, init, p * sizeof(double));
    else
        memset(w->theta, 0, p * sizeof(double));
    /* Passes build gradient and Hessian only (mode 3, no log1p per row). A
     * trial point of the damped Newton step is accepted when the directional
     * derivative there, g(θ + tδ)·δ, is ≤ 0: the loss is convex, so it then
     * decreased along the whole step. Only otherwise (rare: early overshoot,
     * or rounding at the optimum) are the losses computed (mode 1 passes) and
     * compared as before; the accepted steps are the same as with a loss per
     * pass, without evaluating the loss at every point. */
    const double *pw = o->penalty == PENALTY_ARENA_RANK ? w->pw : NULL;
    style_ctx c = {rows, wt, pw, w->theta, w->mu, w->isd, 3, NULL, NULL}, cl = c;
    cl.mode = 1;
    double *g = w->grad->data, *h = w->h->data, thr = tol * fmax(1.0, wsum);
    double loss = NAN; /* at w->theta, computed on demand */
    c.prob_in = init ? prob0 : NULL;
    style_pass(&c, w, threads, g, h);
    c.prob_in = NULL;
    style_penalize(w, w->theta, lr, lg, g, h);
    /* The last pass of a fit mostly confirms convergence. When the quadratic
     * rate of the last step, |g| → C|g|², predicts max |g| ≤ thr/100 after
     * this one, the full step gets a gradient-only pass first (mode 5: the
     * same g as mode 3); if that point ends the fit (converged, slope ≤ 0),
     * its Hessian is never built; otherwise the mode-3 pass follows as ever.
     * Not when a covariance needs the Hessian at the optimum. */
    style_ctx cg = c;
    cg.mode = 5;
    double gprev = 0; /* max |g| at the previous point */
    for (it = 0; it < max_iter; it++) {
        double gnow = max_abs(g, p);
        if (gnow <= thr)
            break;
        if (newton_step(w->h, w->grad, w->fac, w->delta, pin))
            return util_err_set(err, UTIL_ERUNTIME, "bt_style: Newton system not positive definite at iteration %d", it);
        double step = 1.0, lnew = NAN;
        int k, lazy = !cov && gprev > 0 && gnow * gnow * (gnow / (gprev * gprev)) <= 0.01 * thr;
        c.theta = cl.theta = cg.theta = w->tnew;
        for (k = 0; k < RATING_MAX_HALVINGS; k++, step *= 0.5) {
            for (size_t q = 0; q < p; q++)
                w->tnew[q] = w->theta[q] + step * w->delta->data[q];
            if (lazy && k == 0) {
                double sl = 0;
                style_pass(&cg, w, threads, g, NULL);
                style_penalize(w, w->tnew, lr, lg, g, NULL);
                for (size_t q = 0; q < p; q++)
                    sl += g[q] * w->delta->data[q];
                if (max_abs(g, p) <= thr && (sl <= 0 || style_descends(w, g, h, 1))) {
#ifdef RATING_CHECK_DESCENT
                    if (sl > 0)
                        descent_verify(&cl, w, threads, lr, lg);
#endif
                    break; /* accepted (h still holds H at theta), and the next check ends the fit */
                }
#ifdef RATING_CHECK_DESCENT
                lazy_missed++;
#endif
            }
            style_pass(&c, w, threads, g, h);
            style_penalize(w, w->tnew, lr, lg, g, h);
            double slope = 0;
            for (size_t q = 0; q < p; q++)
                slope += g[q] * w->delta->data[q];
            if (slope <= 0)
                break;
            if (style_descends(w, g, h, 0)) {
#ifdef RATING_CHECK_DESCENT
                descent_verify(&cl, w, threads, lr, lg);
#endif
                break;
            }
#ifdef RATING_CHECK_DESCENT
            descent_no++;
#endif
            if (isnan(loss)) {
                cl.theta = w->theta;
                loss = style_pass(&cl, w, threads, NULL, NULL) + style_penalize(w, w->theta, lr, lg, NULL, NULL);
                cl.theta = w->tnew;
            }
            lnew = style_pass(&cl, w, threads, NULL, NULL) + style_penalize(w, w->tnew, lr, lg, NULL, NULL);
            if (lnew <= loss + 1e-12 * fabs(loss))
                break;
        }
        if (k == RATING_MAX_HALVINGS)
            return util_err_set(err, UTIL_ERUNTIME, "bt_style: line search failed at iteration %d", it);
        memcpy(w->theta, w->tnew, p * sizeof(double));
        c.theta = cl.theta = cg.theta = w->theta;
        loss = lnew; /* NaN unless computed for this point */
        gprev = gnow;
#ifdef RATING_CHECK_DESCENT
        lazy_used += lazy;
#endif
    }
    if (it == max_iter)
        return util_err_set(err, UTIL_ERUNTIME, "bt_style: not converged after %d Newton iterations (max |grad| %.3g > %.3g)",
                            max_iter, max_abs(g, p), thr);
    if (pin)
        center(w->theta, n);
    memcpy(r, w->theta, (size_t)n * sizeof(double));
    if (gamma && F > 0)
        memcpy(gamma, w->theta + n, (size_t)F * sizeof(double));
    if (cov && o->penalty == PENALTY_ARENA_RANK) {
        if (arena_rank_sandwich(w, &c, threads, wsum, cov))
            return util_err_set(err, UTIL_ERUNTIME, "bt_style: sandwich covariance failed (singular Hessian)");
    } else if (cov) {
        c.mode = 2;
        style_pass(&c, w, threads, w->tnew, w->g2->data);
        if (sandwich(w->h, w->g2, pin ? (size_t)n : 0, w->fac, w->tmp, cov))
            return util_err_set(err, UTIL_ERUNTIME, "bt_style: sandwich covariance failed (singular Hessian)");
    }
    w->last = (style_fit_record){rows, rows->n, !wt && !(ridge > 0) && !z_ready, o->penalty, tol, max_iter};
    return UTIL_OK;
}

int rating_style_fit(const rating_rows *rows, const double *weights,
                     rating_style_ws *w, const rating_style_opts *o,
                     double *r, double *gamma, double *cov, util_err *err)
{
    return style_fit_core(rows, weights, w, o, 0, NULL, NULL, 0, r, gamma, cov, err);
}

int rating_style_fit_ridge(const rating_rows *rows, const double *weights,
                           rating_style_ws *w, const rating_style_opts *o, double ridge,
                           double *r, double *gamma, double *cov, util_err *err)
{
    return style_fit_core(rows, weights, w, o, ridge > 0 ? ridge : 0, NULL, NULL, 0, r, gamma, cov, err);
}

void rating_cov_ratings(const double *cov, int n_models, int n_feat, double *out)
{
    size_t n = (size_t)n_models, P = n + (size_t)n_feat;
    for (size_t i = 0; i < n; i++)
        memmove(out + i * n, cov + i * P, n * sizeof *out);
}

/* ---- Elo ------------------------------------------------------------------- */

void rating_elo(const rating_rows *rows, double k, double *score)
{
    for (int i = 0; i < rows->n_models; i++)
        score[i] = RATING_INIT;
    for (size_t i = 0; i < rows->n; i++) {
        int a = rows->a[i], b = rows->b[i], oc = rows->outcome[i];
        double ra = score[a], rb = score[b];
        double ea = 1.0 / (1.0 + pow(10.0, (rb - ra) / RATING_SCALE));
        double eb = 1.0 / (1.0 + pow(10.0, (ra - rb) / RATING_SCALE));
        double sa = oc == RATING_A_WINS ? 1.0 : oc == RATING_B_WINS ? 0.0 : 0.5;
        score[a] += k * (sa - ea);
        score[b] += k * (1.0 - sa - eb);
    }
}

/* ---- Scores, CIs, ranks ---------------------------------------------------- */

void rating_scores(const double *r, int n, const unsigned char *shown,
                   int anchor, double anchor_score, double *score)
{
    double shift = 0;
    int m = 0;
    for (int i = 0; i < n; i++)
        score[i] = RATING_SCALE * r[i] + RATING_INIT;
    if (anchor >= 0) {
        shift = anchor_score - score[anchor];
    } else {
        for (int i = 0; i < n; i++)
            if (!shown || shown[i]) {
                shift += score[i];
                m++;
            }
        shift = m ? RATING_INIT - shift / m : 0;
    }
    for (int i = 0; i < n; i++)
        score[i] += shift;
}

void rating_ci_from_cov(const double *score, const double *cov, int n,
                        const unsigned char *shown, int anchor, double level,
                        double *lo, double *hi)
{
    double zq = gsl_cdf_ugaussian_Pinv(0.5 + 0.5 * level), mm = 0;
    int m = 0;
    size_t N = (size_t)n;
    for (int j = 0; j < n; j++)
        m += !shown || shown[j];
    if (anchor < 0 && m > 0) { /* mean over shown of cov[j][k] */
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++)
                if ((!shown || shown[j]) && (!shown || shown[k]))
                    mm += cov[(size_t)j * N + (size_t)k];
        mm /= (double)m * m;
    }
    for (int i = 0; i < n; i++) {
        double v;
        if (anchor >= 0) {
            v = cov[i * N + i] - 2 * cov[i * N + anchor] + cov[(size_t)anchor * N + anchor];
        } else {
            double ri = 0;
            for (int j = 0; j < n; j++)
                if (!shown || shown[j])
                    ri += cov[i * N + j];
            v = cov[i * N + i] - 2 * ri / m + mm;
        }
        double sd = RATING_SCALE * sqrt(v > 0 ? v : 0);
        lo[i] = score[i] - zq * sd;
        hi[i] = score[i] + zq * sd;
    }
}

void rating_ranks(const double *score, const double *lo, const double *hi, int n,
                  const unsigned char *shown, int *ordinal, int *displayed)
{
    for (int i = 0; i < n; i++) {
        int o = 1, d = 1;
        if (shown && !shown[i]) {
            if (ordinal)
                ordinal[i] = 0;
            if (displayed)
                displayed[i] = 0;
            continue;
        }
        for (int j = 0; j < n; j++) {
            if (j == i || (shown && !shown[j]))
                continue;
            o += score[j] > score[i];
            d += (lo && hi) ? lo[j] > hi[i] : score[j] > score[i];
        }
        if (ordinal)
            ordinal[i] = o;
        if (displayed)
            displayed[i] = d;
    }
}

/* ---- Bootstraps ------------------------------------------------------------ */

/* Percentile interval of column i of vals[rounds × stride] into lo/hi. */
static void percentiles(double *vals, int rounds, int stride, int ncol, double level,
                        double *col, double *lo, double *hi)
{
    for (int i = 0; i < ncol; i++) {
        for (int k = 0; k < rounds; k++)
            col[k] = vals[(size_t)k * (size_t)stride + (size_t)i];
        gsl_sort(col, 1, (size_t)rounds);
        lo[i] = gsl_stats_quantile_from_sorted_data(col, 1, (size_t)rounds, 0.5 - 0.5 * level);
        hi[i] = gsl_stats_quantile_from_sorted_data(col, 1, (size_t)rounds, 0.5 + 0.5 * level);
    }
}

/* First failing round's error (lowest k) into err. */
static int boot_report(const int *codes, int rounds, util_err *errs, util_err *err)
{
    for (int k = 0; k < rounds; k++)
        if (codes[k]) {
            util_err_set(err, UTIL_ERUNTIME, "%s", errs[k].msg);
            return util_err_prefix(err, "bootstrap round %d", k);
        }
    return UTIL_OK;
}

int rating_bt_bootstrap(const rating_table *t, const rating_fit_opts *fo,
                        const rating_boot_opts *bo, const unsigned char *shown,
                        int anchor, double anchor_score,
                        double *lo, double *hi, util_err *err)
{
    int n = t->n, R = bo->rounds, T = bo->threads > 1 ? bo->threads : 1, rc;
    size_t K = 4 * (size_t)n * (size_t)(n - 1) / 2;
    double total = 0;
    for (size_t k = 0; k < K; k++)
        total += t->cell[k];
    if (R < 1)
        return util_err_set(err, UTIL_EINPUT, "bootstrap needs at least 1 round, got %d", R);
    if (!(total >= 1) || total > 4.0e9)
        return util_err_set(err, UTIL_EINPUT, "bootstrap: table total %.0f out of range", total);
    unsigned int N = (unsigned int)llround(total);
    double *vals = util_malloc((size_t)R * (size_t)n * sizeof(double));
    int *codes = util_calloc((size_t)R, sizeof(int));
    util_err *errs = util_calloc((size_t)R, sizeof(util_err));
#ifdef _OPENMP
#pragma omp parallel num_threads(T) if (T > 1)
#endif
    {
        rating_bt_ws *w = rating_bt_ws_alloc(n);
        rating_table *bt = rating_table_alloc(n);
        unsigned int *cnt = util_malloc((K + 1) * sizeof(unsigned int));
        double *r = util_malloc((size_t)n * sizeof(double));
        gsl_rng *g = rng_alloc();
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (int k = 0; k < R; k++) {
            rng_set_stream(g, bo->seed, bo->point, bo->replicate, RNG_PURPOSE_BOOTSTRAP, (uint64_t)k);
            gsl_ran_multinomial(g, K, N, t->cell, cnt);
            for (size_t q = 0; q < K; q++)
                bt->cell[q] = (double)cnt[q];
            codes[k] = w && g ? rating_bt_fit(bt, w, fo, r, NULL, &errs[k])
                              : util_err_set(&errs[k], UTIL_ERUNTIME, "out of memory");
            if (!codes[k])
                rating_scores(r, n, shown, anchor, anchor_score, vals + (size_t)k * (size_t)n);
        }
        gsl_rng_free(g);
        free(r);
        free(cnt);
        rating_table_free(bt);
        rating_bt_ws_free(w);
    }
    rc = boot_report(codes, R, errs, err);
    if (!rc) {
        double *col = util_malloc((size_t)R * sizeof(double));
        percentiles(vals, R, n, n, bo->level, col, lo, hi);
        free(col);
    }
    free(vals);
    free(codes);
    free(errs);
    return rc;
}

/* Give w the z-scoring and arena_rank row weights that w0's full-data fit
 * of the same rows computed (they stay fixed over bootstrap rounds). */
static void style_ws_copy_fixed(rating_style_ws *w, const rating_style_ws *w0, size_t nrows)
{
    size_t f = (size_t)(w->f > 0 ? w->f : 1);
    memcpy(w->mu, w0->mu, f * sizeof(double));
    memcpy(w->isd, w0->isd, f * sizeof(double));
    memcpy(w->zmax, w0->zmax, f * sizeof(double));
    if (w0->pw && w0->pw_cap >= nrows) {
        if (nrows > w->pw_cap) {
            w->pw = util_realloc(w->pw, nrows * sizeof(double));
            w->pw_cap = nrows;
        }
        memcpy(w->pw, w0->pw, nrows * sizeof(double));
    }
}

/* Whether w's last fit is the full-data fit rating_style_bootstrap would
 * make itself: of these rows, without weights or ridge, with so's penalty,
 * tolerance and iteration cap (the thread count changes no bit of a fit). */
static int style_fit_reusable(const rating_style_ws *w, const rating_rows *rows, const rating_style_opts *so)
{
    const style_fit_record *l = &w->last;
    return w->n == rows->n_models && w->f == rows->n_feat && l->rows == rows && l->nrows == rows->n && l->plain &&
           l->penalty == so->penalty && l->tol == fit_tol(so->tol) && l->max_iter == fit_max_iter(so->max_iter);
}

/* The full-data fit the bootstrap rounds start from, in w0: fitted here
 * (fit_here) or w0's own last fit, checked to be that fit. Out: theta0 =
 * (r, γ) at its optimum and prob0 = σ of every row there (the first pass of
 * each round needs no exp). */
static int style_boot_base(const rating_rows *rows, const rating_style_opts *so, int threads, rating_style_ws *w0,
                           int fit_here, double *theta0, double *prob0, util_err *err)
{
    int n = rows->n_models, rc = UTIL_OK;
    rating_style_opts o0 = *so;
    o0.threads = o0.threads > threads ? o0.threads : threads; /* bitwise the same for any count */
    if (fit_here)
        rc = rating_style_fit(rows, NULL, w0, &o0, theta0, theta0 + n, NULL, err);
    else if (!style_fit_reusable(w0, rows, so))
        rc = util_err_set(err, UTIL_ERUNTIME,
                          "rating_style_bootstrap: the fit supplied is not a full-data fit of these rows and options");
    else
        memcpy(theta0, w0->theta, w0->p * sizeof(double));
    if (rc)
        return rc;
    slots_ensure(w0, style_wave(rows->n, w0->p, o0.threads)); /* w0 may have been fitted on fewer threads */
    style_ctx c0 = {rows, NULL, NULL, theta0, w0->mu, w0->isd, 4, NULL, prob0};
    style_pass(&c0, w0, o0.threads, NULL, NULL);
    return UTIL_OK;
}

int rating_style_bootstrap(const rating_rows *rows, const rating_style_opts *so, rating_style_ws *fitted,
                           const rating_boot_opts *bo, const unsigned char *shown,
                           int anchor, double anchor_score,
                           double *lo, double *hi, double *glo, double *ghi,
                           util_err *err)
{
    static const rating_style_opts defaults = {PENALTY_FASTCHAT, 0, 0, 1};
    int n = rows->n_models, F = rows->n_feat, R = bo->rounds, T = bo->threads > 1 ? bo->threads : 1, rc;
    size_t P = (size_t)n + (size_t)F;
    if (!so)
        so = &defaults;
    if (R < 1)
        return util_err_set(err, UTIL_EINPUT, "bootstrap needs at least 1 round, got %d", R);
    double *theta0 = util_malloc(P * sizeof(double)), *prob0 = util_malloc((rows->n + 1) * sizeof(double));
    double *vals = util_malloc((size_t)R * P * sizeof(double));
    int *codes = util_calloc((size_t)R, sizeof(int));
    util_err *errs = util_calloc((size_t)R, sizeof(util_err));
    rating_style_ws *own = fitted ? NULL : rating_style_ws_alloc(n, F), *w0 = fitted ? fitted : own;
    rc = style_boot_base(rows, so, T, w0, !fitted, theta0, prob0, err);
    if (rc)
        goto out;
#ifdef _OPENMP
#pragma omp parallel num_threads(T) if (T > 1)
#endif
    {
        rating_style_ws *w = rating_style_ws_alloc(n, F);
        double *wt = util_malloc((rows->n + 1) * sizeof(double));
        double *th = util_malloc(P * sizeof(double));
        gsl_rng *g = rng_alloc();
        rating_style_opts o1 = *so;
        int z_ready = 1; /* z-scoring (and arena_rank's weights) fixed from the full data */
        style_ws_copy_fixed(w, w0, rows->n);
        o1.threads = 1;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (int k = 0; k < R; k++) {
            rng_set_stream(g, bo->seed, bo->point, bo->replicate, RNG_PURPOSE_BOOTSTRAP, (uint64_t)k);
            for (size_t i = 0; i < rows->n; i++)
                wt[i] = (double)rng_poisson1(g); /* exact, one uniform, no exp */
            codes[k] = style_fit_core(rows, wt, w, &o1, 0, theta0, prob0, z_ready, th, th + n, NULL, &errs[k]);
            if (!codes[k]) {
                double *v = vals + (size_t)k * P;
                rating_scores(th, n, shown, anchor, anchor_score, v);
                memcpy(v + n, th + n, (size_t)F * sizeof(double));
            }
        }
        gsl_rng_free(g);
        free(th);
        free(wt);
        rating_style_ws_free(w);
    }
    rc = boot_report(codes, R, errs, err);
    if (!rc) {
        double *col = util_malloc((size_t)R * sizeof(double));
        percentiles(vals, R, (int)P, n, bo->level, col, lo, hi);
        if (glo && ghi && F > 0)
            percentiles(vals + n, R, (int)P, F, bo->level, col, glo, ghi);
        free(col);
    }
out:
    rating_style_ws_free(own);
    free(theta0);
    free(prob0);
    free(vals);
    free(codes);
    free(errs);
    return rc;
}
