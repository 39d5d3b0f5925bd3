/*
 * base/metrics.c — Kendall τ-b, Spearman ρ, top-k overlap and NaN-aware
 * summaries over replicates. Inputs are scores in arena points or ranks;
 * outputs are unitless except mean/sd/quantile (units of the input).
 */
#include "base/metrics.h"

#include <math.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

double metrics_kendall_tau_b(const double *x, const double *y, int n)
{
    if (n < 2)
        return NAN;
    double conc = 0, disc = 0, tx = 0, ty = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double dx = x[i] - x[j], dy = y[i] - y[j];
            if (dx == 0 && dy == 0)
                continue;
            if (dx == 0)
                tx += 1;
            else if (dy == 0)
                ty += 1;
            else if ((dx > 0) == (dy > 0))
                conc += 1;
            else
                disc += 1;
        }
    double den = sqrt((conc + disc + tx) * (conc + disc + ty));
    return den > 0 ? (conc - disc) / den : NAN;
}

double metrics_spearman(const double *x, const double *y, int n, double *work)
{
    if (n < 2)
        return NAN;
    return gsl_stats_spearman(x, 1, y, 1, (size_t)n, work);
}

double metrics_topk_overlap(const double *x, const double *y, int n, int k, size_t *work)
{
    if (k <= 0 || n < k)
        return NAN;
    size_t *ix = work, *iy = work + n;
    gsl_sort_index(ix, x, 1, (size_t)n); /* ascending: top-k are the last k */
    gsl_sort_index(iy, y, 1, (size_t)n);
    int both = 0;
    for (int i = n - k; i < n; i++)
        for (int j = n - k; j < n; j++)
            both += ix[i] == iy[j];
    return (double)both / k;
}

double metrics_mean(const double *x, size_t n, size_t stride)
{
    double s = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i * stride])) {
            s += x[i * stride];
            m++;
        }
    return m ? s / (double)m : NAN;
}

double metrics_sd(const double *x, size_t n, size_t stride)
{
    double mu = metrics_mean(x, n, stride), s = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i * stride])) {
            double d = x[i * stride] - mu;
            s += d * d;
            m++;
        }
    return m > 1 ? sqrt(s / (double)(m - 1)) : NAN;
}

double metrics_quantile(const double *x, size_t n, size_t stride, double q, double *sorted)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i * stride]))
            sorted[m++] = x[i * stride];
    if (!m)
        return NAN;
    gsl_sort(sorted, 1, m);
    return gsl_stats_quantile_from_sorted_data(sorted, 1, m, q);
}

double metrics_ratio_of_means(const double *y, const double *x, size_t n, size_t stride,
                              double *se)
{
    double sx = 0, sy = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i * stride]) && isfinite(y[i * stride])) {
            sx += x[i * stride];
            sy += y[i * stride];
            m++;
        }
    *se = NAN;
    if (m < 2 || sx == 0)
        return NAN;
    double mx = sx / (double)m, my = sy / (double)m, R = my / mx;
    double vx = 0, vy = 0, cxy = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i * stride]) && isfinite(y[i * stride])) {
            double dx = x[i * stride] - mx, dy = y[i * stride] - my;
            vx += dx * dx;
            vy += dy * dy;
            cxy += dx * dy;
        }
    double k = 1.0 / ((double)m * (double)(m - 1));
    double var = k * (vy - 2 * R * cxy + R * R * vx) / (mx * mx);
    *se = var > 0 ? sqrt(var) : 0;
    return R;
}
