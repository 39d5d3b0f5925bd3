/*
 * io/battles.c — battle logs (see battles.h): format names and detection,
 * the entry point that dispatches to one reader per format (battles_csv.c,
 * battles_json.c, both built on battles_reader.c), and the operations on a
 * loaded log (find a model, drop rare models, sort by time).
 * Units: raw counts in, d = (a − b)/(a + b + 1) out.
 */
#include "io/battles_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A pipe cannot be rewound after detect() peeks at it: read it into memory
 * and read that instead (*mem: the buffer to free after fp). NULL on a read
 * error (fp closed either way). */
static FILE *unseekable_to_memory(FILE *fp, char **mem)
{
    size_t cap = 1 << 16, n = 0, got;
    char *buf = util_malloc(cap);
    while ((got = fread(buf + n, 1, cap - n, fp)) > 0)
        if ((n += got) == cap)
            buf = util_realloc(buf, cap *= 2);
    int bad = ferror(fp);
    fclose(fp);
    FILE *m = bad ? NULL : fmemopen(buf, n, "rb");
    if (!m)
        free(buf);
    *mem = m ? buf : NULL;
    return m;
}

int battles_read(const char *path, battles_format fmt, const int *features, int n_feat,
                 battles_data **out, util_err *err)
{
    return battles_read_opt(path, fmt, features, n_feat, 0, out, err);
}

int battles_read_opt(const char *path, battles_format fmt, const int *features, int n_feat,
                     unsigned flags, battles_data **out, util_err *err)
{
    int rc;
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return util_err_set(err, UTIL_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    char *mem = NULL;
    if (fmt == BATTLES_FMT_AUTO) {
        if (fseek(fp, 0, SEEK_CUR) != 0 && !(fp = unseekable_to_memory(fp, &mem)))
            return util_err_set(err, UTIL_ERUNTIME, "%s: read error", path);
        fmt = detect(fp);
    }
    if (fmt == BATTLES_FMT_CSV)
        rc = battles_read_csv_opt(fp, path, features, n_feat, flags, out, err);
    else if (fmt == BATTLES_FMT_COUNTS_JSON && n_feat > 0)
        rc = util_err_set(err, UTIL_EINPUT, "%s: counts-json holds no style features (drop --style)",
                          path);
    else if ((rc = battles_read_json(fp, fmt, features, n_feat, out, err)))
        util_err_prefix(err, "%s", path);
    fclose(fp);
    free(mem);
    return rc;
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
