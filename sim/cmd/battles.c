/*
 * cmd/battles.c — `arenasim battles CONFIG -o FILE.csv [--point P]
 * [--replicate R]`: export the battles of one simulated replicate — the data
 * its final leaderboard was fitted on (retracted votes removed), with a
 * `phase` column (public, testing, listed, release) — in the arena's CSV
 * schema (DESIGN §5), so they load unchanged in the arena's tools and in
 * `arenasim fit`. Style columns are raw counts (tokens, markdown, emoji).
 * Models carry the result file's labels (the listed variant is
 * "BASE (listed)"), so `fit --config` output matches /axes/model by name.
 * An existing FILE.csv is replaced only with --force.
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

typedef struct {
    const char *out;
    long point, rep;
    int all, force;
} battles_args;

enum { B_OUT, B_POINT, B_REP, B_ALL, B_FORCE, B_N };
static const cli_opt battles_opts[B_N] = {
    [B_OUT] = {"--output", "-o", "FILE.csv", NULL, NULL, "the CSV file to write", CLI_REQUIRED},
    [B_POINT] = {"--point", NULL, "P", "0", NULL,
                 "sweep point, 0-based (the row index of `arenasim check`)", 0},
    [B_REP] = {"--replicate", NULL, "R", "0", NULL, "replicate, 0-based (0 to replicates-1)", 0},
    [B_ALL] = {"--all", NULL, NULL, NULL, NULL,
               "also write the battles left out of the final fit (retracted votes), with a "
               "column kept (1/0)", 0},
    [B_FORCE] = {"--force", NULL, NULL, NULL, NULL, "replace an existing FILE.csv", 0},
};
const cli_cmd cmd_battles_spec = {
    "battles", "CONFIG", 1, 1,
    "Export the battles of one simulated replicate in the arena's CSV schema.",
    "The battles its final leaderboard was fitted on, with a phase column (public, testing, "
    "listed, release) and raw style counts, load unchanged in the arena's tools and in "
    "`arenasim fit`. Models carry the labels of the result file: the listed variant is "
    "'BASE (listed)', the released model 'BASE (released)', other private variants 'BASE#vK' "
    "(K 0-based). So `arenasim fit FILE.csv --style --config CONFIG` reproduces the stored "
    "bt_style scores of that point and replicate.",
    battles_opts, B_N};

static int battles_set(void *ctx, int opt, const char *v, util_err *err)
{
    battles_args *a = ctx;
    switch (opt) {
    case B_OUT: a->out = v; break;
    case B_POINT:
        if (cli_parse_long(v, 0, 100000000, &a->point))
            return util_err_set(err, UTIL_EINPUT, "--point needs a point index, got '%s'", v);
        break;
    case B_REP:
        if (cli_parse_long(v, 0, 100000000, &a->rep))
            return util_err_set(err, UTIL_EINPUT, "--replicate needs an index, got '%s'", v);
        break;
    case B_ALL: a->all = 1; break;
    case B_FORCE: a->force = 1; break;
    }
    return UTIL_OK;
}

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

/* The result file's label of each entity: the listed variant of vendor g is
 * its slot "BASE (listed)"; the rest keep their names. buf: n_ent rows. */
static const char **entity_labels(const arena_scenario *s, const arena_result *res,
                                  char (*buf)[2 * PARAMS_NAME_LEN + 16])
{
    const char **lab = util_malloc((size_t)s->n_ent * sizeof *lab);
    for (int e = 0; e < s->n_ent; e++) {
        const arena_entity *en = &s->ent[e];
        lab[e] = en->name;
        if (en->kind == ARENA_ENT_VARIANT && en->variant == res->selected[en->gaming])
            lab[e] = arena_slot_name(s, s->p->n_models + 2 * en->gaming, buf[e], sizeof buf[e]);
    }
    return lab;
}

static int write_csv(const char *path, const char **label, const arena_battle *b, size_t n,
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
        put_field(f, label[b[i].a]);
        fputc(',', f);
        put_field(f, label[b[i].b]);
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
    battles_args a = {0};
    const char **pos = util_calloc((size_t)argc + 1, sizeof *pos);
    int n_pos, prc = cli_parse(&cmd_battles_spec, argc, argv, battles_set, &a, pos, &n_pos, NULL);
    const char *cfg = pos[0], *out = a.out;
    long point = a.point, rep = a.rep;
    int all = a.all;
    free(pos);
    if (prc)
        return prc < 0 ? 0 : prc;
    util_err err = {0, ""};
    if (cli_check_new_output("-o", out, a.force, &err)) {
        fprintf(stderr, "arenasim battles: %s\n", err.msg);
        return UTIL_EINPUT;
    }
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
    char(*buf)[2 * PARAMS_NAME_LEN + 16] = util_malloc((size_t)s.n_ent * sizeof *buf);
    const char **label = entity_labels(&s, &res, buf);
    char *tmp = util_malloc(strlen(out) + 32);
    sprintf(tmp, "%s.tmp%d", out, (int)getpid());
    if (write_csv(tmp, label, b, n, all))
        rc = util_err_set(&err, UTIL_ERUNTIME, "cannot write %s: %s", tmp, strerror(errno));
    else
        rc = cli_place(tmp, out, a.force, &err);
    if (rc)
        unlink(tmp);
    free(tmp);
    free(label);
    free(buf);
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
