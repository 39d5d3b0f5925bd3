/*
 * io/battles_csv.c — the CSV battle schema of DESIGN §5: one battle per line,
 * RFC 4180 quoting, a header row naming the columns (model_a, model_b,
 * winner, optional tstamp and the arena's style-count columns).
 * Units: raw counts in, d = (a − b)/(a + b + 1) out.
 */
#define _DEFAULT_SOURCE /* pread */
#include "io/battles_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>
#include <sys/stat.h>
#include <unistd.h>

/* At most this many chunks (threads) parse one file. */
#define CSV_MAX_CHUNKS 64

/* ---- CSV -------------------------------------------------------------------- */

/* Per-thread scratch of the line splitter: field texts, NUL-terminated. */
typedef struct {
    char *buf;
    size_t cap;
    size_t *off;
    int ocap;
    char **f;
} csv_scratch;

static void scratch_field(csv_scratch *s, int n, size_t w)
{
    if (n >= s->ocap) {
        s->ocap *= 2;
        s->off = util_realloc(s->off, (size_t)s->ocap * sizeof(size_t));
        s->f = util_realloc(s->f, (size_t)s->ocap * sizeof(char *));
    }
    s->off[n] = w;
}

/* Bytes allocated past every buffer's end, so that 8-byte loads at any
 * position inside it stay inside the allocation (the bytes past the end are
 * masked off). */
#define CSV_SLACK 8

static void scratch_init(csv_scratch *s)
{
    s->cap = 256;
    s->buf = util_calloc(1, s->cap + CSV_SLACK);
    s->ocap = 32;
    s->off = util_malloc((size_t)s->ocap * sizeof(size_t));
    s->f = util_malloc((size_t)s->ocap * sizeof(char *));
}

static void scratch_free(csv_scratch *s)
{
    free(s->buf);
    free(s->off);
    free(s->f);
}

static void scratch_room(csv_scratch *s, size_t need)
{
    while (need >= s->cap)
        s->cap *= 2;
    s->buf = util_realloc(s->buf, s->cap + CSV_SLACK);
}

/* The line splitter (RFC 4180 quoting) in one pass over the read-only bytes
 * [p, end), copying field texts into s (s->f[i] after the call, each
 * NUL-terminated): a line runs to the next '\n' (or end), trailing '\r's are
 * dropped, a field that starts with '"' is quoted ("" inside stands for ").
 * Returns the field count; −1 for an unterminated quoted field or text after
 * a closing quote; −2 for a line (with its '\n') longer than
 * BATTLES_MAX_FIELD; 0 for a blank line (spaces, tabs, '\r' only).
 * *next = the start of the next line. One byte loop instead of
 * memchr/strchr/memcpy per field: lines are short, calls dominate. */
static int csv_split_fast(const char *p, const char *end, csv_scratch *s, const char **next)
{
    size_t w = 0;
    int n = 0, rc = 0, blank = 1;
    scratch_field(s, n++, 0);
    const char *start = p;
    while (p < end && *p != '\n') {
        if (w + 2 >= s->cap) {
            if (w > BATTLES_MAX_FIELD) { /* bound the copy; the line is too long */
                rc = -2;
                goto out;
            }
            scratch_room(s, w + 2);
        }
        if (*p == '"' && w == s->off[n - 1]) { /* a quoted field */
            blank = 0;
            for (p++;; p++) {
                if (p >= end || *p == '\n') {
                    rc = -1;
                    goto out;
                }
                if (w + 2 >= s->cap)
                    scratch_room(s, w + 2);
                if (*p == '"' && p + 1 < end && p[1] == '"')
                    s->buf[w++] = '"', p++;
                else if (*p == '"')
                    break;
                else
                    s->buf[w++] = *p;
            }
            p++; /* the closing quote */
            const char *q = p;
            while (q < end && *q == '\r')
                q++;
            if (q >= end || *q == '\n') {
                p = q;
                break;
            }
            if (*p != ',') {
                rc = -1;
                goto out;
            }
        }
        char c = *p++;
        if (c == ',') {
            s->buf[w++] = '\0';
            scratch_field(s, n++, w);
            blank = 0;
        } else {
            s->buf[w++] = c;
            blank &= c == ' ' || c == '\t' || c == '\r';
        }
    }
    while (w > s->off[n - 1] && s->buf[w - 1] == '\r') /* trailing '\r's of the line */
        w--;
    s->buf[w] = '\0';
    rc = n == 1 && blank ? 0 : n;
    for (int i = 0; i < n; i++)
        s->f[i] = s->buf + s->off[i];
out:
    while (p < end && *p != '\n')
        p++;
    *next = p < end ? p + 1 : end;
    return (size_t)(*next - start) > BATTLES_MAX_FIELD ? -2 : rc;
}

int battles_csv_strtod(const char *s, double *x)
{
    char *end;
    while (*s == ' ')
        s++;
    if (!*s)
        return -1;
    errno = 0;
    *x = strtod(s, &end);
    while (*end == ' ')
        end++;
    return (*end || errno == ERANGE || !isfinite(*x)) ? -1 : 0;
}

/* Exact powers of ten 10^0..10^22 (all representable in a double). */
static const double csv_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* battles_csv_number (battles_internal.h): a text of at most 15 bytes that
 * is digits, optionally '.' and digits (at least one before the '.'),
 * converts without strtod: its at most 15 significant digits make the
 * mantissa an exact integer and 10^k is exact, so one correctly rounded
 * division gives the same double as strtod (Clinger's fast path). Anything
 * else (signs, exponents, spaces, longer texts, stray characters) goes to
 * battles_csv_strtod, so the accepted set and every value stay those of
 * strtod. */
static inline int number_fast(const char *s, const char *e, double *x)
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
    *x = n - dot - 1 ? (double)m / csv_pow10[n - dot - 1] : (double)m;
    return 0;
}

static inline uint64_t load8(const char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
}

int battles_csv_number(const char *s, const char *e, double *x)
{
    if (!number_fast(s, e, x))
        return 0;
    char tmp[64], *t = (size_t)(e - s) < sizeof tmp ? tmp : util_malloc((size_t)(e - s) + 1);
    memcpy(t, s, (size_t)(e - s));
    t[e - s] = '\0';
    int rc = battles_csv_strtod(t, x);
    if (t != tmp)
        free(t);
    return rc;
}

/* A NUL-terminated field (the line splitter's copies). */
static int parse_number(const char *s, double *x)
{
    return number_fast(s, s + strlen(s), x) ? battles_csv_strtod(s, x) : 0;
}

typedef struct {
    int ma, mb, win, ts;
    int fa[FEAT_N], fb[FEAT_N];
    int ncol;
    int known[2 * FEAT_N], n_known; /* every style-count column present (README) */
    const char *known_name[2 * FEAT_N];
    int ka[FEAT_N], kb[FEAT_N]; /* fa[k], fb[k] as positions in known[] */
} csv_cols;

static int csv_find(char **f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(f[i], name))
            return i;
    return -1;
}

static int csv_header(char **f, int n, const int *features, int n_feat, csv_cols *c, util_err *err)
{
    c->ncol = n;
    c->ma = csv_find(f, n, "model_a");
    c->mb = csv_find(f, n, "model_b");
    c->win = csv_find(f, n, "winner");
    c->ts = csv_find(f, n, "tstamp");
    if (c->ma < 0 || c->mb < 0 || c->win < 0)
        return util_err_set(err, UTIL_EINPUT, "header lacks column '%s' (need model_a,model_b,winner)",
                            c->ma < 0 ? "model_a" : c->mb < 0 ? "model_b" : "winner");
    c->n_known = 0;
    for (int ft = 0; ft < FEAT_N; ft++)
        for (int side = 0; side < 2; side++) {
            int col = csv_find(f, n, battles_feature_columns[ft][side]);
            if (col >= 0) {
                c->known_name[c->n_known] = battles_feature_columns[ft][side];
                c->known[c->n_known++] = col;
            }
        }
    for (int k = 0; k < n_feat; k++) {
        int ft = features[k];
        c->fa[k] = csv_find(f, n, battles_feature_columns[ft][0]);
        c->fb[k] = csv_find(f, n, battles_feature_columns[ft][1]);
        if (c->fa[k] < 0 || c->fb[k] < 0)
            return util_err_set(err, UTIL_EINPUT, "style feature '%s' needs column '%s' (not in the header)",
                                battles_feature_names[ft],
                                battles_feature_columns[ft][c->fa[k] < 0 ? 0 : 1]);
        for (int j = 0; j < c->n_known; j++) {
            c->ka[k] = c->known[j] == c->fa[k] ? j : c->ka[k];
            c->kb[k] = c->known[j] == c->fb[k] ? j : c->kb[k];
        }
    }
    return UTIL_OK;
}

/* One body row's values, checked in the order and with the messages of
 * battles_reader_add (field count, tstamp, counts, names, winner). */
static int csv_row(char **f, int n, const csv_cols *c, const int *features, int n_feat, double *ts,
                   double *d, int *oc, util_err *err)
{
    *ts = NAN;
    if (n != c->ncol)
        return util_err_set(err, UTIL_EINPUT, "expected %d fields, found %d", c->ncol, n);
    if (c->ts >= 0 && parse_number(f[c->ts], ts))
        return util_err_set(err, UTIL_EINPUT, "column tstamp: '%s' is not a number", f[c->ts]);
    for (int k = 0; k < n_feat; k++) {
        double a, b;
        const char *bad = parse_number(f[c->fa[k]], &a) || a < 0 ? battles_feature_columns[features[k]][0]
                          : parse_number(f[c->fb[k]], &b) || b < 0 ? battles_feature_columns[features[k]][1]
                                                                 : NULL;
        if (bad)
            return util_err_set(err, UTIL_EINPUT, "column %s: expected a count ≥ 0", bad);
        d[k] = battles_feature_d(a, b);
    }
    /* Style columns the fit does not use are checked all the same, so that a
     * file is valid or not whatever the options (README "Fitting real battle
     * logs"). */
    for (int k = 0; k < c->n_known; k++) {
        double x;
        if (parse_number(f[c->known[k]], &x) || x < 0)
            return util_err_set(err, UTIL_EINPUT, "column %s: expected a count ≥ 0, got '%s'",
                                c->known_name[k], f[c->known[k]]);
    }
    const char *ma = f[c->ma], *mb = f[c->mb];
    *oc = battles_parse_winner(f[c->win]);
    if (!*ma || !*mb)
        return util_err_set(err, UTIL_EINPUT, "empty model name");
    if (!strcmp(ma, mb))
        return util_err_set(err, UTIL_EINPUT, "model '%s' battles itself", ma);
    if (*oc < 0)
        return util_err_set(err, UTIL_EINPUT,
                            "unknown winner '%s' (expected model_a, model_b, tie or tie (bothbad))",
                            f[c->win]);
    return UTIL_OK;
}

/* The message of a csv_split_fast failure (n < 0). */
static int split_error(int n, util_err *err)
{
    if (n == -2)
        return util_err_set(err, UTIL_EINPUT, "line longer than %u MiB (the limit)", BATTLES_MAX_FIELD >> 20);
    return util_err_set(err, UTIL_EINPUT, "unterminated quoted field");
}

/* ---- Reading the file in blocks of whole lines -------------------------------
 * A regular file is read with pread in blocks of CSV_BLOCK bytes into a small
 * buffer per thread (reused, so it stays in cache and its pages are touched
 * once): on virtual machines each first touch of a page is costly, and a
 * mapping of the whole file touches ~9,000 pages of 36 MB, a copy through a
 * 64 KiB buffer 16. Other inputs (pipes) are read into memory first. */

#define CSV_BLOCK (64u << 10)

typedef struct {
    int fd;             /* pread from fd, or −1: the bytes are in memory */
    uint64_t pos, stop; /* file bytes still to read: [pos, stop) */
    char *buf;          /* buffered bytes buf[beg, end) (memory input: the data) */
    size_t cap, beg, end;
    int err;            /* a read failed */
} line_src;

/* The bytes [lo, hi) of the input: of fd (≥ 0), or of mem. */
static void src_open(line_src *s, int fd, const char *mem, uint64_t lo, uint64_t hi)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    if (fd < 0) {
        s->buf = (char *)(uintptr_t)(mem + lo); /* never written: no reads */
        s->end = s->cap = (size_t)(hi - lo);
        s->pos = s->stop = hi;
        return;
    }
    s->pos = lo;
    s->stop = hi;
    s->cap = CSV_BLOCK;
    s->buf = util_malloc(s->cap + CSV_SLACK);
}

static void src_close(line_src *s)
{
    if (s->fd >= 0)
        free(s->buf);
}

/* File offset of the byte at q (inside the buffer). */
static uint64_t src_offset(const line_src *s, const char *q)
{
    return s->pos - (uint64_t)(s->buf + s->end - q);
}

/* The next block of whole lines [*p, *e): up to the last '\n' read so far;
 * at the end of the input, what is left; a line longer than the limit is cut
 * after BATTLES_MAX_FIELD + 2 bytes (enough for the splitter to refuse it).
 * 0 when nothing is left. */
static int src_block(line_src *s, const char **p, const char **e)
{
    for (;;) {
        const char *b = s->buf + s->beg, *q = s->buf + s->end;
        size_t have = s->end - s->beg;
        int eof = s->pos >= s->stop;
        while (q > b && q[-1] != '\n')
            q--;
        if (q > b || (eof && have > 0) || have > (size_t)BATTLES_MAX_FIELD + 1) {
            if (q == b)
                q = s->buf + s->end;
            *p = b;
            *e = q;
            s->beg = (size_t)(q - s->buf);
            return 1;
        }
        if (eof)
            return 0;
        if (s->beg > 0) { /* keep the partial line, at the front */
            memmove(s->buf, b, have);
            s->beg = 0;
            s->end = have;
        }
        if (s->end == s->cap)
            s->buf = util_realloc(s->buf, (s->cap *= 2) + CSV_SLACK);
        size_t want = s->cap - s->end;
        if (want > s->stop - s->pos)
            want = (size_t)(s->stop - s->pos);
        ssize_t r = pread(s->fd, s->buf + s->end, want, (off_t)s->pos);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) { /* an error, or the file got shorter: the input ends here */
            s->err |= r < 0;
            s->stop = s->pos;
            continue;
        }
        s->pos += (uint64_t)r;
        s->end += (size_t)r;
        memset(s->buf + s->end, 0, CSV_SLACK);
    }
}

/* Line ends in [p, e), eight bytes at a time: for x = word ^ "\n\n..." the
 * expression below sets the top bit of exactly the zero bytes of x; shifted
 * to the low bits and multiplied by 0x0101..., their sum lands in the top
 * byte (no popcount instruction needed). */
static size_t count_nl(const char *p, const char *e)
{
    const uint64_t lo7 = 0x7F7F7F7F7F7F7F7FULL, nl8 = 0x0A0A0A0A0A0A0A0AULL, ones = 0x0101010101010101ULL;
    size_t n = 0;
    for (; e - p >= 8; p += 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        x ^= nl8;
        n += (size_t)(((~(((x & lo7) + lo7) | x | lo7) >> 7) * ones) >> 56);
    }
    for (; p < e; p++)
        n += *p == '\n';
    return n;
}

/* ---- Model names of one chunk, looked up by their bytes -----------------------
 * A name [s, s + n) is keyed by its length, its first eight bytes and its
 * last eight (loads that may run past the name but not past the buffer: see
 * CSV_SLACK); names longer than 16 bytes compare their middle too. */

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

typedef struct {
    uint64_t w0, w1; /* first 8 bytes (zero-padded), last 8 (0 when n ≤ 8) */
    size_t n;
} name_key;

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

typedef struct {
    char **names;  /* NUL-terminated copies, in order of first appearance */
    name_key *key;
    int n, cap;
    int *slot;     /* index + 1, 0 = empty; nslot a power of 2 */
    size_t nslot;
} span_map;

static void span_map_init(span_map *m)
{
    memset(m, 0, sizeof *m);
    m->cap = 16;
    m->names = util_malloc((size_t)m->cap * sizeof *m->names);
    m->key = util_malloc((size_t)m->cap * sizeof *m->key);
    m->nslot = 64;
    m->slot = util_calloc(m->nslot, sizeof *m->slot);
}

static void span_map_free(span_map *m)
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
static int span_get_key(span_map *m, const char *s, name_key k)
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

static int span_get(span_map *m, const char *s, size_t n)
{
    return span_get_key(m, s, name_key_of(s, n));
}

/* ---- Win/tie counts of one chunk, per pair of its models -----------------------
 * Keyed by the unordered pair (outcome seen from the lower index, as
 * rating_table_add does). Counts are whole numbers, so adding them into the
 * table in any order gives the table a battle-by-battle pass would (doubles
 * are exact below 2^53). A 32-bit count could only wrap in a chunk of more
 * than 2^32 rows, and a chunk with more than BATTLES_MAX_MODELS models
 * stops counting (off): either makes the file one that is re-read
 * sequentially (battle or model limit), so its counts are never used. This
 * bounds the map to the pairs of 4,096 models (≈ 8.4 M pairs, 20 bytes each
 * at half load: ≈ 0.34 GB per thread at worst; real logs: a few hundred KB). */

typedef struct {
    uint32_t key;  /* lo << 16 | hi (lo < hi, local indices < 2^16); 0 = empty */
    uint32_t c[4]; /* battles per RATING_* outcome, seen from lo */
} pair_cell;

typedef struct {
    pair_cell *cell;
    size_t n, nslot;
    int off;       /* stopped counting: more than BATTLES_MAX_MODELS models */
} pair_map;

static void pair_init(pair_map *m)
{
    m->n = 0;
    m->off = 0;
    m->nslot = 1024;
    m->cell = util_calloc(m->nslot, sizeof *m->cell);
}

static pair_cell *pair_slot(pair_cell *cell, size_t nslot, uint32_t key)
{
    size_t k = (size_t)(((uint64_t)key * 0x9E3779B97F4A7C15ULL) >> 32) & (nslot - 1);
    while (cell[k].key && cell[k].key != key)
        k = (k + 1) & (nslot - 1);
    return &cell[k];
}

static void pair_add(pair_map *m, int a, int b, int oc)
{
    if (a > BATTLES_MAX_MODELS || b > BATTLES_MAX_MODELS || m->off) {
        m->off = 1;
        return;
    }
    if (a > b) {
        int t = a;
        a = b;
        b = t;
        oc = oc == RATING_A_WINS ? RATING_B_WINS : oc == RATING_B_WINS ? RATING_A_WINS : oc;
    }
    uint32_t key = (uint32_t)a << 16 | (uint32_t)b;
    pair_cell *c = pair_slot(m->cell, m->nslot, key);
    if (!c->key) {
        c->key = key;
        if (++m->n * 2 > m->nslot) {
            pair_cell *old = m->cell;
            size_t on = m->nslot;
            m->nslot *= 2;
            m->cell = util_calloc(m->nslot, sizeof *m->cell);
            for (size_t k = 0; k < on; k++)
                if (old[k].key)
                    *pair_slot(m->cell, m->nslot, old[k].key) = old[k];
            free(old);
            c = pair_slot(m->cell, m->nslot, key);
        }
    }
    c->c[oc]++;
}

/* ---- Chunks parsed in parallel ------------------------------------------------
 * The body is cut at line ends into one chunk per thread. A quick count of
 * line ends gives each chunk its first line number and an upper bound of its
 * rows, so all rows go straight into one allocation of the final size (no
 * growth, no copy). Each chunk parses its rows with a model map and pair
 * counts of its own; the maps are then merged in chunk order, which gives
 * every model the index of its first appearance in the file (as one
 * sequential pass would), the rows are renumbered in place and the counts
 * added into the table. The first error in file order wins; its line number
 * is the chunk's first line plus the lines before it in the chunk. */

typedef struct {
    uint64_t beg, end; /* [beg, end): whole lines (offsets in the input) */
    size_t lines;      /* line ends in [beg, end), + 1 for an unterminated last line */
    size_t off;        /* first row of the chunk in the output */
    size_t nrows;      /* rows parsed (blank lines leave none) */
    long at;           /* lines read (all when no error) */
    span_map map;      /* chunk-local model names */
    pair_map pairs;    /* chunk-local win/tie counts */
    int ts_ok, rc, ioerr;
    util_err err;      /* error at line `at` of the chunk */
} csv_chunk;

/* The input: a regular file read with pread, else all of it in memory. */
typedef struct {
    int fd;          /* ≥ 0: pread; −1: mem */
    const char *mem;
    uint64_t len;
} csv_input;

static void chunk_count(csv_chunk *ch, const csv_input *in)
{
    line_src s;
    const char *p, *e;
    size_t n = 0;
    char last = '\n';
    src_open(&s, in->fd, in->mem, ch->beg, ch->end);
    while (src_block(&s, &p, &e)) {
        n += count_nl(p, e);
        last = e[-1];
    }
    ch->ioerr |= s.err;
    ch->lines = n + (last != '\n');
    src_close(&s);
}

/* Where the parsed values of one row go. */
typedef struct {
    const csv_cols *c;
    const int *features;
    int n_feat;
    rating_rows *rows; /* NULL: counts only (BATTLES_TABLE_ONLY) */
    double *ts;        /* NULL: no tstamp column, or counts only */
} csv_sink;

/* Bytes the fast line scanner treats specially. */
static const unsigned char csv_class[256] = {[','] = 1, ['\n'] = 2, ['"'] = 3, ['\0'] = 3, ['\r'] = 3};
#define CSV_FAST_COLS 64

/* Fields [fs[k], fe[k]) of a line with exactly ncol fields, no quotes, no
 * '\0' and no '\r' but a run of them ending the line, not over the length
 * limit: 1 (*next = the next line); anything else 0 (the caller hands the
 * line to csv_split_fast, which also gives every error its message). */
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
static int fast_row(const char *const *fs, const char *const *fe, const csv_sink *k, double *ts,
                    double *d, int *oc, name_key *ka, name_key *kb)
{
    const csv_cols *c = k->c;
    double v[2 * FEAT_N];
    for (int j = 0; j < c->n_known; j++)
        if (number_fast(fs[c->known[j]], fe[c->known[j]], &v[j]))
            return 0;
    for (int f = 0; f < k->n_feat; f++)
        d[f] = battles_feature_d(v[c->ka[f]], v[c->kb[f]]);
    *ts = NAN;
    if (c->ts >= 0 && number_fast(fs[c->ts], fe[c->ts], ts))
        return 0;
    *ka = name_key_of(fs[c->ma], (size_t)(fe[c->ma] - fs[c->ma]));
    *kb = name_key_of(fs[c->mb], (size_t)(fe[c->mb] - fs[c->mb]));
    if (!ka->n || !kb->n || key_eq(*ka, *kb, fs[c->ma], fs[c->mb]))
        return 0;
    return (*oc = span_winner(fs[c->win], fe[c->win])) >= 0;
}

/* Store row i (model indices local to the chunk). */
static void chunk_store(csv_chunk *ch, const csv_sink *k, size_t i, int a, int b, int oc, double ts,
                        const double *d)
{
    pair_add(&ch->pairs, a, b, oc);
    if (k->rows) {
        size_t F = (size_t)(k->n_feat > 0 ? k->n_feat : 1);
        k->rows->a[i] = a;
        k->rows->b[i] = b;
        k->rows->outcome[i] = (uint8_t)oc;
        for (int f = 0; f < k->n_feat; f++) /* not memcpy: a call per row for 32 bytes */
            k->rows->d[i * F + (size_t)f] = d[f];
        if (k->ts)
            k->ts[i] = ts;
    }
    ch->ts_ok &= isfinite(ts) != 0;
}

static void chunk_parse(csv_chunk *ch, const csv_input *in, const csv_sink *k)
{
    const csv_cols *c = k->c;
    const char *fs[CSV_FAST_COLS], *fe[CSV_FAST_COLS], *p, *e;
    csv_scratch sc;
    line_src src;
    size_t i = ch->off, lim = ch->off + ch->lines;
    double d[FEAT_N] = {0}, ts;
    int fast = c->ncol <= CSV_FAST_COLS;
    scratch_init(&sc);
    span_map_init(&ch->map);
    pair_init(&ch->pairs);
    ch->ts_ok = 1;
    ch->rc = UTIL_OK;
    ch->at = 0;
    src_open(&src, in->fd, in->mem, ch->beg, ch->end);
    while (!ch->rc && src_block(&src, &p, &e))
        for (const char *line = p, *next; line < e; line = next) {
            int oc = 0;
            ch->at++;
            if (i == lim) { /* more lines than counted: the file changed under us */
                ch->ioerr = 1;
                ch->rc = UTIL_ERUNTIME;
                break;
            }
            name_key ka, kb;
            if (fast && fast_fields(line, e, c->ncol, fs, fe, &next) &&
                fast_row(fs, fe, k, &ts, d, &oc, &ka, &kb)) {
                int a = span_get_key(&ch->map, fs[c->ma], ka);
                int b = span_get_key(&ch->map, fs[c->mb], kb);
                chunk_store(ch, k, i++, a, b, oc, ts, d);
                continue;
            }
            int n = csv_split_fast(line, e, &sc, &next);
            if (n == 0)
                continue;
            ch->rc = n < 0 ? split_error(n, &ch->err)
                           : csv_row(sc.f, n, c, k->features, k->n_feat, &ts, d, &oc, &ch->err);
            if (ch->rc)
                break;
            int a = span_get(&ch->map, sc.f[c->ma], strlen(sc.f[c->ma]));
            int b = span_get(&ch->map, sc.f[c->mb], strlen(sc.f[c->mb]));
            chunk_store(ch, k, i++, a, b, oc, ts, d);
        }
    ch->ioerr |= src.err;
    ch->nrows = i - ch->off;
    src_close(&src);
    scratch_free(&sc);
}

static void chunk_free(csv_chunk *ch)
{
    span_map_free(&ch->map);
    free(ch->pairs.cell);
}

static int input_open(FILE *fp, csv_input *in)
{
    struct stat st;
    memset(in, 0, sizeof *in);
    in->fd = -1;
    if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode)) {
        in->fd = fileno(fp);
        in->len = (uint64_t)st.st_size;
        return 0;
    }
    size_t cap = 1 << 16, n = 0, got;
    char *buf = util_malloc(cap + CSV_SLACK);
    while ((got = fread(buf + n, 1, cap - n, fp)) > 0)
        if ((n += got) == cap)
            buf = util_realloc(buf, (cap *= 2) + CSV_SLACK);
    memset(buf + n, 0, CSV_SLACK);
    in->mem = buf;
    in->len = n;
    return ferror(fp) ? -1 : 0;
}

static void input_close(csv_input *in)
{
    if (in->fd < 0)
        free((char *)(uintptr_t)in->mem);
}

/* Offset just past the first '\n' at or after `from` (< end), or end. */
static uint64_t next_line(const csv_input *in, uint64_t from, uint64_t end)
{
    if (in->fd < 0) {
        const char *nl = memchr(in->mem + from, '\n', (size_t)(end - from));
        return nl ? (uint64_t)(nl - in->mem) + 1 : end;
    }
    char buf[4096];
    while (from < end) {
        size_t want = end - from < sizeof buf ? (size_t)(end - from) : sizeof buf;
        ssize_t r = pread(in->fd, buf, want, (off_t)from);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return end;
        const char *nl = memchr(buf, '\n', (size_t)r);
        if (nl)
            return from + (uint64_t)(nl - buf) + 1;
        from += (uint64_t)r;
    }
    return end;
}

/* Cut [beg, end) into at most k pieces at line ends. */
static int cut_chunks(const csv_input *in, uint64_t beg, uint64_t end, int k, csv_chunk *ch)
{
    int n = 0;
    uint64_t step = (end - beg) / (uint64_t)k + 1;
    while (beg < end && n < k) {
        uint64_t e = n == k - 1 || end - beg <= step ? end : next_line(in, beg + step, end);
        memset(&ch[n], 0, sizeof ch[n]);
        ch[n].beg = beg;
        ch[n++].end = e;
        beg = e;
    }
    return n;
}

/* Merge the maps of chunks [0, n) in order into rd->map (remap[k]: local →
 * global index). */
static void merge_maps(csv_chunk *ch, int n, reader *rd, int **remap)
{
    int created;
    for (int k = 0; k < n; k++) {
        remap[k] = util_malloc((size_t)(ch[k].map.n + 1) * sizeof(int));
        for (int i = 0; i < ch[k].map.n; i++)
            remap[k][i] = battles_map_get(&rd->map, ch[k].map.names[i], &created);
        rd->ts_ok &= ch[k].ts_ok;
    }
}

/* The table from the chunks' pair counts. */
static rating_table *merge_pairs(const csv_chunk *ch, int n, int n_models, int *const *remap)
{
    rating_table *t = rating_table_alloc(n_models);
    for (int k = 0; k < n; k++)
        for (size_t s = 0; s < ch[k].pairs.nslot; s++) {
            const pair_cell *c = &ch[k].pairs.cell[s];
            if (!c->key)
                continue;
            int a = remap[k][c->key >> 16], b = remap[k][c->key & 0xFFFF];
            for (int o = 0; o < 4; o++)
                if (c->c[o] != 0)
                    rating_table_add(t, a, b, o, (double)c->c[o]);
        }
    return t;
}

/* Renumber each chunk's rows in place and close the gaps blank lines left
 * between chunks. */
static void merge_rows(csv_chunk *ch, int n, int n_feat, reader *rd, int **remap)
{
    size_t F = (size_t)(n_feat > 0 ? n_feat : 1), to = 0;
    rating_rows *r = rd->rows;
#pragma omp parallel for schedule(static, 1) num_threads(n > 0 ? n : 1)
    for (int k = 0; k < n; k++)
        for (size_t i = ch[k].off; i < ch[k].off + ch[k].nrows; i++) {
            r->a[i] = remap[k][r->a[i]];
            r->b[i] = remap[k][r->b[i]];
        }
    for (int k = 0; k < n; k++) {
        size_t m = ch[k].nrows, from = ch[k].off;
        if (to != from && m > 0) {
            memmove(r->a + to, r->a + from, m * sizeof *r->a);
            memmove(r->b + to, r->b + from, m * sizeof *r->b);
            memmove(r->outcome + to, r->outcome + from, m);
            if (n_feat > 0)
                memmove(r->d + to * F, r->d + from * F, m * F * sizeof(double));
            if (rd->ts)
                memmove(rd->ts + to, rd->ts + from, m * sizeof(double));
        }
        to += m;
    }
    r->n = to;
}

/* One line after another through battles_reader_add, from the first body
 * line (line number lineno + 1): the reader's limits on battles and models
 * and their messages, for the rare file that reaches them. */
static int read_sequential(const csv_input *in, uint64_t beg, long lineno, const csv_cols *c,
                           const int *features, int n_feat, reader *rd, const char *path,
                           long *lines, util_err *err)
{
    csv_scratch sc;
    line_src src;
    const char *p, *e;
    double d[FEAT_N] = {0}, ts;
    int rc = UTIL_OK, oc;
    scratch_init(&sc);
    src_open(&src, in->fd, in->mem, beg, in->len);
    while (!rc && src_block(&src, &p, &e))
        while (p < e && !rc) {
            int n = csv_split_fast(p, e, &sc, &p);
            lineno++;
            if (n == 0)
                continue;
            rc = n < 0 ? split_error(n, err) : csv_row(sc.f, n, c, features, n_feat, &ts, d, &oc, err);
            if (!rc)
                rc = battles_reader_add(rd, sc.f[c->ma], sc.f[c->mb], sc.f[c->win], ts, d, err);
            if (rc)
                util_err_prefix(err, "%s:%ld", path, lineno);
        }
    if (!rc && src.err)
        rc = util_err_set(err, UTIL_ERUNTIME, "%s: read error", path);
    src_close(&src);
    scratch_free(&sc);
    *lines = lineno;
    return rc;
}

/* The header: the first line that is not blank (after a UTF-8 byte-order
 * mark). *body: the offset of the line after it. */
static int read_header(const csv_input *in, const char *path, const int *features, int n_feat,
                       csv_cols *cols, uint64_t *body, long *lineno, util_err *err)
{
    csv_scratch sc;
    line_src src;
    const char *p, *e;
    int rc = UTIL_EINPUT, first = 1, done = 0;
    scratch_init(&sc);
    src_open(&src, in->fd, in->mem, 0, in->len);
    while (!done && src_block(&src, &p, &e)) {
        if (first && e - p >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) /* UTF-8 byte-order mark */
            p += 3;
        first = 0;
        while (p < e && !done) {
            int n = csv_split_fast(p, e, &sc, &p);
            ++*lineno;
            if (n == 0)
                continue;
            done = 1;
            rc = n < 0 ? split_error(n, err) : csv_header(sc.f, n, features, n_feat, cols, err);
            if (rc)
                util_err_prefix(err, "%s:%ld", path, *lineno);
            *body = src_offset(&src, p);
        }
    }
    if (!done)
        rc = src.err ? util_err_set(err, UTIL_ERUNTIME, "%s: read error", path)
                     : util_err_set(err, UTIL_EINPUT,
                                    "%s:1: empty file (expected a header row model_a,model_b,winner)", path);
    src_close(&src);
    scratch_free(&sc);
    return rc;
}

/* Rows (and timestamps when the file has them) for `total` battles, both
 * on huge pages from 256 KiB on (util_malloc_large: one fault per 2 MiB
 * instead of one per 4 KiB, each costly on virtual machines). */
static void alloc_rows(reader *rd, const csv_cols *c, int n_feat, unsigned flags, size_t total)
{
    rating_rows_free(rd->rows);
    free(rd->ts);
    rd->rows = NULL;
    rd->ts = NULL;
    rd->ts_cap = 0;
    if (flags & BATTLES_TABLE_ONLY)
        return;
    size_t cap = total ? total : 1;
    rd->rows = rating_rows_alloc(0, n_feat, cap);
    if (c->ts >= 0) {
        rd->ts = util_malloc_large(cap * sizeof(double));
        rd->ts_cap = cap;
    }
}

/* Chunks of at least this many bytes per thread (smaller files: one chunk). */
#define CSV_CHUNK_MIN (1 << 20)

/* After the chunks are parsed: the first error in file order, else rows and
 * table merged. kend: chunks up to and including the first with an error. */
static int finish_chunks(csv_chunk *ch, int nch, const csv_input *in, uint64_t body, const csv_cols *cols,
                         const int *features, int n_feat, reader *rd, const char *path, long *lineno,
                         util_err *err)
{
    int kend = 0, rc = UTIL_OK, *remap[CSV_MAX_CHUNKS];
    size_t nrows = 0;
    for (int k = 0; k < nch; k++)
        if (ch[k].ioerr)
            return util_err_set(err, UTIL_ERUNTIME, "%s: read error", path);
    while (kend < nch && (nrows += ch[kend].nrows, !ch[kend++].rc))
        ;
    merge_maps(ch, kend, rd, remap);
    int counted = 1;
    for (int k = 0; k < kend; k++)
        counted &= !ch[k].pairs.off; /* (off implies more models than the limit) */
    if (nrows > BATTLES_MAX_BATTLES || rd->map.n > BATTLES_MAX_MODELS || !counted) {
        for (int k = 0; k < kend; k++)
            free(remap[k]);
        battles_reader_discard(rd);
        battles_reader_init(rd, n_feat);
        return read_sequential(in, body, *lineno, cols, features, n_feat, rd, path, lineno, err);
    }
    for (int k = 0; k < kend; k++) {
        if (!rc && ch[k].rc) {
            rc = ch[k].rc;
            *err = ch[k].err;
            util_err_prefix(err, "%s:%ld", path, *lineno + ch[k].at);
        }
        *lineno += ch[k].at;
    }
    if (!rc) {
        rd->table = merge_pairs(ch, nch, rd->map.n, remap);
        if (rd->rows)
            merge_rows(ch, nch, n_feat, rd, remap);
        rd->n_battles = nrows;
    }
    for (int k = 0; k < kend; k++)
        free(remap[k]);
    return rc;
}

int battles_read_csv(FILE *fp, const char *path, const int *features, int n_feat, battles_data **out,
                     util_err *err)
{
    return battles_read_csv_opt(fp, path, features, n_feat, 0, out, err);
}

int battles_read_csv_opt(FILE *fp, const char *path, const int *features, int n_feat, unsigned flags,
                         battles_data **out, util_err *err)
{
    reader rd;
    csv_input in;
    int rc = UTIL_OK, nch = 0;
    long lineno = 0;
    uint64_t body = 0;
    csv_cols cols;
    csv_chunk ch[CSV_MAX_CHUNKS];
    memset(&cols, 0, sizeof cols);
    battles_reader_init(&rd, n_feat);
    if (input_open(fp, &in)) {
        rc = util_err_set(err, UTIL_ERUNTIME, "%s: read error", path);
        goto out;
    }
    rc = read_header(&in, path, features, n_feat, &cols, &body, &lineno, err);
    if (rc)
        goto out;
    int want = omp_get_max_threads();
    want = want < 1 ? 1 : want > CSV_MAX_CHUNKS ? CSV_MAX_CHUNKS : want;
    if (in.len - body < (uint64_t)want * CSV_CHUNK_MIN)
        want = (int)((in.len - body) / CSV_CHUNK_MIN) + 1;
    nch = cut_chunks(&in, body, in.len, want, ch);
    size_t total = 0;
    if (!(flags & BATTLES_TABLE_ONLY)) { /* where each chunk's rows go (no rows: no need) */
#pragma omp parallel for schedule(static, 1) num_threads(nch > 0 ? nch : 1)
        for (int k = 0; k < nch; k++)
            chunk_count(&ch[k], &in);
    }
    for (int k = 0; k < nch; k++) {
        if (flags & BATTLES_TABLE_ONLY) { /* rows counted from 0, no bound */
            ch[k].lines = SIZE_MAX;
            continue;
        }
        ch[k].off = total;
        total += ch[k].lines;
    }
    alloc_rows(&rd, &cols, n_feat, flags, total);
    if (cols.ts < 0)
        rd.ts_ok = 0;
    csv_sink sink = {&cols, features, n_feat, rd.rows, rd.ts};
#pragma omp parallel for schedule(static, 1) num_threads(nch > 0 ? nch : 1)
    for (int k = 0; k < nch; k++)
        chunk_parse(&ch[k], &in, &sink);
    rc = finish_chunks(ch, nch, &in, body, &cols, features, n_feat, &rd, path, &lineno, err);
out:
    for (int k = 0; k < nch; k++)
        chunk_free(&ch[k]);
    input_close(&in);
    if (rc) {
        battles_reader_discard(&rd);
        return rc;
    }
    rc = battles_reader_finish(&rd, BATTLES_FMT_CSV, out, err);
    if (rc)
        util_err_prefix(err, "%s:%ld", path, lineno);
    return rc;
}
