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

static void scratch_room(csv_scratch *s, size_t need)
{
    while (need >= s->cap)
        s->cap *= 2;
    s->buf = util_realloc(s->buf, s->cap);
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
    int known[2 * FEAT_N], n_known; /* every style-count column present (README) */
    const char *known_name[2 * FEAT_N];
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

/* ---- Chunks parsed in parallel ------------------------------------------------
 * The body is cut at line ends into one chunk per thread. A quick count of
 * line ends gives each chunk its first line number and an upper bound of its
 * rows, so all rows go straight into one allocation of the final size (no
 * growth, no copy: fresh pages are what costs on a VM). Each chunk parses its
 * rows with a model map of its own; the maps are then merged in chunk order,
 * which gives every model the index of its first appearance in the file (as
 * one sequential pass would), and the rows are renumbered in place. The first
 * error in file order wins; its line number is the chunk's first line plus
 * the lines before it in the chunk. */

typedef struct {
    const char *beg, *end; /* [beg, end): whole lines */
    size_t lines;      /* line ends in [beg, end), + 1 for an unterminated last line */
    size_t off;        /* first row of the chunk in the output */
    size_t nrows;      /* rows parsed (blank lines leave none) */
    long at;           /* lines read (all when no error) */
    name_map map;      /* chunk-local model names */
    int ts_ok, rc;
    util_err err;      /* error at line `at` of the chunk */
} csv_chunk;

/* Line ends in [beg, end), eight bytes at a time: for x = word ^ "\n\n..."
 * the expression below sets the top bit of exactly the zero bytes of x. */
static void chunk_count(csv_chunk *ch)
{
    const uint64_t lo7 = 0x7F7F7F7F7F7F7F7FULL, nl8 = 0x0A0A0A0A0A0A0A0AULL;
    const char *p = ch->beg;
    size_t n = 0;
    for (; ch->end - p >= 8; p += 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        x ^= nl8;
        n += (size_t)__builtin_popcountll(~(((x & lo7) + lo7) | x | lo7));
    }
    for (; p < ch->end; p++)
        n += *p == '\n';
    ch->lines = n + (ch->end > ch->beg && ch->end[-1] != '\n');
}

static void chunk_parse(csv_chunk *ch, const csv_cols *c, const int *features, int n_feat,
                        rating_rows *rows, double *ts_out)
{
    csv_scratch sc;
    size_t F = (size_t)(n_feat > 0 ? n_feat : 1), i = ch->off;
    double d[FEAT_N] = {0};
    int created;
    scratch_init(&sc);
    battles_map_init(&ch->map);
    ch->ts_ok = 1;
    ch->rc = UTIL_OK;
    ch->at = 0;
    for (const char *line = ch->beg, *next; line < ch->end; line = next) {
        int n = csv_split_fast(line, ch->end, &sc, &next), oc = 0;
        double ts;
        ch->at++;
        if (n == 0)
            continue;
        ch->rc = n < 0 ? split_error(n, &ch->err)
                       : csv_row(sc.f, n, c, features, n_feat, &ts, d, &oc, &ch->err);
        if (ch->rc)
            break;
        rows->a[i] = battles_map_get(&ch->map, sc.f[c->ma], &created);
        rows->b[i] = battles_map_get(&ch->map, sc.f[c->mb], &created);
        rows->outcome[i] = (uint8_t)oc;
        for (int k = 0; k < n_feat; k++) /* not memcpy: a call per row for 32 bytes */
            rows->d[i * F + (size_t)k] = d[k];
        ts_out[i] = ts;
        ch->ts_ok &= isfinite(ts) != 0;
        i++;
    }
    ch->nrows = i - ch->off;
    scratch_free(&sc);
}

static void chunk_free(csv_chunk *ch)
{
    for (int i = 0; i < ch->map.n; i++)
        free(ch->map.names[i]);
    free(ch->map.names);
    battles_map_free_slots(&ch->map);
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

/* Renumber each chunk's rows in place and close the gaps blank lines left
 * between chunks. */
static void merge_rows(csv_chunk *ch, int n, int n_feat, reader *rd, int **remap)
{
    size_t F = (size_t)(n_feat > 0 ? n_feat : 1), to = 0;
    rating_rows *r = rd->rows;
#pragma omp parallel for schedule(static, 1) num_threads(n)
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
            memmove(rd->ts + to, rd->ts + from, m * sizeof(double));
        }
        to += m;
    }
    r->n = to;
}

/* One line after another through battles_reader_add, from the first body
 * line (line number lineno + 1): the reader's limits on battles and models
 * and their messages, for the rare file that reaches them. */
static int read_sequential(const char *p, const char *end, long lineno, const csv_cols *c,
                           const int *features, int n_feat, reader *rd, const char *path,
                           long *lines, util_err *err)
{
    csv_scratch sc;
    double d[FEAT_N] = {0}, ts;
    int rc = UTIL_OK, oc;
    scratch_init(&sc);
    while (p < end && !rc) {
        int n = csv_split_fast(p, end, &sc, &p);
        lineno++;
        if (n == 0)
            continue;
        rc = n < 0 ? split_error(n, err) : csv_row(sc.f, n, c, features, n_feat, &ts, d, &oc, err);
        if (!rc)
            rc = battles_reader_add(rd, sc.f[c->ma], sc.f[c->mb], sc.f[c->win], ts, d, err);
        if (rc)
            util_err_prefix(err, "%s:%ld", path, lineno);
    }
    scratch_free(&sc);
    *lines = lineno;
    return rc;
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
        rc = n < 0 ? split_error(n, err)
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
        chunk_count(&ch[k]);
    size_t total = 0;
    for (int k = 0; k < nch; k++) {
        ch[k].off = total;
        total += ch[k].lines;
    }
    rating_rows_free(rd.rows);
    free(rd.ts);
    rd.rows = rating_rows_alloc(0, n_feat, total);
    rd.ts = util_malloc((total ? total : 1) * sizeof(double));
    rd.ts_cap = total;
#pragma omp parallel for schedule(static, 1) num_threads(nch > 0 ? nch : 1)
    for (int k = 0; k < nch; k++)
        chunk_parse(&ch[k], &cols, features, n_feat, rd.rows, rd.ts);
    /* the chunks up to the first error, as a sequential read would see them */
    int kend = 0, *remap[CSV_MAX_CHUNKS];
    size_t nrows = 0;
    while (kend < nch && (nrows += ch[kend].nrows, !ch[kend++].rc))
        ;
    merge_maps(ch, kend, &rd, remap);
    if (nrows > BATTLES_MAX_BATTLES || rd.map.n > BATTLES_MAX_MODELS) {
        for (int k = 0; k < kend; k++)
            free(remap[k]);
        battles_reader_discard(&rd);
        battles_reader_init(&rd, n_feat);
        rc = read_sequential(p, end, lineno, &cols, features, n_feat, &rd, path, &lineno, err);
        if (rc)
            goto fail;
    } else {
        for (int k = 0; k < kend; k++) {
            if (!rc && ch[k].rc) {
                rc = ch[k].rc;
                *err = ch[k].err;
                util_err_prefix(err, "%s:%ld", path, lineno + ch[k].at);
            }
            lineno += ch[k].at;
        }
        if (!rc)
            merge_rows(ch, nch, n_feat, &rd, remap);
        for (int k = 0; k < kend; k++)
            free(remap[k]);
        if (rc)
            goto fail;
    }
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
