/*
 * base/metrics.h — rank-agreement measures and small statistics used to
 * summarise replicates (DESIGN §4). Pure functions, no allocation unless a
 * work array is passed.
 */
#ifndef ARENASIM_METRICS_H
#define ARENASIM_METRICS_H

#include <stddef.h>

/* Kendall τ-b of x and y (n ≥ 2; NaN otherwise). O(n²). */
double metrics_kendall_tau_b(const double *x, const double *y, int n);
/* Spearman ρ (average ranks for ties); work has ≥ 2n doubles. */
double metrics_spearman(const double *x, const double *y, int n, double *work);
/* |top-k by x ∩ top-k by y| / k; work has ≥ 2n entries. */
double metrics_topk_overlap(const double *x, const double *y, int n, int k, size_t *work);

/* Statistics of the finite entries of x (NaNs skipped); sorted is scratch
 * of n doubles. Return NaN when no finite entry. */
double metrics_mean(const double *x, size_t n, size_t stride);
double metrics_sd(const double *x, size_t n, size_t stride);
double metrics_quantile(const double *x, size_t n, size_t stride, double q, double *sorted);

/* Ratio of means ȳ/x̄ over paired finite entries, with a delta-method
 * standard error; returns the ratio, *se out. */
double metrics_ratio_of_means(const double *y, const double *x, size_t n, size_t stride,
                              double *se);

#endif
