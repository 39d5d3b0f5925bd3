# arenasim — build, run, test, benchmark. See README.md.
#   make              build bin/arenasim
#   make run          run configs/default.yaml and print the report
#   make test         unit tests (cmocka) + integration tests (pytest)
#   make bench        throughput and fit timings
#   make SANITIZE=address,undefined test
CC ?= cc
PYTHON := /usr/bin/python3
PKGS := gsl hdf5-serial yaml-0.1

OPT ?= -O2
CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -fopenmp $(OPT) -g \
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
  -Wpointer-arith -Wformat=2 -Wno-unused-parameter -MMD -MP
ifneq ($(SANITIZE),)
  CFLAGS_BASE += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=$(SANITIZE)
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
GIT_REV := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
ALL_CFLAGS = $(CFLAGS_BASE) $(PKG_CFLAGS) $(CFLAGS) -Isim -Ibuild
# hdf5_hl: dimension scales (H5DS) of the result file
LIBS = -lhdf5_hl $(PKG_LIBS) -fopenmp -lm
# Rebuild everything when the flags change (e.g. SANITIZE=...), and record the
# git revision and flags for /provenance in build/version.h.
STAMP := build/flags.stamp
# (write $@.new, keep the old file when nothing changed so nothing rebuilds)
REPLACE_IF_CHANGED = if cmp -s $@.new $@; then rm -f $@.new; else mv $@.new $@; fi

# Sources by folder, in layer order (a folder includes only headers of its own
# or a lower layer; `make check-layers` enforces it): see README "Code layout".
LAYERS := base params config rating arena io sweep cmd
LIB_SRC := $(foreach d,$(filter-out cmd,$(LAYERS)),$(wildcard sim/$(d)/*.c)) \
  $(filter-out sim/cmd/main.c,$(wildcard sim/cmd/*.c))
LIB_OBJ := $(LIB_SRC:sim/%.c=build/obj/%.o)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=build/tests/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=build/bench/%)

.PHONY: all deps deps-build run test check-layers test-unit test-py bench clean figures FORCE test-slurm calibrate
all: bin/arenasim

deps:
	@scripts/deps.sh all
deps-build:
	@scripts/deps.sh build

$(STAMP): FORCE
	@mkdir -p build; printf '%s\n' "$(ALL_CFLAGS) $(LDFLAGS)" > $@.new; $(REPLACE_IF_CHANGED)

build/version.h: FORCE
	@mkdir -p build; printf '#define ARENASIM_GIT_REV "%s"\n#define ARENASIM_CFLAGS "%s"\n' \
	  "$(GIT_REV)" "$(CFLAGS_BASE) $(CFLAGS)" > $@.new; $(REPLACE_IF_CHANGED)

build/obj/io/output.o: build/version.h

build/obj/%.o: sim/%.c $(STAMP) | deps-build
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

build/libarenasim.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

bin/arenasim: build/obj/cmd/main.o build/libarenasim.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

build/tests/%: tests/unit/%.c build/libarenasim.a $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< -o $@ build/libarenasim.a $(LIBS) $(LDFLAGS) -lcmocka

build/bench/%: bench/%.c build/libarenasim.a $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< -o $@ build/libarenasim.a $(LIBS) $(LDFLAGS)

run: deps all
	@mkdir -p outputs
	bin/arenasim run configs/default.yaml -o outputs/default.h5
	bin/arenasim report outputs/default.h5

test: deps all $(TEST_BIN)
	@$(MAKE) --no-print-directory check-layers test-unit test-py

# No file of sim/ includes a header of a layer above its own (README "Code layout").
check-layers:
	@mkdir -p build; scripts/check-layers.sh $(LAYERS)

test-unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t; done

test-py: bin/arenasim
	$(PYTHON) -m pytest -q tests/py

bench: deps all $(BENCH_BIN)
	@set -e; for b in $(BENCH_BIN); do $$b; done
	$(PYTHON) bench/bench_sweep.py

figures: deps all
	$(PYTHON) analysis/figures.py

clean:
	rm -rf build bin

-include $(LIB_OBJ:.o=.d) build/obj/cmd/main.d

# Slurm job-array sweep end to end on a private one-node cluster (root;
# starts munged/slurmctld/slurmd, so not part of `make test`).
test-slurm: all
	bash tests/slurm/test_slurm.sh

# Fit configs/default.yaml (voters, thetas) to the published arena numbers; see scripts/calibrate.py
calibrate: all
	$(PYTHON) scripts/calibrate.py
