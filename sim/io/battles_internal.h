/*
 * io/battles_internal.h — private to the battle-log readers (the io/battles*.c files):
 * the model-name map and the per-battle reader state the formats share, and
 * one entry point per format file.
 */
#ifndef ARENASIM_BATTLES_INTERNAL_H
#define ARENASIM_BATTLES_INTERNAL_H

#include <stdio.h>

#include "io/battles.h"

/* Name map (open addressing). */
typedef struct {
    char **names;
    int n, cap;
    int *slot; /* index + 1, 0 = empty; size nslot (power of 2) */
    size_t nslot;
} name_map;

/* Reading state shared by the per-battle formats. */
typedef struct {
    name_map map;
    rating_rows *rows;
    double *ts;
    size_t ts_cap;
    int ts_ok; /* every row so far had a finite timestamp */
    rating_table *table; /* built by the format reader (CSV), or NULL: from rows */
    size_t n_battles;    /* battles read when rows == NULL (CSV, BATTLES_TABLE_ONLY) */
} reader;

void battles_map_init(name_map *m);
void battles_map_free_slots(name_map *m);
/* Index of s, added if new (*created = 1). */
int battles_map_get(name_map *m, const char *s, int *created);

/* winner string → RATING_*, or −1. */
int battles_parse_winner(const char *w);
/* d = (a − b)/(a + b + 1): inline so the CSV hot loop and the JSON reader
 * compute it by the same expression. */
static inline double battles_feature_d(double a, double b)
{
    return (a - b) / (a + b + 1.0);
}

void battles_reader_init(reader *rd, int n_feat);
int battles_reader_add(reader *rd, const char *ma, const char *mb, const char *winner, double ts,
                       const double *d, util_err *err);
void battles_reader_discard(reader *rd);
int battles_reader_finish(reader *rd, battles_format fmt, battles_data **out, util_err *err);

/* battles_csv.c: battles_read_csv_opt with flags 0 */
int battles_read_csv(FILE *fp, const char *path, const int *features, int n_feat, battles_data **out,
                     util_err *err);
/* flags: BATTLES_TABLE_ONLY or 0 */
int battles_read_csv_opt(FILE *fp, const char *path, const int *features, int n_feat, unsigned flags,
                         battles_data **out, util_err *err);
/* A CSV number field [s, e): the value strtod gives for the text, without
 * strtod for plain digits[.digits] of at most 15 significant digits (exact:
 * Clinger's fast path); −1 when the text is not a finite number (strtod's
 * rules, leading/trailing spaces allowed). The text must not hold '\0'. */
int battles_csv_number(const char *s, const char *e, double *x);
/* The rule battles_csv_number keeps, on strtod itself: a NUL-terminated
 * field, spaces around the number allowed, nothing else after it, finite,
 * no range error; 0 or −1. */
int battles_csv_strtod(const char *s, double *x);
/* battles_json.c: fastchat-json or counts-json */
int battles_read_json(FILE *fp, battles_format fmt, const int *features, int n_feat,
                      battles_data **out, util_err *err);

#endif
