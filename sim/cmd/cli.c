/*
 * cmd/cli.c — the command-line layer of cli.h: the table-driven option
 * parser, the help and man text generated from the same tables, strict
 * number parsing, and no-clobber placement of output files. No units.
 */
#define _DEFAULT_SOURCE
#include "cmd/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the parser ----------------------------------------------------------- */

static int find_opt(const cli_cmd *cmd, const char *s, size_t len)
{
    for (int k = 0; k < cmd->n_opts; k++) {
        const cli_opt *o = &cmd->opts[k];
        if ((strlen(o->name) == len && !strncmp(o->name, s, len)) ||
            (o->alias && strlen(o->alias) == len && !strncmp(o->alias, s, len)))
            return k;
    }
    return -1;
}

static int parse_fail(const cli_cmd *cmd, util_err *err)
{
    fprintf(stderr, "arenasim %s: %s\n", cmd->name, err->msg);
    cli_synopsis(cmd, stderr);
    fprintf(stderr, "\n(arenasim help %s lists every option)\n", cmd->name);
    return UTIL_EINPUT;
}

static int apply_defaults(const cli_cmd *cmd, cli_set_fn set, void *ctx, util_err *err)
{
    for (int k = 0; k < cmd->n_opts; k++)
        if (cmd->opts[k].def && set(ctx, k, cmd->opts[k].def, err))
            return util_err_prefix(err, "default of %s", cmd->opts[k].name);
    return UTIL_OK;
}

/* One option at argv[*i]; advances *i past its value. */
static int parse_one(const cli_cmd *cmd, int argc, char **argv, int *i, cli_set_fn set,
                     void *ctx, unsigned char *given, util_err *err)
{
    const char *arg = argv[*i], *eq = !strncmp(arg, "--", 2) ? strchr(arg, '=') : NULL;
    int k = find_opt(cmd, arg, eq ? (size_t)(eq - arg) : strlen(arg));
    if (k < 0)
        return util_err_set(err, UTIL_EINPUT, "unknown option '%.*s'",
                            eq ? (int)(eq - arg) : (int)strlen(arg), arg);
    const cli_opt *o = &cmd->opts[k];
    const char *val = NULL;
    if (!o->arg && eq)
        return util_err_set(err, UTIL_EINPUT, "%s takes no value", o->name);
    if (o->arg) {
        if (eq)
            val = eq + 1;
        else if (*i + 1 < argc)
            val = argv[++*i];
        else
            return util_err_set(err, UTIL_EINPUT, "%s needs a value (%s %s)", arg, arg, o->arg);
    }
    given[k] = 1;
    return set(ctx, k, val, err);
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_set_fn set, void *ctx,
              const char **pos, int *n_pos, unsigned char *given)
{
    util_err err = {0, ""};
    int only_pos = 0;
    unsigned char seen[64];
    if (!given) {
        if (cmd->n_opts > (int)sizeof seen) {
            fprintf(stderr, "arenasim %s: option table too large\n", cmd->name);
            return UTIL_ERUNTIME;
        }
        given = seen;
    }
    *n_pos = 0;
    memset(given, 0, (size_t)cmd->n_opts);
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--"))
            break;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            cli_help(cmd, stdout);
            return CLI_HELP_SHOWN;
        }
    if (apply_defaults(cmd, set, ctx, &err))
        return parse_fail(cmd, &err);
    for (int i = 1; i < argc; i++) {
        if (!only_pos && !strcmp(argv[i], "--")) {
            only_pos = 1;
            continue;
        }
        if (!only_pos && argv[i][0] == '-' && argv[i][1]) {
            if (parse_one(cmd, argc, argv, &i, set, ctx, given, &err))
                return parse_fail(cmd, &err);
            continue;
        }
        if (cmd->max_pos >= 0 && *n_pos >= cmd->max_pos) {
            util_err_set(&err, UTIL_EINPUT, "unexpected argument '%s' (%s takes %s)", argv[i],
                         cmd->name, cmd->args);
            return parse_fail(cmd, &err);
        }
        pos[(*n_pos)++] = argv[i];
    }
    if (*n_pos < cmd->min_pos) {
        util_err_set(&err, UTIL_EINPUT, "missing %s", cmd->args);
        return parse_fail(cmd, &err);
    }
    for (int k = 0; k < cmd->n_opts; k++)
        if ((cmd->opts[k].flags & CLI_REQUIRED) && !given[k]) {
            util_err_set(&err, UTIL_EINPUT, "missing %s %s", cmd->opts[k].alias ? cmd->opts[k].alias
                         : cmd->opts[k].name, cmd->opts[k].arg);
            return parse_fail(cmd, &err);
        }
    return UTIL_OK;
}

/* ---- help and man text ----------------------------------------------------- */

static const char *short_name(const cli_opt *o)
{
    return o->alias ? o->alias : o->name;
}

void cli_synopsis(const cli_cmd *cmd, FILE *f)
{
    int col = fprintf(f, "usage: arenasim %s%s%s", cmd->name, *cmd->args ? " " : "", cmd->args);
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < cmd->n_opts; k++) {
            const cli_opt *o = &cmd->opts[k];
            int req = (o->flags & CLI_REQUIRED) != 0;
            if (req != (pass == 0))
                continue;
            char item[128];
            snprintf(item, sizeof item, "%s%s%s%s%s", req ? "" : "[", short_name(o),
                     o->arg ? " " : "", o->arg ? o->arg : "", req ? "" : "]");
            if (col + 1 + (int)strlen(item) > 79)
                col = fprintf(f, "\n       ") - 1;
            col += fprintf(f, " %s", item);
        }
}

static void default_text(const cli_opt *o, char *buf, size_t n)
{
    if (o->flags & CLI_REQUIRED)
        snprintf(buf, n, " (required)");
    else if (o->def_note)
        snprintf(buf, n, " (default: %s)", o->def_note);
    else if (o->def)
        snprintf(buf, n, " (default: %s)", o->def);
    else
        buf[0] = '\0';
}

/* Words of `s` from column `col`, wrapped at 79 with `indent` spaces. */
static void wrap(FILE *f, const char *s, int col, int indent)
{
    while (*s) {
        size_t n = strcspn(s, " \n");
        if (col > indent && col + 1 + (int)n > 79) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        col += fprintf(f, "%.*s", (int)n, s);
        s += n;
        if (*s == '\n') {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        }
        while (*s == ' ' || *s == '\n')
            s++;
    }
    fputc('\n', f);
}

void cli_help(const cli_cmd *cmd, FILE *f)
{
    cli_synopsis(cmd, f);
    fputs("\n\n", f);
    wrap(f, cmd->summary, 0, 0);
    if (cmd->details && *cmd->details) {
        fputc('\n', f);
        wrap(f, cmd->details, 0, 0);
    }
    fputs("\noptions:\n", f);
    for (int k = 0; k < cmd->n_opts; k++) {
        const cli_opt *o = &cmd->opts[k];
        char head[96], def[256], text[1024];
        snprintf(head, sizeof head, "%s%s%s%s%s", o->alias ? o->alias : "    ",
                 o->alias ? ", " : "", o->alias && !strcmp(o->name, o->alias) ? "" : o->name,
                 o->arg ? " " : "", o->arg ? o->arg : "");
        default_text(o, def, sizeof def);
        snprintf(text, sizeof text, "%s%s", o->help, def);
        if (strlen(head) > 24)
            fprintf(f, "  %s\n%28s", head, "");
        else
            fprintf(f, "  %-24s  ", head);
        wrap(f, text, 28, 28);
    }
    fprintf(f, "  %-24s  %s\n", "-h, --help", "print this help and exit");
}

/* troff text: backslashes and minus signs escaped, no line starting with a
 * control character. */
static void man_text(FILE *f, const char *s)
{
    int bol = 1;
    for (; *s; s++) {
        if (bol && (*s == '.' || *s == '\''))
            fputs("\\&", f);
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
        bol = *s == '\n';
    }
}

void cli_man_section(const cli_cmd *cmd, FILE *f)
{
    fputs(".SS \"arenasim ", f);
    man_text(f, cmd->name);
    fputs("\"\n.B arenasim ", f);
    man_text(f, cmd->name);
    if (*cmd->args) {
        fputs("\n.I ", f);
        man_text(f, cmd->args);
    }
    for (int k = 0; k < cmd->n_opts; k++) {
        const cli_opt *o = &cmd->opts[k];
        int req = (o->flags & CLI_REQUIRED) != 0;
        fputs(req ? "\n.B " : "\n[\\fB", f);
        man_text(f, short_name(o));
        if (o->arg) {
            fputs(req ? "\n.I " : "\\fR \\fI", f);
            man_text(f, o->arg);
        }
        fputs(req ? "" : "\\fR]", f);
    }
    fputs("\n.PP\n", f);
    man_text(f, cmd->summary);
    if (cmd->details && *cmd->details) {
        fputs("\n.PP\n", f);
        man_text(f, cmd->details);
    }
    fputc('\n', f);
    for (int k = 0; k < cmd->n_opts; k++) {
        const cli_opt *o = &cmd->opts[k];
        char def[256];
        fputs(".TP\n\\fB", f);
        if (o->alias && strcmp(o->alias, o->name)) {
            man_text(f, o->alias);
            fputs("\\fR, \\fB", f);
        }
        man_text(f, o->name);
        fputs("\\fR", f);
        if (o->arg) {
            fputs(" \\fI", f);
            man_text(f, o->arg);
            fputs("\\fR", f);
        }
        fputc('\n', f);
        default_text(o, def, sizeof def);
        man_text(f, o->help);
        man_text(f, def);
        fputc('\n', f);
    }
    fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nprint this help and exit\n", f);
}

/* ---- numbers, provenance, usage ------------------------------------------- */

int cli_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

char *cli_command_line(int argc, char **argv)
{
    size_t n = 16;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) + 1;
    char *s = util_malloc(n);
    strcpy(s, "arenasim");
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

int cli_fail(const cli_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "arenasim %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    cli_synopsis(cmd, stderr);
    fprintf(stderr, "\n(arenasim help %s lists every option)\n", cmd->name);
    return UTIL_EINPUT;
}

/* ---- outputs that are never overwritten silently ---------------------------- */

static const char *file_kind(mode_t m)
{
    return S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
         : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" : S_ISDIR(m) ? "a directory"
         : "not a regular file";
}

int cli_check_output_kind(const char *opt, const char *path, util_err *err)
{
    struct stat st;
    if (lstat(path, &st) != 0 || S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
        return UTIL_OK;
    return util_err_set(err, UTIL_EINPUT,
                        "%s %s: %s; outputs are written to a temporary file and renamed into "
                        "place, which would replace it (even with --force): give the path of "
                        "a regular file", opt, path, file_kind(st.st_mode));
}

int cli_check_new_output(const char *opt, const char *path, int force, util_err *err)
{
    struct stat st;
    if (cli_check_output_kind(opt, path, err))
        return UTIL_EINPUT;
    if (force || lstat(path, &st) != 0)
        return UTIL_OK;
    return util_err_set(err, UTIL_EINPUT,
                        "%s %s: the file exists; not overwriting it (pass --force to replace it)",
                        opt, path);
}

int cli_place(const char *tmp, const char *path, int force, util_err *err)
{
    if (cli_check_output_kind("-o", path, err)) /* it may have appeared meanwhile */
        return UTIL_EINPUT;
    if (force) {
        if (rename(tmp, path) == 0)
            return UTIL_OK;
        return util_err_set(err, UTIL_ERUNTIME, "cannot rename %s to %s: %s", tmp, path,
                            strerror(errno));
    }
    if (link(tmp, path) == 0) {
        unlink(tmp);
        return UTIL_OK;
    }
    if (errno == EEXIST)
        return util_err_set(err, UTIL_EINPUT,
                            "%s: the file appeared while this command ran; not overwriting it "
                            "(pass --force to replace it)", path);
    /* No hard links here (some network file systems): check, then rename. */
    if (access(path, F_OK) == 0)
        return util_err_set(err, UTIL_EINPUT, "%s: the file exists; not overwriting it", path);
    if (rename(tmp, path) == 0)
        return UTIL_OK;
    return util_err_set(err, UTIL_ERUNTIME, "cannot rename %s to %s: %s", tmp, path,
                        strerror(errno));
}
