/*
 * io/battles_csv.c — the CSV battle schema of DESIGN §5: one battle per line,
 * RFC 4180 quoting, a header row naming the columns (model_a, model_b,
 * winner, optional tstamp and the arena's style-count columns).
 * Units: raw counts in, d = (a − b)/(a + b + 1) out.
 */
#include "io/battles_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>
#include <sys/mman.h>
#include <sys/stat.h>

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

static void scratch_put(csv_scratch *s, size_t *w, char c)
{
    if (*w + 1 >= s->cap) {
        s->cap *= 2;
        s->buf = util_realloc(s->buf, s->cap);
    }
    s->buf[(*w)++] = c;
}

static void scratch_field(csv_scratch *s, int n, size_t w)
{
    if (n >= s->ocap) {
        s->ocap *= 2;
        s->off = util_realloc(s->off, (size_t)s->ocap * sizeof(size_t));
        s->f = util_realloc(s->f, (size_t)s->ocap * sizeof(char *));
    }
    s->off[n] = w;
}

static void scratch_init(csv_scratch *s)
{
    s->cap = 256;
    s->buf = util_malloc(s->cap);
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

/* csv_split in one pass over the read-only bytes [p, end): the line runs to
 * the next '\n' (or end); trailing '\r's are dropped; fields are copied into
 * s (s->f[i] after the call). Returns the field count, −1 on an unterminated
 * or badly closed quoted field (the rest of the line is still skipped), and
 * 0 for a blank line (only spaces, tabs, '\r'). *next = start of next line. */
static int csv_split_fast(const char *p, const char *end, csv_scratch *s, const char **next)
{
    size_t w = 0;
    int n = 0, bad = 0, blank = 1;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *e = nl ? nl : end;
    *next = nl ? nl + 1 : end;
    while (e > p && e[-1] == '\r')
        e--;
    for (;;) {
        scratch_field(s, n++, w);
        if (p < e && *p == '"') {
            blank = 0;
            for (p++;; p++) {
                if (p >= e) {
                    bad = 1;
                    break;
                }
                if (*p == '"' && p + 1 < e && p[1] == '"') {
                    scratch_put(s, &w, '"');
                    p++;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    scratch_put(s, &w, *p);
                }
            }
            scratch_put(s, &w, '\0');
            if (bad || (p < e && *p != ','))
                return -1;
            if (p >= e)
                break;
            p++;
            continue;
        }
        const char *q = p;
        while (q < e && *q != ',')
            q++;
        if (w + (size_t)(q - p) + 1 >= s->cap) {
            while (w + (size_t)(q - p) + 1 >= s->cap)
                s->cap *= 2;
            s->buf = util_realloc(s->buf, s->cap);
        }
        for (const char *c = p; c < q; c++)
            blank &= *c == ' ' || *c == '\t' || *c == '\r';
        memcpy(s->buf + w, p, (size_t)(q - p));
        w += (size_t)(q - p);
        s->buf[w++] = '\0';
        if (q >= e)
            break;
        blank = 0;
        p = q + 1;
    }
    if (n == 1 && blank) /* spaces and tabs only, or nothing after the strip */
        return 0;
    for (int i = 0; i < n; i++)
        s->f[i] = s->buf + s->off[i];
    return n;
}

static int parse_double(const char *s, double *x)
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

/* parse_double without strtod for the common shapes: digits, optionally
 * '.' and digits, at most 15 significant digits in all. The mantissa is then
 * an exact integer and 10^k exact, so one correctly rounded division gives
 * the same double as strtod (Clinger's fast path). Anything else (signs,
 * exponents, longer numbers, stray characters) goes to parse_double, so the
 * accepted set and every value stay those of strtod. */
static int parse_number(const char *s, double *x)
{
    const char *p = s;
    uint64_t m = 0;
    int nd = 0, frac = 0;
    while (*p >= '0' && *p <= '9' && nd < 16)
        m = 10 * m + (uint64_t)(*p++ - '0'), nd++;
    if (*p == '.' && nd > 0) {
        p++;
        while (*p >= '0' && *p <= '9' && nd < 16)
            m = 10 * m + (uint64_t)(*p++ - '0'), nd++, frac++;
    }
    if (nd == 0 || nd > 15 || *p != '\0')
        return parse_double(s, x);
    *x = frac ? (double)m / csv_pow10[frac] : (double)m;
    return 0;
}

typedef struct {
    int ma, mb, win, ts;
    int fa[FEAT_N], fb[FEAT_N];
    int ncol;
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
    for (int k = 0; k < n_feat; k++) {
        int ft = features[k];
        c->fa[k] = csv_find(f, n, battles_feature_columns[ft][0]);
        c->fb[k] = csv_find(f, n, battles_feature_columns[ft][1]);
        if (c->fa[k] < 0 || c->fb[k] < 0)
            return util_err_set(err, UTIL_EINPUT, "style feature '%s' needs column '%s' (not in the header)",
                                battles_feature_names[ft],
                                battles_feature_columns[ft][c->fa[k] < 0 ? 0 : 1]);
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

/* ---- Chunks parsed in parallel ------------------------------------------------
 * The body is cut at line ends into one chunk per thread. Each chunk parses
 * its rows with a model map of its own; the maps are then merged in chunk
 * order, which gives every model the index of its first appearance in the
 * file (as one sequential pass would), and the rows are renumbered. The
 * first error in file order wins; its line number is the chunk's first line
 * plus the lines before it in the chunk. */

typedef struct {
    const char *beg, *end; /* [beg, end): whole lines */
    long lines;        /* lines seen (all of them when no error) */
    name_map map;      /* chunk-local model names */
    rating_rows *rows; /* a, b local indices */
    double *ts;
    int ts_ok, rc;
    util_err err;      /* error at line `lines` of the chunk */
} csv_chunk;

static void chunk_parse(csv_chunk *ch, const csv_cols *c, const int *features, int n_feat)
{
    csv_scratch sc;
    size_t tcap = 1024;
    double d[FEAT_N] = {0};
    int created;
    scratch_init(&sc);
    battles_map_init(&ch->map);
    ch->rows = rating_rows_alloc(0, n_feat, tcap);
    ch->ts = util_malloc(tcap * sizeof(double));
    ch->ts_ok = 1;
    ch->rc = UTIL_OK;
    ch->lines = 0;
    for (const char *line = ch->beg, *next; line < ch->end; line = next) {
        int n = csv_split_fast(line, ch->end, &sc, &next), oc = 0;
        double ts;
        ch->lines++;
        if (n == 0)
            continue;
        ch->rc = n < 0 ? util_err_set(&ch->err, UTIL_EINPUT, "unterminated quoted field")
                       : csv_row(sc.f, n, c, features, n_feat, &ts, d, &oc, &ch->err);
        if (ch->rc)
            break;
        int a = battles_map_get(&ch->map, sc.f[c->ma], &created);
        int b = battles_map_get(&ch->map, sc.f[c->mb], &created);
        rating_rows_push(ch->rows, a, b, oc, d);
        if (ch->rows->n > tcap) {
            tcap = ch->rows->cap;
            ch->ts = util_realloc(ch->ts, tcap * sizeof(double));
        }
        ch->ts[ch->rows->n - 1] = ts;
        ch->ts_ok &= isfinite(ts) != 0;
    }
    scratch_free(&sc);
}

static void chunk_free(csv_chunk *ch)
{
    for (int i = 0; i < ch->map.n; i++)
        free(ch->map.names[i]);
    free(ch->map.names);
    battles_map_free_slots(&ch->map);
    rating_rows_free(ch->rows);
    free(ch->ts);
}

/* The whole file, read-only: a private mapping of a regular file (no copy,
 * pages read ahead), else (pipes, empty files) read into memory. */
typedef struct {
    const char *p;
    size_t len;
    void *map;  /* mmap'd region or NULL */
    char *heap; /* read buffer or NULL */
} csv_input;

static int input_open(FILE *fp, csv_input *in)
{
    struct stat st;
    memset(in, 0, sizeof *in);
    if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
        flags |= MAP_POPULATE;
#endif
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, flags, fileno(fp), 0);
        if (m != MAP_FAILED) {
            in->map = m;
            in->p = m;
            in->len = (size_t)st.st_size;
            return 0;
        }
    }
    size_t cap = 1 << 16, n = 0, got;
    char *buf = util_malloc(cap);
    while ((got = fread(buf + n, 1, cap - n, fp)) > 0)
        if ((n += got) == cap)
            buf = util_realloc(buf, cap *= 2);
    in->heap = buf;
    in->p = buf;
    in->len = n;
    return ferror(fp) ? -1 : 0;
}

static void input_close(csv_input *in)
{
    if (in->map)
        munmap(in->map, in->len);
    free(in->heap);
}

/* Cut [beg, end) into k pieces at line ends. */
static int cut_chunks(const char *beg, const char *end, int k, csv_chunk *ch)
{
    int n = 0;
    size_t step = (size_t)(end - beg) / (size_t)k + 1;
    while (beg < end && n < k) {
        const char *e = n == k - 1 || (size_t)(end - beg) <= step ? end : beg + step;
        if (e < end) {
            const char *nl = memchr(e, '\n', (size_t)(end - e));
            e = nl ? nl + 1 : end;
        }
        memset(&ch[n], 0, sizeof ch[n]);
        ch[n].beg = beg;
        ch[n++].end = e;
        beg = e;
    }
    return n;
}

/* Merge the chunks' maps in order into rd->map and copy the rows renumbered. */
static void merge_chunks(csv_chunk *ch, int n, int n_feat, reader *rd)
{
    size_t total = 0, F = (size_t)(n_feat > 0 ? n_feat : 1);
    int created;
    for (int k = 0; k < n; k++)
        total += ch[k].rows->n;
    rating_rows_free(rd->rows);
    free(rd->ts);
    rd->rows = rating_rows_alloc(0, n_feat, total);
    rd->ts = util_malloc((total ? total : 1) * sizeof(double));
    rd->ts_cap = total;
    rd->ts_ok = 1;
    int *remap[CSV_MAX_CHUNKS];
    size_t off[CSV_MAX_CHUNKS];
    for (int k = 0; k < n; k++) {
        remap[k] = util_malloc((size_t)(ch[k].map.n + 1) * sizeof(int));
        for (int i = 0; i < ch[k].map.n; i++)
            remap[k][i] = battles_map_get(&rd->map, ch[k].map.names[i], &created);
        off[k] = k ? off[k - 1] + ch[k - 1].rows->n : 0;
        rd->ts_ok &= ch[k].ts_ok;
    }
    rating_rows *r = rd->rows;
#pragma omp parallel for schedule(static, 1) num_threads(n)
    for (int k = 0; k < n; k++) {
        const rating_rows *c = ch[k].rows;
        for (size_t i = 0; i < c->n; i++) {
            r->a[off[k] + i] = remap[k][c->a[i]];
            r->b[off[k] + i] = remap[k][c->b[i]];
        }
        memcpy(r->outcome + off[k], c->outcome, c->n);
        if (n_feat > 0)
            memcpy(r->d + off[k] * F, c->d, c->n * F * sizeof(double));
        memcpy(rd->ts + off[k], ch[k].ts, c->n * sizeof(double));
    }
    r->n = total;
    for (int k = 0; k < n; k++)
        free(remap[k]);
}

/* Chunks of at least this many bytes per thread (smaller files: one chunk). */
#define CSV_CHUNK_MIN (1 << 20)

int battles_read_csv(FILE *fp, const char *path, const int *features, int n_feat, battles_data **out,
                    util_err *err)
{
    reader rd;
    csv_input in;
    csv_scratch sc;
    int rc = UTIL_OK, nch = 0;
    long lineno = 0;
    csv_cols cols;
    csv_chunk ch[CSV_MAX_CHUNKS];
    memset(&cols, 0, sizeof cols);
    scratch_init(&sc);
    battles_reader_init(&rd, n_feat);
    if (input_open(fp, &in)) {
        rc = util_err_set(err, UTIL_ERUNTIME, "%s: read error", path);
        goto fail;
    }
    const char *p = in.p, *end = in.p + in.len;
    if (in.len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) /* UTF-8 byte-order mark */
        p += 3;
    for (;;) { /* the header: the first line that is not blank */
        if (p >= end) {
            rc = util_err_set(err, UTIL_EINPUT, "%s:1: empty file (expected a header row model_a,model_b,winner)",
                              path);
            goto fail;
        }
        int n = csv_split_fast(p, end, &sc, &p);
        lineno++;
        if (n == 0)
            continue;
        rc = n < 0 ? util_err_set(err, UTIL_EINPUT, "unterminated quoted field")
                   : csv_header(sc.f, n, features, n_feat, &cols, err);
        if (rc) {
            util_err_prefix(err, "%s:%ld", path, lineno);
            goto fail;
        }
        break;
    }
    int want = omp_get_max_threads();
    want = want < 1 ? 1 : want > CSV_MAX_CHUNKS ? CSV_MAX_CHUNKS : want;
    if ((size_t)(end - p) < (size_t)want * CSV_CHUNK_MIN)
        want = (int)((size_t)(end - p) / CSV_CHUNK_MIN) + 1;
    nch = cut_chunks(p, end, want, ch);
#pragma omp parallel for schedule(static, 1) num_threads(nch > 0 ? nch : 1)
    for (int k = 0; k < nch; k++)
        chunk_parse(&ch[k], &cols, features, n_feat);
    for (int k = 0; k < nch; k++) {
        if (ch[k].rc) {
            rc = ch[k].rc;
            *err = ch[k].err;
            util_err_prefix(err, "%s:%ld", path, lineno + ch[k].lines);
            goto fail;
        }
        lineno += ch[k].lines;
    }
    merge_chunks(ch, nch, n_feat, &rd);
    for (int k = 0; k < nch; k++)
        chunk_free(&ch[k]);
    input_close(&in);
    scratch_free(&sc);
    rc = battles_reader_finish(&rd, BATTLES_FMT_CSV, out, err);
    if (rc)
        util_err_prefix(err, "%s:%ld", path, lineno);
    return rc;
fail:
    for (int k = 0; k < nch; k++)
        chunk_free(&ch[k]);
    input_close(&in);
    scratch_free(&sc);
    battles_reader_discard(&rd);
    return rc;
}
