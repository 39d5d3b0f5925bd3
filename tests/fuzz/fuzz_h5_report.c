/*
 * tests/fuzz/fuzz_h5_report.c — libFuzzer target: a mutated result file read by
 * the report path (see fuzz_h5.h). Built by `make fuzz`, replayed by `make test`.
 */
#include "fuzz_h5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_h5(data, size, FUZZ_H5_REPORT);
}
