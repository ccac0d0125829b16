# harness/runner/musl.mk - the musl runner, included by the main Makefile.
# Builds $(O)/ab-runner-musl: the runner's own sources, core and the
# workloads compiled by musl-gcc (Debian musl-tools) and linked statically
# against musl, so that musl's malloc (mallocng) serves the workload:
# `bench --alloc=musl` starts it with nothing preloaded (a static binary
# cannot take a preload). The platform layer is $(PLATFORM)'s, as in
# ab-runner: the generic build gets a generic musl runner.
#
# musl-gcc's include path is musl's alone; the kernel's UAPI headers
# (linux/futex.h, linux/perf_event.h) and valgrind's client requests
# (valgrind/callgrind.h) are C-library independent, so they are reached
# through links in $(O)/musl-include, as Alpine's linux-headers would be.
#
# Without musl-gcc, `make` says so and builds everything else; `bench list`
# shows musl as not found, --alloc=musl names the package, and
# tests/integration/test_musl.c fails with the same message.
# MUSL_ALL lists what `all` builds.

MUSL_CC     ?= musl-gcc
HAVE_MUSL   := $(shell command -v $(MUSL_CC) >/dev/null 2>&1 && echo yes)
MUSL_INC    := $(O)/musl-include
MUSL_OBJDIR := $(O)/obj-musl
MUSL_CORE   := $(O)/libab-core-musl.a
musl_obj     = $(patsubst %.c,$(MUSL_OBJDIR)/%.o,$(1))
# every header directory the runner's sources reach outside musl's own
MUSL_LINKS  := linux=/usr/include/linux asm-generic=/usr/include/asm-generic \
               asm=/usr/include/$(MULTIARCH)/asm valgrind=/usr/include/valgrind
MUSL_CPPFLAGS = $(CPPFLAGS) -DAB_LIBC_MUSL -DAB_RUNNER_STATIC -idirafter $(MUSL_INC)

ifeq ($(HAVE_MUSL),yes)
MUSL_ALL := $(O)/ab-runner-musl
else
MUSL_ALL := musl-missing
endif

musl-missing:
	@echo "make: note: $(MUSL_CC) not found: $(O)/ab-runner-musl (--alloc=musl) is not built" \
	      "(install the Debian package musl-tools: ./setup.sh, or apt-get install musl-tools)"

$(MUSL_INC)/.links:
	@mkdir -p $(MUSL_INC)
	@for l in $(MUSL_LINKS); do \
		test -d "$${l#*=}" || { echo "make: $${l#*=} is missing (the musl runner needs it:" \
			"./setup.sh installs linux-libc-dev and valgrind)" >&2; exit 1; }; \
		ln -sfn "$${l#*=}" "$(MUSL_INC)/$${l%%=*}"; done
	@touch $@

$(MUSL_OBJDIR)/workloads/%.o: workloads/%.c $(MUSL_INC)/.links
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CPPFLAGS) $(ALL_CFLAGS) $(WL_CFLAGS) -c -o $@ $<

$(MUSL_OBJDIR)/%.o: %.c $(MUSL_INC)/.links
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(MUSL_CORE): $(call musl_obj,$(CORE_SRC))
	@rm -f $@
	ar rcs $@ $^

# -static: musl's libc.a, its malloc included; nothing else is linked.
$(O)/ab-runner-musl: $(call musl_obj,$(RUNNER_SRC)) $(MUSL_CORE)
	$(MUSL_CC) -static $(ALL_CFLAGS) -o $@ $^

all: $(MUSL_ALL)

.PHONY: musl-missing
