/*
 * tests/fuzz/fuzz_config.c — libFuzzer target: config text → config_load_string
 * → every sweep point resolved (config_point) and the resolved YAML loaded
 * again. Bad input must come back as UTIL_EINPUT with a message; never a
 * crash, a hang or a leak. Built by `make fuzz` (clang) and replayed on the
 * corpus by `make test` (gcc, tests/fuzz/replay.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    util_err err = {0, ""};
    config *c = config_load_string(text, "fuzz.yaml", &err);
    free(text);
    if (!c) {
        if (err.code != UTIL_EINPUT || !err.msg[0])
            abort(); /* bad input must be reported as such, with a message */
        return 0;
    }
    params *p = malloc(sizeof *p);
    size_t np = config_n_points(c);
    for (size_t i = 0; p && i < np; i++)
        if (config_point(c, i, p, &err))
            abort(); /* a loaded config resolves every point */
    free(p);
    /* The resolved YAML is what /config stores: it must load again, same hash. */
    config *again = config_load_string(config_resolved_yaml(c), "resolved", &err);
    if (!again || config_hash(again) != config_hash(c))
        abort();
    config_free(again);
    config_free(c);
    return 0;
}
