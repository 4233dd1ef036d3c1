# bench.mk - chapter 4's benchmark targets (included by the Makefile).
#
#   make bench         a short run of everything: the seed's table, every
#                      variant, the ablation, the sweeps, the claims and
#                      the plots (about a minute on 2 CPUs)
#   make bench-seed    the seed's table at the seed's settings (3 s per run),
#                      then the quick profile (every table, the claims, the
#                      plots): every file chapter 4 includes, about 4 min
#   make bench-full    everything at 0.5 s x 3 per point, sizes up to 1M keys
#                      (several minutes)
#   make bench-smoke   the smallest run that prints every table (seconds)
#   make bench-futex   cross-checks the voluntary context switches the
#                      tables count against futex calls counted by strace
#   make bench-values  chapter 8: one write to a big value, persistent vs
#                      flat rebuild vs in place, 1k..1M elements, and
#                      memory per element against a real redis-server
#                      (about 10 minutes on 2 CPUs); QUICK=1: up to 10k,
#                      no redis, seconds, results in build/ (CI)
#   make bench-apply   chapter 9: redis-server loading an AOF at start-up
#                      against aof_load() over every store variant, six
#                      workloads of 1M commands, 3 repeats (a few minutes);
#                      QUICK=1: 20k commands, results in build/ (CI)
#   make bench-sync    chapter 10: a full sync of 1M keys of every type, our
#                      link against real redis-server replicas of the same
#                      master (bench-sync), and the stream's lag under
#                      redis-benchmark -P 32, ours beside a real replica
#                      (bench-lag); about 10 minutes on 2 CPUs; QUICK=1:
#                      20k keys, 2k requests a test, results in build/ (CI)
#   make bench-serve   chapter 11: build/replica answering redis-benchmark
#                      beside a real Redis replica, reads under writes per
#                      store, memory per key (about 10 minutes); QUICK=1:
#                      about a minute, results in build/ (CI)
#
# Results go to bench/results/<date>-<host>-<profile>.{md,csv} and
# bench/results/latest-<profile>.*; plots to bench/results/plot-*.svg.

# The compiler flags, recorded in every results file.
$(BUILD)/obj/bench/report.o: CPPFLAGS += -DBENCH_CFLAGS="\"$(CC) $(STD) $(OPT) $(SAN) -pthread\""
# The chapter 4 test calls the harness directly, so it links the bench code.
# The bench objects come after the library on its link line, so the library
# is named once more: what only they use (hamt_cells.o needs counter.o) is
# then linked too.
$(BUILD)/test-ch04: $(BENCH_OBJ)
$(BUILD)/test-ch04: LDLIBS += $(LIB)
$(BUILD)/obj/tests/ch04_%.o: CPPFLAGS += -Ibench

# Every bench program links the bench objects, and values_redis.o talks
# to a real redis-server through the tests' launcher and RESP client.
# Those come after the library on the link line, so it is named again.
BENCH_UTIL_OBJ := $(BUILD)/obj/tests/util/redis_server.o $(BUILD)/obj/tests/util/resp_client.o
$(addprefix $(BUILD)/,$(subst _,-,$(BENCH_PROGS))): $(BENCH_UTIL_OBJ)
$(addprefix $(BUILD)/,$(subst _,-,$(BENCH_PROGS))): LDLIBS += $(LIB)

.PHONY: bench bench-seed bench-smoke bench-full bench-futex bench-values bench-apply \
        bench-sync bench-serve
bench: $(BUILD)/bench
	@mkdir -p bench/results
	$(BUILD)/bench --profile quick

# The seed's table at the seed's settings, then the quick profile, which
# writes latest-quick.* (every table and the claims) and the plots: every
# results file chapter 4 includes, in about four minutes on 2 CPUs.
bench-seed: $(BUILD)/bench
	@mkdir -p bench/results
	$(BUILD)/bench --profile seed
	@echo
	@echo "(claims from the quick profile's short runs; make bench-full for longer ones)"
	@$(BUILD)/bench --profile quick --quiet | sed -n "/^### The seed's claims/,\$$p"

bench-smoke: $(BUILD)/bench $(BUILD)/values-bench $(BUILD)/apply-bench \
             $(BUILD)/bench-sync $(BUILD)/bench-lag $(BUILD)/replica
	@mkdir -p bench/results
	$(BUILD)/bench --profile smoke --no-plots --out $(BUILD) --stem bench-smoke
	$(BUILD)/values-bench -q -o $(BUILD) -s bench-values-smoke > /dev/null
	$(BUILD)/apply-bench -q -o $(BUILD) -s bench-apply-smoke > /dev/null
	@command -v redis-benchmark >/dev/null || $(MAKE) deps
	$(BUILD)/bench-sync -q -o $(BUILD) -s bench-sync-smoke > /dev/null
	$(BUILD)/bench-lag -q -o $(BUILD) -s bench-lag-smoke > /dev/null
	python3 bench/serve_bench.py -q --replica $(BUILD)/replica -o $(BUILD) -s bench-serve-smoke > /dev/null

# Chapter 8's figures: bench/results/ch08-values.{md,csv} and
# ch08-values-{writes,reads}.svg; QUICK=1 writes build/bench-values-quick.*
bench-values: $(BUILD)/values-bench
	@mkdir -p bench/results
	@command -v redis-server >/dev/null || $(MAKE) deps
	$(BUILD)/values-bench $(if $(filter 1,$(QUICK)),-q -o $(BUILD))

# Chapter 9's figure: bench/results/ch09-apply.{md,csv,svg}; QUICK=1
# writes build/bench-apply-quick.*
bench-apply: $(BUILD)/apply-bench
	@mkdir -p bench/results
	@command -v redis-server >/dev/null || $(MAKE) deps
	$(BUILD)/apply-bench $(if $(filter 1,$(QUICK)),-q)

# Chapter 10's figures: bench/results/ch10-sync.{md,csv} and
# ch10-lag.{md,csv} (+ ch10-lag-samples.csv, every sample); QUICK=1 writes
# build/bench-sync-quick.* and build/bench-lag-quick.*
bench-sync: $(BUILD)/bench-sync $(BUILD)/bench-lag
	@mkdir -p bench/results
	@command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null || $(MAKE) deps
	$(BUILD)/bench-sync $(if $(filter 1,$(QUICK)),-q)
	$(BUILD)/bench-lag $(if $(filter 1,$(QUICK)),-q)

# Chapter 11's figures: bench/results/ch11-serve.{md,csv}: build/replica
# serving redis-benchmark reads beside a real Redis replica of the same
# master (--threads 1 and 2), reads under full-speed writes per store with
# the lag, memory per key (bench/serve_bench.py; about 10 minutes on 2
# CPUs); QUICK=1 writes build/bench-serve-quick.* in about a minute.
bench-serve: $(BUILD)/replica | deps
	@mkdir -p bench/results
	python3 bench/serve_bench.py --replica $(BUILD)/replica $(if $(filter 1,$(QUICK)),-q)

bench-full: $(BUILD)/bench
	@mkdir -p bench/results
	$(BUILD)/bench --profile full

# A worker of build/bench sleeps only when a lock makes it wait, and on
# Linux that wait is a futex: so the voluntary context switches the tables
# count (vcsw) should be about the futex calls strace counts.  Each variant
# runs once plain (the vcsw to compare) and once under strace, which stops
# the thread at every futex call, so that run is not a speed measurement;
# its own vcsw include those stops.
bench-futex: $(BUILD)/bench $(BUILD)/hamt-bench
	@command -v strace >/dev/null || $(MAKE) deps
	@mkdir -p bench/results
	@{ echo "# make bench-futex: $$(date -u '+%Y-%m-%d %H:%M UTC'), $$(nproc) CPUs, load average $$(cut -d' ' -f1-3 /proc/loadavg)"; \
	for v in rwlock rwlock-rp; do \
	  echo; echo "## $$v, 2 threads, 95% reads, 1,000 keys, 2 s (+0.5 s warm-up)"; \
	  echo "plain run:"; \
	  $(BUILD)/bench --variant $$v --threads 2 --reads 95 --seconds 2 || exit 1; \
	  echo "under strace --seccomp-bpf -f -c -e trace=futex (the whole process, warm-up included):"; \
	  strace --seccomp-bpf -f -c -e trace=futex -o $(BUILD)/futex-$$v.txt \
	    $(BUILD)/bench --variant $$v --threads 2 --reads 95 --seconds 2 | tail -1 || exit 1; \
	  cat $(BUILD)/futex-$$v.txt; \
	done; \
	for v in rwlock hamt; do \
	  echo; echo "## chapter 5's mix, $$v: plain, then under strace"; \
	  $(BUILD)/hamt-bench -m $$v || exit 1; \
	  strace --seccomp-bpf -f -c -e trace=futex -o $(BUILD)/futex-mix-$$v.txt \
	    $(BUILD)/hamt-bench -m $$v || exit 1; \
	  cat $(BUILD)/futex-mix-$$v.txt; \
	done; } | tee bench/results/futex-strace.txt

# Chapter 8's memory target: bytes per key of every store against a real
# redis-server's used_memory for DEBUG POPULATE 1000000 (bench/main_mem_bench.c).
#   make bench-mem        1M keys, writes bench/results/ch08-mem.{md,csv}
#   make bench-mem-quick  100K keys in seconds, writes build/ch08-mem-quick.*
$(BUILD)/mem-bench: $(BUILD)/obj/tests/util/redis_server.o
.PHONY: bench-mem bench-mem-quick
bench-mem: $(BUILD)/mem-bench
	@mkdir -p bench/results
	$(BUILD)/mem-bench
bench-mem-quick: $(BUILD)/mem-bench
	$(BUILD)/mem-bench -q -o $(BUILD)
