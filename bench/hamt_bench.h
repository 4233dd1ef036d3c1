/* hamt_bench.h - what build/hamt-bench's files share: its timed cells and
 * the figures its closing table is made of.
 *
 * build/hamt-bench (chapter 5) is three files: hamt_cells.c times one cell
 * (a read, an increment, a write, a table copy, a run of the 95/5 mix),
 * main_hamt_bench.c runs the cells in turns and prints the sections, and
 * hamt_verdict.c turns the figures into the Markdown table the chapter
 * ends with.  Unlike chapter 4's harness (bench_run()), a cell times
 * itself with the thread's CPU clock, pins its threads, and fills its
 * stores in batches, because chapter 5 compares stores whose costs differ
 * by a few nanoseconds on a machine shared with other programs.
 */
#ifndef HAMT_BENCH_H
#define HAMT_BENCH_H

#include "store.h"

#define CELL_REPS 7        /* runs per cell; medians and best of these */
#define CELL_READ_KEYS 1000 /* keys of the read, counter and mix cells */
#define CELL_MAX_THREADS 8 /* most threads a cell runs */
#define CELL_BATCH 64      /* keys per store_apply() in batched writes */
#define CELL_ORDER 4096    /* entries of a read cell's lookup order */

/** A key set: keys "key:0".."key:<n-1>", built before any timing. */
typedef struct cell_keys {
    long n;                /**< how many */
    char (*k)[16];         /**< the keys, 16 bytes apart */
    unsigned char *len;    /**< their lengths */
} cell_keys;

/** Median, best and worst of CELL_REPS runs (lower is better), and the
 *  runs themselves in the order they ran. */
typedef struct cell_stat {
    double med;            /**< the median run */
    double best;           /**< the lowest */
    double worst;          /**< the highest */
    double v[CELL_REPS];   /**< every run, in order (repeat r is v[r]) */
    int n;                 /**< how many of v are filled */
} cell_stat;

/** A range of ratios, lo <= hi (NAN when there is none). */
typedef struct cell_range {
    double lo;             /**< smallest ratio */
    double hi;             /**< largest */
} cell_range;

/** Context switches of a mix run's threads, per 1,000 operations. */
typedef struct cell_csw {
    double vol;            /**< voluntary: the thread slept (futex waits) */
    double invol;          /**< involuntary: the kernel preempted it */
} cell_csw;

/** What a read cell counts besides reading. */
enum cell_count {
    CELL_COUNT_NONE,       /**< nothing */
    CELL_COUNT_SHARED,     /**< one shared atomic counter */
    CELL_COUNT_SLOT64,     /**< per-thread counter slots 64 bytes apart */
    CELL_COUNT_SLOT128     /**< per-thread counter slots 128 bytes apart */
};

/** Names of the enum cell_count values, for the report. */
extern const char *const cell_count_names[4];

/** Build keys 0..n-1 (exits when out of memory). \param n count.
 *  \return the keys; free with cell_keys_free(). */
cell_keys cell_keys_make(long n);
/** Free a key set. \param ks the keys. */
void cell_keys_free(cell_keys *ks);
/** Fill a store with every key of ks, in batches where the store has
 *  them (exits on failure). \param s store. \param ks keys. */
void cell_fill(store *s, const cell_keys *ks);
/** Median, best and worst of n samples (n <= CELL_REPS), keeping the
 *  samples in order. \param v samples (reordered). \param n count.
 *  \return the summary. */
cell_stat cell_summarize(double *v, int n);
/** The range of a / b taken repeat by repeat (a.v[r] / b.v[r]): for cells
 *  that ran in the same rounds, the variants taking turns, so that each
 *  ratio compares two runs made one right after the other.
 *  \param a numerator.  \param b denominator.  \return the range. */
cell_range cell_paired(const cell_stat *a, const cell_stat *b);
/** The widest range of a / b for cells that did not take turns (each
 *  ran all its repeats on its own): [a.best / b.worst, a.worst / b.best].
 *  \param a numerator.  \param b denominator.  \return the range. */
cell_range cell_unpaired(const cell_stat *a, const cell_stat *b);

/** One read run: ns per read (thread CPU time), averaged over threads.
 *  \param s filled store. \param ks its keys. \param order CELL_ORDER key
 *  numbers, the lookup order. \param threads 1..CELL_MAX_THREADS.
 *  \param mode what each read also counts. \param secs length of the run.
 *  \return ns per read. */
double cell_read(store *s, const cell_keys *ks, const unsigned *order,
                 int threads, enum cell_count mode, double secs);
/** One run of a counter alone, no lookup (mode other than NONE).
 *  \param threads threads. \param mode counter. \param secs twice the
 *  length of the run. \return ns per increment. */
double cell_increment(int threads, enum cell_count mode, double secs);
/** CELL_REPS runs of one writer and no readers on a filled store.
 *  \param s store. \param ks its keys. \param batch 0: store_set(), else
 *  store_apply() in batches of CELL_BATCH. \param budget_s per run.
 *  \return ns per changed key. */
cell_stat cell_write(store *s, const cell_keys *ks, int batch,
                     double budget_s);
/** CELL_REPS runs of map_clone() of an n-key table: the part of a cow
 *  write that grows with n. \param n keys. \param budget_s per run.
 *  \return ns per copy. */
cell_stat cell_clone(long n, double budget_s);
/** One run of a mix on a fresh, filled store of the variant, every thread
 *  reading and writing. \param variant store name. \param ks keys.
 *  \param threads threads. \param write_pct writes per 100 operations.
 *  \param secs half the length of the run. \param csw if not NULL, set
 *  to the threads' context switches per 1,000 operations (getrusage
 *  RUSAGE_THREAD around each thread's timed loop). \return total Mops/s. */
double cell_mix(const char *variant, const cell_keys *ks, int threads,
                int write_pct, double secs, cell_csw *csw);

/** Everything the closing table quotes. */
typedef struct hamt_figures {
    char model[256];          /**< the CPU */
    cell_stat reads[5][2];    /**< naive rwlock cow hamt striped, 1 and 2
                                   threads */
    cell_stat inc[4][2];      /**< increment alone, by enum cell_count */
    long sizes[8];            /**< store sizes of the write table */
    int nsizes;               /**< how many */
    cell_stat wr[8], wc[8];   /**< ns/write by size: rwlock, cow */
    cell_stat wh[8], whb[8];  /**< hamt, hamt in batches */
    int tcounts[3];           /**< thread counts of the mix */
    int ntc;                  /**< how many */
    cell_stat mix[3][4];      /**< Mops/s: rwlock cow hamt striped */
    cell_csw mixcsw[3][4];    /**< their context switches (medians) */
    cell_stat writers[3];     /**< two writers: rwlock striped hamt */
} hamt_figures;

/** "met" or "NOT met". \param x measured. \param target the target.
 *  \param le 1: x must be <= target, 0: >=. \return the word. */
const char *hamt_met(double x, double target, int le);
/** The verdict for a range: "met" when the whole range meets the target,
 *  "NOT met" when none of it does, else "unstable here (ratio lo–hi)".
 *  \param r the range. \param target the target. \param le 1: must be
 *  <= target, 0: >=. \param buf room for the unstable text (64 bytes).
 *  \return the verdict (buf or a constant). */
const char *hamt_judge(cell_range r, double target, int le, char *buf);
/** A write figure at 1,000 keys (a zero cell when none was measured).
 *  \param f figures. \param w one of f's by-size arrays. \return it. */
cell_stat hamt_at_1k(const hamt_figures *f, const cell_stat *w);
/** Write the closing table as Markdown. \param f figures. \param path
 *  file. \return 0, or -1 when it cannot be written. */
int hamt_verdict_write(const hamt_figures *f, const char *path);

#endif
