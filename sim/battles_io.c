/*
 * battles_io.c — streaming readers for battle logs (see battles_io.h).
 *
 * CSV: one battle per line, RFC 4180 quoting, header row naming columns.
 * fastchat-json: a top-level JSON array of battle objects, parsed object by
 * object through a small buffered tokenizer (memory ∝ one record, not the
 * file). Records with "anony": false or dedup_tag.sampled == false are
 * skipped, as the arena's own leaderboard does. counts-json: the aggregated
 * {"models", "X", "Y"} file, parsed with the same tokenizer.
 * Units: raw counts in, d = (a − b)/(a + b + 1) out (see battles_io.h).
 */
#include "battles_io.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const battles_feature_columns[FEAT_N][2] = {
    {"sum_assistant_a_tokens", "sum_assistant_b_tokens"},
    {"header_count_a", "header_count_b"},
    {"list_count_a", "list_count_b"},
    {"bold_count_a", "bold_count_b"},
    {"emoji_count_a", "emoji_count_b"},
};
const char *const battles_feature_names[FEAT_N] = {"tokens", "headers", "lists", "bold", "emoji"};

/* ---- Name map (open addressing) ------------------------------------------ */

typedef struct {
    char **names;
    int n, cap;
    int *slot; /* index + 1, 0 = empty; size nslot (power of 2) */
    size_t nslot;
} name_map;

static void map_init(name_map *m)
{
    m->n = 0;
    m->cap = 16;
    m->names = util_malloc((size_t)m->cap * sizeof(char *));
    m->nslot = 64;
    m->slot = util_calloc(m->nslot, sizeof(int));
}

static void map_free_slots(name_map *m)
{
    free(m->slot);
    m->slot = NULL;
}

static size_t map_pos(const name_map *m, const char *s)
{
    size_t h = (size_t)util_hash64(s, strlen(s)) & (m->nslot - 1);
    while (m->slot[h] && strcmp(m->names[m->slot[h] - 1], s) != 0)
        h = (h + 1) & (m->nslot - 1);
    return h;
}

static void map_grow(name_map *m)
{
    free(m->slot);
    m->nslot *= 2;
    m->slot = util_calloc(m->nslot, sizeof(int));
    for (int i = 0; i < m->n; i++)
        m->slot[map_pos(m, m->names[i])] = i + 1;
}

/* Index of s; added when absent (created = 1). */
static int map_get(name_map *m, const char *s, int *created)
{
    size_t h = map_pos(m, s);
    *created = 0;
    if (m->slot[h])
        return m->slot[h] - 1;
    if (m->n == m->cap) {
        m->cap *= 2;
        m->names = util_realloc(m->names, (size_t)m->cap * sizeof(char *));
    }
    m->names[m->n] = util_strdup(s);
    m->slot[h] = ++m->n;
    *created = 1;
    if ((size_t)m->n * 2 > m->nslot)
        map_grow(m);
    return m->n - 1;
}

/* ---- Shared helpers ------------------------------------------------------- */

int battles_parse_format(const char *s, battles_format *fmt, util_err *err)
{
    if (!strcmp(s, "csv"))
        *fmt = BATTLES_FMT_CSV;
    else if (!strcmp(s, "fastchat-json"))
        *fmt = BATTLES_FMT_FASTCHAT_JSON;
    else if (!strcmp(s, "counts-json"))
        *fmt = BATTLES_FMT_COUNTS_JSON;
    else
        return util_err_set(err, UTIL_EINPUT, "unknown format '%s' (expected csv, fastchat-json or counts-json)", s);
    return UTIL_OK;
}

const char *battles_format_name(battles_format fmt)
{
    return fmt == BATTLES_FMT_CSV ? "csv" : fmt == BATTLES_FMT_FASTCHAT_JSON ? "fastchat-json"
                                       : fmt == BATTLES_FMT_COUNTS_JSON     ? "counts-json"
                                                                           : "auto";
}

/* winner string → RATING_*, or −1. */
static int parse_winner(const char *w)
{
    if (!strcmp(w, "model_a"))
        return RATING_A_WINS;
    if (!strcmp(w, "model_b"))
        return RATING_B_WINS;
    if (!strcmp(w, "tie"))
        return RATING_TIE;
    if (!strcmp(w, "tie (bothbad)"))
        return RATING_BOTHBAD;
    return -1;
}

static double feature_d(double a, double b)
{
    return (a - b) / (a + b + 1.0);
}

/* Reading state shared by the per-battle formats. */
typedef struct {
    name_map map;
    rating_rows *rows;
    double *ts;
    size_t ts_cap;
    int ts_ok; /* every row so far had a finite timestamp */
} reader;

static void reader_init(reader *rd, int n_feat)
{
    map_init(&rd->map);
    rd->rows = rating_rows_alloc(0, n_feat, 4096);
    rd->ts_cap = 4096;
    rd->ts = util_malloc(rd->ts_cap * sizeof(double));
    rd->ts_ok = 1;
}

/* Add one battle; returns UTIL_OK or UTIL_EINPUT (message without location). */
static int reader_add(reader *rd, const char *ma, const char *mb, const char *winner, double ts,
                      const double *d, util_err *err)
{
    int oc = parse_winner(winner), c;
    if (!*ma || !*mb)
        return util_err_set(err, UTIL_EINPUT, "empty model name");
    if (!strcmp(ma, mb))
        return util_err_set(err, UTIL_EINPUT, "model '%s' battles itself", ma);
    if (oc < 0)
        return util_err_set(err, UTIL_EINPUT,
                            "unknown winner '%s' (expected model_a, model_b, tie or tie (bothbad))", winner);
    int a = map_get(&rd->map, ma, &c), b = map_get(&rd->map, mb, &c);
    rating_rows_push(rd->rows, a, b, oc, d);
    if (rd->rows->n > rd->ts_cap) {
        rd->ts_cap *= 2;
        rd->ts = util_realloc(rd->ts, rd->ts_cap * sizeof(double));
    }
    rd->ts[rd->rows->n - 1] = ts;
    if (!isfinite(ts))
        rd->ts_ok = 0;
    return UTIL_OK;
}

static void reader_discard(reader *rd)
{
    for (int i = 0; i < rd->map.n; i++)
        free(rd->map.names[i]);
    free(rd->map.names);
    map_free_slots(&rd->map);
    rating_rows_free(rd->rows);
    free(rd->ts);
}

static void build_table(battles_data *d)
{
    d->table = rating_table_alloc(d->n_models);
    for (size_t i = 0; i < d->rows->n; i++)
        rating_table_add(d->table, d->rows->a[i], d->rows->b[i], d->rows->outcome[i], 1.0);
}

/* Move a finished reader into a battles_data. */
static int reader_finish(reader *rd, battles_format fmt, battles_data **out, util_err *err)
{
    if (rd->rows->n == 0) {
        reader_discard(rd);
        return util_err_set(err, UTIL_EINPUT, "no battles in the file");
    }
    battles_data *d = util_calloc(1, sizeof *d);
    d->format = fmt;
    d->n_models = rd->map.n;
    d->names = rd->map.names;
    map_free_slots(&rd->map);
    d->rows = rd->rows;
    d->rows->n_models = d->n_models;
    if (rd->ts_ok) {
        d->tstamp = rd->ts;
    } else {
        free(rd->ts);
        d->tstamp = NULL;
    }
    build_table(d);
    *out = d;
    return UTIL_OK;
}

/* ---- CSV -------------------------------------------------------------------- */

/* Split a line in place into fields (RFC 4180 quoting). Returns the field
 * count, or −1 on an unterminated quote. */
static int csv_split(char *line, char ***fields, int *cap)
{
    int n = 0;
    char *p = line;
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    for (;;) {
        if (n == *cap) {
            *cap *= 2;
            *fields = util_realloc(*fields, (size_t)*cap * sizeof(char *));
        }
        if (*p == '"') {
            char *w = ++p;
            (*fields)[n++] = w;
            for (;;) {
                if (*p == '\0')
                    return -1;
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            *w = '\0';
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p != '\0')
                return -1;
            return n;
        }
        (*fields)[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            return n;
        *comma = '\0';
        p = comma + 1;
    }
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

static int csv_row(reader *rd, char **f, int n, const csv_cols *c, const int *features, int n_feat,
                   util_err *err)
{
    double d[FEAT_N], ts = NAN;
    if (n != c->ncol)
        return util_err_set(err, UTIL_EINPUT, "expected %d fields, found %d", c->ncol, n);
    if (c->ts >= 0 && parse_double(f[c->ts], &ts))
        return util_err_set(err, UTIL_EINPUT, "column tstamp: '%s' is not a number", f[c->ts]);
    for (int k = 0; k < n_feat; k++) {
        double a, b;
        const char *bad = parse_double(f[c->fa[k]], &a) || a < 0 ? battles_feature_columns[features[k]][0]
                          : parse_double(f[c->fb[k]], &b) || b < 0 ? battles_feature_columns[features[k]][1]
                                                                 : NULL;
        if (bad)
            return util_err_set(err, UTIL_EINPUT, "column %s: expected a count ≥ 0", bad);
        d[k] = feature_d(a, b);
    }
    return reader_add(rd, f[c->ma], f[c->mb], f[c->win], ts, d, err);
}

static int read_csv(FILE *fp, const char *path, const int *features, int n_feat, battles_data **out,
                    util_err *err)
{
    reader rd;
    char *line = NULL, **f;
    size_t lcap = 0;
    int cap = 16, rc = UTIL_OK, have_header = 0;
    long lineno = 0;
    csv_cols cols;
    memset(&cols, 0, sizeof cols);
    f = util_malloc((size_t)cap * sizeof(char *));
    reader_init(&rd, n_feat);
    while (getline(&line, &lcap, fp) >= 0) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        if (!have_header && !strncmp(line, "\xEF\xBB\xBF", 3)) /* UTF-8 byte-order mark */
            memmove(line, line + 3, strlen(line + 3) + 1);
        int n = csv_split(line, &f, &cap);
        if (n < 0)
            rc = util_err_set(err, UTIL_EINPUT, "unterminated quoted field");
        else if (!have_header)
            rc = csv_header(f, n, features, n_feat, &cols, err);
        else
            rc = csv_row(&rd, f, n, &cols, features, n_feat, err);
        have_header = 1;
        if (rc) {
            util_err_prefix(err, "%s:%ld", path, lineno);
            goto fail;
        }
    }
    if (ferror(fp)) {
        rc = util_err_set(err, UTIL_ERUNTIME, "%s: read error", path);
        goto fail;
    }
    if (!have_header) {
        rc = util_err_set(err, UTIL_EINPUT, "%s:1: empty file (expected a header row model_a,model_b,winner)", path);
        goto fail;
    }
    free(line);
    free(f);
    rc = reader_finish(&rd, BATTLES_FMT_CSV, out, err);
    if (rc)
        util_err_prefix(err, "%s:%ld", path, lineno);
    return rc;
fail:
    free(line);
    free(f);
    reader_discard(&rd);
    return rc;
}

/* ---- Streaming JSON tokenizer --------------------------------------------- */

#define JR_BUF 65536
#define JR_MAX_DEPTH 64

typedef struct {
    FILE *fp;
    unsigned char buf[JR_BUF];
    size_t pos, len;
    long line;
    long record; /* 1-based record being read, 0 outside records */
    char *str;   /* last string read */
    size_t scap;
    util_err *err;
} jrd;

static int jr_raw(jrd *j)
{
    if (j->pos == j->len) {
        j->len = fread(j->buf, 1, JR_BUF, j->fp);
        j->pos = 0;
        if (j->len == 0)
            return EOF;
    }
    int c = j->buf[j->pos++];
    if (c == '\n')
        j->line++;
    return c;
}

/* Next non-space character, not consumed. */
static int jr_peek(jrd *j)
{
    for (;;) {
        if (j->pos == j->len) {
            j->len = fread(j->buf, 1, JR_BUF, j->fp);
            j->pos = 0;
            if (j->len == 0)
                return EOF;
        }
        int c = j->buf[j->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return c;
        if (c == '\n')
            j->line++;
        j->pos++;
    }
}

__attribute__((format(printf, 2, 3))) static int jr_fail(jrd *j, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (j->record > 0)
        return util_err_set(j->err, UTIL_EINPUT, "line %ld: record %ld: %s", j->line, j->record, msg);
    return util_err_set(j->err, UTIL_EINPUT, "line %ld: %s", j->line, msg);
}

static int jr_expect(jrd *j, int ch)
{
    int c = jr_peek(j);
    if (c != ch)
        return c == EOF ? jr_fail(j, "unexpected end of file, expected '%c'", ch)
                        : jr_fail(j, "expected '%c', found '%c'", ch, c);
    jr_raw(j);
    return UTIL_OK;
}

static void jr_putc(jrd *j, size_t *n, int c)
{
    if (*n + 5 >= j->scap) {
        j->scap *= 2;
        j->str = util_realloc(j->str, j->scap);
    }
    j->str[(*n)++] = (char)c;
}

static void jr_utf8(jrd *j, size_t *n, unsigned long u)
{
    if (u < 0x80) {
        jr_putc(j, n, (int)u);
    } else if (u < 0x800) {
        jr_putc(j, n, (int)(0xC0 | (u >> 6)));
        jr_putc(j, n, (int)(0x80 | (u & 0x3F)));
    } else if (u < 0x10000) {
        jr_putc(j, n, (int)(0xE0 | (u >> 12)));
        jr_putc(j, n, (int)(0x80 | ((u >> 6) & 0x3F)));
        jr_putc(j, n, (int)(0x80 | (u & 0x3F)));
    } else {
        jr_putc(j, n, (int)(0xF0 | (u >> 18)));
        jr_putc(j, n, (int)(0x80 | ((u >> 12) & 0x3F)));
        jr_putc(j, n, (int)(0x80 | ((u >> 6) & 0x3F)));
        jr_putc(j, n, (int)(0x80 | (u & 0x3F)));
    }
}

static int jr_hex4(jrd *j, unsigned long *u)
{
    *u = 0;
    for (int k = 0; k < 4; k++) {
        int c = jr_raw(j);
        int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                                 : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                                          : -1;
        if (v < 0)
            return jr_fail(j, "bad \\u escape in string");
        *u = *u * 16 + (unsigned long)v;
    }
    return UTIL_OK;
}

static int jr_escape(jrd *j, size_t *n)
{
    int c = jr_raw(j);
    unsigned long u, lo;
    const char *map = "\"\"\\\\//b\bf\fn\nr\rt\t";
    for (const char *m = map; *m; m += 2)
        if (c == m[0]) {
            jr_putc(j, n, m[1]);
            return UTIL_OK;
        }
    if (c != 'u')
        return jr_fail(j, "bad escape in string");
    if (jr_hex4(j, &u))
        return UTIL_EINPUT;
    if (u >= 0xD800 && u < 0xDC00) {
        if (jr_raw(j) != '\\' || jr_raw(j) != 'u' || jr_hex4(j, &lo) || lo < 0xDC00 || lo > 0xDFFF)
            return jr_fail(j, "bad surrogate pair in string");
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
    }
    jr_utf8(j, n, u);
    return UTIL_OK;
}

/* Read a string into j->str. */
static int jr_string(jrd *j)
{
    size_t n = 0;
    if (jr_expect(j, '"'))
        return UTIL_EINPUT;
    for (;;) {
        int c = jr_raw(j);
        if (c == EOF)
            return jr_fail(j, "unterminated string");
        if (c == '"')
            break;
        if (c == '\\') {
            if (jr_escape(j, &n))
                return UTIL_EINPUT;
        } else {
            jr_putc(j, &n, c);
        }
    }
    j->str[n] = '\0';
    return UTIL_OK;
}

/* A number, or a literal (true/false/null) into *lit ('t','f','n'; 0 for a number). */
static int jr_scalar(jrd *j, double *x, int *lit)
{
    char tok[64];
    size_t n = 0;
    int c = jr_peek(j);
    while (c != EOF && (strchr("+-.eE", c) || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
        if (n + 1 >= sizeof tok)
            return jr_fail(j, "token too long");
        tok[n++] = (char)jr_raw(j);
        c = j->pos < j->len ? j->buf[j->pos] : jr_peek(j);
    }
    tok[n] = '\0';
    *lit = 0;
    if (!strcmp(tok, "true") || !strcmp(tok, "false") || !strcmp(tok, "null")) {
        *lit = tok[0];
        *x = NAN;
        return UTIL_OK;
    }
    char *end;
    *x = strtod(tok, &end);
    if (n == 0 && c == EOF)
        return jr_fail(j, "unexpected end of file, expected a value");
    if (n == 0)
        return jr_fail(j, "expected a JSON value, found '%c'", c);
    if (*end)
        return jr_fail(j, "expected a JSON value, found '%s'", tok);
    return UTIL_OK;
}

static int jr_skip(jrd *j, int depth);

/* Iterate over a container: after '[' or '{' was consumed, *more = 1 while
 * another element follows (consuming the ','), 0 at the closing bracket. */
static int jr_next(jrd *j, int close, int first, int *more)
{
    int c = jr_peek(j);
    if (c == close) {
        jr_raw(j);
        *more = 0;
        return UTIL_OK;
    }
    if (!first) {
        if (c != ',')
            return c == EOF ? jr_fail(j, "unexpected end of file") : jr_fail(j, "expected ',' or '%c', found '%c'", close, c);
        jr_raw(j);
    }
    *more = 1;
    return UTIL_OK;
}

/* Read `"key":` of an object member into j->str. */
static int jr_key(jrd *j)
{
    if (jr_string(j))
        return UTIL_EINPUT;
    return jr_expect(j, ':');
}

static int jr_skip(jrd *j, int depth)
{
    int c = jr_peek(j), more = 1, first = 1;
    double x;
    if (depth > JR_MAX_DEPTH)
        return jr_fail(j, "nesting too deep");
    if (c == '"')
        return jr_string(j);
    if (c != '[' && c != '{')
        return jr_scalar(j, &x, &more);
    jr_raw(j);
    for (;;) {
        if (jr_next(j, c == '[' ? ']' : '}', first, &more))
            return UTIL_EINPUT;
        if (!more)
            return UTIL_OK;
        first = 0;
        if (c == '{' && jr_key(j))
            return UTIL_EINPUT;
        if (jr_skip(j, depth + 1))
            return UTIL_EINPUT;
    }
}

/* A count: a number, or an object whose numeric values are summed (the
 * arena's {h1..h6} / {ordered, unordered} / {"**","__"} dicts). null → found=0. */
static int jr_count(jrd *j, double *x, int *found)
{
    int c = jr_peek(j), lit, more, first = 1;
    double v;
    *found = 0;
    if (c != '{') {
        if (jr_scalar(j, x, &lit))
            return UTIL_EINPUT;
        if (lit == 't' || lit == 'f')
            return jr_fail(j, "expected a count, found a boolean");
        *found = lit != 'n';
        return UTIL_OK;
    }
    jr_raw(j);
    *x = 0;
    for (;;) {
        if (jr_next(j, '}', first, &more))
            return UTIL_EINPUT;
        if (!more)
            break;
        first = 0;
        if (jr_key(j) || jr_scalar(j, &v, &lit))
            return UTIL_EINPUT;
        if (lit == 0)
            *x += v;
    }
    *found = 1;
    return UTIL_OK;
}

/* ---- fastchat-json ---------------------------------------------------------- */

typedef struct {
    char *ma, *mb, *win;
    double ts;
    int skip;
    int want[FEAT_N]; /* features requested (others are skipped unparsed) */
    double va[FEAT_N], vb[FEAT_N];
    int fa[FEAT_N], fb[FEAT_N];
} fc_rec;

static void fc_set(char **dst, const char *s)
{
    free(*dst);
    *dst = util_strdup(s);
}

static int fc_metadata(jrd *j, fc_rec *r)
{
    int more, first = 1;
    if (jr_expect(j, '{'))
        return UTIL_EINPUT;
    for (;;) {
        if (jr_next(j, '}', first, &more))
            return UTIL_EINPUT;
        if (!more)
            return UTIL_OK;
        first = 0;
        if (jr_key(j))
            return UTIL_EINPUT;
        int f, side = -1;
        for (f = 0; f < FEAT_N && side < 0; f++)
            side = !strcmp(j->str, battles_feature_columns[f][0]) ? 0
                   : !strcmp(j->str, battles_feature_columns[f][1]) ? 1
                                                                    : -1;
        if (side < 0 || !r->want[f - 1]) {
            if (jr_skip(j, 1))
                return UTIL_EINPUT;
            continue;
        }
        f--;
        if (jr_count(j, side ? &r->vb[f] : &r->va[f], side ? &r->fb[f] : &r->fa[f]))
            return UTIL_EINPUT;
    }
}

/* dedup_tag: {"sampled": bool, ...}; sampled == false → skip. */
static int fc_dedup(jrd *j, fc_rec *r)
{
    int more, first = 1, lit;
    double x;
    if (jr_peek(j) != '{')
        return jr_skip(j, 1);
    jr_raw(j);
    for (;;) {
        if (jr_next(j, '}', first, &more))
            return UTIL_EINPUT;
        if (!more)
            return UTIL_OK;
        first = 0;
        if (jr_key(j))
            return UTIL_EINPUT;
        if (strcmp(j->str, "sampled")) {
            if (jr_skip(j, 2))
                return UTIL_EINPUT;
            continue;
        }
        if (jr_scalar(j, &x, &lit))
            return UTIL_EINPUT;
        if (lit == 'f')
            r->skip = 1;
    }
}

static int fc_member(jrd *j, fc_rec *r)
{
    int lit;
    double x;
    if (!strcmp(j->str, "model_a") || !strcmp(j->str, "model_b") || !strcmp(j->str, "winner")) {
        char **dst = j->str[0] == 'w' ? &r->win : j->str[6] == 'a' ? &r->ma : &r->mb;
        if (jr_peek(j) != '"')
            return jr_fail(j, "'%s' must be a string", j->str);
        if (jr_string(j))
            return UTIL_EINPUT;
        fc_set(dst, j->str);
        return UTIL_OK;
    }
    if (!strcmp(j->str, "tstamp")) {
        if (jr_scalar(j, &x, &lit))
            return UTIL_EINPUT;
        r->ts = lit ? NAN : x;
        return UTIL_OK;
    }
    if (!strcmp(j->str, "anony")) {
        if (jr_peek(j) == '"' || jr_peek(j) == '{' || jr_peek(j) == '[')
            return jr_skip(j, 1);
        if (jr_scalar(j, &x, &lit))
            return UTIL_EINPUT;
        r->skip |= lit == 'f';
        return UTIL_OK;
    }
    if (!strcmp(j->str, "conv_metadata"))
        return jr_peek(j) == '{' ? fc_metadata(j, r) : jr_skip(j, 1);
    if (!strcmp(j->str, "dedup_tag"))
        return fc_dedup(j, r);
    return jr_skip(j, 1);
}

static int fc_record(jrd *j, fc_rec *r)
{
    int more, first = 1;
    free(r->ma);
    free(r->mb);
    free(r->win);
    r->ma = r->mb = r->win = NULL;
    r->ts = NAN;
    r->skip = 0;
    memset(r->fa, 0, sizeof r->fa);
    memset(r->fb, 0, sizeof r->fb);
    if (jr_expect(j, '{'))
        return UTIL_EINPUT;
    for (;;) {
        if (jr_next(j, '}', first, &more))
            return UTIL_EINPUT;
        if (!more)
            return UTIL_OK;
        first = 0;
        if (jr_key(j) || fc_member(j, r))
            return UTIL_EINPUT;
    }
}

static int fc_add(jrd *j, reader *rd, const fc_rec *r, const int *features, int n_feat)
{
    double d[FEAT_N];
    if (!r->ma || !r->mb || !r->win)
        return jr_fail(j, "missing key '%s'", !r->ma ? "model_a" : !r->mb ? "model_b" : "winner");
    for (int k = 0; k < n_feat; k++) {
        int f = features[k];
        if (!r->fa[f] || !r->fb[f])
            return jr_fail(j, "style feature '%s' needs conv_metadata.%s", battles_feature_names[f],
                           battles_feature_columns[f][r->fa[f] ? 1 : 0]);
        if (r->va[f] < 0 || r->vb[f] < 0)
            return jr_fail(j, "conv_metadata.%s: negative count", battles_feature_columns[f][r->va[f] < 0 ? 0 : 1]);
        d[k] = feature_d(r->va[f], r->vb[f]);
    }
    util_err e2;
    if (reader_add(rd, r->ma, r->mb, r->win, r->ts, d, &e2))
        return jr_fail(j, "%s", e2.msg);
    return UTIL_OK;
}

static int read_fastchat(jrd *j, const int *features, int n_feat, battles_data **out, util_err *err)
{
    reader rd;
    fc_rec r;
    int more, first = 1, rc;
    long rec = 0;
    memset(&r, 0, sizeof r);
    for (int k = 0; k < n_feat; k++)
        r.want[features[k]] = 1;
    reader_init(&rd, n_feat);
    rc = jr_expect(j, '[');
    while (!rc) {
        j->record = 0;
        rc = jr_next(j, ']', first, &more);
        if (rc || !more)
            break;
        first = 0;
        j->record = ++rec;
        rc = fc_record(j, &r);
        if (!rc && !r.skip)
            rc = fc_add(j, &rd, &r, features, n_feat);
    }
    j->record = 0;
    free(r.ma);
    free(r.mb);
    free(r.win);
    if (!rc && jr_peek(j) != EOF)
        rc = jr_fail(j, "trailing content after the top-level array");
    if (rc) {
        reader_discard(&rd);
        return rc;
    }
    return reader_finish(&rd, BATTLES_FMT_FASTCHAT_JSON, out, err);
}

/* ---- counts-json ------------------------------------------------------------ */

typedef struct {
    name_map map;
    double *x, *y; /* pairs (2 per) and counts (4 per) */
    size_t nx, ny, capx, capy;
    int have_models;
} counts_state;

static int cj_models(jrd *j, counts_state *s)
{
    int more, first = 1, created;
    if (jr_expect(j, '['))
        return UTIL_EINPUT;
    for (;;) {
        if (jr_next(j, ']', first, &more))
            return UTIL_EINPUT;
        if (!more)
            break;
        first = 0;
        if (jr_peek(j) != '"')
            return jr_fail(j, "\"models\" must be an array of strings");
        if (jr_string(j))
            return UTIL_EINPUT;
        map_get(&s->map, j->str, &created);
        if (!created)
            return jr_fail(j, "model '%s' listed twice in \"models\"", j->str);
    }
    s->have_models = 1;
    return UTIL_OK;
}

/* An array of fixed-length numeric arrays, appended to *v. */
static int cj_matrix(jrd *j, const char *key, int width, double **v, size_t *nv, size_t *cap)
{
    int more, first = 1, lit;
    if (jr_expect(j, '['))
        return UTIL_EINPUT;
    for (;;) {
        if (jr_next(j, ']', first, &more))
            return UTIL_EINPUT;
        if (!more)
            return UTIL_OK;
        first = 0;
        if (*nv + (size_t)width > *cap) {
            *cap = 2 * *cap + (size_t)width;
            *v = util_realloc(*v, *cap * sizeof(double));
        }
        if (jr_expect(j, '['))
            return UTIL_EINPUT;
        for (int k = 0; k < width; k++) {
            if ((k && jr_expect(j, ',')) || jr_scalar(j, &(*v)[*nv + (size_t)k], &lit))
                return UTIL_EINPUT;
            if (lit || (*v)[*nv + (size_t)k] < 0)
                return jr_fail(j, "\"%s\" entry %zu: expected %d numbers ≥ 0", key, *nv / (size_t)width, width);
        }
        if (jr_expect(j, ']'))
            return UTIL_EINPUT;
        *nv += (size_t)width;
    }
}

static int cj_build(jrd *j, counts_state *s, battles_data **out)
{
    size_t m = s->nx / 2;
    int n = s->map.n;
    if (!s->have_models || (s->nx == 0 && s->ny == 0))
        return jr_fail(j, "counts-json needs keys \"models\", \"X\" and \"Y\"");
    if (s->nx / 2 != s->ny / 4)
        return jr_fail(j, "\"X\" has %zu pairs but \"Y\" has %zu rows", s->nx / 2, s->ny / 4);
    battles_data *d = util_calloc(1, sizeof *d);
    d->format = BATTLES_FMT_COUNTS_JSON;
    d->table = rating_table_alloc(n);
    double total = 0;
    for (size_t k = 0; k < m; k++) {
        double xi = s->x[2 * k], xj = s->x[2 * k + 1];
        if (xi != floor(xi) || xj != floor(xj) || xi >= n || xj >= n || xi == xj) {
            rating_table_free(d->table);
            free(d);
            return jr_fail(j, "\"X\" entry %zu: [%g, %g] is not a pair of distinct model indices < %d", k, xi, xj, n);
        }
        for (int o = 0; o < 4; o++) {
            rating_table_add(d->table, (int)xi, (int)xj, o, s->y[4 * k + (size_t)o]);
            total += s->y[4 * k + (size_t)o];
        }
    }
    d->n_models = n;
    d->names = s->map.names;
    s->map.names = NULL;
    *out = d;
    if (total <= 0) {
        battles_free(d);
        *out = NULL;
        return jr_fail(j, "no battles in the file");
    }
    return UTIL_OK;
}

static int read_counts(jrd *j, battles_data **out)
{
    counts_state s;
    int more, first = 1, rc;
    memset(&s, 0, sizeof s);
    map_init(&s.map);
    rc = jr_expect(j, '{');
    while (!rc) {
        rc = jr_next(j, '}', first, &more);
        if (rc || !more)
            break;
        first = 0;
        rc = jr_key(j);
        if (rc)
            break;
        if (!strcmp(j->str, "models"))
            rc = cj_models(j, &s);
        else if (!strcmp(j->str, "X"))
            rc = cj_matrix(j, "X", 2, &s.x, &s.nx, &s.capx);
        else if (!strcmp(j->str, "Y"))
            rc = cj_matrix(j, "Y", 4, &s.y, &s.ny, &s.capy);
        else
            rc = jr_skip(j, 1);
    }
    if (!rc && jr_peek(j) != EOF)
        rc = jr_fail(j, "trailing content after the top-level object");
    if (!rc)
        rc = cj_build(j, &s, out);
    if (s.map.names) {
        for (int i = 0; i < s.map.n; i++)
            free(s.map.names[i]);
        free(s.map.names);
    }
    map_free_slots(&s.map);
    free(s.x);
    free(s.y);
    return rc;
}

/* ---- Entry points ------------------------------------------------------------ */

static battles_format detect(FILE *fp)
{
    int c;
    do
        c = fgetc(fp);
    while (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xEF || c == 0xBB || c == 0xBF);
    rewind(fp);
    return c == '[' ? BATTLES_FMT_FASTCHAT_JSON : c == '{' ? BATTLES_FMT_COUNTS_JSON : BATTLES_FMT_CSV;
}

int battles_read(const char *path, battles_format fmt, const int *features, int n_feat,
                 battles_data **out, util_err *err)
{
    int rc;
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return util_err_set(err, UTIL_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    if (fmt == BATTLES_FMT_AUTO)
        fmt = detect(fp);
    if (fmt == BATTLES_FMT_CSV) {
        rc = read_csv(fp, path, features, n_feat, out, err);
    } else {
        jrd *j = util_calloc(1, sizeof *j);
        j->fp = fp;
        j->line = 1;
        j->scap = 256;
        j->str = util_malloc(j->scap);
        j->err = err;
        if (fmt == BATTLES_FMT_COUNTS_JSON && n_feat > 0)
            rc = util_err_set(err, UTIL_EINPUT, "counts-json holds no style features (drop --style)");
        else
            rc = fmt == BATTLES_FMT_COUNTS_JSON ? read_counts(j, out)
                                                : read_fastchat(j, features, n_feat, out, err);
        if (rc)
            util_err_prefix(err, "%s", path);
        free(j->str);
        free(j);
    }
    fclose(fp);
    return rc;
}

void battles_free(battles_data *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->n_models; i++)
        free(d->names[i]);
    free(d->names);
    rating_rows_free(d->rows);
    free(d->tstamp);
    rating_table_free(d->table);
    free(d);
}

int battles_find_model(const battles_data *d, const char *name)
{
    for (int i = 0; i < d->n_models; i++)
        if (!strcmp(d->names[i], name))
            return i;
    return -1;
}

static void subset_table(battles_data *d, const int *map, int m)
{
    rating_table *t = rating_table_alloc(m);
    const double *c = d->table->cell;
    for (int i = 0; i < d->n_models; i++)
        for (int j = i + 1; j < d->n_models; j++, c += 4)
            if (map[i] >= 0 && map[j] >= 0)
                for (int o = 0; o < 4; o++)
                    if (c[o] != 0)
                        rating_table_add(t, map[i], map[j], o, c[o]);
    rating_table_free(d->table);
    d->table = t;
}

void battles_subset(battles_data *d, const unsigned char *keep)
{
    int *map = util_malloc((size_t)(d->n_models > 0 ? d->n_models : 1) * sizeof(int)), m = 0;
    for (int i = 0; i < d->n_models; i++)
        map[i] = keep[i] ? m++ : -1;
    if (d->rows) {
        rating_rows *r = d->rows;
        size_t F = (size_t)r->n_feat, k = 0;
        for (size_t i = 0; i < r->n; i++) {
            if (map[r->a[i]] < 0 || map[r->b[i]] < 0)
                continue;
            r->a[k] = map[r->a[i]];
            r->b[k] = map[r->b[i]];
            r->outcome[k] = r->outcome[i];
            if (F)
                memmove(r->d + k * F, r->d + i * F, F * sizeof(double));
            if (d->tstamp)
                d->tstamp[k] = d->tstamp[i];
            k++;
        }
        r->n = k;
        r->n_models = m;
    }
    subset_table(d, map, m);
    for (int i = 0, k = 0; i < d->n_models; i++) {
        if (map[i] >= 0)
            d->names[k++] = d->names[i];
        else
            free(d->names[i]);
    }
    d->n_models = m;
    free(map);
}

typedef struct {
    double t;
    size_t i;
} ts_key;

static int ts_cmp(const void *x, const void *y)
{
    const ts_key *a = x, *b = y;
    return a->t < b->t ? -1 : a->t > b->t ? 1 : a->i < b->i ? -1 : a->i > b->i;
}

void battles_sort_by_time(battles_data *d)
{
    if (!d->rows || !d->tstamp || d->rows->n < 2)
        return;
    rating_rows *r = d->rows, *s;
    ts_key *k = util_malloc(r->n * sizeof *k);
    for (size_t i = 0; i < r->n; i++)
        k[i] = (ts_key){d->tstamp[i], i};
    qsort(k, r->n, sizeof *k, ts_cmp);
    s = rating_rows_alloc(r->n_models, r->n_feat, r->n);
    for (size_t i = 0; i < r->n; i++) {
        size_t q = k[i].i;
        rating_rows_push(s, r->a[q], r->b[q], r->outcome[q], r->d + q * (size_t)(r->n_feat > 0 ? r->n_feat : 1));
        d->tstamp[i] = k[i].t;
    }
    rating_rows_free(r);
    d->rows = s;
    free(k);
}
