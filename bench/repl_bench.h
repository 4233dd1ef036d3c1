/* repl_bench.h - what chapter 10's benchmarks share: a master to fill, real
 * Redis replicas to race against, INFO fields, log times, spread.
 * Chapter 10.
 *
 * Both benchmarks of chapter 10 (bench-sync: a full sync of 1M keys;
 * bench-lag: how far behind the stream a replica runs under
 * redis-benchmark) measure our link side by side with a real
 * `redis-server` replica of the same master in the same run, because a
 * ratio of two figures taken under the same noise is the only figure
 * that means something on a shared 2-vCPU machine.  This file holds the
 * parts that talk to redis-server: filling the master with keys of every
 * type, reading INFO fields, turning a replica's log lines into
 * timestamps, and the median/min/max every table prints.  The replication
 * link itself is used only by the two programs.
 */
#ifndef REPL_BENCH_H
#define REPL_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "resp_client.h"

/** Monotonic seconds. */
double rb_now(void);

/**
 * The machine, as every results file names it: "2-vCPU KVM guest, <CPU
 * model>, shared, noisy; load average a b c at the start".
 * \param buf receives it.
 * \param n   its size.
 */
void rb_machine(char *buf, size_t n);

/**
 * Median, min and max of the values that are not NaN.
 * \param v   the values.
 * \param n   how many (at most 256).
 * \param med receives the median (NaN when there is none).
 * \param lo  receives the smallest.
 * \param hi  receives the largest.
 */
void rb_stats(const double *v, int n, double *med, double *lo, double *hi);

/** What rb_populate() wrote. */
typedef struct rb_mix {
    uint64_t keys;     /**< keys in db 0 */
    uint64_t elements; /**< elements of the collections */
    char what[300];    /**< one line describing the mix */
} rb_mix;

/**
 * Fill db 0 of a master with `keys` keys of every type: strings (some
 * with a TTL in 2100, some integers), small hashes, lists, sets (strings
 * and integers), sorted sets, one-entry streams, and four big
 * collections of `big` elements each (hash, sorted set, set, list), in
 * the encodings Redis 7.0 picks for them.  Pipelined, 1000 commands at a
 * time.
 * \param c    a client connected to the master.
 * \param keys keys to write (at least 100).
 * \param big  elements of each big collection (0: none).
 * \param out  receives what was written.
 * \return 0, or -1 with the reason in c->err.
 */
int rb_populate(resp_client *c, uint64_t keys, uint64_t big, rb_mix *out);

/**
 * One field of INFO <section>.
 * \param c       a client.
 * \param section e.g. "replication".
 * \param field   e.g. "master_repl_offset".
 * \param out     receives the value (without CR LF).
 * \param n       its size.
 * \return 0, or -1 (no such field, or the connection failed).
 */
int rb_info(resp_client *c, const char *section, const char *field,
            char *out, size_t n);

/**
 * rb_info() as a number.
 * \return the value, or -1 when the field is missing.
 */
int64_t rb_info_int(resp_client *c, const char *section, const char *field);

/**
 * The time stamp (seconds, with the log's milliseconds) of the last line
 * of a redis-server log that contains `what`.  The log writes local time;
 * it is read as if it were UTC, so only differences between two lines
 * mean anything.
 * \param path the log.
 * \param what text to find.
 * \return the time, or NaN when no line has it.
 */
double rb_log_time(const char *path, const char *what);

/**
 * Run a command and check its reply is not an error.
 * \param c    a client.
 * \param arg0 the command and its arguments, NULL-terminated.
 * \return 0, or -1 (the reply or the failure in c->err).
 */
int rb_call(resp_client *c, const char *arg0, ...);

#endif
