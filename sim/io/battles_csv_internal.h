/*
 * io/battles_csv_internal.h — private to the CSV reader's two files:
 * battles_csv.c (the input read in blocks and cut into chunks, the general
 * RFC 4180 line path, which also gives every error its message, and the
 * merge of the chunks) and battles_csv_fast.c (the fast line path: lines
 * split eight bytes at a time, model names looked up by their bytes). What
 * both need: the header's column layout, where a row's values go, the
 * chunk-local name map, the number conversion without strtod.
 * Units: raw counts in, d = (a − b)/(a + b + 1) out.
 */
#ifndef ARENASIM_BATTLES_CSV_INTERNAL_H
#define ARENASIM_BATTLES_CSV_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "io/battles_internal.h"

/* Bytes allocated past every buffer's end, so that 8-byte loads at any
 * position inside it stay inside the allocation (the bytes past the end are
 * masked off). */
#define CSV_SLACK 8

/* Exact powers of ten 10^0..10^22 (all representable in a double). */
static const double battles_csv_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* For battles_csv_number (battles_internal.h) and the fast line path: a
 * text of at most 15 bytes that is digits, optionally '.' and digits (at
 * least one before the '.'), converts without strtod: its at most 15
 * significant digits make the mantissa an exact integer and 10^k is exact,
 * so one correctly rounded division gives the same double as strtod
 * (Clinger's fast path). Anything else (signs, exponents, spaces, longer
 * texts, stray characters) goes to battles_csv_strtod, so the accepted set
 * and every value stay those of strtod. Inline: the fast path calls it for
 * every count. */
static inline int battles_csv_number_fast(const char *s, const char *e, double *x)
{
    size_t n = (size_t)(e - s), i = 0, dot;
    uint64_t m = 0;
    if (n - 1 >= 15) /* empty, or longer than 15 bytes */
        return -1;
    for (unsigned d; i < n && (d = (unsigned char)s[i] - (unsigned)'0') <= 9; i++)
        m = 10 * m + d;
    if (i == n) {
        *x = (double)m;
        return 0;
    }
    if (i == 0 || s[i] != '.')
        return -1;
    for (dot = i++; i < n; i++) {
        unsigned d = (unsigned char)s[i] - (unsigned)'0';
        if (d > 9)
            return -1;
        m = 10 * m + d;
    }
    *x = n - dot - 1 ? (double)m / battles_csv_pow10[n - dot - 1] : (double)m;
    return 0;
}

/* Column positions from the header row (−1: absent). */
typedef struct {
    int ma, mb, win, ts;
    int fa[FEAT_N], fb[FEAT_N];
    int ncol;
    int known[2 * FEAT_N], n_known; /* every style-count column present (README) */
    const char *known_name[2 * FEAT_N];
    int ka[FEAT_N], kb[FEAT_N]; /* fa[k], fb[k] as positions in known[] */
} csv_cols;

/* Where the parsed values of one row go. */
typedef struct {
    const csv_cols *c;
    const int *features;
    int n_feat;
    rating_rows *rows; /* NULL: counts only (BATTLES_TABLE_ONLY) */
    double *ts;        /* NULL: no tstamp column, or counts only */
} csv_sink;

/* ---- Model names of one chunk, looked up by their bytes -----------------------
 * A name [s, s + n) is keyed by its length, its first eight bytes and its
 * last eight (loads that may run past the name but not past the buffer: see
 * CSV_SLACK); names longer than 16 bytes compare their middle too.
 * (battles_csv_fast.c) */

typedef struct {
    uint64_t w0, w1; /* first 8 bytes (zero-padded), last 8 (0 when n ≤ 8) */
    size_t n;
} name_key;

typedef struct {
    char **names;  /* NUL-terminated copies, in order of first appearance */
    name_key *key;
    int n, cap;
    int *slot;     /* index + 1, 0 = empty; nslot a power of 2 */
    size_t nslot;
} span_map;

void battles_span_map_init(span_map *m);
void battles_span_map_free(span_map *m);
/* Index of the name [s, s + k.n) (no '\0' inside) of key k, added when new. */
int battles_span_get_key(span_map *m, const char *s, name_key k);
/* The same for the name [s, s + n), its key computed here. */
int battles_span_get(span_map *m, const char *s, size_t n);

/* ---- The fast line path (battles_csv_fast.c) ---------------------------------
 * A line it does not take (quotes, NUL, a stray '\r', another field count,
 * a value of an unusual shape, anything invalid) is left to the general
 * path, which reads it and names any error. */

/* Lines with more fields than this always take the general path. */
#define CSV_FAST_COLS 64

/* The fields [fs[k], fe[k]) of the line at p (bytes up to end), eight
 * bytes at a time: 1 when it has exactly ncol fields and none of '"', '\0'
 * or a '\r' that does not end the line, and is not over the length limit
 * (*next = the next line); else 0. */
int battles_csv_fast_fields(const char *p, const char *end, int ncol, const char **fs, const char **fe,
                            const char **next);
/* One row's values from those fields when every value has a shape the fast
 * path knows and the row is valid: 1 (ts, d[n_feat], oc and the keys of the
 * two model names out); else 0. */
int battles_csv_fast_row(const char *const *fs, const char *const *fe, const csv_sink *k, double *ts,
                         double *d, int *oc, name_key *ka, name_key *kb);

#endif
