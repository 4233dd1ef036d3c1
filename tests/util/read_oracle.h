/* read_oracle.h - read commands checked against a real redis-server's replies.
 * Chapter 11.
 *
 * Chapter 9's oracle (oracle.h) proves the applier writes what Redis
 * writes.  This one proves the read commands answer what Redis answers:
 * it loads the same data into a private redis-server and into a keyspace
 * of the store under test (oracle_cmd() in ORACLE_DIRECT mode), then sends
 * each read command to Redis over two connections, one speaking RESP2 and
 * one after `HELLO 3`, and runs it in-process through server_cmd_run()
 * with both protocols, and compares the replies.
 *
 * Comparison.  READ_SAME: byte for byte.  READ_UNORDERED: as values where
 * the order of elements at the top level (and of every RESP3 set and map)
 * does not count: SMEMBERS, KEYS, HGETALL come out in each store's order.
 * Pairs stay pairs: with READ_PAIRS the top-level array is compared as a
 * multiset of (element 2i, element 2i+1), for RESP2 HGETALL.  A mismatch
 * fails the current Check test with the command and both replies
 * rendered readably (bytes escaped).
 *
 * Cleanup: read_oracle_stop() at the end of a test; add
 * read_oracle_teardown() as a checked fixture so a failed test (when Check
 * does not fork) leaves no server behind.  A mismatch stops every read
 * oracle before it fails the test.
 *
 * Thread-safety: one per thread, inside a Check test.
 */
#ifndef TEST_READ_ORACLE_H
#define TEST_READ_ORACLE_H

#include "oracle.h"
#include "server_cmd.h"

#include <stddef.h>

/** read_oracle_expect() flags. */
enum {
    READ_SAME = 0,           /**< byte-equal replies */
    READ_UNORDERED = 1u,     /**< top-level order and RESP3 set/map order
                                  ignored */
    READ_PAIRS = 2u,         /**< with READ_UNORDERED: the top-level array
                                  holds pairs */
    READ_RESP2_ONLY = 4u,    /**< skip the RESP3 comparison */
    READ_SCAN = 8u,          /**< a [cursor, elements] reply (SCAN,
                                  HSCAN...): the cursor byte for byte, the
                                  elements as a multiset (of pairs with
                                  READ_PAIRS) */
};

/** A redis-server with data and the same data in a keyspace. */
typedef struct read_oracle read_oracle;

/**
 * Start Redis and a keyspace of the given store variant (16 databases).
 * Fails the current test when something cannot start.
 * \param variant a store variant name (store_variant()), NULL for "hamt".
 * \return the oracle; stop it with read_oracle_stop().
 */
read_oracle *read_oracle_start(const char *variant);

/**
 * The underlying oracle, to load data with oracle_cmd() (both sides).
 * \param ro the read oracle.
 * \return its oracle.
 */
oracle *read_oracle_writer(read_oracle *ro);

/**
 * Send one read command to Redis (RESP2 and RESP3) and run it on the
 * keyspace (RESP2 and RESP3), in the database of the last
 * read_oracle_select(), and compare.
 * \param ro    the oracle.
 * \param flags READ_* flags.
 * \param arg0  the command name, then its arguments, then NULL.
 */
void read_oracle_expect(read_oracle *ro, unsigned flags, const char *arg0,
                        ...);

/**
 * read_oracle_expect() with counted, binary-safe arguments.
 * \param ro    the oracle.
 * \param flags READ_* flags.
 * \param argc  number of arguments.
 * \param argv  the arguments.
 * \param lens  their lengths, or NULL for strlen() of each.
 */
void read_oracle_expectv(read_oracle *ro, unsigned flags, size_t argc,
                         const char *const *argv, const size_t *lens);

/**
 * read_oracle_expectv() that reports instead of failing: the comparison
 * itself, for tests of the comparison (a reply that must differ).
 * \param ro    the oracle.
 * \param flags READ_* flags.
 * \param argc  number of arguments.
 * \param argv  the arguments.
 * \param lens  their lengths, or NULL.
 * \param why   receives the first difference (command, protocol, both
 *              replies escaped) when there is one.
 * \param whysz size of why.
 * \return 1 when both protocols' replies agree, 0 when they differ.
 *         Failures to talk to Redis or to run the command still fail the
 *         test.
 */
int read_oracle_comparev(read_oracle *ro, unsigned flags, size_t argc,
                         const char *const *argv, const size_t *lens,
                         char *why, size_t whysz);

/**
 * Run a command only on the keyspace side and return our reply's bytes,
 * for commands whose reply is random (SRANDMEMBER) or ours alone.
 * \param ro    the oracle.
 * \param proto 2 or 3.
 * \param len   receives the length (may be NULL).
 * \param arg0  the command name, then its arguments, then NULL.
 * \return the reply bytes, NUL-terminated, owned by the oracle until the
 *         next call.
 */
const char *read_oracle_ours(read_oracle *ro, int proto, size_t *len,
                             const char *arg0, ...);

/**
 * Redis's reply bytes to a command (same conventions as
 * read_oracle_ours()).
 * \param ro    the oracle.
 * \param proto 2 or 3.
 * \param len   receives the length (may be NULL).
 * \param arg0  the command name, then its arguments, then NULL.
 * \return the reply bytes, owned by the oracle until the next call.
 */
const char *read_oracle_redis(read_oracle *ro, int proto, size_t *len,
                              const char *arg0, ...);

/**
 * Select the database both sides read (Redis: SELECT on both
 * connections).
 * \param ro the oracle.
 * \param db the database.
 */
void read_oracle_select(read_oracle *ro, unsigned db);

/**
 * Stop everything (server, directory, keyspace).  Safe on NULL.
 * \param ro the oracle.
 */
void read_oracle_stop(read_oracle *ro);

/**
 * Compare two replies (one whole RESP value each) under READ_* flags, as
 * read_oracle_expect() does.
 * \param a     the first reply (Redis's).
 * \param alen  its length.
 * \param b     the second (ours).
 * \param blen  its length.
 * \param flags READ_* flags.
 * \param err   receives why when a reply is malformed (may be NULL).
 * \param errsz size of err.
 * \return 1 equal, 0 different, -1 malformed.
 */
int read_oracle_equal(const char *a, size_t alen, const char *b, size_t blen,
                      unsigned flags, char *err, size_t errsz);

/**
 * Stop every read oracle still running, and every oracle (a checked
 * fixture's teardown).
 */
void read_oracle_teardown(void);

#endif
