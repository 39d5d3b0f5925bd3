/*
 * io/battles_json.c — the two JSON formats, parsed by one small buffered
 * streaming tokenizer (memory ∝ one record, not the file):
 * fastchat-json, the arena's published battle array, object by object
 * (records with "anony": false or dedup_tag.sampled == false are skipped, as
 * the arena's own leaderboard does); counts-json, the aggregated
 * {"models", "X", "Y"} table. Units: raw counts in, d out (battles.h).
 */
#include "io/battles_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        if (n >= BATTLES_MAX_FIELD)
            return jr_fail(j, "a string longer than %u MiB (the limit)", BATTLES_MAX_FIELD >> 20);
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
    int want[FEAT_N]; /* features requested (the others are read and checked too) */
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
        if (side < 0) {
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
        d[k] = battles_feature_d(r->va[f], r->vb[f]);
    }
    /* Every style count present is checked, used or not, so that a file is
     * valid or not whatever the options (README "Fitting real battle logs"). */
    for (int f = 0; f < FEAT_N; f++)
        for (int side = 0; side < 2; side++) {
            double v = side ? r->vb[f] : r->va[f];
            if ((side ? r->fb[f] : r->fa[f]) && (!isfinite(v) || v < 0))
                return jr_fail(j, "conv_metadata.%s: expected a count ≥ 0, got %g",
                               battles_feature_columns[f][side], v);
        }
    util_err e2;
    if (battles_reader_add(rd, r->ma, r->mb, r->win, r->ts, d, &e2))
        return jr_fail(j, "%s", e2.msg);
    return UTIL_OK;
}

static int battles_read_fastchat(jrd *j, const int *features, int n_feat, battles_data **out, util_err *err)
{
    reader rd;
    fc_rec r;
    int more, first = 1, rc;
    long rec = 0;
    memset(&r, 0, sizeof r);
    for (int k = 0; k < n_feat; k++)
        r.want[features[k]] = 1;
    battles_reader_init(&rd, n_feat);
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
        battles_reader_discard(&rd);
        return rc;
    }
    return battles_reader_finish(&rd, BATTLES_FMT_FASTCHAT_JSON, out, err);
}

/* ---- counts-json ------------------------------------------------------------ */

typedef struct {
    name_map map;
    double *x, *y; /* pairs (2 per) and counts (4 per) */
    size_t nx, ny, capx, capy;
    int have_models, have_x, have_y;
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
        if (s->map.n == BATTLES_MAX_MODELS)
            return jr_fail(j, "\"models\" lists more than %d models (the limit)", BATTLES_MAX_MODELS);
        battles_map_get(&s->map, j->str, &created);
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
            /* Counts are doubles: beyond 2^53 they are no longer exact. */
            if ((*v)[*nv + (size_t)k] >= BATTLES_MAX_COUNT)
                return jr_fail(j, "\"%s\" entry %zu: %.17g is not below 2^53 = 9007199254740992, "
                               "the limit on a count (a double holds integers exactly only below it)",
                               key, *nv / (size_t)width, (*v)[*nv + (size_t)k]);
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
    if (!s->have_models || !s->have_x || !s->have_y)
        return jr_fail(j, "counts-json needs keys \"models\", \"X\" and \"Y\"");
    if (n < 2)
        return jr_fail(j, "\"models\" lists %d model(s); a leaderboard needs at least 2", n);
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

static int battles_read_counts(jrd *j, battles_data **out)
{
    counts_state s;
    int more, first = 1, rc;
    memset(&s, 0, sizeof s);
    battles_map_init(&s.map);
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
            rc = cj_matrix(j, "X", 2, &s.x, &s.nx, &s.capx), s.have_x = 1;
        else if (!strcmp(j->str, "Y"))
            rc = cj_matrix(j, "Y", 4, &s.y, &s.ny, &s.capy), s.have_y = 1;
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
    battles_map_free_slots(&s.map);
    free(s.x);
    free(s.y);
    return rc;
}

/* ---- Entry point --------------------------------------------------------------- */

int battles_read_json(FILE *fp, battles_format fmt, const int *features, int n_feat,
                      battles_data **out, util_err *err)
{
    jrd *j = util_calloc(1, sizeof *j);
    j->fp = fp;
    j->line = 1;
    j->scap = 256;
    j->str = util_malloc(j->scap);
    j->err = err;
    int rc = fmt == BATTLES_FMT_COUNTS_JSON ? battles_read_counts(j, out)
                                            : battles_read_fastchat(j, features, n_feat, out, err);
    free(j->str);
    free(j);
    return rc;
}
