# harness/trace/trace.mk - the allocation-site tracer, included by the main
# Makefile. Builds:
#   $(O)/libabtrace.so    the tracer, LD_PRELOADed in front of an allocator
#   $(O)/ab-tracedump     prints a dump's symbolised sites (tests, debugging)
#   the test programs and tests of tests/trace/
# Targets: check-trace (the tests, about a minute), fuzz-trace (= make fuzz,
# tests/fuzz/fuzz.mk), bench-trace (benchmarks/trace_cost.sh).
# TRACE_ALL lists what `all` should build; TRACE_OBJS the reader and
# symboliser objects bench will link (with TRACE_LIBS).

TRACE_DIR  := harness/trace
TRACER_SRC := $(addprefix $(TRACE_DIR)/,tracer.c tr_cxx.c tr_mmap.c tr_count.c tr_stack.c tr_record.c \
                tr_modules.c tr_table.c tr_dump.c tr_mem.c)
TRACE_SRC  := $(addprefix $(TRACE_DIR)/,dump.c symbols.c sites.c)
TRACE_OBJS  = $(call obj,$(TRACE_SRC))
TRACE_LIBS := -ldw -lelf -ldl
TRACE_TEST_BINS := $(O)/test_tracekey $(O)/test_tracedump $(O)/test_trace

# The tracer's own objects: position-independent, frame pointers kept (its
# stack walk starts from the interposers' frames), initial-exec TLS (it is
# preloaded, so its TLS is in the static block), only the interposed and
# allocbench_trace_* symbols exported (-fvisibility=hidden plus TR_EXPORT).
TRACER_CFLAGS := -fPIC -fvisibility=hidden -fno-omit-frame-pointer -ftls-model=initial-exec \
                 -fno-builtin-malloc -fno-builtin-calloc -fno-builtin-free -fno-builtin-realloc
TRACER_OBJS := $(patsubst %.c,$(O)/obj-pic/%.o,$(TRACER_SRC))

$(O)/obj-pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(TRACER_CFLAGS) -c -o $@ $<

# operator new may throw through the interposers: they need unwind tables
# and the guard's cleanup must run during unwinding.
$(O)/obj-pic/$(TRACE_DIR)/tr_cxx.o: CFLAGS += -fexceptions

$(O)/libabtrace.so: $(TRACER_OBJS)
	$(CC) $(ALL_CFLAGS) -shared -o $@ $^ -Wl,--version-script=$(TRACE_DIR)/tracer.map \
		-Wl,-z,nodelete -ldl -lpthread -lm

$(O)/ab-tracedump: $(call obj,$(TRACE_DIR)/tracedump.c) $(TRACE_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(TRACE_LIBS)

# Test programs: built as users build what they trace (frame pointers kept,
# -O2 -g), with the allocator calls kept whole.
PROG_CFLAGS := -O2 -g -fno-omit-frame-pointer -fno-builtin-malloc -fno-builtin-calloc \
               -fno-builtin-free -fno-builtin-realloc
$(O)/trace_prog: tests/trace/progs/trace_prog.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) $(PROG_CFLAGS) -o $@ $< -lpthread
$(O)/trace_cxx: tests/trace/progs/trace_cxx.cc
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -Wall -Wextra -O2 -g -fno-omit-frame-pointer -fsized-deallocation \
		-o $@ $<

# The benchmark programs (benchmarks/trace_cost.sh).
$(O)/traced_server $(O)/trace_capture: $(O)/%: benchmarks/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) $(PROG_CFLAGS) -o $@ $< -lpthread

TRACE_ALL := $(O)/libabtrace.so $(O)/ab-tracedump

# --- tests -------------------------------------------------------------------
TRACE_TEST_LIBS = $(shell pkg-config --libs cmocka) $(TRACE_LIBS)

$(O)/test_tracedump $(O)/test_tracekey $(O)/test_trace: $(O)/test_%: tests/trace/test_%.c \
		tests/trace/tdump_build.h $(TRACE_OBJS)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $< $(TRACE_OBJS) \
		$(TRACE_TEST_LIBS)

# --- fuzzing the reader: tests/fuzz/fuzz_tracedump.c, run by `make fuzz`
# (tests/fuzz/fuzz.mk) with the others.
fuzz-trace: fuzz

check-trace: $(TRACE_ALL) $(TRACE_TEST_BINS) $(O)/trace_prog $(O)/trace_cxx
	@set -e; for t in $(TRACE_TEST_BINS); do echo "== $$t"; AB_BUILD=$(O) ./$$t; done

all: $(TRACE_ALL)

bench-trace: $(TRACE_ALL) $(O)/traced_server $(O)/trace_capture
	benchmarks/trace_cost.sh

.PHONY: check-trace fuzz-trace bench-trace
-include $(shell find $(O)/obj-pic -name '*.d' 2>/dev/null)
