/* suite.h - what suite.c and sweep.c share: a job list run side by side.
 *
 * A "job" is one bar of a comparison: a variant, a dataset size, a
 * workload and a method.  The jobs of one table row run interleaved
 * (A B C A B C ...) and the median of the repeats is reported, so slow
 * drift on a shared machine hits every variant alike and the ratios
 * between them stay meaningful even when absolute times wander.
 *
 * Every repeat is also kept, in the order it ran, so that a ratio between
 * two jobs can be taken repeat by repeat (A's r-th run over B's r-th run:
 * two runs made one right after the other) and reported as the range of
 * those per-repeat ratios, min to max.  The claims judge that range, not
 * one number.
 */
#ifndef BENCH_SUITE_H
#define BENCH_SUITE_H

#include "bench.h"

/** Most variants a table compares. */
#define SUITE_MAXV 12
/** Most repeats a job keeps (more are clamped to this). */
#define SUITE_MAXR 16

/** The suite's state. */
typedef struct suite {
    const bench_profile *p;        /**< settings */
    bench_report *rep;             /**< tables go here */
    FILE *log;                     /**< progress, may be NULL */
    int nproc;                     /**< online CPUs */
    const store_ops *floor;        /**< the naive store, or NULL */
    const store_ops *v[SUITE_MAXV];/**< the thread-safe variants */
    int nv;                        /**< how many */
    char **names;                  /**< prebuilt "key<i>" names */
    size_t nnames;                 /**< how many */
    int repeats;                   /**< runs per job */
    size_t gave_up_at[SUITE_MAXV]; /**< size whose load ran out of budget */
} suite;

/** One job of a side-by-side comparison. */
typedef struct job {
    const store_ops *ops; /**< variant */
    bench_config cfg;     /**< workload; cfg.st is filled in per run */
    store *st;            /**< a prepared store, or NULL: make a fresh one */
    size_t preload;       /**< keys a fresh store is loaded with */
    bool skip;            /**< do not run (reported as n/a) */
    bench_result res;     /**< the median run */
    bench_result runs[SUITE_MAXR]; /**< every repeat, in the order run */
    int nruns;            /**< how many of them */
} job;

/**
 * Run the jobs side by side, s->repeats times, and keep each one's median
 * run (by ns/op) in job->res.  A fresh store whose preload runs out of
 * budget marks the job skipped.
 * \param s suite.  \param jobs jobs.  \param n count.  \return 0 or -1.
 */
int suite_run_jobs(suite *s, job *jobs, int n);

/**
 * The range of a ratio between two jobs of one suite_run_jobs() call,
 * taken repeat by repeat: min and max over r of num's r-th ns/op divided
 * by den's r-th ns/op (repeats where either is missing are left out).
 * \param num numerator job.  \param den denominator job.
 * \param lo set to the smallest ratio.  \param hi set to the largest.
 * \return the number of repeats used (0: lo and hi are NAN).
 */
int suite_ratio_range(const job *num, const job *den, double *lo,
                      double *hi);

/**
 * The same range as a table cell, "lo–hi" (3 significant digits each),
 * or "n/a".  \param buf 48 bytes.  \param num numerator job.
 * \param den denominator job.  \return buf.
 */
char *suite_range_cell(char *buf, const job *num, const job *den);

/**
 * Format a range for a cell: "lo–hi", or "n/a" when either is NAN.
 * \param buf 48 bytes.  \param lo low end.  \param hi high end.
 * \return buf.
 */
char *suite_range_fmt(char *buf, double lo, double hi);

/** A clean workload config: prebuilt keys, fixed key set, no counter.
 *  \param s suite. \param threads threads. \param keys key space.
 *  \param read_pct read share. \return the config. */
bench_config suite_config(const suite *s, int threads, size_t keys,
                          double read_pct);

/** Make sure s->names holds at least n key names. \param s suite.
 *  \param n count. \return 0 or -1. */
int suite_names(suite *s, size_t n);

/** Create a store and preload it within the profile's budget.
 *  \param s suite. \param ops variant. \param n keys. \param took_s load
 *  time. \return the store, or NULL when out of budget or memory. */
store *suite_prepared(suite *s, const store_ops *ops, size_t n,
                      double *took_s);

/** A new table in the report. \param s suite. \param id id.
 *  \param title title. \param ncols columns. \param head names.
 *  \return the table, or NULL when the report is full. */
bench_table *suite_table(suite *s, const char *id, const char *title,
                         int ncols, const char *const *head);

/** The sweeps: threads, sizes, read shares, write rates, memory,
 *  counters.  \param s suite.  \return 0 or -1. */
int suite_sweeps(suite *s);

#endif
