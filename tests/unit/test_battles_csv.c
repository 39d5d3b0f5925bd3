/*
 * test_battles_csv.c — the CSV reader's number conversion (cmocka):
 * battles_csv_number, which converts plain digits[.digits] of at most 15
 * significant digits without strtod, must accept exactly the texts the
 * strtod rule (battles_csv_strtod) accepts and give bitwise the same double,
 * on random inputs of every shape: short and long digit strings (16+ digits
 * take the strtod path), fractions, leading zeros, and texts with signs,
 * exponents, spaces, hex, inf/nan or stray bytes.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "io/battles_internal.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t next_u64(void) /* xorshift64*: a fixed, platform-independent stream */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}
static int below(int n)
{
    return (int)(next_u64() % (uint64_t)n);
}

/* n random digits into p (leading zeros allowed). */
static char *digits(char *p, int n)
{
    for (int i = 0; i < n; i++)
        *p++ = (char)('0' + below(10));
    return p;
}

/* One random text: mostly the shapes of real logs, some of every other kind. */
static size_t random_text(char *buf)
{
    static const char *const odd[] = {"-", "+", " ", "e", "E", "e-", "e+3", ".", "x", "0x", "inf", "nan",
                                      "\t", "1e400", "1e-400", ",", "\"", "\r"};
    char *p = buf;
    int shape = below(10);
    if (shape <= 3) { /* an integer count, 1..20 digits */
        p = digits(p, 1 + below(shape == 0 ? 20 : 6));
    } else if (shape <= 6) { /* a fraction: i.f with 0..18 digits on each side */
        p = digits(p, below(shape == 4 ? 18 : 6));
        *p++ = '.';
        p = digits(p, below(shape == 4 ? 18 : 9));
    } else { /* a number with an odd piece before, inside or after it */
        int where = below(3);
        const char *o = odd[below((int)(sizeof odd / sizeof *odd))];
        if (where == 0)
            p += sprintf(p, "%s", o);
        p = digits(p, below(8));
        if (where == 1)
            p += sprintf(p, "%s", o);
        p = digits(p, below(8));
        if (where == 2)
            p += sprintf(p, "%s", o);
    }
    *p = '\0';
    return (size_t)(p - buf);
}

static void check_text(const char *s, size_t n, long *n_ok)
{
    double x = -1, y = -2;
    int got = battles_csv_number(s, s + n, &x), want = battles_csv_strtod(s, &y);
    if (got != want || (!got && memcmp(&x, &y, sizeof x) != 0))
        fail_msg("'%s': battles_csv_number %d (%.17g), strtod rule %d (%.17g)", s, got, x, want, y);
    *n_ok += !got;
}

static void test_number_equals_strtod_random(void **state)
{
    (void)state;
    char buf[128];
    long ok = 0, n = 2000000;
    for (long i = 0; i < n; i++) {
        size_t len = random_text(buf);
        check_text(buf, len, &ok);
    }
    /* the random shapes must exercise both outcomes heavily */
    assert_true(ok > n / 2);
    assert_true(ok < n);
}

/* Edges of the fast path: 15 vs 16 significant digits, the largest exact
 * powers, halfway cases of the rounding, and a field that stops early (the
 * bytes after e must be ignored). */
static void test_number_edges(void **state)
{
    (void)state;
    static const char *const t[] = {
        "0", "00000", "0.0", "5.", ".5", "999999999999999", "9999999999999999", "123456789012345",
        "1234567890123456", "12345678901234567890", "0.000000000000001", "0.1", "0.2", "0.3",
        "1.000000000000001", "9007199254740993", "9007199254740992", "4503599627370497.5",
        "0.1000000000000000055511151231257827", "123.456", "000000000000000000000001",
        "1e22", "1e23", "  7", "7  ", " 7 ", "", " ", "-0", "+0", "0x10", "1_000", "١",
    };
    long ok = 0;
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        check_text(t[i], strlen(t[i]), &ok);
    double x = 0;
    const char *s = "12345,678";
    assert_int_equal(battles_csv_number(s, s + 5, &x), 0);
    assert_true(x == 12345.0);
    assert_int_equal(battles_csv_number(s, s + 6, &x), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number_equals_strtod_random),
        cmocka_unit_test(test_number_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
