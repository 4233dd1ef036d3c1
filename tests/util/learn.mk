# learn.mk - the build-it-yourself track (included by the Makefile).
#
#   make learn CH=N       copy chapter N's files into learn/ with the bodies
#                         you write replaced by stubs (tests/util/learn.py);
#                         a file already in learn/ is never overwritten
#   make learn-test CH=N  build the library with learn/*.c in place of the
#                         src/ (and bench/) files of the same name, in
#                         build/learn/, and run chapters 1..N's suites;
#                         SUITE=name / CASE=name as for make test
#
# The bodies to write are marked in src/ itself (/* learn: chNN name
# "Section" */ ... /* learn: end */), so the track has no second copy of
# the code to drift.  LEARN_DIR and LEARN_BUILD move the two folders
# (tests/util/check-learn.sh uses that); LEARN_REAL=1 copies the real
# bodies instead of stubs; LEARN_ONLY=NN runs chapter NN's suites only.

LEARN_DIR   ?= learn
LEARN_BUILD ?= build/learn
LEARN_PY    := python3 tests/util/learn.py
DEB_PKGS    += python3

# $(call learn_subst,FILES): each file, or $(LEARN_DIR)/<its name> if that exists.
learn_subst = $(foreach f,$(1),$(or $(wildcard $(LEARN_DIR)/$(notdir $(f))),$(f)))
learn_need_ch = $(if $(filter command line environment,$(origin CH)),,$(error $@ needs a chapter: make $@ CH=N))

define newline


endef

.PHONY: learn learn-test

learn: | deps
	@$(learn_need_ch)
	@$(LEARN_PY) gen --chapter $(CH) --dir $(LEARN_DIR) $(if $(LEARN_REAL),--real)

# The archive is rebuilt every time: which files it holds depends on what
# is in $(LEARN_DIR), which make cannot see from timestamps alone.
learn-test: | deps
	@$(learn_need_ch)
	@echo "learn-test: your files: $(or $(wildcard $(LEARN_DIR)/*.c),none yet (make learn CH=$(CH)))"
	$(foreach f,$(filter-out $(notdir $(wildcard src/*.c bench/*.c)),$(notdir $(wildcard $(LEARN_DIR)/*.c))),\
	  @echo "learn-test: warning: $(LEARN_DIR)/$(f) replaces no file of src/ or bench/; it is not used"$(newline))
	@rm -f $(LEARN_BUILD)/libreplica.a
	@$(MAKE) --no-print-directory run-tests MODE=release BUILD=$(LEARN_BUILD) \
	  LIB_SRC="$(call learn_subst,$(wildcard src/*.c))" EBR_SRC="$(call learn_subst,src/ebr.c)" \
	  BENCH_OBJ="$(patsubst %.c,$(LEARN_BUILD)/obj/%.o,$(call learn_subst,$(filter-out bench/main_%.c,$(wildcard bench/*.c))))" \
	  $(if $(LEARN_ONLY),CHAPTERS_ONLY=$(LEARN_ONLY))

# A learner's copy of a bench/ file includes bench headers by name.
$(BUILD)/obj/$(LEARN_DIR)/%.o: CPPFLAGS += -Ibench
