/* fuzz_harness_apply.h - random commands through the applier, checked against a model.
 * Chapter 12.
 *
 * The harness behind the fuzz_apply libFuzzer target and the regression
 * suite ch12_regress, so that a crash input found by the fuzzer replays
 * through exactly the same code in a Check test.  An input is decoded into
 * commands (a compact encoding: one byte picks a name from the applier's
 * table, one the argument count, then each argument comes from a small
 * alphabet of keys, numbers, stream IDs and options, or is raw input
 * bytes), so most commands are nearly valid and reach the handlers' deep
 * paths instead of the arity check.  Each command runs on a fresh
 * keyspace over the default store (hamt); after it the harness checks the
 * structures' invariants (store, every value's *_check(), key counts), the
 * shape of an error reply, and, for a subset of string, set, hash and list
 * commands on database 0, the keys' contents against a small reference
 * model.
 */
#ifndef TEST_FUZZ_HARNESS_APPLY_H
#define TEST_FUZZ_HARNESS_APPLY_H

#include <stddef.h>
#include <stdint.h>

/** What fuzz_apply_run() reports: counts over the input. */
typedef struct fuzz_apply_stats {
    size_t commands;  /**< commands decoded and applied or refused */
    size_t failed;    /**< refused (CMD_FAILED) */
    size_t modelled;  /**< checked against the model */
    char last_error[256]; /**< the last refusal's reply text ("" if none) */
} fuzz_apply_stats;

/**
 * Decode an input into commands and apply them, checking after each one.
 * \param data  the input (any bytes).
 * \param size  its length.
 * \param st    receives the counts (may be NULL).
 * \param err   receives what broke, with the command's index and name.
 * \param errsz size of err.
 * \return 0 when every check held, -1 when one failed (err says which).
 *         Never crashes on any input unless the library does.
 * Thread-safety: reentrant (each call has its own keyspace).
 */
int fuzz_apply_run(const uint8_t *data, size_t size, fuzz_apply_stats *st,
                   char *err, size_t errsz);

#endif
