# Makefile - every entry point of the course (`make help` lists them).
#
# Layout the rules rely on, so that a new chapter only adds files:
#   src/*.c            the library (build/<mode>/libreplica.a); a file named
#                      src/main_<prog>.c is a program, built as build/<prog>
#                      (underscores become hyphens)
#   tests/chNN_*.c     chapter NN's Check suites; each file defines
#                      `Suite *chNN_<topic>_suite(void)` named after the file
#   tests/util/*.c     helpers shared by all suites (assertions, runner, the
#                      store contract suite, the redis-server launcher)
#   tests/demo/*.c     deliberately broken programs that a sanitizer must catch
#   tests/exercises/chNN_*.c  exercise tests (`Suite *exNN_<topic>_suite`)
#   exercises/chNN/    starter files; solutions/chNN/ the same files, solved
#   bench/main_<prog>.c a benchmark program, build/<prog>; the other
#                      bench/*.c files are linked into every one of them
#   tests/fuzz/fuzz_<name>.c  a libFuzzer target, build/fuzz/<name>; seed
#                      directories listed one per line in tests/fuzz/<name>.seeds
#
# Build modes: MODE=release (default, gcc, build/), MODE=tsan (clang
# ThreadSanitizer, build/tsan/), MODE=asan (clang ASan+UBSan, build/asan/).

SHELL := /bin/bash
.DEFAULT_GOAL := all
MAKEFLAGS += --no-builtin-rules
.SUFFIXES:

MODE     ?= release
V        ?= 0
Q        := $(if $(filter 1,$(V)),,@)
CH       ?= 99
SRC_DIRS := src
CHAPTERS := $(sort $(patsubst tests/ch%,%,$(foreach f,$(wildcard tests/ch[0-9][0-9]_*.c),$(firstword $(subst _, ,$(basename $(f)))))))
# Chapters 01..CH (CH=2 and CH=02 both work).
CH_SEL   := $(shell for c in $(CHAPTERS); do [ $$(expr $$c + 0) -le $$(expr $(CH) + 0) ] && echo $$c; done)

# --- toolchain per mode ------------------------------------------------------
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
STD      := -std=c11 -D_GNU_SOURCE
ifeq ($(MODE),release)
  CC       := gcc
  OPT      := -O2 -g
  BUILD    := build
  SAN      :=
else ifeq ($(MODE),tsan)
  CC       := clang
  OPT      := -O1 -g -fno-omit-frame-pointer
  BUILD    := build/tsan
  SAN      := -fsanitize=thread
else ifeq ($(MODE),asan)
  CC       := clang
  OPT      := -O1 -g -fno-omit-frame-pointer
  BUILD    := build/asan
  SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all
else
  $(error MODE must be release, tsan or asan)
endif

CPPFLAGS := -Isrc -Itests/util -MMD -MP
CFLAGS   := $(STD) $(WARN) $(OPT) $(SAN) -pthread
LDFLAGS  := $(SAN) -pthread
CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS   = $(shell pkg-config --libs check)
LDLIBS   := -lm

LIB_SRC  := $(filter-out src/main_%.c,$(wildcard src/*.c))
PROG_SRC := $(wildcard src/main_*.c)
PROGS    := $(patsubst src/main_%.c,%,$(PROG_SRC))
BENCH_PROG_SRC := $(wildcard bench/main_*.c)
BENCH_PROGS    := $(patsubst bench/main_%.c,%,$(BENCH_PROG_SRC))
BENCH_OBJ      := $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out bench/main_%.c,$(wildcard bench/*.c)))
PROG_BINS:= $(addprefix $(BUILD)/,$(subst _,-,$(PROGS) $(BENCH_PROGS)))
LIB      := $(BUILD)/libreplica.a
LIB_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC))
UTIL_SRC := $(wildcard tests/util/*.c)
UTIL_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(UTIL_SRC))

# Debian packages the course needs; `make deps` installs the missing ones.
DEB_PKGS := build-essential clang pkg-config check doxygen graphviz valgrind \
            redis-server redis-tools gnuplot-nox libclang-rt-14-dev strace

.PHONY: all deps help test tsan valgrind asan docs solutions exercise \
        exercises-fail check-docs bench bench-seed fuzz demo clean \
        tsan-ch01 demos demo-libs programs run-tests FORCE
.SECONDARY:
.SECONDEXPANSION:

# --- dependencies ------------------------------------------------------------
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "deps: installing$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	      || { echo "deps: apt-get failed"; exit 1; }; \
	  else \
	    echo "deps: missing packages:$$missing"; \
	    echo "deps: run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

help:
	@echo "Build a Redis Replica in C - make targets"
	@echo "  make                 build the library and programs (build/)"
	@echo "  make deps            install the Debian packages the course needs"
	@echo "  make test            run chapters 01..CH (default: all) and print scores"
	@echo "  make test-chNN       run one chapter's suites (e.g. make test-ch02)"
	@echo "  make test CH=N       run chapters 1..N, as a learner at chapter N does"
	@echo "      SUITE=name CASE=name   run one Check suite / test case only"
	@echo "  make tsan            all suites under ThreadSanitizer (clang); must be silent"
	@echo "  make tsan-ch01       show the data race of chapter 1 under ThreadSanitizer"
	@echo "  make demos           check that every deliberate bug is still caught"
	@echo "  make valgrind        all suites under Valgrind memcheck, leaks are errors"
	@echo "  make asan            all suites under AddressSanitizer + UBSan"
	@echo "  make docs            the Doxygen site in build/docs/html (warnings fail)"
	@echo "  make exercise CH=NN  chapter NN's exercise tests against exercises/chNN/"
	@echo "  make solutions       every chapter's exercise tests against solutions/"
	@echo "  make exercises-fail  check that each shipped exercise starter fails its tests"
	@echo "  make bench           a short run of every benchmark (about a minute)"
	@echo "  make bench-seed      the seed report's table at the seed's settings"
	@echo "  make bench-full      every table at 0.5 s x 3 per point, up to 1M keys (minutes)"
	@echo "  make bench-smoke     the smallest run that prints every table (CI checks its shape)"
	@echo "  make fuzz            each libFuzzer target for FUZZ_SECONDS (default 60)"
	@echo "  make clean           remove build/"

# --- compiling ---------------------------------------------------------------
all: $(LIB) $(PROG_BINS)

programs: $(PROG_BINS)

$(BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(if $(filter tests/% exercises/% solutions/%,$<),$(CHECK_CFLAGS)) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

# PROGRAM_RULE(dir,name,extra objects): build/<name> from dir/main_<name>.c
define PROGRAM_RULE
$(BUILD)/$(subst _,-,$(2)): $(BUILD)/obj/$(1)/main_$(2).o $(3) $(LIB)
	@echo "  LINK    $$@"
	$(Q)$$(CC) $$(LDFLAGS) $$^ $$(LDLIBS) -o $$@
endef
$(foreach p,$(PROGS),$(eval $(call PROGRAM_RULE,src,$(p),)))
$(foreach p,$(BENCH_PROGS),$(eval $(call PROGRAM_RULE,bench,$(p),$(BENCH_OBJ))))

# One test program per chapter; its main() is generated from the file names,
# so adding tests/chNN_topic.c adds the suite chNN_topic_suite().
$(BUILD)/gen/test-ch%.c: FORCE
	@mkdir -p $(dir $@)
	@tests/util/gen-main.sh "ch$*" $(sort $(wildcard tests/ch$*_*.c)) > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/test-ch%: $$(foreach f,$$(wildcard tests/ch$$*_*.c),$(BUILD)/obj/$$(basename $$f).o) \
                   $(BUILD)/obj/gen/test-ch%.o $(UTIL_OBJ) $(LIB)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(CHECK_LIBS) $(LDLIBS) -o $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c | deps
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

# --- running tests -----------------------------------------------------------
TEST_BINS = $(foreach c,$(CH_SEL),$(BUILD)/test-ch$(c))
RUN_ENV   = $(if $(SUITE),CK_RUN_SUITE=$(SUITE)) $(if $(CASE),CK_RUN_CASE=$(CASE))

test:
	@$(MAKE) --no-print-directory run-tests MODE=release

# test-ch01, test-ch02, ...: one explicit target per chapter (a pattern rule
# would also match build/test-chNN).
define CHAPTER_TEST_RULE
.PHONY: test-ch$(1)
test-ch$(1):
	@$$(MAKE) --no-print-directory run-tests MODE=release CHAPTERS_ONLY=$(1)
endef
$(foreach c,$(CHAPTERS),$(eval $(call CHAPTER_TEST_RULE,$(c))))

run-tests: $(if $(CHAPTERS_ONLY),$(BUILD)/test-ch$(CHAPTERS_ONLY),$(TEST_BINS))
	@$(RUN_ENV) tests/util/run-suites.sh "$(RUNNER)" $^

tsan:
	@$(MAKE) --no-print-directory run-tests MODE=tsan \
	  RUNNER="env TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 TEST_SCALE=0.1 CK_TIMEOUT_MULTIPLIER=10"
	@$(MAKE) --no-print-directory demos

asan:
	@$(MAKE) --no-print-directory run-tests MODE=asan \
	  RUNNER="env CK_FORK=no ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 TEST_SCALE=0.25"

# --fair-sched=yes: Valgrind runs one thread at a time; with its default
# scheduler a thread spinning on sched_yield() (a stress test waiting for its
# readers, ebr_synchronize() waiting for a grace period) can keep the thread
# it waits for off the CPU for a long time.  The fair scheduler hands the CPU
# round in order, which took chapter 5's stress suite from minutes to seconds.
valgrind:
	@$(MAKE) --no-print-directory run-tests MODE=release \
	  RUNNER="env CK_FORK=no TEST_SCALE=0.02 valgrind -q --fair-sched=yes --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1"

# --- deliberate bugs that a sanitizer must report ----------------------------
# tests/demo/<mode>_<name>.c is built in <mode> (tsan or asan); running it must
# make the sanitizer report, or the demonstration has silently stopped working.
DEMO_SRC := $(wildcard tests/demo/*.c)

# Both sanitizer libraries are built once, before any demo, so that parallel
# demo builds (make -j) never write the same archive at the same time.
demo-libs: | deps
	@$(MAKE) --no-print-directory MODE=tsan build/tsan/libreplica.a
	@$(MAKE) --no-print-directory MODE=asan build/asan/libreplica.a

build/demo/%: tests/demo/%.c FORCE | demo-libs
	@mkdir -p $(dir $@)
	@echo "  DEMO    $@"
	$(Q)clang $(STD) $(WARN) -O1 -g -fno-omit-frame-pointer -Isrc -pthread \
	  -fsanitize=$(if $(filter tsan_%,$*),thread,address) $< \
	  build/$(firstword $(subst _, ,$*))/libreplica.a -lm -o $@

demos: $(patsubst tests/demo/%.c,build/demo/%,$(DEMO_SRC))
	@tests/util/run-demos.sh $^

tsan-ch01: build/demo/tsan_ch01_race
	-TSAN_OPTIONS=halt_on_error=1 ./build/demo/tsan_ch01_race

# --- exercises and solutions -------------------------------------------------
EX_CHAPTERS := $(sort $(patsubst exercises/ch%,%,$(wildcard exercises/ch[0-9][0-9])))

build/exercise/ch%: FORCE | deps
	@$(MAKE) --no-print-directory ex-bin-ch$* KIND=exercise DIR=exercises/ch$*
build/solution/ch%: FORCE | deps
	@$(MAKE) --no-print-directory ex-bin-ch$* KIND=solution DIR=solutions/ch$*

ex-bin-ch%: $(LIB) $(UTIL_OBJ)
	@mkdir -p build/$(KIND) build/gen
	@tests/util/gen-main.sh "ex$*" $(sort $(wildcard tests/exercises/ch$*_*.c)) > build/gen/$(KIND)-ch$*.c
	@echo "  LINK    build/$(KIND)/ch$* (tests/exercises/ch$*_*.c + $(DIR)/)"
	$(Q)$(CC) $(CPPFLAGS) -Iexercises/ch$* $(CFLAGS) $(CHECK_CFLAGS) \
	  build/gen/$(KIND)-ch$*.c $(wildcard tests/exercises/ch$*_*.c) $(wildcard $(DIR)/*.c) \
	  $(UTIL_OBJ) $(LIB) $(CHECK_LIBS) $(LDLIBS) -o build/$(KIND)/ch$*

exercise: build/exercise/ch$(CH)
	@tests/util/run-suites.sh "" build/exercise/ch$(CH)

solutions: $(addprefix build/solution/ch,$(EX_CHAPTERS))
	@tests/util/run-suites.sh "" $^

exercises-fail: $(addprefix build/exercise/ch,$(EX_CHAPTERS))
	@tests/util/expect-fail.sh $^

# --- documentation -----------------------------------------------------------
check-docs:
	@tests/util/check-docs.sh

docs: check-docs | deps
	@mkdir -p build/docs
	@doxygen docs/Doxyfile > build/docs/doxygen.log
	@echo "docs: build/docs/html/index.html"

# --- fuzzing -------------------------------------------------------------------
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 60

build/fuzz/%: tests/fuzz/fuzz_%.c $(LIB_SRC) | deps
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)clang $(STD) $(WARN) -O1 -g -fno-omit-frame-pointer -Isrc -pthread \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  $< $(LIB_SRC) -lm -o $@

fuzz: $(FUZZ_TARGETS)
	@tests/util/run-fuzz.sh $(FUZZ_SECONDS) $^

# --- benchmarks (chapter 4 adds bench/bench.mk) ----------------------------------
-include bench/bench.mk

clean:
	rm -rf build

# Header dependencies written by -MMD; never try to remake them.
%.d: ;
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
