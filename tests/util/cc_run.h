/* cc_run.h - the consistency checker: a master, build/replica following it,
 * faults, and a key-by-key comparison.
 * Chapter 12.
 *
 * cc_run() starts a redis-server master in a temporary directory and the
 * replica program following it, drives a cc_workload against the master in
 * batches, injects a fault between batches, and at the end (and after each
 * fault, once the link is back) waits until the replica's offset equals the
 * master's and compares every key of every database through RESP
 * (check_keys_diff()).  A real redis-server follows the same master as a
 * second replica, the oracle: where the master and build/replica differ
 * but build/replica equals the Redis replica, Redis itself propagated
 * something that does not reproduce the master's data (7.0.15 has a few
 * such cases), and the run counts a Redis divergence, not a difference.
 * Everything it starts it stops, also on failure.
 * The program tests/consistency/main_check_consistency.c is a thin
 * command line around it; exercises call it in-process.
 */
#ifndef CC_RUN_H
#define CC_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "redis_server.h"

/** What a fault sees: the two processes and how to reach them. */
typedef struct cc_env {
    redis_server master;       /**< the master (restartable, tests/util/redis_restart.h) */
    const char *const *master_args; /**< the extra arguments it was started with */
    pid_t replica_pid;         /**< the replica process */
    int replica_port;          /**< its port */
    const char *replica_path;  /**< the program (for a restart) */
    char replica_log[512];     /**< its log file */
    uint64_t rng;              /**< the run's random state (faults may draw from it) */
    FILE *log;                 /**< progress messages (may be NULL) */
} cc_env;

/** One kind of fault. */
typedef struct cc_fault {
    const char *name;          /**< short name, used by --faults */
    const char *what;          /**< one line: what it does to the link */
    /** Inject it. \return 0, or -1 with err set (the run fails). */
    int (*inject)(cc_env *env, char *err, size_t errsz);
} cc_fault;

/** The built-in faults, ended by an entry with name NULL. */
extern const cc_fault cc_faults[];

/** Settings of one run. */
typedef struct cc_run_opts {
    uint64_t seed;             /**< workload and fault seed */
    size_t ops;                /**< commands in all */
    size_t batch;              /**< commands between faults (default ops/10) */
    const cc_fault *faults;    /**< the faults to cycle through (NULL: cc_faults) */
    size_t nfaults;            /**< how many (0 with faults NULL: all built-in) */
    const char *replica_path;  /**< the replica program (default build/replica) */
    const char *store;         /**< --store for the replica (default its default) */
    int big;                   /**< big values on (cc_workload_opts.big) */
    long long ttl_tol_ms;      /**< TTL tolerance (default 2000) */
    FILE *log;                 /**< progress (may be NULL) */
} cc_run_opts;

/** The most faults a run's list may hold. */
#define CC_FAULTS_MAX 16

/** What a run saw. */
typedef struct cc_report {
    size_t ops;                /**< commands sent */
    size_t errors_expected;    /**< error replies to ops flagged CC_OP_MAY_FAIL */
    size_t errors_unexpected;  /**< error replies to other ops (a workload bug) */
    size_t faults;             /**< faults injected */
    size_t full_syncs;         /**< sync_full on the master, summed over its lives */
    size_t partial_ok;         /**< sync_partial_ok, likewise */
    size_t partial_err;        /**< sync_partial_err, likewise */
    size_t comparisons;        /**< key-by-key comparisons made */
    size_t keys_compared;      /**< keys compared in all comparisons */
    size_t differences;        /**< differences found (0 is a pass) */
    size_t redis_divergences;  /**< keys where the master and its replicas
                                    differ but build/replica equals the
                                    real Redis replica beside it: Redis's
                                    own propagation, not counted above */
    size_t fault_counts[CC_FAULTS_MAX]; /**< faults injected, per entry of
                                    the run's fault list (cc_run_opts.faults) */
} cc_report;

/** Defaults for everything but seed and ops. \param o receives them. */
void cc_run_opts_default(cc_run_opts *o);

/**
 * One run.
 * \param o   settings.
 * \param rep receives the figures (also on failure, as far as it got).
 * \param err receives the reason when the run could not be carried out.
 * \param errsz size of err.
 * \return 0 when the run was carried out (rep->differences says if it
 *         passed), -1 when it could not be (a process did not start, a
 *         fault failed, the replica never caught up within its deadline).
 */
int cc_run(const cc_run_opts *o, cc_report *rep, char *err, size_t errsz);

/** Print a report the way the program does. \param rep it. \param out where. */
void cc_report_print(const cc_report *rep, FILE *out);

#endif
