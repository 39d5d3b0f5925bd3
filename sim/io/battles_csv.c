/*
 * io/battles_csv.c — the CSV battle schema of DESIGN §5: one battle per line,
 * RFC 4180 quoting, a header row naming the columns (model_a, model_b,
 * winner, optional tstamp and the arena's style-count columns). This file
 * reads the input in blocks, cuts it into chunks parsed in parallel, reads
 * the header, and holds the general line path (every error and its
 * message), the chunks' pair counts and their merge; plain lines take the
 * fast path of battles_csv_fast.c.
 * Units: raw counts in, d = (a − b)/(a + b + 1) out.
 */
#define _DEFAULT_SOURCE /* pread */
#include "io/battles_csv_internal.h"

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
static int csv_split(const char *p, const char *end, csv_scratch *s, const char **next)
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

int battles_csv_number(const char *s, const char *e, double *x)
{
    if (!battles_csv_number_fast(s, e, x))
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
    return battles_csv_number_fast(s, s + strlen(s), x) ? battles_csv_strtod(s, x) : 0;
}

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

/* The message of a csv_split failure (n < 0). */
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
    battles_span_map_init(&ch->map);
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
            if (fast && battles_csv_fast_fields(line, e, c->ncol, fs, fe, &next) &&
                battles_csv_fast_row(fs, fe, k, &ts, d, &oc, &ka, &kb)) {
                int a = battles_span_get_key(&ch->map, fs[c->ma], ka);
                int b = battles_span_get_key(&ch->map, fs[c->mb], kb);
                chunk_store(ch, k, i++, a, b, oc, ts, d);
                continue;
            }
            int n = csv_split(line, e, &sc, &next);
            if (n == 0)
                continue;
            ch->rc = n < 0 ? split_error(n, &ch->err)
                           : csv_row(sc.f, n, c, k->features, k->n_feat, &ts, d, &oc, &ch->err);
            if (ch->rc)
                break;
            int a = battles_span_get(&ch->map, sc.f[c->ma], strlen(sc.f[c->ma]));
            int b = battles_span_get(&ch->map, sc.f[c->mb], strlen(sc.f[c->mb]));
            chunk_store(ch, k, i++, a, b, oc, ts, d);
        }
    ch->ioerr |= src.err;
    ch->nrows = i - ch->off;
    src_close(&src);
    scratch_free(&sc);
}

static void chunk_free(csv_chunk *ch)
{
    battles_span_map_free(&ch->map);
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
            int n = csv_split(p, e, &sc, &p);
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
            int n = csv_split(p, e, &sc, &p);
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
