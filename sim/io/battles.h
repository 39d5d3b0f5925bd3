/*
 * io/battles.h — streaming readers for battle logs (DESIGN §5): the CSV
 * battle schema, the arena's published battle JSON ("fastchat-json", read
 * object by object so multi-GB files are never held in memory), and
 * aggregated pair counts ("counts-json").
 *
 * Units: style features are raw per-response counts (tokens, markdown
 * elements, emoji); rows carry the per-feature difference
 * d = (a − b)/(a + b + 1) of the requested features, in request order.
 * Timestamps are whatever the file holds (seconds since the epoch in the
 * arena's logs), kept only to order battles for online Elo.
 */
#ifndef ARENASIM_BATTLES_IO_H
#define ARENASIM_BATTLES_IO_H

#include "params/params.h"
#include "rating/rating.h"
#include "base/util.h"

/* Limits on a battle log (README "Limits"); breaking one is bad input.
 * Models: the fits hold n×n matrices (4,096 models: about 0.5 GB).
 * Battles: about 60 bytes each in memory with every style feature.
 * A CSV line or a JSON string: far above any real record.
 * counts-json counts: doubles hold integers exactly only below 2^53. */
#define BATTLES_MAX_MODELS 4096
#define BATTLES_MAX_BATTLES 500000000
#define BATTLES_MAX_FIELD (16u << 20)
#define BATTLES_MAX_COUNT 9007199254740992.0

typedef enum {
    BATTLES_FMT_AUTO = 0,
    BATTLES_FMT_CSV,
    BATTLES_FMT_FASTCHAT_JSON,
    BATTLES_FMT_COUNTS_JSON
} battles_format;

/* Column names of the style features per side (the arena's tooling names),
 * indexed by FEAT_*: [f][0] side A, [f][1] side B. */
extern const char *const battles_feature_columns[FEAT_N][2];
/* Feature names as in params_feature_names ("tokens", ...). */
extern const char *const battles_feature_names[FEAT_N];

typedef struct {
    int n_models;
    char **names;          /* n_models names, in order of first appearance */
    battles_format format; /* the format actually read */
    rating_rows *rows;     /* per-battle rows (NULL for counts-json) */
    double *tstamp;        /* rows->n timestamps, or NULL when absent */
    rating_table *table;   /* aggregated win/tie table (all formats) */
} battles_data;

/* "csv" | "fastchat-json" | "counts-json" → *fmt; UTIL_EINPUT otherwise. */
int battles_parse_format(const char *s, battles_format *fmt, util_err *err);
const char *battles_format_name(battles_format fmt);

/* Read `path`. features: n_feat FEAT_* indices to load as style columns
 * (n_feat = 0: none; then style columns are not required). Errors name the
 * file and line (CSV) or record (JSON); bad data → UTIL_EINPUT. */
int battles_read(const char *path, battles_format fmt, const int *features, int n_feat,
                 battles_data **out, util_err *err);
/* battles_read with flags. BATTLES_TABLE_ONLY: the caller uses only names
 * and table, so rows and tstamp may be NULL (the CSV reader then keeps no
 * per-battle rows); the file is checked exactly as by battles_read. */
#define BATTLES_TABLE_ONLY 1u
int battles_read_opt(const char *path, battles_format fmt, const int *features, int n_feat,
                     unsigned flags, battles_data **out, util_err *err);
void battles_free(battles_data *d);

/* Index of a model name, or −1. */
int battles_find_model(const battles_data *d, const char *name);

/* Keep only models with keep[i] != 0 and the battles between two kept
 * models; indices are renumbered in order. Rebuilds rows, tstamp and table. */
void battles_subset(battles_data *d, const unsigned char *keep);

/* Reorder rows by timestamp (stable), when timestamps are present. */
void battles_sort_by_time(battles_data *d);

#endif
