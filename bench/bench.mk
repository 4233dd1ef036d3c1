# bench.mk - chapter 4's benchmark targets (included by the Makefile).
#
#   make bench         a short run of everything: the seed's table, every
#                      variant, the ablation, the sweeps, the claims and
#                      the plots (about a minute on 2 CPUs)
#   make bench-seed    the seed's table at the seed's settings (3 s per run),
#                      then the claims table from the quick profile
#   make bench-full    everything at 0.5 s x 3 per point, sizes up to 1M keys
#                      (several minutes)
#   make bench-smoke   the smallest run that prints every table (seconds)
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

.PHONY: bench bench-seed bench-smoke bench-full
bench: $(BUILD)/bench
	@mkdir -p bench/results
	$(BUILD)/bench --profile quick

# The seed's table at the seed's settings, then the claims table (from the
# quick profile's sweeps): both in under three minutes on 2 CPUs.
bench-seed: $(BUILD)/bench
	@mkdir -p bench/results
	$(BUILD)/bench --profile seed
	@echo
	@echo "(claims from the quick profile's short runs; make bench-full for longer ones)"
	@$(BUILD)/bench --profile quick --quiet | sed -n "/^### The seed's claims/,\$$p"

bench-smoke: $(BUILD)/bench
	@mkdir -p bench/results
	$(BUILD)/bench --profile smoke --no-plots --out $(BUILD) --stem bench-smoke

bench-full: $(BUILD)/bench
	@mkdir -p bench/results
	$(BUILD)/bench --profile full
