# Makefile - every entry point of the course (`make help` lists them).
#
# Layout the rules rely on, so that a new chapter only adds files:
#   src/*.c            the library (build/<mode>/libreplica.a)
#   src/cli/main_<prog>.c  a program on the library, built as build/<prog>
#                      (underscores become hyphens)
#   tests/chNN_*.c     chapter NN's Check suites; tests/chNN_<topic>.c defines
#                      `Suite *chNN_<topic>_suite(void)`, building the suite
#                      "chNN_<topic>" (tests/util/layout.py checks the names)
#   tests/util/*.c     helpers shared by all suites (assertions, runner, the
#                      store contract suite, the redis-server launcher)
#   tests/demo/*.c     deliberately broken programs that a sanitizer must catch
#                      (a name ending in _clean: the fixed twin, must be silent)
#   tests/litmus/*.c   litmus programs of the memory-model primer, build/litmus/
#   tests/broken/chNN_<bug>.c  one library file with one bug put back, for a
#                      chapter's "failing test" (build/broken/chNN_<bug>)
#   docs/transcripts/  the output chapters quote: `list` names each command,
#                      NAME.txt its output (make transcripts)
#   tests/exercises/chNN_*.c  exercise tests (`Suite *exNN_<topic>_suite`,
#                      the suite "exNN_<topic>")
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
CH       ?=
SRC_DIRS := src
CHAPTERS := $(sort $(patsubst tests/ch%,%,$(foreach f,$(wildcard tests/ch[0-9][0-9]_*.c),$(firstword $(subst _, ,$(basename $(f)))))))
# CH picks chapters: `make test CH=N` runs chapters 01..N, `make exercise
# CH=N` chapter N's exercises.  CH=2 and CH=02 both work: CH_NUM is CH as two
# digits, empty unless CH is one number.  No CH: every chapter.
ch_not_digits = $(subst 0,,$(subst 1,,$(subst 2,,$(subst 3,,$(subst 4,,$(subst 5,,$(subst 6,,$(subst 7,,$(subst 8,,$(subst 9,,$(1)))))))))))
CH_NUM   := $(if $(and $(filter 1,$(words $(CH))),$(if $(call ch_not_digits,$(CH)),,yes)),$(shell printf '%02d' "$$(expr $(CH) + 0 2>/dev/null)" 2>/dev/null))
CH_SEL   := $(if $(CH),$(shell for c in $(CHAPTERS); do [ $$(expr $$c + 0) -le $$(expr 0$(CH_NUM) + 0) ] && echo $$c; done),$(CHAPTERS))
# A CH that is not a chapter is an error naming the chapters there are; it
# never runs fewer tests than asked for (CH beyond the last chapter, too).
ifneq ($(and $(CH),$(filter test tsan asan valgrind run-tests,$(MAKECMDGOALS)),$(if $(CHAPTERS_ONLY),,yes)),)
  ifeq ($(filter $(CH_NUM),$(CHAPTERS)),)
    $(error CH=$(CH) is not a chapter: the chapters are $(firstword $(CHAPTERS))..$(lastword $(CHAPTERS)), and CH=N runs chapters 1..N (CH=$(lastword $(CHAPTERS)), or no CH, runs them all))
  endif
endif

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
LDLIBS   := -lm -lssl -lcrypto

LIB_SRC  := $(wildcard src/*.c)
PROG_SRC := $(wildcard src/cli/main_*.c)
PROGS    := $(patsubst src/cli/main_%.c,%,$(PROG_SRC))
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
            redis-server redis-tools gnuplot-nox libclang-rt-14-dev xxd strace \
            libssl-dev openssl tmux python3-redis libhiredis-dev \
            prometheus-redis-exporter curl

.PHONY: all deps help test tsan valgrind asan docs solutions exercise \
        exercises-fail check-docs bench bench-seed fuzz demo clean \
        tsan-ch01 demos demo-libs programs run-tests litmus transcripts \
        check-transcripts FORCE
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
	@echo "  make test            run every chapter's suites and print scores"
	@echo "  make test-chNN       run one chapter's suites (e.g. make test-ch02)"
	@echo "  make test CH=N       run chapters 1..N, as a learner at chapter N does"
	@echo "                       (CH=2 or CH=02; CH=0, a CH past the last chapter"
	@echo "                       or not a number is an error naming the chapters)"
	@echo "      SUITE=name CASE=name   run one Check suite / test case only; a"
	@echo "                       name that matches no test is an error listing them"
	@echo "  make tsan            all suites under ThreadSanitizer (clang); must be silent"
	@echo "  make tsan-ch01       show the data race of chapter 1 under ThreadSanitizer"
	@echo "  make demos           check that every deliberate bug is still caught"
	@echo "  make litmus          the memory-model litmus tests of chapter 1b"
	@echo "  make valgrind        all suites under Valgrind memcheck, leaks are errors"
	@echo "  make asan            all suites under AddressSanitizer + UBSan"
	@echo "  make docs            the Doxygen site in build/docs/html (warnings fail);"
	@echo "                       first checks every transcript against a fresh run"
	@echo "  make transcripts     rewrite docs/transcripts/*.txt, the output chapters quote,"
	@echo "                       from their commands (T=\"name...\" for some only)"
	@echo "  make check-transcripts  compare each transcript with a fresh run (in make docs)"
	@echo "  make broken-chNN_bug a chapter's test program with one bug put back (fails)"
	@echo "  make exercise CH=N   chapter N's exercise tests against exercises/chNN/"
	@echo "                       (CH is required and must be a chapter with exercises)"
	@echo "  make solutions       every chapter's exercise tests against solutions/"
	@echo "  make exercises-fail  check that each shipped exercise starter fails its tests"
	@echo "  make learn CH=N      build it yourself: chapter N's files into learn/, bodies stubbed"
	@echo "  make learn-test CH=N chapters 1..N's suites with your learn/*.c (build/learn/)"
	@echo "  make bench           a short run of every benchmark (about a minute)"
	@echo "  make bench-seed      the seed report's table at the seed's settings"
	@echo "  make bench-full      every table at 0.5 s x 3 per point, up to 1M keys (minutes)"
	@echo "  make bench-smoke     the smallest run that prints every table (CI checks its shape)"
	@echo "  make bench-values    chapter 8: one write to a big value, persistent / flat / in place"
	@echo "                       (about 4 min, a real redis-server for memory); QUICK=1: seconds"
	@echo "  make bench-apply     chapter 9: redis-server loading an AOF vs aof_load() on every"
	@echo "                       store (a few minutes, a real redis-server); QUICK=1: seconds"
	@echo "  make bench-sync      chapter 10: full sync of 1M keys and stream lag, our link vs a"
	@echo "                       real redis-server replica (about 10 min); QUICK=1: seconds"
	@echo "  make bench-serve     chapter 11: build/replica vs a real Redis replica under"
	@echo "                       redis-benchmark, per store, memory (about 10 min); QUICK=1"
	@echo "  make bench-mem       chapter 8: bytes per key of every store vs redis DEBUG POPULATE"
	@echo "  make fuzz            each libFuzzer target for FUZZ_SECONDS (default 60)"
	@echo "  make soak-rdb SEEDS=N random datasets via redis-server vs our RDB reader"
	@echo "  make check-consistency  chapter 12: build/replica against a live master with"
	@echo "                       faults, key by key (SEEDS=3 OPS=3000 FIRST=1, about a minute)"
	@echo "  make soak            the same, SEEDS=20 OPS=20000 by default (minutes)"
	@echo "  make demo            build/replica following a live redis-server, read with"
	@echo "                       redis-cli (chapter 11; about 30 s, stops all it starts)"
	@echo "  make load            chapter 12: build/replica under every read command, writes"
	@echo "                       at full speed and forced full syncs (60 s, DURATION=);"
	@echo "                       report also in bench/results/ch12-load.md"
	@echo "  make load-tsan       the same, 20 s, load test and replica under ThreadSanitizer"
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
$(foreach p,$(PROGS),$(eval $(call PROGRAM_RULE,src/cli,$(p),)))
$(foreach p,$(BENCH_PROGS),$(eval $(call PROGRAM_RULE,bench,$(p),$(BENCH_OBJ))))

# One test program per chapter; its main() is generated from the file names,
# so adding tests/chNN_topic.c adds the suite chNN_topic_suite().
$(BUILD)/gen/test-ch%.c: FORCE
	@mkdir -p $(dir $@)
	@tests/util/gen-main.sh "ch$*" $(sort $(wildcard tests/ch$*_*.c)) > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# Test programs link a copy of ebr.c built with its test hook (see
# src/ebr_private.h) ahead of the library, so the library's ebr.o, which has
# no hook, is never pulled in.  EBR_SRC is the ebr.c to build (make
# learn-test passes the learner's copy).
EBR_SRC    ?= src/ebr.c
EBR_HOOKED := $(BUILD)/obj/hooks/ebr.o
$(EBR_HOOKED): $(EBR_SRC) | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $< (with test hook)"
	$(Q)$(CC) $(CPPFLAGS) -DEBR_TEST_HOOKS $(CFLAGS) -c $< -o $@

$(BUILD)/test-ch%: $$(foreach f,$$(wildcard tests/ch$$*_*.c),$(BUILD)/obj/$$(basename $$f).o) \
                   $(BUILD)/obj/gen/test-ch%.o $(UTIL_OBJ) $(EBR_HOOKED) $(LIB)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(CHECK_LIBS) $(LDLIBS) -o $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c | deps
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

# Chapter 10's repl-tail suite runs the program of its own build mode
# (order-only: the program is not linked into the tests).
$(BUILD)/test-ch10: | $(BUILD)/repl-tail
$(BUILD)/obj/tests/ch10_tail.o: CPPFLAGS += -DREPL_TAIL_PATH='"$(BUILD)/repl-tail"'

# Chapter 11's client suite runs build/replica (of its own build mode) and
# tests/clients/hiredis_client.c, a small program on Debian's hiredis.
$(BUILD)/test-ch11: | $(BUILD)/replica $(BUILD)/clients/hiredis-client
$(BUILD)/obj/tests/ch11_clients.o: CPPFLAGS += -DREPLICA_PATH='"$(BUILD)/replica"' \
  -DHIREDIS_CLIENT_PATH='"$(BUILD)/clients/hiredis-client"'
$(BUILD)/clients/hiredis-client: tests/clients/hiredis_client.c | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(STD) $(WARN) $(OPT) $(SAN) $< -lhiredis -o $@

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
# --child-silent-after-fork=yes: a test that forks a child to watch it abort
# (tests/ch02_preference.c) would otherwise print the dying child's heap.
valgrind:
	@$(MAKE) --no-print-directory run-tests MODE=release \
	  RUNNER="env CK_FORK=no TEST_SCALE=0.02 valgrind -q --fair-sched=yes --child-silent-after-fork=yes --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1"

# --- deliberate bugs that a sanitizer must report ----------------------------
# tests/demo/<mode>_<name>.c is built in <mode> (tsan or asan); running it must
# make the sanitizer report, or the demonstration has silently stopped working.
DEMO_SRC := $(wildcard tests/demo/*.c)

# Both sanitizer libraries are built once, before any demo, so that parallel
# demo builds (make -j) never write the same archive at the same time.
demo-libs: | deps
	@$(MAKE) --no-print-directory MODE=tsan build/tsan/libreplica.a
	@$(MAKE) --no-print-directory MODE=asan build/asan/libreplica.a

# Demos link -lm only, not $(LDLIBS): they pull no TLS code from the
# archive, and linking libcrypto changes the names ASan gives its frames in
# the reports the chapters quote (docs/transcripts).
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

# --- litmus tests of the memory-model primer (chapter 1b) -------------------
# tests/litmus/<name>.c is a self-contained program, build/litmus/<name>,
# always built like the release build (gcc -O2): what it shows is what the
# compiler and the hardware do, so no sanitizer may change the code.
LITMUS_SRC := $(wildcard tests/litmus/*.c)
LITMUS_BINS := $(patsubst tests/litmus/%.c,build/litmus/%,$(LITMUS_SRC))

build/litmus/%: tests/litmus/%.c | deps
	@mkdir -p $(dir $@)
	@echo "  LITMUS  $@"
	$(Q)gcc $(STD) $(WARN) -O2 -g -pthread $< -o $@

litmus: $(LITMUS_BINS)
	@tests/util/run-litmus.sh $^

# --- bugs put back on purpose, for the chapters' failing tests ---------------
# tests/broken/chNN_<bug>.c compiles one library file (#include "file.c")
# with one bug put back; build/broken/chNN_<bug> is chapter NN's test program
# linked with it ahead of libreplica.a, so the library's correct copy of that
# file is never pulled in.  `make broken-chNN_<bug>` runs it, and it must
# fail: the chapters quote that failure (docs/transcripts), and
# `make check-transcripts` notices when it stops failing the same way.
broken_ch = $(firstword $(subst _, ,$(1)))
build/broken/%: tests/broken/%.c $$(wildcard tests/$$(call broken_ch,$$*)_*.c) \
                $(LIB_SRC) $(UTIL_OBJ) $(LIB) | deps
	@mkdir -p build/broken build/gen
	@tests/util/gen-main.sh "$(call broken_ch,$*)" $(sort $(wildcard tests/$(call broken_ch,$*)_*.c)) > build/gen/broken-$*.c
	@echo "  LINK    $@"
	$(Q)$(CC) -Isrc -Itests/util $(CFLAGS) $(CHECK_CFLAGS) build/gen/broken-$*.c \
	  $(sort $(wildcard tests/$(call broken_ch,$*)_*.c)) $< $(UTIL_OBJ) $(LIB) \
	  $(CHECK_LIBS) $(LDLIBS) -o $@

broken-%: build/broken/%
	@$(RUN_ENV) tests/util/run-suites.sh "$(RUNNER)" $<

# Chapter 12's failing test is a checker run, so its bug goes into the
# program: build/broken/replica-chNN_<bug> is build/replica linked with
# tests/broken/chNN_<bug>.c ahead of libreplica.a, and
# `make broken-check-chNN_<bug>` runs the consistency checker against it
# with the fault that shows the bug (it must report differences).
BROKEN_CHECK_ARGS ?= --seed 1 --ops 3000 --faults replica-pause
build/broken/replica-%: tests/broken/%.c $(BUILD)/obj/src/cli/main_replica.o $(LIB) | deps
	@mkdir -p build/broken
	@echo "  LINK    $@"
	$(Q)$(CC) -Isrc $(CFLAGS) $< $(BUILD)/obj/src/cli/main_replica.o $(LIB) $(LDLIBS) -o $@

broken-check-%: build/broken/replica-% $(BUILD)/check-consistency
	@$(BUILD)/check-consistency $(BROKEN_CHECK_ARGS) --replica build/broken/replica-$*

# --- exercises and solutions -------------------------------------------------
EX_CHAPTERS := $(sort $(patsubst exercises/ch%,%,$(wildcard exercises/ch[0-9][0-9])))
# `make exercise` needs CH, and CH must name a chapter with exercises.
ifneq ($(filter exercise,$(MAKECMDGOALS)),)
  ifeq ($(filter $(CH_NUM),$(EX_CHAPTERS)),)
    $(error $(if $(CH),CH=$(CH) has no exercises,make exercise needs CH=N); exercises/ has chapters $(EX_CHAPTERS) (CH=1 and CH=01 both work))
  endif
endif

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

# Chapter 12's fault exercise runs cc_run(), which starts build/replica.
ex-bin-ch12: $(BUILD)/replica

exercise: build/exercise/ch$(CH_NUM)
	@tests/util/run-suites.sh "" build/exercise/ch$(CH_NUM)

solutions: $(addprefix build/solution/ch,$(EX_CHAPTERS))
	@tests/util/run-suites.sh "" $^

exercises-fail: $(addprefix build/exercise/ch,$(EX_CHAPTERS))
	@tests/util/expect-fail.sh $^

# --- documentation -----------------------------------------------------------
check-docs:
	@tests/util/check-docs.sh

# Every output a chapter quotes is docs/transcripts/NAME.txt, made by the
# command that docs/transcripts/list gives it (tests/util/transcripts.sh).
transcripts: | deps
	@tests/util/transcripts.sh write $(T)

check-transcripts: | deps
	@tests/util/transcripts.sh check $(T)

# build/docs/files.md, the chapter -> files page, is written from the
# opening comments of src/ (tests/util/layout.py) on every run.
docs: check-docs check-transcripts | deps
	@mkdir -p build/docs
	@python3 tests/util/layout.py map build/docs/files.md
	@doxygen docs/Doxyfile > build/docs/doxygen.log
	@echo "docs: build/docs/html/index.html"

# --- fuzzing -------------------------------------------------------------------
# Every target links one instrumented archive, build/fuzz/lib.a: the library
# and the harnesses it shares with the Check suites (tests/util/fuzz_harness_
# *.c, resp_scan.c), compiled once with clang's coverage (fuzzer-no-link),
# ASan and UBSan, so adding a target costs one small compile and one link.
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 60
FUZZ_UTIL    := $(wildcard tests/util/fuzz_harness_*.c) tests/util/resp_scan.c
FUZZ_OBJ     := $(patsubst %.c,build/fuzz/obj/%.o,$(LIB_SRC) $(FUZZ_UTIL))
FUZZ_CFLAGS  := $(STD) $(WARN) -O1 -g -fno-omit-frame-pointer -Isrc -Itests/util \
                -pthread -fsanitize=address,undefined -fno-sanitize-recover=all

build/fuzz/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

build/fuzz/lib.a: $(FUZZ_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_TARGETS): build/fuzz/%: tests/fuzz/fuzz_%.c build/fuzz/lib.a | deps
	@echo "  FUZZ    $@"
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $< build/fuzz/lib.a $(LDLIBS) -o $@

-include $(FUZZ_OBJ:.o=.d)

fuzz: $(FUZZ_TARGETS)
	@tests/util/run-fuzz.sh $(FUZZ_SECONDS) $^

# --- benchmarks (chapter 4 adds bench/bench.mk) ----------------------------------
-include bench/bench.mk

# --- the build-it-yourself track (make learn, make learn-test) ---------------
include tests/util/learn.mk

# --- the demo ------------------------------------------------------------------
# The course's main job (chapter 11): a redis-server master with a dataset
# of every type, build/replica following it, reads, INFO replication,
# ROLE, -READONLY, a write followed, Pub/Sub and a short redis-benchmark
# beside a real Redis replica, all through redis-cli (tests/util/demo.sh).
demo: $(BUILD)/replica | deps
	@tests/util/demo.sh $(BUILD)/replica

clean:
	rm -rf build

# Header dependencies written by -MMD; never try to remake them.
%.d: ;
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# --- soak: random datasets through a real redis-server (chapter 7) ----------
# make soak-rdb SEEDS=N [FIRST=S]: seeds S..S+N-1 of tests/util/rdb_soak.c.
SEEDS ?= 100
FIRST ?= 1
.PHONY: soak-rdb
$(BUILD)/soak-rdb: $(BUILD)/obj/tests/soak/soak_rdb.o $(UTIL_OBJ) $(LIB)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(CHECK_LIBS) $(LDLIBS) -o $@

soak-rdb: $(BUILD)/soak-rdb
	@$(BUILD)/soak-rdb --seeds $(SEEDS) --first $(FIRST)

# --- the consistency checker (chapter 12) ------------------------------------
# build/check-consistency (tests/consistency/main_check_consistency.c):
# a real redis-server master, build/replica following it, the seeded
# workload in batches with a fault after each, key-by-key comparisons.
# make check-consistency: CC_SEEDS x CC_OPS, every fault (about a minute);
# make soak: SEEDS=20 OPS=20000 by default (minutes).  FIRST is the first seed.
CC_SEEDS := $(if $(filter command line environment,$(origin SEEDS)),$(SEEDS),3)
CC_OPS   := $(if $(filter command line environment,$(origin OPS)),$(OPS),3000)
SOAK_SEEDS := $(if $(filter command line environment,$(origin SEEDS)),$(SEEDS),20)
SOAK_OPS   := $(if $(filter command line environment,$(origin OPS)),$(OPS),20000)
.PHONY: check-consistency soak
$(BUILD)/check-consistency: $(BUILD)/obj/tests/consistency/main_check_consistency.o \
                            $(UTIL_OBJ) $(LIB)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(CHECK_LIBS) $(LDLIBS) -o $@

check-consistency: $(BUILD)/check-consistency $(BUILD)/replica
	@$(BUILD)/check-consistency --seed $(FIRST) --seeds $(CC_SEEDS) --ops $(CC_OPS) \
	  --replica $(BUILD)/replica --quiet

soak: $(BUILD)/check-consistency $(BUILD)/replica
	@$(BUILD)/check-consistency --seed $(FIRST) --seeds $(SOAK_SEEDS) --ops $(SOAK_OPS) \
	  --replica $(BUILD)/replica --quiet
# Chapter 12's consistency suite runs build/replica of its own build mode.
$(BUILD)/test-ch12: | $(BUILD)/replica
$(BUILD)/obj/tests/ch12_consistency.o: CPPFLAGS += -DREPLICA_PATH='"$(BUILD)/replica"'

# --- chapter 12: the load test -----------------------------------------------
# build/load-test (tests/load/*.c): a redis-server master with a dataset of
# every type, the replica program following it, every read command from
# many pipelined connections, writes at full speed, full syncs forced every
# few seconds; exit 1 on a malformed reply, an unexpected error, a crash, a
# hang or a sanitizer report.  `make load`: 60 s (DURATION=) against the
# release build/replica, the report also in bench/results/ch12-load.md;
# `make load-tsan`: 20 s, load test and replica both built with
# ThreadSanitizer (reusing build/tsan/ from `make tsan`).
LOAD_SRC := $(wildcard tests/load/*.c)
LOAD_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(LOAD_SRC))
MACHINE  ?= 2-vCPU KVM guest, AMD EPYC, shared, noisy
.PHONY: load load-tsan
$(BUILD)/load-test: $(LOAD_OBJ) $(UTIL_OBJ) $(LIB)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) $^ $(CHECK_LIBS) $(LDLIBS) -o $@
$(BUILD)/obj/tests/load/main_load_test.o: CPPFLAGS += -DLOAD_REPLICA_PATH='"$(BUILD)/replica"'

# tests/ch12_load.c runs the load test program of its own build mode.
$(BUILD)/test-ch12: | $(BUILD)/load-test $(BUILD)/replica
$(BUILD)/obj/tests/ch12_load.o: CPPFLAGS += -DLOAD_TEST_PATH='"$(BUILD)/load-test"' \
  -DREPLICA_PATH='"$(BUILD)/replica"'

load: build/load-test build/replica
	@mkdir -p bench/results
	@build/load-test --duration $(or $(DURATION),60) \
	  --md bench/results/ch12-load.md --machine "$(MACHINE)"

load-tsan:
	@$(MAKE) --no-print-directory MODE=tsan build/tsan/load-test build/tsan/replica
	@build/tsan/load-test --duration $(or $(DURATION),20)
