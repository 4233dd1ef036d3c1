/* bench.h - the benchmark harness: run a store through a workload, then
 * turn many such runs into tables, claims and plots.
 *
 * The harness is split by concept:
 *   harness.c  one measured run: threads, a start barrier, a warm-up, the
 *              timed loop, latency samples (bench_run())
 *   table.c    a table of cells, printed as Markdown and as CSV
 *   suite.c    the seed's table, the ablation and the sweeps: which runs
 *              to make and in what order (side by side, repeated, median)
 *   claims.c   the seed's claims, each tested against those runs
 *   report.c   the results files and the gnuplot plots
 *   cli.c      the command line (bench_main()), shared by build/bench and
 *              the chapter 4 test
 *   hamt_*.c   chapter 5's build/hamt-bench (hamt_bench.h), which borrows
 *              the clock, the median and the CPU model from here
 *
 * Every figure is reported with Go's definition for parallel benchmarks,
 * because that is what the seed printed: ns/op = wall time of the timed
 * phase divided by the operations of all threads together.  With T threads
 * that is T times smaller than what one operation costs the thread doing
 * it, so the tables also show the per-thread cost (T * wall / ops), which
 * is the figure to compare with the single-threaded floor.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

/** The seed's three harness choices, each switchable on its own. */
typedef struct bench_method {
    bool format_keys;    /**< snprintf() each key inside the timed loop */
    bool growing_keys;   /**< every write inserts a new, unique key */
    bool shared_counter; /**< every read increments one shared atomic */
} bench_method;

/** What a run does in its timed loop. */
typedef enum bench_kind {
    BENCH_STORE = 0,      /**< reads and writes on a store */
    BENCH_COUNTER_SHARED, /**< fetch_add on one counter shared by all */
    BENCH_COUNTER_PRIVATE /**< fetch_add on a per-thread padded counter */
} bench_kind;

/** One run's settings. */
typedef struct bench_config {
    bench_kind kind;     /**< store workload or counter micro-benchmark */
    store *st;           /**< the store (preloaded by the caller) */
    int threads;         /**< worker threads (readers, with write_rate) */
    double seconds;      /**< length of the timed phase */
    double warmup;       /**< untimed phase before it, same workload */
    size_t keys;         /**< reads use keys key0..key<keys-1> */
    double read_pct;     /**< share of reads, 0..100 (ignored with rate) */
    double write_rate;   /**< >0: threads only read, and one extra writer
                              thread writes this many times a second */
    bench_method m;      /**< the seed's harness factors */
    size_t grow_cap;     /**< growing keys wrap after this many (memory) */
    char *const *key_names; /**< prebuilt "key<i>" names, keys of them */
} bench_config;

/** One run's results.  Latencies are NAN when nothing was sampled. */
typedef struct bench_result {
    double wall_s;       /**< length of the timed phase, measured */
    uint64_t ops;        /**< operations of all workers in it */
    uint64_t reads;      /**< of which reads */
    uint64_t writes;     /**< of which writes (writer thread included) */
    uint64_t misses;     /**< reads that found no key (should be 0) */
    uint64_t errors;     /**< writes that failed */
    double ns_per_op;    /**< Go's ns/op: wall / ops */
    double thread_ns;    /**< per-thread cost: threads * wall / ops */
    double ops_per_s;    /**< ops / wall */
    double read_p50;     /**< sampled read latency, ns */
    double read_p99;     /**< sampled read latency, ns */
    double write_p50;    /**< sampled write latency, ns */
    double write_p99;    /**< sampled write latency, ns */
    double writes_per_s; /**< writes / wall */
    size_t keys_end;     /**< keys in the store afterwards */
    size_t bytes_end;    /**< store_stats bytes afterwards */
    size_t peak_bytes;   /**< store_stats peak since creation */
    uint64_t vcsw;       /**< voluntary context switches of all workers in
                              the timed phase (sleeps: futex waits) */
    uint64_t ivcsw;      /**< involuntary ones (preempted by the kernel) */
} bench_result;

/**
 * Make one measured run.
 * \param cfg the settings; cfg->st must be open for cfg->threads readers.
 * \param out filled in.
 * \return 0, or -1 if threads or memory could not be had.
 */
int bench_run(const bench_config *cfg, bench_result *out);

/** Monotonic clock in nanoseconds. \return the time. */
uint64_t bench_now_ns(void);

/**
 * Load keys key<from>..key<to-1> (value "value") one store_set() at a time.
 * \param st     the store.
 * \param from   first key number.
 * \param to     one past the last.
 * \param budget_s give up after this many seconds (copy-on-write stores
 *               copy their table on every set, so loading is quadratic).
 * \param took_s set to the time spent.
 * \return 0 when all were loaded, 1 when the budget ran out, -1 on error.
 */
int bench_preload(store *st, size_t from, size_t to, double budget_s,
                  double *took_s);

/**
 * Whether a variant is only safe single-threaded (used as the floor).
 * \param ops the variant.  \return true for "naive".
 */
bool bench_is_floor(const store_ops *ops);

/** The CPU model as /proc/cpuinfo names it, or "unknown".
 *  \param buf filled in. \param n its size. */
void bench_cpu_model(char *buf, size_t n);

/** Median of n doubles (NANs ignored). \param v values (reordered).
 *  \param n count. \return the median, NAN if none. */
double bench_median(double *v, size_t n);

/* ---- tables ------------------------------------------------------------ */

/** A table: a title, a header row and rows of text cells. */
typedef struct bench_table {
    char id[32];      /**< short name, first CSV column */
    char title[160];  /**< Markdown heading */
    char note[1024];  /**< a line printed under it, may be empty */
    int ncols;        /**< number of columns */
    char **head;      /**< ncols column names */
    int nrows;        /**< rows so far */
    int cap;          /**< rows allocated */
    char ***rows;     /**< nrows x ncols cells */
} bench_table;

/** Start a table. \param t table. \param id CSV id. \param title heading.
 *  \param ncols columns. \param head column names. */
void bench_table_init(bench_table *t, const char *id, const char *title,
                      int ncols, const char *const *head);
/** Add a row (ncols cells, copied). \param t table. \param cells cells.
 *  \return 0 or -1 when out of memory. */
int bench_table_add(bench_table *t, const char *const *cells);
/** Free a table's memory. \param t table. */
void bench_table_free(bench_table *t);
/** Print as Markdown. \param t table. \param f stream. */
void bench_table_md(const bench_table *t, FILE *f);
/** Print as CSV, one line per row, first column the id. \param t table.
 *  \param f stream. \param header also print the header line. */
void bench_table_csv(const bench_table *t, FILE *f, bool header);
/** Format a number for a cell (3 significant digits, "n/a" for NAN).
 *  \param buf 32 bytes. \param x the number. \return buf. */
char *bench_num(char *buf, double x);

/* ---- the suite --------------------------------------------------------- */

/** Which runs to make. */
typedef struct bench_profile {
    const char *name;     /**< "seed", "quick", "full" or "smoke" */
    double seconds;       /**< timed phase per run */
    double warmup;        /**< warm-up per run */
    int repeats;          /**< runs per point (median reported) */
    double budget_s;      /**< seed table: repeats are cut to fit this */
    bool full;            /**< ablation, sweeps and claims too */
    size_t sizes[8];      /**< dataset sizes, 0-terminated */
    double shares[8];     /**< read shares, <0-terminated */
    double rates[8];      /**< writes per second, <0-terminated */
    size_t mem_keys[4];   /**< memory test sizes, 0-terminated */
    double preload_budget;/**< seconds a preload may take */
    size_t grow_cap;      /**< growing keys wrap after this many */
    bool plots;           /**< run gnuplot */
    const char *seed_csv; /**< the seed's published table (CSV) */
    const char *only;     /**< comma-separated variants to run, or NULL */
} bench_profile;

/** Everything a suite measured, as tables, plus the claims. */
typedef struct bench_report {
    bench_table t[16];    /**< the tables, in print order */
    int n;                /**< how many */
    int nproc;            /**< online CPUs */
    int repeats;          /**< repeats per point actually run */
    char plot_dir[512];   /**< where plots and their data go */
} bench_report;

/**
 * Run a profile: the seed table, then (if profile->full) the ablation, the
 * sweeps and the claims.  Progress goes to `log`.
 * \param p the profile.  \param rep filled with tables.
 * \param log progress stream (may be NULL).  \return 0 or -1.
 */
int bench_suite(const bench_profile *p, bench_report *rep, FILE *log);

/**
 * Add the claims table computed from the tables in rep.
 * \param rep the report.  \return 0 or -1.
 */
int bench_claims(bench_report *rep);

/**
 * Write <dir>/<stem>.md and .csv (machine header and every table) and the
 * plots, and print the Markdown to out.
 * \param rep report.  \param p the profile that made it.
 * \param dir results directory.  \param stem file name without extension.
 * \param out stream for the Markdown (may be NULL).  \return 0 or -1.
 */
int bench_write(const bench_report *rep, const bench_profile *p,
                const char *dir, const char *stem, FILE *out);

/** Find a table by id. \param rep report. \param id id.
 *  \return the table or NULL. */
const bench_table *bench_find(const bench_report *rep, const char *id);

/** Free every table. \param rep the report. */
void bench_report_free(bench_report *rep);

/**
 * The `bench` program: parse arguments, run, write results.
 * \param argc count.  \param argv arguments (see --help).
 * \param out where the tables are printed.
 * \return exit status: 0, 1 on failure, 2 on bad arguments.
 */
int bench_main(int argc, char **argv, FILE *out);

#endif
