/* rdb_soak.h - random datasets through a real redis-server, compared with
 * what our RDB reader loads from its dump.
 *
 * A corpus of files, however carefully picked, holds the element sizes and
 * settings someone thought of.  The RDB reader's bugs live where Redis
 * changes an encoding: a string header one byte wider at 64 bytes, a
 * back-length one byte wider at 16383, an integer that needs 24 bits, a
 * set that stops being an intset at the 513th member.  rdb_soak_run()
 * draws, from one seed, the server's encoding thresholds (CONFIG SET
 * hash-max-listpack-*, zset-max-listpack-*, set-max-intset-entries,
 * list-max-listpack-size, list-compress-depth, stream-node-max-*,
 * rdbcompression, rdbchecksum) and a dataset of every type (strings,
 * lists, hashes, sets, sorted sets, streams with deletions, consumer groups
 * and pending entries, expiries) whose element lengths and integer values
 * are placed on and beside every such boundary.  It writes the dataset to a
 * private redis-server, SAVEs, loads dump.rdb with rdb_load_file(), and
 * compares every key with what the server returns over RESP (TYPE,
 * PEXPIRETIME, GET, LRANGE, HGETALL, SMEMBERS, ZRANGE WITHSCORES, XRANGE,
 * XINFO STREAM FULL): type, value, order, score, expiry, stream metadata,
 * groups, consumers and pending entries.  The first difference is reported
 * with the seed and the key, so any failure is reproduced by its seed.
 *
 * Thread-safety: one run at a time per thread; each run starts and stops
 * its own server.
 */
#ifndef TEST_RDB_SOAK_H
#define TEST_RDB_SOAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** What to run. */
typedef struct rdb_soak_opts {
    uint64_t seed; /**< everything random derives from this */
    double scale;  /**< multiplies the number of keys (TEST_SCALE) */
    bool big;      /**< allow elements of 2 MiB (the 3/4-byte back-length
                        boundary); off for slow runs */
    int tamper;    /**< self-test: after SAVE change the server so that it
                        no longer matches the file (1 add a key, 2 change a
                        string, 3 change an expiry, 4 add a list element,
                        5 add a stream entry); 0 in real runs */
} rdb_soak_opts;

/** How many keys of one RDB encoding a run saw. */
typedef struct rdb_soak_enc {
    char name[48]; /**< e.g. "hash_listpack" */
    unsigned n;    /**< keys */
} rdb_soak_enc;

/** The outcome of one run. */
typedef struct rdb_soak_result {
    size_t keys;            /**< keys the server held at SAVE */
    size_t commands;        /**< commands sent to build the dataset */
    uint64_t rdb_bytes;     /**< size of dump.rdb */
    char config[512];       /**< the settings drawn */
    rdb_soak_enc enc[32];   /**< encodings seen in the file */
    size_t nenc;            /**< entries used in enc */
    char diff[1024];        /**< the first difference or failure, or "" */
} rdb_soak_result;

/**
 * Run one seed: start a server, build the dataset, SAVE, load, compare,
 * stop the server.
 * \param o   what to run.
 * \param res receives the outcome.
 * \return 0 if every key matched, 1 on a difference (res->diff names the
 *         seed, the key and the first difference), -1 if the run could not
 *         be carried out (no redis-server, an error reply; res->diff says
 *         which).
 */
int rdb_soak_run(const rdb_soak_opts *o, rdb_soak_result *res);

#endif
