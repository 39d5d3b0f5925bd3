# arenasim — build, run, test, benchmark. See README.md.
#   make              build bin/arenasim
#   make run          run configs/default.yaml and print the report
#   make test         unit tests (cmocka) + integration tests (pytest)
#   make bench        throughput and fit timings
#   make bench BASE=<commit|built tree>   + whole-process figures side by side with BASE
#   make man          the manual page build/arenasim.1 (from the option tables)
#   make SANITIZE=address,undefined test
#   make install PREFIX=DIR   binary, Slurm scripts, analysis module
#   make valgrind     run, fit, merge, report under memcheck
#   make test-cluster-build   (root) build as a cluster user would
CC ?= cc
PYTHON := /usr/bin/python3

OPT ?= -O2
CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -fopenmp $(OPT) -g \
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
  -Wpointer-arith -Wformat=2 -Wno-unused-parameter -MMD -MP
ifneq ($(SANITIZE),)
  CFLAGS_BASE += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=$(SANITIZE)
endif
GIT_REV := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
ALL_CFLAGS = $(CFLAGS_BASE) $(DEP_CFLAGS) $(CPPFLAGS) $(CFLAGS) -Isim -Ibuild
LIBS = $(DEP_LIBS) $(LDLIBS) -fopenmp -lm
# Rebuild everything when the flags change (e.g. SANITIZE=...), and record the
# git revision and flags for /provenance in build/version.h.
STAMP := build/flags.stamp
# (write $@.new, keep the old file when nothing changed so nothing rebuilds)
REPLACE_IF_CHANGED = if cmp -s $@.new $@; then rm -f $@.new; else mv $@.new $@; fi

# Sources by folder, in layer order (a folder includes only headers of its own
# or a lower layer; `make check-layers` enforces it): see README "Code layout".
LAYERS := base params config rating arena io game sweep cmd
LIB_SRC := $(foreach d,$(filter-out cmd,$(LAYERS)),$(wildcard sim/$(d)/*.c)) \
  $(filter-out sim/cmd/main.c,$(wildcard sim/cmd/*.c))
LIB_OBJ := $(LIB_SRC:sim/%.c=build/obj/%.o)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=build/tests/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=build/bench/%)

.PHONY: all deps deps-build deps-test run man test check-layers test-unit test-py bench clean figures FORCE test-slurm calibrate
all: bin/arenasim

# ---- Libraries (scripts/deps.sh; README "Building on a cluster") ----------
# build/config.mk holds DEP_CFLAGS/DEP_LIBS of GSL, HDF5 (+ hdf5_hl) and
# libyaml as found by GSL_DIR/HDF5_DIR/YAML_DIR, pkg-config, h5cc or the
# compiler's own paths. deps.sh rewrites it only when its inputs (these
# variables, PATH, PKG_CONFIG_PATH, ...) change, and make then restarts with
# the new flags. On Debian it installs missing packages (as root); elsewhere
# it says what to load or set. Test dependencies: deps-test, only for tests.
CONFIG_MK := build/config.mk
DEPS_ENV = CC='$(CC)' CPPFLAGS='$(CPPFLAGS)' CFLAGS='$(CFLAGS)' LDFLAGS='$(LDFLAGS)' \
  LDLIBS='$(LDLIBS)' GSL_DIR='$(GSL_DIR)' HDF5_DIR='$(HDF5_DIR)' YAML_DIR='$(YAML_DIR)' \
  H5CC='$(H5CC)' PKG_CONFIG='$(PKG_CONFIG)' PYTHON='$(PYTHON)'
NODEPS_GOALS := clean check-layers
ifneq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(CONFIG_MK)
endif
$(CONFIG_MK): FORCE
	@mkdir -p $(@D); $(DEPS_ENV) scripts/deps.sh build $@
deps-build: $(CONFIG_MK)
CMOCKA_LIBS ?= -lcmocka
deps-test:
	@$(DEPS_ENV) scripts/deps.sh test
deps:
	@$(DEPS_ENV) scripts/deps.sh all
# ---- end of libraries ------------------------------------------------------

$(STAMP): FORCE
	@mkdir -p build; printf '%s\n' "$(ALL_CFLAGS) $(LDFLAGS)" > $@.new; $(REPLACE_IF_CHANGED)

build/version.h: FORCE
	@mkdir -p build; printf '#define ARENASIM_GIT_REV "%s"\n#define ARENASIM_CFLAGS "%s"\n' \
	  "$(GIT_REV)" "$(CFLAGS_BASE) $(CFLAGS)" > $@.new; $(REPLACE_IF_CHANGED)

build/obj/io/output.o: build/version.h

build/obj/%.o: sim/%.c $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

build/libarenasim.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

bin/arenasim: build/obj/cmd/main.o build/libarenasim.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

build/tests/%: tests/unit/%.c build/libarenasim.a $(STAMP) | deps-test
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< -o $@ build/libarenasim.a $(LIBS) $(LDFLAGS) $(CMOCKA_LIBS)

build/bench/%: bench/%.c build/libarenasim.a $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< -o $@ build/libarenasim.a $(LIBS) $(LDFLAGS)

# --force: `make run` means "run the default scenario again", so it replaces
# the previous outputs/default.h5 (run refuses to overwrite without it).
run: all
	@mkdir -p outputs
	bin/arenasim run configs/default.yaml -o outputs/default.h5 --force
	bin/arenasim report outputs/default.h5

test: deps-test all $(TEST_BIN)
	@$(MAKE) --no-print-directory check-layers test-unit fuzz-replay test-py

# No file of sim/ includes a header of a layer above its own (README "Code layout").
check-layers:
	@mkdir -p build; scripts/check-layers.sh $(LAYERS)

test-unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t; done

test-py: bin/arenasim
	ARENASIM_SANITIZE=$(SANITIZE) $(PYTHON) -m pytest -q tests/py

# BASE=<commit or built tree>: bench_cli.py builds BASE in build/bench-base/
# (a git worktree) and runs its figures interleaved with this tree's.
bench: deps all $(BENCH_BIN)
	@set -e; for b in $(BENCH_BIN); do $$b; done
	$(PYTHON) bench/bench_sweep.py
	$(PYTHON) bench/bench_cli.py $(if $(BASE),--base $(BASE))

# The man page comes from the same option tables as the parser and --help.
man: build/arenasim.1
build/arenasim.1: bin/arenasim
	@mkdir -p build
	bin/arenasim help --man > $@.new && mv $@.new $@

# Paper figures into outputs/figures/ (README "Reproducing the figures"): runs
# the stale configs/figures/*.yaml, draws PNG + PDF + CSV and captions.md.
# QUICK=1: reduced runs (outputs/figures/runs-quick/), about a minute of CPU.
figures: deps all
	$(PYTHON) analysis/figures.py $(if $(QUICK),--quick)

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

# ---- Fuzzing (README "Fuzzing") ------------------------------------------------
# `make fuzz FUZZ_SECONDS=N` builds every target with clang + libFuzzer (ASan,
# UBSan) and runs each for N seconds on a working corpus in build/fuzz/corpus,
# seeded from (a copy of) tests/fuzz/corpus; crashes, hangs (over 1 s) and leaks land in
# build/fuzz/artifacts. Only this block needs clang (scripts/deps.sh fuzz).
# `make test` replays tests/fuzz/corpus and tests/fuzz/regressions with a plain
# gcc build (fuzz-replay), so it needs no clang.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
# hang limit (s): 1 for the text readers; the result-file targets write and
# check a whole HDF5 file per input under ASan, about 0.1 s of CPU, so on a
# loaded machine their wall time passes 1 s without any hang
FUZZ_H5_TIMEOUT ?= 5
FUZZ_TARGETS := config battles_csv battles_fastchat battles_counts h5_report h5_merge h5_resume
# seed corpus of a target: tests/fuzz/corpus/TARGET (the h5_* share corpus/h5)
FUZZ_SEEDS = tests/fuzz/corpus/$$(case $$t in h5_*) echo h5;; *) echo $$t;; esac)
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# a smaller quarantine keeps the result-file targets (HDF5 allocates a lot)
# fast; HDF5 itself asks for absurd sizes on damaged metadata and handles the
# NULL, so malloc returns NULL instead of ASan reporting it (our util_malloc
# then exits, which libFuzzer reports)
FUZZ_ASAN_OPTIONS ?= quarantine_size_mb=8:malloc_context_size=4:detect_stack_use_after_return=0:allocator_may_return_null=1
FUZZ_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -fopenmp -O1 -g -Wall -Wno-unused-parameter \
  $(FUZZ_SAN) $(DEP_CFLAGS) -Isim -Ibuild
FUZZ_LIB_OBJ := $(LIB_SRC:sim/%.c=build/fuzz/obj/%.o)
FUZZ_BIN := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
REPLAY_BIN := $(FUZZ_TARGETS:%=build/fuzz-replay/fuzz_%)
.PHONY: fuzz fuzz-build fuzz-replay deps-fuzz

deps-fuzz:
	@$(DEPS_ENV) FUZZ_CC='$(FUZZ_CC)' scripts/deps.sh fuzz

build/fuzz/obj/%.o: sim/%.c build/version.h | deps-fuzz
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/libarenasim.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) build/fuzz/libarenasim.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< -o $@ build/fuzz/libarenasim.a $(LIBS)

fuzz-build: $(FUZZ_BIN)

# Each target in turn; stops at the first target that finds something (the
# log, build/fuzz/fuzz_TARGET.log, and the input in build/fuzz/artifacts).
fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t build/fuzz/artifacts/$$t; \
	  cp -n $(FUZZ_SEEDS)/* build/fuzz/corpus/$$t/; \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  max=65536; to=1; case $$t in h5_*) max=400000; to=$(FUZZ_H5_TIMEOUT);; esac; \
	  rc=0; ASAN_OPTIONS=$(FUZZ_ASAN_OPTIONS) LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=$$to -rss_limit_mb=2048 \
	    -max_len=$$max -close_fd_mask=3 -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/$$t/ \
	    build/fuzz/corpus/$$t > build/fuzz/fuzz_$$t.log 2>&1 || rc=$$?; \
	  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|^Done|SUMMARY' build/fuzz/fuzz_$$t.log || true; \
	  echo "corpus: $$(ls build/fuzz/corpus/$$t | wc -l) inputs"; \
	  if [ $$rc != 0 ]; then tail -n 40 build/fuzz/fuzz_$$t.log; exit $$rc; fi; \
	done

build/fuzz-replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(wildcard tests/fuzz/*.h) build/libarenasim.a $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes tests/fuzz/replay.c $< -o $@ build/libarenasim.a $(LIBS) $(LDFLAGS)

# Every seed and every input that ever crashed or hung, through each target.
fuzz-replay: $(REPLAY_BIN)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  build/fuzz-replay/fuzz_$$t $(FUZZ_SEEDS) $$(ls -d tests/fuzz/regressions/$$t 2>/dev/null); \
	done

# ---- Install (README "Building on a cluster") ------------------------------
# make install PREFIX=DIR [DESTDIR=staging]: the binary, the Slurm scripts
# (arenasim-submit-sweep on PATH, the sbatch scripts beside it in share/),
# the analysis module (PYTHONPATH=PREFIX/share/arenasim/python) and the
# example configs, and the man page (MANPATH=PREFIX/share/man).
PREFIX ?= /usr/local
BINDIR = $(DESTDIR)$(PREFIX)/bin
DATADIR = $(DESTDIR)$(PREFIX)/share/arenasim
.PHONY: install
install: all man
	install -d $(BINDIR) $(DATADIR)/slurm $(DATADIR)/python $(DATADIR)/configs/examples \
	  $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 build/arenasim.1 $(DESTDIR)$(PREFIX)/share/man/man1/arenasim.1
	install -m 755 bin/arenasim $(BINDIR)/arenasim
	install -m 755 scripts/slurm/submit-sweep.sh $(BINDIR)/arenasim-submit-sweep
	install -m 755 scripts/slurm/*.sbatch $(DATADIR)/slurm/
	install -m 644 analysis/arenasim_h5.py $(DATADIR)/python/
	install -m 644 configs/*.yaml $(DATADIR)/configs/
	install -m 644 configs/examples/*.yaml $(DATADIR)/configs/examples/
	@echo "installed into $(DESTDIR)$(PREFIX): put $(PREFIX)/bin on PATH and" \
	  "$(PREFIX)/share/arenasim/python on PYTHONPATH"

# ---- Cluster build test (root; README "Building on a cluster") -------------
# Builds, installs and runs arenasim as a non-root user with GSL/HDF5/libyaml
# from Lmod modules in a non-standard prefix and no dpkg; compares with the
# ordinary build bit for bit. Run by CI (.ci/run), not by `make test`.
.PHONY: test-cluster-build
test-cluster-build:
	bash tests/cluster/test_cluster_build.sh

# ---- Valgrind (issue 16) ---------------------------------------------------
# run, battles, fit, merge and report on small inputs under memcheck: 0
# errors, 0 leaks (tests/valgrind/; suppressions explained in arenasim.supp).
.PHONY: valgrind
valgrind: all
	@scripts/deps.sh valgrind
	bash tests/valgrind/run_valgrind.sh
