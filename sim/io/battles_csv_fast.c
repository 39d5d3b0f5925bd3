/*
 * io/battles_csv_fast.c — the CSV reader's fast line path: a plain line (no
 * quotes, NUL or stray '\r') is split eight bytes at a time, its counts and
 * timestamp of the usual shapes converted without strtod, and its model
 * names looked up in the chunk's name map by their bytes. Every other line,
 * and every error, goes through the general path of battles_csv.c, so the
 * values and messages are the same either way (README "Fitting real battle
 * logs").
 * Units: raw counts in, d = (a − b)/(a + b + 1) out; byte offsets.
 */
#include "io/battles_csv_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- Model names of one chunk, looked up by their bytes -----------------------
 * (keys and map: battles_csv_internal.h) */

static inline uint64_t load8(const char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
}

/* The first min(n, 8) bytes of the word at s, the rest zero. */
static inline uint64_t load_first(const char *s, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return n >= 8 ? load8(s) : load8(s) & ((1ULL << (8 * n)) - 1);
#else
    uint64_t w = 0;
    memcpy(&w, s, n < 8 ? n : 8);
    return w;
#endif
}

static inline name_key name_key_of(const char *s, size_t n)
{
    name_key k = {load_first(s, n), n > 8 ? load8(s + n - 8) : 0, n};
    return k;
}

static inline uint32_t name_hash(name_key k)
{
    uint64_t h = (k.w0 ^ (uint64_t)k.n) * 0x9E3779B97F4A7C15ULL ^ k.w1 * 0xC2B2AE3D27D4EB4FULL;
    return (uint32_t)((h ^ (h >> 29)) >> 16);
}

void battles_span_map_init(span_map *m)
{
    memset(m, 0, sizeof *m);
    m->cap = 16;
    m->names = util_malloc((size_t)m->cap * sizeof *m->names);
    m->key = util_malloc((size_t)m->cap * sizeof *m->key);
    m->nslot = 64;
    m->slot = util_calloc(m->nslot, sizeof *m->slot);
}

void battles_span_map_free(span_map *m)
{
    for (int i = 0; i < m->n; i++)
        free(m->names[i]);
    free(m->names);
    free(m->key);
    free(m->slot);
}

static inline int key_eq(name_key a, name_key b, const char *sa, const char *sb)
{
    return a.w0 == b.w0 && a.w1 == b.w1 && a.n == b.n && (a.n <= 16 || !memcmp(sa + 8, sb + 8, a.n - 16));
}

static inline size_t span_pos(const span_map *m, const char *s, name_key k)
{
    size_t j = name_hash(k) & (m->nslot - 1);
    for (int i; (i = m->slot[j] - 1) >= 0; j = (j + 1) & (m->nslot - 1)) {
        if (key_eq(m->key[i], k, m->names[i], s))
            break;
    }
    return j;
}

/* Index of the name [s, s + k.n) (no '\0' inside) of key k, added when new. */
int battles_span_get_key(span_map *m, const char *s, name_key k)
{
    size_t n = k.n, j = span_pos(m, s, k);
    if (m->slot[j])
        return m->slot[j] - 1;
    if (m->n == m->cap) {
        m->cap *= 2;
        m->names = util_realloc(m->names, (size_t)m->cap * sizeof *m->names);
        m->key = util_realloc(m->key, (size_t)m->cap * sizeof *m->key);
    }
    char *c = util_malloc(n + CSV_SLACK);
    memcpy(c, s, n);
    memset(c + n, 0, CSV_SLACK);
    m->names[m->n] = c;
    m->key[m->n] = k;
    m->slot[j] = ++m->n;
    if ((size_t)m->n * 2 > m->nslot) {
        free(m->slot);
        m->nslot *= 2;
        m->slot = util_calloc(m->nslot, sizeof *m->slot);
        for (int i = 0; i < m->n; i++)
            m->slot[span_pos(m, m->names[i], m->key[i])] = i + 1;
    }
    return m->n - 1;
}

int battles_span_get(span_map *m, const char *s, size_t n)
{
    return battles_span_get_key(m, s, name_key_of(s, n));
}

/* ---- The fast line path ------------------------------------------------------ */

/* Bytes the fast line scanner treats specially. */
static const unsigned char csv_class[256] = {[','] = 1, ['\n'] = 2, ['"'] = 3, ['\0'] = 3, ['\r'] = 3};

/* Fields [fs[k], fe[k]) of a line with exactly ncol fields, no quotes, no
 * '\0' and no '\r' but a run of them ending the line, not over the length
 * limit: 1 (*next = the next line); anything else 0 (the caller hands the
 * line to csv_split, which also gives every error its message). */
static int fast_fields_bytes(const char *p, const char *end, int ncol, const char **fs, const char **fe,
                             const char **next)
{
    const char *line = p;
    int n = 0;
    fs[0] = p;
    for (; p < end; p++) {
        unsigned c = csv_class[(unsigned char)*p];
        if (c == 0)
            continue;
        if (c == 1) {
            fe[n] = p;
            if (++n == ncol)
                return 0;
            fs[n] = p + 1;
            continue;
        }
        if (c == 2)
            break;
        if (*p != '\r')
            return 0;
        const char *q = p; /* '\r's: only as the end of the line */
        while (q < end && *q == '\r')
            q++;
        if (q < end && *q != '\n')
            return 0;
        fe[n] = p;
        p = q;
        goto done;
    }
    fe[n] = p;
done:
    if (n + 1 != ncol)
        return 0;
    *next = p < end ? p + 1 : end;
    return (size_t)(*next - line) <= BATTLES_MAX_FIELD;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The top bit of every byte of x that equals c (exact: no carries between
 * bytes). */
static inline uint64_t bytes_eq(uint64_t x, unsigned char c)
{
    const uint64_t lo7 = 0x7F7F7F7F7F7F7F7FULL;
    x ^= 0x0101010101010101ULL * c;
    return ~(((x & lo7) + lo7) | x | lo7);
}

/* The top bit of every byte of x below c (c ≤ 0x80; exact: b | 0x80 ≥ c, so
 * no byte borrows from the next). */
static inline uint64_t bytes_below(uint64_t x, unsigned char c)
{
    const uint64_t hi = 0x8080808080808080ULL;
    return ~((x | hi) - 0x0101010101010101ULL * c) & ~x & hi;
}

/* fast_fields_bytes eight bytes at a time: the commas of a word found at
 * once, with no branch per byte; a line with a special byte ('"', '\0',
 * '\r') goes to fast_fields_bytes. */
static int fast_fields(const char *p, const char *end, int ncol, const char **fs, const char **fe,
                       const char **next)
{
    const char *line = p;
    int n = 0;
    fs[0] = p;
    for (const char *w = p;; w += 8) {
        uint64_t x = load8(w); /* may read into the slack past end: masked */
        size_t left = (size_t)(end - w);
        uint64_t valid = left >= 8 ? ~0ULL : (1ULL << (8 * left)) - 1;
        uint64_t nl = bytes_eq(x, '\n') & valid;
        uint64_t upto = nl ? (nl & (0 - nl)) - 1 : valid; /* bytes before the line end */
        uint64_t cm = bytes_eq(x, ',') & upto;
        if (bytes_below(x, ',') & upto) /* a byte below ',' (0x2C), as '"', '\0' or '\r' are */
            if ((bytes_eq(x, '"') | bytes_eq(x, '\0') | bytes_eq(x, '\r')) & upto)
                return fast_fields_bytes(line, end, ncol, fs, fe, next);
        for (; cm; cm &= cm - 1) {
            const char *c = w + (__builtin_ctzll(cm) >> 3);
            fe[n] = c;
            if (++n == ncol)
                return 0;
            fs[n] = c + 1;
        }
        if (nl || left <= 8) {
            const char *le = nl ? w + (__builtin_ctzll(nl) >> 3) : end;
            fe[n] = le;
            *next = le < end ? le + 1 : end;
            break;
        }
    }
    return n + 1 == ncol && (size_t)(*next - line) <= BATTLES_MAX_FIELD;
}
#else
#define fast_fields fast_fields_bytes
#endif

/* battles_csv_internal.h: the splitter above, for battles_csv.c's chunk loop. */
int battles_csv_fast_fields(const char *p, const char *end, int ncol, const char **fs, const char **fe,
                            const char **next)
{
    return fast_fields(p, end, ncol, fs, fe, next);
}

static int span_winner(const char *s, const char *e)
{
    size_t n = (size_t)(e - s);
    if (n == 7 && !memcmp(s, "model_", 6))
        return s[6] == 'a' ? RATING_A_WINS : s[6] == 'b' ? RATING_B_WINS : -1;
    if (n == 3 && !memcmp(s, "tie", 3))
        return RATING_TIE;
    if (n == 13 && !memcmp(s, "tie (bothbad)", 13))
        return RATING_BOTHBAD;
    return -1;
}

/* One row from the fields of fast_fields, when every value is in the shapes
 * the fast path knows and the row is valid: 1, with its values out; else 0
 * (the slow path then reads the line and names any error). */
int battles_csv_fast_row(const char *const *fs, const char *const *fe, const csv_sink *k, double *ts,
                         double *d, int *oc, name_key *ka, name_key *kb)
{
    const csv_cols *c = k->c;
    double v[2 * FEAT_N];
    for (int j = 0; j < c->n_known; j++)
        if (battles_csv_number_fast(fs[c->known[j]], fe[c->known[j]], &v[j]))
            return 0;
    for (int f = 0; f < k->n_feat; f++)
        d[f] = battles_feature_d(v[c->ka[f]], v[c->kb[f]]);
    *ts = NAN;
    if (c->ts >= 0 && battles_csv_number_fast(fs[c->ts], fe[c->ts], ts))
        return 0;
    *ka = name_key_of(fs[c->ma], (size_t)(fe[c->ma] - fs[c->ma]));
    *kb = name_key_of(fs[c->mb], (size_t)(fe[c->mb] - fs[c->mb]));
    if (!ka->n || !kb->n || key_eq(*ka, *kb, fs[c->ma], fs[c->mb]))
        return 0;
    return (*oc = span_winner(fs[c->win], fe[c->win])) >= 0;
}
