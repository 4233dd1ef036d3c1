/* store_contract.h - the store contract suite, run against every variant.
 *
 * The behaviour every store must have, written once: a chapter that adds a
 * store adds its contract tests with one call, store_contract_suite(), and
 * every later chapter keeps running them.  A variant that passes this suite
 * can replace any other in the replica.
 */
#ifndef STORE_CONTRACT_H
#define STORE_CONTRACT_H

#include <check.h>

/**
 * Build the contract suite for one store variant.
 *
 * \param name    the suite's name: the calling file's name without ".c"
 *                (tests/ch01_naive.c passes "ch01_naive"), as every suite
 *                is named; the string must outlive the suite (a literal).
 * \param variant a name from store_variants[] (e.g. "naive").  An unknown
 *                name yields a suite with one failing test saying so.
 * \return a suite named `name`.
 */
Suite *store_contract_suite(const char *name, const char *variant);

#endif
