/*
 * tests/fuzz/fuzz_battles_csv.c — libFuzzer target: the csv battle-log reader
 * (see fuzz_battles.h). Built by `make fuzz`, replayed by `make test`.
 */
#include "fuzz_battles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_battles(data, size, BATTLES_FMT_CSV);
}
