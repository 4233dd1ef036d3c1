/* suite.h - what suite.c and sweep.c share: a job list run side by side.
 *
 * A "job" is one bar of a comparison: a variant, a dataset size, a
 * workload and a method.  The jobs of one table row run interleaved
 * (A B C A B C ...) and the median of the repeats is reported, so slow
 * drift on a shared machine hits every variant alike and the ratios
 * between them stay meaningful even when absolute times wander.
 */
#ifndef BENCH_SUITE_H
#define BENCH_SUITE_H

#include "bench.h"

/** Most variants a table compares. */
#define SUITE_MAXV 12

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
} job;

/**
 * Run the jobs side by side, s->repeats times, and keep each one's median
 * run (by ns/op) in job->res.  A fresh store whose preload runs out of
 * budget marks the job skipped.
 * \param s suite.  \param jobs jobs.  \param n count.  \return 0 or -1.
 */
int suite_run_jobs(suite *s, job *jobs, int n);

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
