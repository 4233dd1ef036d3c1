/**
 * \file cc_run_private.h
 * \brief What the consistency checker's faults share with its runner (chapter 12).
 *
 * cc_run.c owns the processes and the loop; cc_fault.c holds the faults,
 * each of which needs the same few moves: start, stop or restart the
 * replica, restart the master without losing the resync counts of its
 * previous life, write filler data, wait for the link and for the replica
 * to catch up, read the master's resync counts.  They live here so that a
 * fault is a short story told with them.  A fault's cc_env is the first
 * member of a cc_state, so the fault can reach the run's report.
 *
 * Thread-safety: one run per thread (the run owns its processes).
 */
#ifndef CC_RUN_PRIVATE_H
#define CC_RUN_PRIVATE_H

#include "cc_run.h"
#include "redis_restart.h"

#include <stdarg.h>

/** A run's whole state; env first, so a cc_env * is a cc_state *. */
typedef struct cc_state {
    cc_env env;              /**< what the faults see */
    cc_report *rep;          /**< the run's figures */
    const cc_run_opts *o;    /**< the settings */
    size_t filler;           /**< filler keys written so far */
    long log_pos;            /**< bytes of the replica log already scanned
                                  for refused commands */
    redis_server oracle;     /**< a real Redis replica of the same master */
    size_t oracle_full;      /**< full syncs the oracle made (the master
                                  counts them too; the report does not) */
    size_t oracle_partial;   /**< partial resyncs it made */
} cc_state;

/** The ACL user the oracle replica connects as, so that CLIENT KILL USER
 *  default TYPE replica kills build/replica's link only. */
#define CC_ORACLE_USER "cc-oracle"

/** The resync counts of the master's INFO stats. */
typedef struct cc_syncs {
    long long full;          /**< sync_full */
    long long partial_ok;    /**< sync_partial_ok */
    long long partial_err;   /**< sync_partial_err */
} cc_syncs;

/** Deadline for every wait of the checker (link up, catch-up), in ms. */
#define CC_WAIT_MS 30000

/**
 * Print a progress line to env->log (if set), prefixed "cc: ".
 * \param env the run.
 * \param fmt printf format, then its arguments.
 */
void cc_log(cc_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * Start the replica program on env->replica_port (a free port is picked
 * when it is 0), its output appended to env->replica_log, and wait until
 * it answers PING.
 * \param env   the run.
 * \param err   receives the reason (with the log's tail).
 * \param errsz size of err.
 * \return 0, or -1 (nothing left running).
 */
int cc_replica_start(cc_env *env, char *err, size_t errsz);

/**
 * Stop the replica: sig (SIGTERM for a clean stop, SIGKILL for a crash),
 * then SIGKILL after 10 s, and reap it.  Safe when it is not running.
 * \param env the run.
 * \param sig the first signal.
 */
void cc_replica_stop(cc_env *env, int sig);

/**
 * Wait until the replica's INFO replication says master_link_status:up.
 * \param env   the run.
 * \param err   receives the reason on timeout.
 * \param errsz size of err.
 * \return 0, or -1 after CC_WAIT_MS.
 */
int cc_wait_link(cc_env *env, char *err, size_t errsz);

/**
 * Wait until the replica's offset (slave_repl_offset) reaches the master's
 * master_repl_offset read at the start of the wait, with the link up, and
 * the oracle's too.
 * \param env   the run.
 * \param err   receives the reason on timeout: both offsets and the
 *              replica log's tail.
 * \param errsz size of err.
 * \return 0, or -1 after CC_WAIT_MS.
 */
int cc_wait_caught_up(cc_env *env, char *err, size_t errsz);

/**
 * Read the master's resync counts.
 * \param env   the run.
 * \param s     receives them.
 * \param err   receives the reason.
 * \param errsz size of err.
 * \return 0, or -1.
 */
int cc_master_syncs(cc_env *env, cc_syncs *s, char *err, size_t errsz);

/**
 * Wait until one of the master's counts grows by n past what `before`
 * says (want_full: sync_full, else sync_partial_ok), then for the link.
 * \param env       the run.
 * \param before    the counts before the fault.
 * \param want_full 1: full resyncs; 0: partial ones.
 * \param n         how many (2 when the oracle resyncs too).
 * \param err       receives the reason on timeout (the counts, the log).
 * \param errsz     size of err.
 * \return 0, or -1.
 */
int cc_wait_resync(cc_env *env, const cc_syncs *before, int want_full, int n,
                   char *err, size_t errsz);

/**
 * Stop the master (how) and start it again on its port and directory,
 * adding the resync counts of the life that ends to the run's report.
 * \param env   the run.
 * \param how   REDIS_DOWN_SAVE, _NOSAVE or _KILL.
 * \param err   receives the reason.
 * \param errsz size of err.
 * \return 0, or -1.
 */
int cc_master_restart(cc_env *env, redis_down_how how, char *err, size_t errsz);

/**
 * Write about `bytes` bytes of filler strings to the master's database 0
 * (keys "cc:fill:N", overwritten in a ring of 64 so memory stays bounded).
 * \param env   the run.
 * \param bytes how many value bytes to write.
 * \param err   receives the reason.
 * \param errsz size of err.
 * \return 0, or -1.
 */
int cc_write_filler(cc_env *env, size_t bytes, char *err, size_t errsz);

/**
 * One command on a fresh connection, its reply rendered by redis_command().
 * \param port    the server.
 * \param reply   receives the reply's rendering.
 * \param replysz its size.
 * \param arg0    the first argument, then more, then NULL.
 * \return the reply's type byte, or -1 (no connection, no reply).
 */
int cc_call(int port, char *reply, size_t replysz, const char *arg0, ...);

/**
 * Append the last bytes of the replica's log to err.
 * \param env   the run.
 * \param err   the message so far.
 * \param errsz its size.
 */
void cc_add_replica_log(const cc_env *env, char *err, size_t errsz);

/** xorshift64 step of env->rng.  \param env the run.  \return the next value. */
uint64_t cc_rand(cc_env *env);

/** Sleep. \param ms milliseconds. */
void cc_nap_ms(long ms);

/** Milliseconds of the monotonic clock. \return them. */
long long cc_now_ms(void);

#endif
