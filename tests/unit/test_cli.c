/*
 * test_cli.c — the table-driven option parser of sim/cmd/cli.c: defaults
 * come from the table before argv, --opt VALUE and --opt=VALUE, flags, the
 * "--" end of options, required options, positional counts, unknown
 * options; and cli_place's refusal to replace a file.
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd/cli.h"

typedef struct {
    const char *out;
    long n;
    int flag, n_sets;
} args;

enum { O_OUT, O_N, O_FLAG, O_COUNT };
static const cli_opt opts[O_COUNT] = {
    [O_OUT] = {"--output", "-o", "FILE", NULL, NULL, "output", CLI_REQUIRED},
    [O_N] = {"--n", NULL, "N", "7", NULL, "a number", 0},
    [O_FLAG] = {"--flag", NULL, NULL, NULL, NULL, "a flag", 0},
};
static const cli_cmd spec = {"demo", "IN", 1, 1, "demo", "", opts, O_COUNT};

static int set(void *ctx, int opt, const char *v, util_err *err)
{
    args *a = ctx;
    a->n_sets++;
    switch (opt) {
    case O_OUT: a->out = v; break;
    case O_N:
        if (cli_parse_long(v, 0, 100, &a->n))
            return util_err_set(err, UTIL_EINPUT, "--n: bad '%s'", v);
        break;
    case O_FLAG: a->flag = 1; break;
    }
    return UTIL_OK;
}

/* Parse a NULL-terminated list after the command name; stderr muted. */
static int parse(args *a, const char **pos, int *n_pos, unsigned char *given, ...)
{
    char *argv[16] = {"demo"};
    int argc = 1;
    va_list ap;
    va_start(ap, given);
    for (char *s; (s = va_arg(ap, char *));)
        argv[argc++] = s;
    va_end(ap);
    memset(a, 0, sizeof *a);
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    int rc = cli_parse(&spec, argc, argv, set, a, pos, n_pos, given);
    fclose(stderr);
    stderr = saved;
    return rc;
}

static void test_defaults_then_argv(void **state)
{
    args a;
    const char *pos[16];
    int n;
    unsigned char given[O_COUNT];
    assert_int_equal(parse(&a, pos, &n, given, "in.txt", "-o", "x", NULL), UTIL_OK);
    assert_int_equal(a.n, 7); /* the table's default */
    assert_false(given[O_N]);
    assert_true(given[O_OUT]);
    assert_string_equal(a.out, "x");
    assert_int_equal(n, 1);
    assert_string_equal(pos[0], "in.txt");
    assert_int_equal(parse(&a, pos, &n, given, "--n=12", "--output=y", "--flag", "in", NULL),
                     UTIL_OK);
    assert_int_equal(a.n, 12);
    assert_true(a.flag && given[O_N] && given[O_FLAG]);
    assert_string_equal(a.out, "y");
}

static void test_end_of_options(void **state)
{
    args a;
    const char *pos[16];
    int n;
    assert_int_equal(parse(&a, pos, &n, NULL, "-o", "x", "--", "--flag", NULL), UTIL_OK);
    assert_false(a.flag);
    assert_string_equal(pos[0], "--flag");
}

static void test_errors(void **state)
{
    args a;
    const char *pos[16];
    int n;
    assert_int_equal(parse(&a, pos, &n, NULL, "in", NULL), UTIL_EINPUT);           /* -o */
    assert_int_equal(parse(&a, pos, &n, NULL, "-o", "x", NULL), UTIL_EINPUT);      /* IN */
    assert_int_equal(parse(&a, pos, &n, NULL, "a", "b", "-o", "x", NULL), UTIL_EINPUT);
    assert_int_equal(parse(&a, pos, &n, NULL, "a", "-o", "x", "--bogus", NULL), UTIL_EINPUT);
    assert_int_equal(parse(&a, pos, &n, NULL, "a", "-o", "x", "--n", "999", NULL), UTIL_EINPUT);
    assert_int_equal(parse(&a, pos, &n, NULL, "a", "-o", "x", "--n", NULL), UTIL_EINPUT);
    assert_int_equal(parse(&a, pos, &n, NULL, "a", "-o", "x", "--flag=1", NULL), UTIL_EINPUT);
}

static void test_place_refuses_existing(void **state)
{
    char dir[] = "/tmp/test_cli_XXXXXX", tmp[64], dst[64];
    assert_non_null(mkdtemp(dir));
    snprintf(tmp, sizeof tmp, "%s/t", dir);
    snprintf(dst, sizeof dst, "%s/d", dir);
    util_err err = {0, ""};
    FILE *f = fopen(tmp, "w");
    fputs("new", f);
    fclose(f);
    f = fopen(dst, "w");
    fputs("old", f);
    fclose(f);
    assert_int_equal(cli_check_new_output("-o", dst, 0, &err), UTIL_EINPUT);
    assert_non_null(strstr(err.msg, dst));
    assert_int_equal(cli_check_new_output("-o", dst, 1, &err), UTIL_OK);
    assert_int_equal(cli_place(tmp, dst, 0, &err), UTIL_EINPUT);
    char buf[8] = "";
    f = fopen(dst, "r");
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "old");
    assert_int_equal(cli_place(tmp, dst, 1, &err), UTIL_OK);
    f = fopen(dst, "r");
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "new");
    assert_int_equal(access(tmp, F_OK), -1);
    unlink(dst);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_then_argv),
        cmocka_unit_test(test_end_of_options),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_place_refuses_existing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
