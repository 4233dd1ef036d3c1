/* values_bench.h - what build/values-bench's files share: the three ways, the cases, the clock.
 * Chapter 8.
 *
 * build/values-bench asks one question of chapter 8: what does a single
 * write to a big collection cost when every write must leave the old
 * version intact?  It answers by running every operation three ways, in
 * one process, taking turns, so that the ratios compare figures taken
 * under the same noise:
 *
 *   persistent  chapter 8's modules: an edit of a published version
 *               returns a new version, and the old one is released, as a
 *               store does once the grace period is over;
 *   flat        chapter 7's immutable values: one write copies the whole
 *               collection (its element array and the bytes it owns) and,
 *               for hashes, sets and sorted sets, rebuilds the index table
 *               (values_flat.c);
 *   in-place    what a store behind a lock could do: the same data
 *               structure, edited in place (a transient of the same module
 *               that is never frozen, so it owns every node and an edit
 *               copies nothing).
 *
 * A type file (values_list.c, values_hash.c, ...) describes one Redis
 * type as a vb_type: how to build a collection of n elements each way, and
 * its operations, each a vb_round_fn per way.  values_harness.c decides
 * how many rounds to run, in what order, and summarises the repeats;
 * values_report.c writes the tables, the targets and the plots;
 * values_memory.c and values_redis.c measure bytes per element, ours and
 * a real redis-server's.
 *
 * Everything here is single-threaded: the writer thread's costs are what
 * chapter 8 changes (readers never touch a reference count), so that is
 * what is timed.
 */
#ifndef VALUES_BENCH_H
#define VALUES_BENCH_H

#include "hamt_bench.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The three ways every operation is run. */
enum vb_way {
    VB_PERSISTENT, /**< chapter 8: new version per edit, old one released */
    VB_FLAT,       /**< chapter 7: copy the whole collection per edit */
    VB_INPLACE,    /**< the same structure edited in place (a lock's way) */
    VB_WAYS        /**< how many ways */
};

/** Names of the ways, for tables ("persistent", "flat", "in-place"). */
extern const char *const vb_way_names[VB_WAYS];

/** Most operations in one round: the arguments of a round are made before
 *  its clock starts, into vb_args. */
#define VB_ROUND_MAX 1024
/** Longest argument string. */
#define VB_ARG_LEN 32

/** The arguments of one round, made before its clock starts. */
typedef struct vb_args {
    char s[VB_ROUND_MAX][VB_ARG_LEN]; /**< strings (elements, fields) */
    uint8_t len[VB_ROUND_MAX];        /**< their lengths */
    char v[VB_ROUND_MAX][VB_ARG_LEN]; /**< second strings (hash values) */
    uint8_t vlen[VB_ROUND_MAX];       /**< their lengths */
    long idx[VB_ROUND_MAX];           /**< element numbers or positions */
    double score[VB_ROUND_MAX];       /**< sorted-set scores */
} vb_args;

/** The one argument buffer (the bench is single-threaded). */
extern vb_args vb_arg;

/** A small, fast generator (xorshift64*), seeded per round. */
typedef struct vb_rng {
    uint64_t s; /**< state, never 0 */
} vb_rng;

/** Next pseudo-random number. \param r generator. \return 64 bits. */
uint64_t vb_rand(vb_rng *r);
/** A pseudo-random number below n. \param r generator. \param n bound
 *  (> 0). \return 0..n-1. */
long vb_below(vb_rng *r, long n);

/**
 * One round of one operation on one way's collection: make the round's
 * arguments (untimed), run k operations (timed), then put the collection
 * back to its size (untimed, the in-place way only).
 * \param base the collection built by the type's build function for the
 *             same way; a persistent or flat round starts every round from
 *             it and releases every version it made, an in-place round
 *             edits it and undoes what changed its size.
 * \param n    its size when built.
 * \param k    operations, 1..VB_ROUND_MAX (and at most n / 10 + 1 for
 *             writes that change the size).
 * \param r    generator for the round's arguments.
 * \return CPU nanoseconds of the timed part.
 */
typedef double vb_round_fn(void *base, long n, long k, vb_rng *r);

/** One operation of a type, run three ways. */
typedef struct vb_op {
    const char *name;            /**< e.g. "LPUSH", "HSET new" */
    bool read;                   /**< a point read (no edit) */
    vb_round_fn *run[VB_WAYS];   /**< one round, per way */
} vb_op;

/** A Redis type: how to build its collections and what to run on them. */
typedef struct vb_type {
    const char *name;                    /**< "list", "hash", ... */
    const char *module;                  /**< the chapter 8 module */
    void *(*build[VB_WAYS])(long n);     /**< a collection of n elements
                                              (exits when out of memory) */
    void (*drop[VB_WAYS])(void *base);   /**< free what build made */
    const vb_op *ops;                    /**< its operations */
    int nops;                            /**< how many */
    /** The module's *_bytes() of a persistent collection; NULL: the type
     *  is not in the memory table. */
    size_t (*bytes)(void *base);
} vb_type;

/** The types the bench knows (values_<type>.c each). */
extern const vb_type vb_list_type;
extern const vb_type vb_hash_type;
extern const vb_type vb_set_type;
extern const vb_type vb_zset_type;
extern const vb_type vb_stream_type;
extern const vb_type vb_string_type;

/** CPU time of the calling thread, in nanoseconds (time spent
 *  descheduled while other programs run is not counted).
 *  \return the time. */
uint64_t vb_cpu_ns(void);

/** Print a message naming what failed and exit (out of memory while
 *  building: the bench cannot go on). \param what the failing step. */
_Noreturn void vb_die(const char *what);

/** Write element i's string "<prefix><i>" into buf (VB_ARG_LEN bytes).
 *  \param buf the buffer. \param prefix e.g. "item:". \param i number.
 *  \return the length. */
uint8_t vb_name(char *buf, const char *prefix, long i);

/** Fill vb_arg.s[0..k) with "<prefix><first + j>" (elements never in
 *  a built collection when prefix differs from the build's).
 *  \param prefix the prefix. \param first first number. \param k count. */
void vb_args_names(const char *prefix, long first, long k);
/** Fill vb_arg.idx[0..k) with numbers below n and vb_arg.s with the
 *  matching "<prefix><idx>" strings (existing elements).
 *  \param r generator. \param prefix prefix. \param n bound. \param k count. */
void vb_args_existing(vb_rng *r, const char *prefix, long n, long k);

/** Where build/values-bench's figures are kept. */
typedef struct vb_cell {
    const char *type;          /**< type name */
    const char *op;            /**< operation name */
    bool read;                 /**< a read */
    long n;                    /**< collection size */
    cell_stat st[VB_WAYS];     /**< ns/op per way, over the repeats */
} vb_cell;

/**
 * Run every operation of a type at size n, three ways, the ways taking
 * turns repeat by repeat.
 * \param t       the type.
 * \param n       collection size.
 * \param reps    repeats per cell (<= CELL_REPS).
 * \param budget_s CPU seconds per repeat (a repeat runs rounds until it
 *                has spent this; a single slow operation may exceed it).
 * \param cap_s   CPU seconds after which a way's remaining repeats of one
 *                cell are skipped (the flat form at 1M; at least one
 *                repeat always runs).
 * \param cells   receives one vb_cell per operation (t->nops of them).
 */
void vb_run_type(const vb_type *t, long n, int reps, double budget_s,
                 double cap_s, vb_cell *cells);

/** Bytes per element of one collection, measured three ways. */
typedef struct vb_mem {
    const char *type;      /**< type name */
    long n;                /**< elements */
    double module_bytes;   /**< persistent: the module's *_bytes() */
    double malloc_bytes;   /**< persistent: growth of the heap in use
                                (mallinfo2 uordblks + hblkhd) */
    double flat_bytes;     /**< chapter 7's flat form, heap growth */
    long redis_bytes;      /**< redis MEMORY USAGE, -1 if not measured */
    char redis_enc[32];    /**< its OBJECT ENCODING */
} vb_mem;

/**
 * Measure a type's persistent and flat collections of n elements: build
 * each alone and see how much the heap in use grew (mallinfo2(): small
 * blocks in uordblks plus mmapped big ones in hblkhd), and ask the module
 * its own count (t->bytes).  Redis's figure is filled in by the caller.
 * \param t the type (t->bytes set). \param n elements. \param m receives it.
 */
void vb_measure_memory(const vb_type *t, long n, vb_mem *m);

/** What the report says about the run. */
typedef struct vb_meta {
    const char *mode;      /**< "full" or "quick" */
    char machine[1024];    /**< the machine, in words */
    int reps;              /**< repeats per cell */
    double budget_s;       /**< CPU seconds per repeat */
    double cap_s;          /**< CPU seconds after which a way stops */
    char redis[160];       /**< redis-server version, or why not measured */
    const char *missing;   /**< modules not measured and why, or NULL */
    double wall_s;         /**< the run's wall time */
} vb_meta;

/**
 * Write the results: <dir>/<stem>.md (tables, targets; also printed on
 * stdout), <dir>/<stem>.csv (every figure) and, unless plots is false,
 * <dir>/<stem>-writes.svg and <dir>/<stem>-reads.svg (ns/op against n,
 * log-log, a panel per operation, a line per way; skipped with a message
 * when gnuplot is missing).
 * \param dir directory. \param stem file name stem. \param meta the run.
 * \param cells the cells. \param nc how many. \param mem memory rows.
 * \param nm how many. \param plots whether to draw.
 * 
eturn 0, or -1 when a file cannot be written.
 */
int vb_report(const char *dir, const char *stem, const vb_meta *meta,
              const vb_cell *cells, int nc, const vb_mem *mem, int nm,
              bool plots);

#endif
