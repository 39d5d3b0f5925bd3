/*
 * test_limits.c — the limits on a battle log that a test file cannot reach
 * cheaply (README "Limits"): the battle count, provoked by setting the
 * reader's row count to the limit (cmocka). Model-count, line and string
 * limits are tested end to end in tests/py/test_limits.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "io/battles_internal.h"

static void test_battle_count_limit(void **state)
{
    (void)state;
    reader rd;
    util_err err = {0, ""};
    battles_reader_init(&rd, 0);
    assert_int_equal(battles_reader_add(&rd, "A", "B", "model_a", 0, NULL, &err), UTIL_OK);
    assert_int_equal(rd.rows->n, 1);
    /* Pretend the log already holds the limit: the next battle is refused
     * before anything is stored (no row is written past the allocation). */
    size_t n = rd.rows->n;
    rd.rows->n = BATTLES_MAX_BATTLES;
    assert_int_equal(battles_reader_add(&rd, "A", "C", "tie", 1, NULL, &err), UTIL_EINPUT);
    assert_non_null(strstr(err.msg, "more than 500000000 battles (the limit on a battle log)"));
    assert_int_equal(rd.map.n, 2); /* model C was not added */
    rd.rows->n = n;
    battles_reader_discard(&rd);
}

static void test_model_count_limit(void **state)
{
    (void)state;
    reader rd;
    util_err err = {0, ""};
    char a[32], b[32];
    battles_reader_init(&rd, 0);
    for (int i = 0; i + 1 < BATTLES_MAX_MODELS; i++) {
        snprintf(a, sizeof a, "m%d", i);
        snprintf(b, sizeof b, "m%d", i + 1);
        assert_int_equal(battles_reader_add(&rd, a, b, "model_a", 0, NULL, &err), UTIL_OK);
    }
    assert_int_equal(rd.map.n, BATTLES_MAX_MODELS);
    assert_int_equal(battles_reader_add(&rd, "m0", "new", "model_b", 0, NULL, &err), UTIL_EINPUT);
    assert_non_null(strstr(err.msg, "model 'new' is model number 4097, more than the limit of 4096"));
    battles_reader_discard(&rd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_battle_count_limit),
        cmocka_unit_test(test_model_count_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
