/*
 * tests/fuzz/fuzz_battles.h — the body shared by the three battle-log fuzz
 * targets: read the bytes as one format (fmemopen, no temporary file), once
 * without style columns and once with every style feature. Bad input must be
 * UTIL_EINPUT with a message; a log that loads must be consistent: indices
 * in range, the table equal to the rows' own, and (CSV) the counts-only read
 * giving the same names and table.
 */
#ifndef FUZZ_BATTLES_H
#define FUZZ_BATTLES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/battles_internal.h"

static void fuzz_battles_once(const uint8_t *data, size_t size, battles_format fmt, int n_feat)
{
    static const int feats[FEAT_N] = {0, 1, 2, 3, 4};
    battles_data *d = NULL;
    util_err err = {0, ""};
    FILE *fp = fmemopen((void *)data, size, "rb");
    if (!fp)
        return;
    int rc = fmt == BATTLES_FMT_CSV ? battles_read_csv(fp, "fuzz.csv", feats, n_feat, &d, &err)
                                    : battles_read_json(fp, fmt, feats, n_feat, &d, &err);
    fclose(fp);
    if (rc) {
        if (rc != UTIL_EINPUT || !err.msg[0] || d)
            abort();
        return;
    }
    if (!d || d->n_models < 1 || !d->table)
        abort();
    if (d->rows)
        for (size_t i = 0; i < d->rows->n; i++)
            if (d->rows->a[i] < 0 || d->rows->a[i] >= d->n_models || d->rows->b[i] < 0 ||
                d->rows->b[i] >= d->n_models || d->rows->a[i] == d->rows->b[i])
                abort();
    if (d->rows) { /* the table (the CSV reader sums it per chunk) is that of the rows */
        rating_table *t = rating_table_alloc(d->n_models);
        for (size_t i = 0; i < d->rows->n; i++)
            rating_table_add(t, d->rows->a[i], d->rows->b[i], d->rows->outcome[i], 1.0);
        size_t cells = 4 * (size_t)d->n_models * (size_t)(d->n_models - 1) / 2;
        if (memcmp(t->cell, d->table->cell, cells * sizeof *t->cell) != 0)
            abort();
        rating_table_free(t);
    }
    if (fmt == BATTLES_FMT_CSV) { /* counts only: the same names and table */
        battles_data *e = NULL;
        util_err err2 = {0, ""};
        fp = fmemopen((void *)data, size, "rb");
        if (!fp || battles_read_csv_opt(fp, "fuzz.csv", feats, n_feat, BATTLES_TABLE_ONLY, &e, &err2) || !e ||
            e->n_models != d->n_models ||
            memcmp(e->table->cell, d->table->cell,
                   4 * (size_t)d->n_models * (size_t)(d->n_models - 1) / 2 * sizeof(double)) != 0)
            abort();
        for (int i = 0; i < d->n_models; i++)
            if (strcmp(e->names[i], d->names[i]))
                abort();
        fclose(fp);
        battles_free(e);
    }
    battles_sort_by_time(d);
    battles_free(d);
}

static int fuzz_battles(const uint8_t *data, size_t size, battles_format fmt)
{
    fuzz_battles_once(data, size, fmt, 0);
    if (fmt != BATTLES_FMT_COUNTS_JSON)
        fuzz_battles_once(data, size, fmt, FEAT_N);
    return 0;
}

#endif
