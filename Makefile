# allocbench - `make` builds ./bench, the runner and the in-tree allocators;
# `make check` runs the unit and integration tests; `make bench` measures the
# harness's own cost. PLATFORM=generic builds the POSIX fallback of harness/prim.

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
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS)
# Workloads call the allocator on purpose: keep the compiler from folding or
# deleting calloc/free pairs.
WL_CFLAGS := -fno-builtin-malloc -fno-builtin-calloc -fno-builtin-free -fno-builtin-realloc

PRIM_SRC    := harness/prim/$(PLATFORM)/prim.c
WL_SRC      := $(wildcard workloads/*.c)
SHARED_SRC  := harness/core/parse.c harness/core/fmt.c harness/runner/region.c $(PRIM_SRC) $(WL_SRC)
BENCH_SRC   := harness/main.c $(wildcard harness/measure/*.c harness/report/*.c harness/report/*/*.c \
                                          harness/doc/*.c \
                                          harness/detect/*.c) \
               $(filter-out harness/core/parse.c harness/core/fmt.c,$(wildcard harness/core/*.c))
RUNNER_SRC  := harness/runner/runner.c harness/runner/version.c harness/runner/calib.c

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))

BENCH_LIBS  := $(shell pkg-config --libs jansson hwloc inih sqlite3 nettle) -lm
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
               $(O)/libleakfree.so $(O)/libmapleak.so $(O)/libcrashy.so

# ./bench is the entry point users run; other build directories (O=...) keep
# their own bench next to their runner.
ifeq ($(O),build)
TOP_BENCH := bench
endif

all: $(O)/bench $(O)/ab-runner $(ALLOCATORS) $(TOP_BENCH)

$(O)/bench: $(call obj,$(BENCH_SRC) $(SHARED_SRC))
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(BENCH_LIBS)

bench: $(O)/bench
	ln -f $< $@

$(O)/ab-runner: $(call obj,$(RUNNER_SRC) $(SHARED_SRC))
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
$(O)/libabcount.so: allocators/counting.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIC -shared -fvisibility=hidden $(WL_CFLAGS) -o $@ $<

# --- tests -----------------------------------------------------------------
LIB_OBJS = $(call obj,$(filter-out harness/main.c,$(BENCH_SRC)) $(SHARED_SRC))

$(O)/test_%: tests/unit/test_%.c $(LIB_OBJS)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $^ $(TEST_LIBS)

$(O)/itest_%: tests/integration/test_%.c tests/integration/itest.h
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< $(TEST_LIBS)

# `make check` tests the Linux build and the generic POSIX fallback.
check: check-one
ifeq ($(PLATFORM),linux)
	$(MAKE) --no-print-directory PLATFORM=generic O=build-generic check-one
endif

check-one: all $(UNIT_BINS) $(INTEG_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t ($(PLATFORM))"; (cd tests && ../$$t); done
	@set -e; for t in $(INTEG_BINS); do echo "== $$t ($(PLATFORM))"; \
		AB_BENCH=$(O)/bench AB_BUILD=$(O) ./$$t; done

bench-harness: all
	benchmarks/harness_cost.sh

clean:
	rm -rf build build-generic bench

.PHONY: all check check-one clean bench-harness
-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
include harness/trace/trace.mk
