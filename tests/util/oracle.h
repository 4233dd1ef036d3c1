/* oracle.h - the applier checked against a real redis-server, command by command.
 * Chapter 9.
 *
 * A replica is right when it holds what its master holds.  The oracle
 * makes that a test: it starts a private redis-server (redis_server.h),
 * an applier over a keyspace of the store variant under test, and
 * compares the two.
 *
 * Two modes, for the two forms a command can reach a replica in:
 *  - ORACLE_DIRECT: every command goes to Redis and to the applier, as a
 *    client sent it (SET k v EX 10, SPOP, XADD *).  When Redis refuses
 *    it, the applier must refuse it with the same text and leave its
 *    keyspace unchanged (compared as JSON before and after); when Redis
 *    accepts it, the applier must too.
 *  - ORACLE_AOF: commands go only to Redis, which runs with `appendonly
 *    yes` and `appendfsync always`; oracle_check() reads what Redis
 *    appended to its incremental AOF file since the last check (the
 *    propagated forms: SET ... PXAT, SREM for SPOP, XADD with its ID,
 *    MULTI/EXEC around several effects) and applies that, with each
 *    command's byte offset in the file for error messages.
 * In both, oracle_check() then has Redis SAVE, loads the dump into a
 * fresh keyspace (keyspace_load_rdb_file()) and requires keyspace_diff()
 * to find nothing.  Every mismatch fails the current Check test with the
 * command or the difference in the message.
 *
 * Cleanup.  oracle_stop() stops the server and removes its directory.  A
 * failure the oracle finds stops every running oracle before it fails
 * the test; for the test's own assertions, add oracle_teardown() as a
 * checked fixture (tcase_add_checked_fixture(tc, NULL, oracle_teardown)),
 * which runs after a failed test when Check does not fork; when it forks,
 * the server dies with the test process (redis_server.h).
 *
 * Thread-safety: one oracle per thread, inside a Check test.
 */
#ifndef TEST_ORACLE_H
#define TEST_ORACLE_H

#include "cmd.h"
#include "keyspace.h"
#include "redis_server.h"
#include "resp.h"
#include "resp_client.h"

#include <stdint.h>

/** oracle_start() flags. */
enum {
    ORACLE_DIRECT = 1u, /**< commands to Redis and to the applier */
    ORACLE_AOF = 2u,    /**< commands to Redis; its AOF to the applier */
};

/** A redis-server and an applier side by side. */
typedef struct oracle {
    /** Largest difference allowed between two expiry times (key and hash
     *  field expiries, stream times) in oracle_check(); client forms with
     *  relative times (SET EX, EXPIRE) apply on two clocks.  Default:
     *  2000 in ORACLE_DIRECT mode, 0 in ORACLE_AOF mode (the AOF carries
     *  absolute times). */
    int64_t expiry_slack_ms;
    /* The rest is private to oracle.c. */
    unsigned flags;           /**< ORACLE_DIRECT or ORACLE_AOF */
    const store_ops *variant; /**< the store variant of the keyspaces */
    redis_server rs;          /**< the server */
    resp_client cl;           /**< the connection commands go through */
    keyspace *ks;             /**< the applier's keyspace */
    cmd_applier *app;         /**< the applier */
    uint64_t stream_off;      /**< DIRECT: bytes of commands applied */
    unsigned client_db;       /**< the database the client has selected */
    char aof_path[640];       /**< AOF: the incremental file */
    uint64_t aof_off;         /**< AOF: bytes of it read so far */
    resp_parser aof_parser;   /**< AOF: parses the file across checks */
    uint64_t aof_commands;    /**< AOF: commands applied from it */
    char last_reply[256];     /**< oracle_last_reply() */
    struct oracle *next;      /**< the list of running oracles */
} oracle;

/**
 * Start a redis-server and an applier over a keyspace of 16 databases.
 * Fails the current test when the server or the keyspace cannot start.
 * \param variant a store variant name (store_variant()), NULL for "cow".
 * \param flags   ORACLE_DIRECT or ORACLE_AOF.
 * \return the oracle (stop it with oracle_stop()).
 */
oracle *oracle_start(const char *variant, unsigned flags);

/**
 * Send one command, given as NUL-terminated C strings ending with NULL.
 * DIRECT: to Redis and the applier, which must agree (see the file
 * comment).  AOF: to Redis only (its reply is not checked).
 * \param o    the oracle.
 * \param arg0 the command name, then its arguments, then NULL (at most 64).
 */
void oracle_cmd(oracle *o, const char *arg0, ...);

/**
 * oracle_cmd() with counted arguments (binary-safe).
 * \param o    the oracle.
 * \param argc number of arguments.
 * \param argv the arguments.
 * \param lens their lengths, or NULL for strlen() of each.
 */
void oracle_cmdv(oracle *o, size_t argc, const char *const *argv,
                 const size_t *lens);

/**
 * Send a command both must refuse with the same text: Redis replies an
 * error, the applier (after applying the AOF so far in AOF mode, in the
 * database the client has selected) refuses with that exact text, and
 * its keyspace is unchanged.
 * \param o    the oracle.
 * \param arg0 the command name, then its arguments, then NULL.
 */
void oracle_expect_error(oracle *o, const char *arg0, ...);

/**
 * oracle_expect_error() with counted arguments.
 * \param o    the oracle.
 * \param argc number of arguments.
 * \param argv the arguments.
 * \param lens their lengths, or NULL.
 */
void oracle_expect_errorv(oracle *o, size_t argc, const char *const *argv,
                          const size_t *lens);

/**
 * Compare: (AOF: apply what Redis appended since the last check,)
 * flush the applier, SAVE, load the dump into a fresh keyspace and
 * require keyspace_diff() to report no difference (consumer seen and
 * active times ignored, expiries within expiry_slack_ms).
 * \param o the oracle.
 */
void oracle_check(oracle *o);

/**
 * The text Redis replied to the last command, for tests that look at it
 * ("" unless it was a simple string, error, bulk string or integer).
 * \param o the oracle.
 * \return a string owned by the oracle, valid until the next command.
 */
const char *oracle_last_reply(const oracle *o);

/**
 * Stop the server, remove its directory, free the applier and the
 * keyspace.  Safe on NULL.
 * \param o the oracle.
 */
void oracle_stop(oracle *o);

/**
 * Stop every oracle still running (a checked fixture's teardown, so a
 * failed test leaves no server behind).
 */
void oracle_teardown(void);

/**
 * A command as text for failure messages: each argument escaped
 * (test_escape()) and quoted, separated by spaces, cut to fit.
 * \param out   receives the text, always NUL-terminated.
 * \param outsz its size, > 8.
 * \param argc  the number of arguments.
 * \param argv  the arguments.
 * \param lens  their lengths, or NULL for NUL-terminated strings.
 */
void oracle_render(char *out, size_t outsz, size_t argc,
                   const char *const *argv, const size_t *lens);

#endif
