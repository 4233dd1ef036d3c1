/* cc_workload.h - the consistency checker's workload: seeded writes of
 * every command family.
 * Chapter 12.
 *
 * A workload is a deterministic stream of commands for a real master: the
 * same seed gives the same commands, byte for byte, so a failing run
 * replays.  It covers every command family chapter 9 applies (strings,
 * bits, HyperLogLog, keys and expiries, hashes, lists, sets, sorted sets,
 * geo, streams with consumer groups, SORT ... STORE, databases), MULTI/EXEC
 * blocks, EVAL scripts that write several keys (some failing half-way),
 * SELECT across databases, FLUSHDB, SWAPDB, RENAME, big and binary values,
 * the empty key, and collections grown across every encoding threshold.
 * It tracks enough of what it wrote (key names and types per database) to
 * make most commands valid; commands expected to fail are flagged.
 */
#ifndef CC_WORKLOAD_H
#define CC_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** The op may get an error reply from Redis (on purpose). */
#define CC_OP_MAY_FAIL 1u

/** One command. */
typedef struct cc_op {
    size_t argc;          /**< number of arguments */
    char **argv;          /**< the arguments (owned by the workload) */
    size_t *lens;         /**< their lengths (binary-safe) */
    const char *family;   /**< static family name: "string", "hash", "multi", ... */
    unsigned flags;       /**< CC_OP_MAY_FAIL */
} cc_op;

/** Settings. */
typedef struct cc_workload_opts {
    int databases;        /**< databases used: 0..databases-1 (default 4) */
    int big;              /**< 1: occasional big values (up to ~1 MB) and
                               big collections; 0: small only */
} cc_workload_opts;

typedef struct cc_workload cc_workload;

/** Defaults: 4 databases, big values on. \param o receives them. */
void cc_workload_opts_default(cc_workload_opts *o);

/**
 * A new workload.
 * \param seed the seed (any value; equal seeds give equal streams).
 * \param o    settings, or NULL for the defaults.
 * \return the workload, or NULL if out of memory.  Free with
 *         cc_workload_free().  Not thread-safe (one thread per workload).
 */
cc_workload *cc_workload_new(uint64_t seed, const cc_workload_opts *o);

/** Free a workload and every op it returned. \param w may be NULL. */
void cc_workload_free(cc_workload *w);

/**
 * The next batch of about n commands, to be sent in order on ONE
 * connection (MULTI ... EXEC groups are never split across batches; a batch
 * starts in the database the previous batch ended in, see
 * cc_workload_db()).
 * \param w   the workload.
 * \param n   the number of commands wanted (>= 1).
 * \param ops receives an array owned by w, valid until the next call.
 * \param nops receives its length (>= 1).
 * \return 0, or -1 if out of memory.
 */
int cc_workload_batch(cc_workload *w, size_t n, const cc_op **ops, size_t *nops);

/** The database the connection is in after the last batch (SELECT). \param w the workload. \return it. */
int cc_workload_db(const cc_workload *w);

/**
 * Print ops per family so far ("family count" lines, sorted by name).
 * \param w   the workload.
 * \param out where.
 */
void cc_workload_print_stats(const cc_workload *w, FILE *out);

/** Total ops so far. \param w the workload. \return the count. */
size_t cc_workload_total(const cc_workload *w);

#endif
