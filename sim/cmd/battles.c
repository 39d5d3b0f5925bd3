/*
 * cmd/battles.c — `arenasim battles CONFIG -o FILE.csv [--point P]
 * [--replicate R]`: export the battles of one simulated replicate — the data
 * its final leaderboard was fitted on (retracted votes removed), with a
 * `phase` column (public, testing, listed, release) — in the arena's CSV
 * schema (DESIGN §5), so they load unchanged in the arena's tools and in
 * `arenasim fit`. Style columns are raw counts (tokens, markdown, emoji).
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "config/config.h"
#include "arena/arena.h"

static const char *const USAGE =
    "arenasim battles CONFIG -o FILE.csv [--point P] [--replicate R] [--all]";

static const char *const WINNER[] = {"model_a", "model_b", "tie", "tie (bothbad)"};
static const char *const COLS[FEAT_N][2] = {
    {"sum_assistant_a_tokens", "sum_assistant_b_tokens"}, {"header_count_a", "header_count_b"},
    {"list_count_a", "list_count_b"}, {"bold_count_a", "bold_count_b"},
    {"emoji_count_a", "emoji_count_b"}};

/* Model names may hold commas or quotes: quote them as RFC 4180 asks. */
static void put_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int write_csv(const char *path, const arena_scenario *s, const arena_battle *b, size_t n,
                     int all)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("model_a,model_b,winner,tstamp,phase", f);
    for (int k = 0; k < FEAT_N; k++)
        fprintf(f, ",%s,%s", COLS[k][0], COLS[k][1]);
    fputs(all ? ",kept\n" : "\n", f);
    for (size_t i = 0; i < n; i++) {
        if (!all && !b[i].kept)
            continue;
        put_field(f, s->ent[b[i].a].name);
        fputc(',', f);
        put_field(f, s->ent[b[i].b].name);
        fprintf(f, ",%s,%zu,%s", WINNER[b[i].outcome], i, arena_phase_names[b[i].phase]);
        for (int k = 0; k < FEAT_N; k++)
            fprintf(f, ",%u,%u", b[i].feat_a[k], b[i].feat_b[k]);
        if (all)
            fprintf(f, ",%d", b[i].kept);
        fputc('\n', f);
    }
    int bad = ferror(f);
    return fclose(f) == 0 && !bad ? 0 : -1;
}

int cmd_battles(int argc, char **argv)
{
    const char *cfg = NULL, *out = NULL;
    long point = 0, rep = 0;
    int all = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--all"))
            all = 1;
        else if (!strcmp(argv[i], "--point") && i + 1 < argc) {
            if (cli_parse_long(argv[++i], 0, 100000000, &point))
                return cli_usage("battles", USAGE, "--point needs a point index, got '%s'", argv[i]);
        } else if (!strcmp(argv[i], "--replicate") && i + 1 < argc) {
            if (cli_parse_long(argv[++i], 0, 100000000, &rep))
                return cli_usage("battles", USAGE, "--replicate needs an index, got '%s'", argv[i]);
        } else if (argv[i][0] == '-')
            return cli_usage("battles", USAGE, "unknown or incomplete option '%s'", argv[i]);
        else if (!cfg)
            cfg = argv[i];
        else
            return cli_usage("battles", USAGE, "unexpected argument '%s'", argv[i]);
    }
    if (!cfg || !out)
        return cli_usage("battles", USAGE, "CONFIG and -o FILE.csv are required");
    util_err err = {0, ""};
    config *c = config_load(cfg, &err);
    if (!c) {
        fprintf(stderr, "arenasim battles: %s\n", err.msg);
        return UTIL_EINPUT;
    }
    int rc = UTIL_OK;
    params *p = util_malloc(sizeof *p);
    arena_scenario s = {0};
    arena_ws *w = NULL;
    arena_result res = {0};
    if ((size_t)point >= config_n_points(c)) {
        rc = util_err_set(&err, UTIL_EINPUT, "--point %ld: the sweep has %zu point(s)", point,
                          config_n_points(c));
        goto out;
    }
    if ((rc = config_point(c, (size_t)point, p, &err)))
        goto out;
    if (rep >= p->replicates) {
        rc = util_err_set(&err, UTIL_EINPUT, "--replicate %ld: the config has %d replicates", rep,
                          p->replicates);
        goto out;
    }
    if ((rc = arena_scenario_init(&s, p, &err)))
        goto out;
    w = arena_ws_alloc(&s);
    arena_result_alloc(&res, s.n_slots, p->n_gaming);
    if ((rc = arena_replicate(&s, w, (uint64_t)point, (uint64_t)rep, &res, &err)))
        goto out;
    size_t n;
    const arena_battle *b = arena_ws_battles(w, &n);
    char *tmp = util_malloc(strlen(out) + 16);
    sprintf(tmp, "%s.tmp%d", out, (int)getpid());
    if (write_csv(tmp, &s, b, n, all) || rename(tmp, out)) {
        rc = util_err_set(&err, UTIL_ERUNTIME, "cannot write %s: %s", out, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
out:
    if (rc)
        fprintf(stderr, "arenasim battles: %s\n", err.msg);
    if (w) {
        arena_result_free(&res);
        arena_ws_free(w);
        arena_scenario_free(&s);
    }
    free(p);
    config_free(c);
    return rc;
}
