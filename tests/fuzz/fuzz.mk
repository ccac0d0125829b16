# tests/fuzz/fuzz.mk - libFuzzer harnesses (clang, with ASan and UBSan),
# included by the main Makefile. Each tests/fuzz/fuzz_NAME.c is one target,
# linked with every layer built for it under the sanitizers.
#   make fuzz         each target for FUZZ_SECONDS (60), corpora kept in
#                     $(O)/fuzz-corpus/NAME, stats printed
#   make fuzz-smoke   each for 5 s (make check runs it)
# Seeds: tests/fuzz/seeds/NAME (with inputs that once failed, kept as
# regressions), the shipped job files, a real results file (and a pair of it
# for compare), tracer dumps and allocation records of the test programs.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst %,$(O)/fuzz_%,$(FUZZ_NAMES))
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=undefined
FUZZ_SRC     := $(CORE_SRC) $(DOC_SRC) $(DETECT_SRC) $(REPORT_SRC) $(MEASURE_SRC) \
                $(TRACE_READER_SRC)
FUZZ_OBJS    := $(patsubst %.c,$(O)/fuzz-obj/%.o,$(FUZZ_SRC))

# With their header dependencies (-MMD -MP, the .d files included below):
# a struct that grows in a header must rebuild every object that uses it,
# or the fuzzers link objects that disagree on its layout.
$(O)/fuzz-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(WL_CFLAGS) -c -o $@ $<

$(O)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_memfile.h $(FUZZ_OBJS)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(BENCH_LIBS)

-include $(shell find $(O)/fuzz-obj -name '*.d' 2>/dev/null) $(wildcard $(O)/fuzz_*.d)

# The seeds that are made, not kept: a results pair for compare, and dumps
# the tracer writes for its test programs.
$(O)/fuzz-seeds/.made: tests/fixtures/history/results-v1.json $(O)/libabtrace.so \
		$(O)/trace_prog $(O)/trace_cxx
	@rm -rf $(O)/fuzz-seeds && mkdir -p $(O)/fuzz-seeds/compare $(O)/fuzz-seeds/tracedump \
		$(O)/fuzz-seeds/arec
	{ cat $<; printf '\0'; cat $<; } >$(O)/fuzz-seeds/compare/self
	LD_PRELOAD=$(O)/libabtrace.so ALLOCBENCH_TRACE_OUT=$(O)/fuzz-seeds/tracedump/prog.%p \
		ALLOCBENCH_TRACE_RECORD=$(O)/fuzz-seeds/arec/prog.%p $(O)/trace_prog 2 >/dev/null
	LD_PRELOAD=$(O)/libabtrace.so ALLOCBENCH_TRACE_OUT=$(O)/fuzz-seeds/tracedump/cxx.%p \
		$(O)/trace_cxx >/dev/null
	@touch $@

# Each target in turn, its log in $(O)/fuzz-NAME.log: one line of figures
# (runs, coverage, corpus) per target; a crash fails the target (libFuzzer
# leaves the input as $(O)/crash-*, and the log has the sanitizer's report).
fuzz fuzz-smoke: $(FUZZ_BINS) $(O)/fuzz-seeds/.made
	@secs=$(if $(filter fuzz-smoke,$@),5,$(FUZZ_SECONDS)); fail=0; \
	for n in $(FUZZ_NAMES); do \
		case $$n in \
		parse|results|verdicts) seeds=../tests/fuzz/seeds/$$n ;; \
		jobfile) seeds=../workloads ;; \
		arec) seeds="fuzz-seeds/$$n ../tests/fuzz/seeds/$$n" ;; \
		*) seeds=fuzz-seeds/$$n ;; \
		esac; \
		mkdir -p $(O)/fuzz-corpus/$$n; \
		if (cd $(O) && ./fuzz_$$n -max_total_time=$$secs -max_len=65536 -close_fd_mask=3 \
			-print_final_stats=1 fuzz-corpus/$$n $$seeds) >$(O)/fuzz-$$n.log 2>&1; \
		then r=ok; else r="FAILED (see $(O)/fuzz-$$n.log)"; fail=1; fi; \
		done_line=$$(grep -E '^#[0-9]+[[:space:]]+DONE' $(O)/fuzz-$$n.log | tail -n1); \
		runs=$$(sed -n 's/^stat::number_of_executed_units: //p' $(O)/fuzz-$$n.log); \
		cov=$$(echo "$$done_line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p'); \
		corp=$$(echo "$$done_line" | sed -n 's/.* corp: \([0-9]*\).*/\1/p'); \
		printf 'fuzz_%-10s %s s: %s runs, %s edges covered, corpus %s: %s\n' \
			$$n $$secs "$${runs:-?}" "$${cov:-?}" "$${corp:-?}" "$$r"; \
	done; exit $$fail

.PHONY: fuzz fuzz-smoke
# the sanitized objects are kept between runs (not intermediates to delete)
.SECONDARY: $(FUZZ_OBJS)
