/*
 * io/battles_reader.c — the base of the battle-log readers: the model-name
 * map, the per-battle reader state every format fills (rows, timestamps, the
 * win/tie table), winner strings and the style difference d, and freeing a
 * loaded log. The format files (battles_csv.c, battles_json.c) build on it;
 * battles.c dispatches to them. Units: raw counts in, d = (a − b)/(a + b + 1) out.
 */
#include "io/battles_internal.h"

#include <math.h>
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


void battles_map_init(name_map *m)
{
    m->n = 0;
    m->cap = 16;
    m->names = util_malloc((size_t)m->cap * sizeof(char *));
    m->nslot = 64;
    m->slot = util_calloc(m->nslot, sizeof(int));
}

void battles_map_free_slots(name_map *m)
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
int battles_map_get(name_map *m, const char *s, int *created)
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

int battles_parse_winner(const char *w)
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



void battles_reader_init(reader *rd, int n_feat)
{
    battles_map_init(&rd->map);
    rd->rows = rating_rows_alloc(0, n_feat, 4096);
    rd->ts_cap = 4096;
    rd->ts = util_malloc(rd->ts_cap * sizeof(double));
    rd->ts_ok = 1;
    rd->table = NULL;
    rd->n_battles = 0;
}

/* Add one battle; returns UTIL_OK or UTIL_EINPUT (message without location). */
int battles_reader_add(reader *rd, const char *ma, const char *mb, const char *winner, double ts,
                      const double *d, util_err *err)
{
    int oc = battles_parse_winner(winner), c;
    if (!*ma || !*mb)
        return util_err_set(err, UTIL_EINPUT, "empty model name");
    if (!strcmp(ma, mb))
        return util_err_set(err, UTIL_EINPUT, "model '%s' battles itself", ma);
    if (oc < 0)
        return util_err_set(err, UTIL_EINPUT,
                            "unknown winner '%s' (expected model_a, model_b, tie or tie (bothbad))", winner);
    if (rd->rows->n >= BATTLES_MAX_BATTLES)
        return util_err_set(err, UTIL_EINPUT, "more than %d battles (the limit on a battle log)",
                            BATTLES_MAX_BATTLES);
    int a = battles_map_get(&rd->map, ma, &c), b = battles_map_get(&rd->map, mb, &c);
    if (rd->map.n > BATTLES_MAX_MODELS)
        return util_err_set(err, UTIL_EINPUT, "model '%s' is model number %d, more than the limit of %d "
                            "models in a battle log", c ? mb : ma, rd->map.n, BATTLES_MAX_MODELS);
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

void battles_reader_discard(reader *rd)
{
    for (int i = 0; i < rd->map.n; i++)
        free(rd->map.names[i]);
    free(rd->map.names);
    battles_map_free_slots(&rd->map);
    rating_rows_free(rd->rows);
    free(rd->ts);
    rating_table_free(rd->table);
}

static void build_table(battles_data *d)
{
    d->table = rating_table_alloc(d->n_models);
    for (size_t i = 0; i < d->rows->n; i++)
        rating_table_add(d->table, d->rows->a[i], d->rows->b[i], d->rows->outcome[i], 1.0);
}

/* Move a finished reader into a battles_data. */
int battles_reader_finish(reader *rd, battles_format fmt, battles_data **out, util_err *err)
{
    if ((rd->rows ? rd->rows->n : rd->n_battles) == 0) {
        battles_reader_discard(rd);
        return util_err_set(err, UTIL_EINPUT, "no battles in the file");
    }
    battles_data *d = util_calloc(1, sizeof *d);
    d->format = fmt;
    d->n_models = rd->map.n;
    d->names = rd->map.names;
    battles_map_free_slots(&rd->map);
    d->rows = rd->rows;
    if (d->rows)
        d->rows->n_models = d->n_models;
    if (rd->ts_ok && rd->rows) {
        d->tstamp = rd->ts;
    } else {
        free(rd->ts);
        d->tstamp = NULL;
    }
    if (rd->table)
        d->table = rd->table;
    else
        build_table(d);
    *out = d;
    return UTIL_OK;
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
