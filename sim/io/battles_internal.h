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
} reader;

void battles_map_init(name_map *m);
void battles_map_free_slots(name_map *m);
/* Index of s, added if new (*created = 1). */
int battles_map_get(name_map *m, const char *s, int *created);

/* winner string → RATING_*, or −1. */
int battles_parse_winner(const char *w);
double battles_feature_d(double a, double b);

void battles_reader_init(reader *rd, int n_feat);
int battles_reader_add(reader *rd, const char *ma, const char *mb, const char *winner, double ts,
                       const double *d, util_err *err);
void battles_reader_discard(reader *rd);
int battles_reader_finish(reader *rd, battles_format fmt, battles_data **out, util_err *err);

/* battles_csv.c */
int battles_read_csv(FILE *fp, const char *path, const int *features, int n_feat,
                     battles_data **out, util_err *err);
/* battles_json.c: fastchat-json or counts-json */
int battles_read_json(FILE *fp, battles_format fmt, const int *features, int n_feat,
                      battles_data **out, util_err *err);

#endif
