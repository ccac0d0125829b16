# allocbench - `make` builds ./bench, the runner and the in-tree allocators;
# `make check` runs the unit and integration tests; `make bench` measures the
# harness's own cost. PLATFORM=generic builds the POSIX fallback of harness/prim.
# With musl-gcc (Debian musl-tools) `make` also builds the static musl runner
# (harness/runner/musl.mk).

PLATFORM ?= linux
CC       ?= cc
O        ?= build
VERSION  := 0.1.0
GIT      := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-missing-field-initializers
CFLAGS   ?= -O2 -g
ifeq ($(WERROR),1)
WARN     += -Werror
endif
CPPFLAGS += -Iharness -Iworkloads -D_GNU_SOURCE -DAB_VERSION='"$(VERSION)"' -DAB_GIT='"$(GIT)"' \
            -DAB_MULTIARCH='"$(MULTIARCH)"' -MMD -MP
# Frame pointers everywhere: the allocation-site tracer walks the runner's
# and the kernels' stacks by them (a walk costs ~6 ns for 10 frames, against
# ~75 ns through libunwind).
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -fno-omit-frame-pointer
# Workloads call the allocator on purpose: keep the compiler from folding or
# deleting calloc/free pairs.
WL_CFLAGS := -fno-builtin-malloc -fno-builtin-calloc -fno-builtin-free -fno-builtin-realloc

.DEFAULT_GOAL := all

# The layers (README, Layout), each an archive so that a program links only
# what it calls: core (and the platform), the results document's contract,
# the detectors, the measuring side (with the workloads' descriptors and the
# region API they reference), the reporting side.
PRIM_SRC    := $(wildcard harness/prim/$(PLATFORM)/*.c)
CORE_SRC    := $(wildcard harness/core/*.c) $(PRIM_SRC)
DOC_SRC     := $(wildcard harness/doc/*.c)
DETECT_SRC  := $(wildcard harness/detect/*.c)
WL_SRC      := $(wildcard workloads/*.c)
MEASURE_SRC := $(wildcard harness/measure/*.c) $(WL_SRC) harness/runner/region.c
REPORT_SRC  := $(wildcard harness/report/*.c harness/report/*/*.c)
# the tracer's reader and symboliser (the tracer itself is libabtrace.so,
# harness/trace/trace.mk)
TRACE_READER_SRC := harness/trace/dump.c harness/trace/symbols.c harness/trace/sites.c \
                    harness/trace/arec_read.c harness/trace/arec_sim.c \
                    harness/trace/arec_cut.c
RUNNER_SRC  := harness/runner/runner.c harness/runner/version.c harness/runner/calib.c \
               harness/runner/region.c harness/trace/arec_read.c $(WL_SRC)

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))
LAYERS := core doc detect measure report trace
LIB_core    := $(O)/libab-core.a
LIB_doc     := $(O)/libab-doc.a
LIB_detect  := $(O)/libab-detect.a
LIB_measure := $(O)/libab-measure.a
LIB_report  := $(O)/libab-report.a
LIB_trace   := $(O)/libab-trace.a
$(LIB_core): $(call obj,$(CORE_SRC))
$(LIB_doc): $(call obj,$(DOC_SRC))
$(LIB_detect): $(call obj,$(DETECT_SRC))
$(LIB_measure): $(call obj,$(MEASURE_SRC))
$(LIB_report): $(call obj,$(REPORT_SRC))
$(LIB_trace): $(call obj,$(TRACE_READER_SRC))
$(O)/libab-%.a:
	@rm -f $@
	ar rcs $@ $^

BENCH_LIBS  := $(shell pkg-config --libs jansson hwloc inih sqlite3 libelf libdw nettle libzstd libpq) \
               -ldl -lm
CPPFLAGS    += $(shell pkg-config --cflags libpq)
ifeq ($(PLATFORM),linux)
BENCH_LIBS  += -lnuma
CPPFLAGS    += -DAB_HAVE_NUMA
endif
RUNNER_LIBS := -ldl -lpthread
TEST_LIBS   := $(shell pkg-config --libs cmocka) $(BENCH_LIBS)

# every tests/unit/test_NAME.c; procfs reads Linux's /proc fixtures
UNIT_TESTS  := $(filter-out procfs,$(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c)))
ifeq ($(PLATFORM),linux)
UNIT_TESTS  += procfs
endif
# every tests/integration/test_NAME.c drives the built bench
INTEG_BINS  := $(patsubst tests/integration/test_%.c,$(O)/itest_%,$(wildcard tests/integration/test_*.c))
UNIT_BINS   := $(patsubst %,$(O)/test_%,$(UNIT_TESTS))
ALLOCATORS  := $(O)/libabcount.so $(O)/libzerocache.so $(O)/libnoreturn.so $(O)/libthreadreserve.so \
               $(O)/libleakfree.so $(O)/libmapleak.so $(O)/libcrashy.so $(O)/libstall.so \
               $(O)/libbump.so

# ./bench is the entry point users run; other build directories (O=...) keep
# their own bench next to their runner.
ifeq ($(O),build)
TOP_BENCH := bench
endif

all: $(O)/bench $(O)/ab-runner $(O)/libabmark.so $(O)/include/allocbench.h $(ALLOCATORS) \
     $(TOP_BENCH)

# bench: the command table over every layer, most dependent first.
$(O)/bench: $(call obj,harness/main.c) $(LIB_measure) $(LIB_report) $(LIB_detect) $(LIB_trace) \
		$(LIB_doc) $(LIB_core)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(BENCH_LIBS)

bench: $(O)/bench
	ln -f $< $@

# ab-runner: the measured process links the C library and core only (and
# ab-runner-musl, harness/runner/musl.mk, the same linked statically to musl).
$(O)/ab-runner: $(call obj,$(RUNNER_SRC)) $(LIB_core)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(RUNNER_LIBS)

$(O)/obj/workloads/%.o: workloads/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(WL_CFLAGS) -c -o $@ $<

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(O)/lib%.so: allocators/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIC -shared -fvisibility=hidden $(WL_CFLAGS) -o $@ $<
# The marks agent preloaded into cmd's programs, and the header programs
# include (installed by make: build/include/allocbench.h).
AGENT_SRC := harness/agent/mark.c harness/agent/served.c
$(O)/libabmark.so: $(AGENT_SRC) harness/agent/mark.h harness/agent/served.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIC -shared -fvisibility=hidden -o $@ $(AGENT_SRC) -ldl -lpthread
$(O)/include/allocbench.h: harness/agent/allocbench.h
	@mkdir -p $(dir $@)
	cp $< $@

$(O)/libabcount.so: allocators/counting.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIC -shared -fvisibility=hidden $(WL_CFLAGS) -o $@ $<

# --- tests -----------------------------------------------------------------
# Each unit test links core, the document's contract and the layer it tests,
# nothing more: a detector is tested without the process spawner.
TEST_LAYERS_changepoint := report doc core
TEST_LAYERS_mwu         := core
TEST_LAYERS_stats       := core
TEST_LAYERS_prng        := core
TEST_LAYERS_procfs      := core
TEST_LAYERS_detect      := detect doc core
TEST_LAYERS_detect_size := detect doc core
TEST_LAYERS_detect_memory := detect doc core
TEST_LAYERS_detect_program := detect doc core
TEST_LAYERS_detect_sites := detect doc core
TEST_LAYERS_results     := measure trace doc core
TEST_LAYERS_parse       := measure trace doc core
TEST_LAYERS_shard       := measure trace doc core
TEST_LAYERS_canon       := report doc core
TEST_LAYERS_arec        := trace core
test_layers = $(foreach l,$(or $(TEST_LAYERS_$(1)),core),$(LIB_$(l)))

.SECONDEXPANSION:
$(O)/test_%: tests/unit/test_%.c $$(call test_layers,$$*) $(wildcard tests/unit/*.h)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $(filter-out %.h,$^) $(TEST_LIBS)

# The user programs the integration tests measure with cmd: built as a user
# would build them (frame pointers kept, -O2 -g), marks from allocbench.h.
PROG_SRC  := $(wildcard tests/integration/progs/*.c)
PROG_BINS := $(patsubst tests/integration/progs/%.c,$(O)/progs/%,$(PROG_SRC))
$(O)/progs/%: tests/integration/progs/%.c harness/agent/allocbench.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -g -fno-omit-frame-pointer -Iharness/agent \
		-o $@ $< -lpthread

# sessions built again as a rebuilt program would be: lines moved, one
# function inlined, a release build without debug information (symbols
# alone: the inlined function is no frame): the fuzzy match of verdicts
PROG_BINS += $(O)/progs/sessions-rebuilt
$(O)/progs/sessions-rebuilt: tests/integration/progs/sessions.c harness/agent/allocbench.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -g0 -fno-omit-frame-pointer -DREBUILT \
		-Iharness/agent -o $@ $< -lpthread

# and built with AddressSanitizer, whose LeakSanitizer reads the
# suppressions bench verdicts export --lsan writes
PROG_BINS += $(O)/progs/sessions-asan
$(O)/progs/sessions-asan: tests/integration/progs/sessions.c harness/agent/allocbench.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O1 -g -fsanitize=address -fno-omit-frame-pointer \
		-Iharness/agent -o $@ $<

$(O)/itest_%: tests/integration/test_%.c $(wildcard tests/integration/*.h)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< $(TEST_LIBS)

# `make check` tests the Linux build (with the tracer's own tests), the
# generic POSIX fallback, bench and the tests under ASan and UBSan
# (check-asan), and runs each fuzzer for 5 s (fuzz-smoke).
check: check-one
ifeq ($(PLATFORM),linux)
	$(MAKE) --no-print-directory check-trace
	$(MAKE) --no-print-directory PLATFORM=generic O=build-generic check-one
	$(MAKE) --no-print-directory check-asan
	$(MAKE) --no-print-directory fuzz-smoke
endif

check-one: all $(UNIT_BINS) $(INTEG_BINS) $(PROG_BINS) $(O)/traced_server
	@tests/layers.sh $(O)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t ($(PLATFORM))"; (cd tests && ../$$t); done
	@set -e; for t in $(INTEG_BINS); do echo "== $$t ($(PLATFORM))"; \
		AB_BENCH=$(O)/bench AB_BUILD=$(O) ./$$t; done

# `make check-asan`: bench, its archives and the tests built with ASan and
# UBSan (LeakSanitizer on) in build-asan, run against a plain build of what
# runs inside measured processes (the runner, the agent, the tracer, the
# in-tree allocators and test programs, in build-asan-plain): those are
# preloaded with allocators, which a sanitizer runtime would refuse. Links
# to those stand next to the sanitized bench, where it looks for them when a
# test runs it with an environment of its own (no ALLOCBENCH_RUNNER).
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined
check-asan:
	$(MAKE) --no-print-directory O=build-asan-plain all $(patsubst $(O)/%,build-asan-plain/%,\
		$(PROG_BINS)) build-asan-plain/traced_server
	$(MAKE) --no-print-directory O=build-asan CFLAGS="$(SAN_FLAGS)" build-asan/bench \
		$(patsubst $(O)/%,build-asan/%,$(UNIT_BINS) $(INTEG_BINS))
	@for f in ab-runner ab-runner-musl libabmark.so libabtrace.so; do \
		ln -sfn ../build-asan-plain/$$f build-asan/$$f; done
	@set -e; export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23 \
		UBSAN_OPTIONS=print_stacktrace=1 ALLOCBENCH_RUNNER=$(CURDIR)/build-asan-plain/ab-runner; \
	for t in $(patsubst $(O)/%,build-asan/%,$(UNIT_BINS)); do echo "== $$t (asan)"; \
		(cd tests && ../$$t); done; \
	for t in $(patsubst $(O)/%,build-asan/%,$(INTEG_BINS)); do echo "== $$t (asan)"; \
		AB_BENCH=build-asan/bench AB_BUILD=build-asan-plain ./$$t; done

bench-harness: all
	benchmarks/harness_cost.sh

clean:
	rm -rf build build-generic build-asan build-asan-plain bench

bench-cmd: all $(PROG_BINS)
	benchmarks/cmd_cost.sh

bench-replay: all
	benchmarks/replay_cost.sh

bench-validity: all
	benchmarks/measure_validity.sh

.PHONY: all check check-one check-asan clean bench-harness bench-cmd bench-replay bench-validity
-include $(shell find $(O)/obj $(O)/obj-musl -name '*.d' 2>/dev/null)
include harness/trace/trace.mk
include harness/runner/musl.mk
include tests/fuzz/fuzz.mk
