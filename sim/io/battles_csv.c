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
#include <stdlib.h>
#include <string.h>

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
        d[k] = battles_feature_d(a, b);
    }
    /* Style columns the fit does not use are checked all the same, so that a
     * file is valid or not whatever the options (README "Fitting real battle
     * logs"). */
    for (int k = 0; k < c->n_known; k++) {
        double x;
        if (parse_double(f[c->known[k]], &x) || x < 0)
            return util_err_set(err, UTIL_EINPUT, "column %s: expected a count ≥ 0, got '%s'",
                                c->known_name[k], f[c->known[k]]);
    }
    return battles_reader_add(rd, f[c->ma], f[c->mb], f[c->win], ts, d, err);
}

int battles_read_csv(FILE *fp, const char *path, const int *features, int n_feat, battles_data **out,
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
    battles_reader_init(&rd, n_feat);
    ssize_t len;
    while ((len = getline(&line, &lcap, fp)) >= 0) {
        lineno++;
        if ((size_t)len > BATTLES_MAX_FIELD) {
            rc = util_err_set(err, UTIL_EINPUT, "%s:%ld: line longer than %u MiB (the limit)", path,
                              lineno, BATTLES_MAX_FIELD >> 20);
            goto fail;
        }
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
    rc = battles_reader_finish(&rd, BATTLES_FMT_CSV, out, err);
    if (rc)
        util_err_prefix(err, "%s:%ld", path, lineno);
    return rc;
fail:
    free(line);
    free(f);
    battles_reader_discard(&rd);
    return rc;
}
