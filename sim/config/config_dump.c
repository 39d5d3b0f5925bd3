/*
 * config/config_dump.c — the resolved config as YAML (every key of the schema written
 * out, defaults included, sweep block kept in canonical form) and the
 * `arenasim check` listing of the expanded sweep points. Numbers are written
 * in the shortest form that reads back to the same double.
 */
#include "config/config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_map(FILE *f, const char *prefix, const char *rec, int indent, int dash);

static void write_lead(FILE *f, int indent, int *dash)
{
    if (*dash)
        fprintf(f, "%*s- ", indent - 2, "");
    else
        fprintf(f, "%*s", indent, "");
    *dash = 0;
}

static void write_scalar(FILE *f, const config_key *k, const char *rec)
{
    config_value v;
    char buf[512];
    config_value_load(k, rec, &v);
    config_value_format(k, &v, buf, sizeof buf);
    fputs(buf, f);
}

static void write_set(FILE *f, const config_key *k, const char *rec)
{
    const int *flags = (const int *)(const void *)(rec + k->off);
    int n = 0;
    fputc('[', f);
    for (int i = 0; i < k->n_names; i++)
        if (flags[i])
            fprintf(f, "%s%s", n++ ? ", " : "", k->names[i]);
    fputc(']', f);
}

/* {a: 1, b: 2}: a mapping whose children are all scalars. */
static void write_flow(FILE *f, const config_key *m, const char *rec)
{
    int n = 0;
    fputc('{', f);
    for (int i = 0; i < config_schema_n; i++) {
        const config_key *k = &config_schema[i];
        if (!config_key_is_child(k, m->path))
            continue;
        fprintf(f, "%s%s: ", n++ ? ", " : "", config_key_name(k));
        write_scalar(f, k, rec);
    }
    fputc('}', f);
}

static void write_list(FILE *f, const config_key *k, const char *rec, int indent)
{
    int n = *(const int *)(const void *)(rec + k->count_off);
    char prefix[CONFIG_PATH_LEN];
    snprintf(prefix, sizeof prefix, "%s[]", k->path);
    if (n == 0) {
        fputs(" []\n", f);
        return;
    }
    fputc('\n', f);
    for (int i = 0; i < n; i++)
        write_map(f, prefix, rec + k->off + (size_t)i * k->item_size, indent + 4, 1);
}

static void write_map(FILE *f, const char *prefix, const char *rec, int indent, int dash)
{
    for (int i = 0; i < config_schema_n; i++) {
        const config_key *k = &config_schema[i];
        if (!config_key_is_child(k, prefix) || k->type == CONFIG_SWEEP)
            continue;
        if ((k->flags & CONFIG_PRESENCE) && !*(const int *)(const void *)(rec + k->off))
            continue;
        write_lead(f, indent, &dash);
        fprintf(f, "%s:", config_key_name(k));
        if (k->type == CONFIG_LIST) {
            write_list(f, k, rec, indent);
            continue;
        }
        if (k->type == CONFIG_MAP && !(k->flags & CONFIG_FLOW)) {
            fputc('\n', f);
            write_map(f, k->path, rec, indent + 2, 0);
            continue;
        }
        fputc(' ', f);
        if (k->type == CONFIG_MAP)
            write_flow(f, k, rec);
        else if (k->type == CONFIG_SET)
            write_set(f, k, rec);
        else
            write_scalar(f, k, rec);
        fputc('\n', f);
    }
}

/* YAML double-quoted string of any length. */
static void write_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            fprintf(f, "\\x%02x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void write_sweep(FILE *f, const config *c)
{
    if (c->n_axes == 0)
        return;
    fprintf(f, "sweep:\n  mode: %s\n  axes:\n", c->zip ? "zip" : "grid");
    for (int a = 0; a < c->n_axes; a++) {
        const config_axis *ax = &c->axes[a];
        if (ax->member < 0) {
            fputs("    - path: ", f);
            write_quoted(f, ax->path);
            fputs("\n      values: [", f);
            for (size_t j = 0; j < ax->n; j++)
                fprintf(f, "%s%s", j ? ", " : "", ax->text[j]);
            fputs("]\n", f);
            continue;
        }
        int w = 1; /* linked paths: one entry, tuples of values */
        while (a + w < c->n_axes && c->axes[a + w].lead == a)
            w++;
        fputs("    - paths: [", f);
        for (int m = 0; m < w; m++) {
            fputs(m ? ", " : "", f);
            write_quoted(f, c->axes[a + m].path);
        }
        fputs("]\n      values: [", f);
        for (size_t j = 0; j < ax->n; j++) {
            fputs(j ? ", [" : "[", f);
            for (int m = 0; m < w; m++)
                fprintf(f, "%s%s", m ? ", " : "", c->axes[a + m].text[j]);
            fputc(']', f);
        }
        fputs("]\n", f);
        a += w - 1;
    }
}

char *config_dump(const config *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        fprintf(stderr, "arenasim: out of memory (resolved config)\n");
        exit(UTIL_ERUNTIME);
    }
    fputs("# arenasim resolved config: every parameter, defaults written out\n", f);
    write_map(f, "", (const char *)c->base, 0, 0);
    write_sweep(f, c);
    fclose(f);
    return text;
}

void config_print(const config *c, FILE *out)
{
    int na = c->n_axes;
    size_t *w = util_calloc((size_t)na + 1, sizeof *w);
    fputs(c->yaml, out);
    if (na > 0 && !c->zip) { /* the shape: one factor per sweep.axes entry */
        fputs("# sweep: grid", out);
        for (int a = 0; a < na; a++)
            if (c->axes[a].lead == a)
                fprintf(out, "%s%zu", a ? " x " : " ", c->axes[a].n);
        fputs(" (last axis fastest)\n", out);
    }
    for (int a = 0; a < na; a++)
        if (c->axes[a].member == 0) {
            fprintf(out, "# linked (sweep.axes[%d], one grid axis): %s", c->axes[a].entry,
                    c->axes[a].path);
            for (int b = a + 1; b < na && c->axes[b].lead == a; b++)
                fprintf(out, " + %s", c->axes[b].path);
            fputc('\n', out);
        }
    fprintf(out, "# %zu sweep point(s)\n# point", c->n_points);
    for (int a = 0; a < na; a++) {
        w[a] = strlen(c->axes[a].path);
        for (size_t j = 0; j < c->axes[a].n; j++)
            if (strlen(c->axes[a].text[j]) > w[a])
                w[a] = strlen(c->axes[a].text[j]);
        fprintf(out, "  %-*s", a + 1 < na ? (int)w[a] : 0, c->axes[a].path);
    }
    fputc('\n', out);
    for (size_t p = 0; p < c->n_points; p++) {
        fprintf(out, "# %5zu", p);
        for (int a = 0; a < na; a++)
            fprintf(out, "  %-*s", a + 1 < na ? (int)w[a] : 0, config_axis_value(c, a, p));
        fputc('\n', out);
    }
    free(w);
}
