/* sort_core.h - the SORT engine shared by SORT ... STORE and SORT_RO.
 * Chapter 9; extended in chapter 11.
 *
 * SORT parses the same options, loads the same elements, reads the same
 * BY and GET patterns and orders them by the same rules whether it stores
 * a list on the master (chapter 9's applier, src/cmd_sort.c) or answers a
 * client of the replica (chapter 11's SORT_RO, src/server_sort.c).  What
 * differs is how a key is looked up (the applier sees keys whose expiry
 * passed, a reader does not) and what is done with the result, so those
 * are the callers' and everything else is here.  The ordering rules are
 * described in src/cmd_sort.c.
 *
 * Semantics and texts: redis/redis 7.0.15 src/sort.c (sortCommandGeneric,
 * lookupKeyByPattern, sortCompare).
 *
 * Thread-safety: a job belongs to one command on one thread; it reads the
 * values its lookup function returns, which must stay valid until
 * sort_job_free().
 */
#ifndef SORT_CORE_H
#define SORT_CORE_H

#include "resp.h"
#include "value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** How a pattern's key is looked up: the value, or NULL when missing. */
typedef const value *sort_lookup_fn(void *arg, const void *key, size_t len);

/** What sort_parse() and sort_run() report besides 0 and -1 (ENOMEM). */
enum {
    SORT_ERR_SYNTAX = 1,    /**< "ERR syntax error" */
    SORT_ERR_NOTINT = 2,    /**< a LIMIT number: "ERR value is not an
                                 integer or out of range" */
    SORT_ERR_NOTDOUBLE = 3, /**< "ERR One or more scores can't be converted
                                 into double" */
};

/** The options of one SORT. */
typedef struct sort_opts {
    bool desc;                   /**< DESC */
    bool alpha;                  /**< ALPHA */
    bool dontsort;               /**< a BY pattern without '*' was given */
    long long limit_start;       /**< LIMIT offset (0) */
    long long limit_count;       /**< LIMIT count (-1: all) */
    const resp_value *sortby;    /**< BY pattern, or NULL */
    const resp_value *storekey;  /**< STORE key, or NULL */
    size_t *gets;                /**< argument indexes of GET patterns */
    size_t ngets;                /**< how many */
} sort_opts;

/** One element to sort. */
typedef struct sort_item {
    const unsigned char *p;   /**< the element (NUL-terminated) */
    size_t len;               /**< its length */
    double score;             /**< numeric: its score */
    const unsigned char *cmp; /**< ALPHA BY: the BY value, or NULL */
    size_t cmplen;            /**< its length */
} sort_item;

/** The state of one SORT: set lookup and arg, the rest zero. */
typedef struct sort_job {
    sort_lookup_fn *lookup;   /**< key lookup for BY and GET */
    void *arg;                /**< its argument */
    int64_t now_ms;           /**< hash fields whose own expiry is at or
                                   before it are missing; -1: none is */
    bool desc;                /**< DESC (set by sort_run()) */
    bool alpha;               /**< ALPHA */
    bool bypattern;           /**< a BY pattern is used */
    sort_item *vec;           /**< the elements, sorted by sort_run() */
    long long start;          /**< the LIMIT window's first index in vec */
    long long end;            /**< its last (end < start: empty) */
    unsigned char *kbuf;      /**< a key built from a pattern */
    size_t kcap;              /**< kbuf's size */
    unsigned char **owned;    /**< copies of chunked strings */
    size_t nowned;            /**< how many */
    size_t owncap;            /**< owned's size */
} sort_job;

/**
 * Parse SORT's options, argv[2..argc), as Redis does (a later ASC/DESC
 * wins, BY without '*' turns sorting off for good).
 * \param argc        the argument count.
 * \param argv        the arguments (NUL-terminated strings).
 * \param allow_store whether STORE is an option (SORT) or a syntax error
 *                    (SORT_RO).
 * \param o           receives the options; sort_opts_free() it.
 * \param bad         receives the index of the argument at fault.
 * \return 0, SORT_ERR_SYNTAX, SORT_ERR_NOTINT, or -1 with errno ENOMEM.
 */
int sort_parse(size_t argc, const resp_value *argv, bool allow_store,
               sort_opts *o, size_t *bad);

/** Free what sort_parse() allocated.  \param o the options. */
void sort_opts_free(sort_opts *o);

/**
 * Load the elements of src (a list, set or sorted set; NULL for a missing
 * key), clamp LIMIT as Redis does, read the BY values and sort.  After it
 * j->vec[j->start .. j->end] is the answer (empty when end < start).
 * \param j   the job (lookup and arg set).
 * \param o   the options.
 * \param src the value to sort, or NULL.
 * \return 0, SORT_ERR_NOTDOUBLE, or -1 with errno ENOMEM.
 */
int sort_run(sort_job *j, const sort_opts *o, const value *src);

/**
 * What a BY or GET pattern names for an element (Redis's
 * lookupKeyByPattern()): "#" the element itself, the first '*' replaced
 * by it, "->field" after the '*' a hash field.
 * \param j    the job.
 * \param pat  the pattern.
 * \param e    the element. \param elen its length.
 * \param out  receives the bytes (NUL-terminated, valid until
 *             sort_job_free()).
 * \param olen receives their length.
 * \return 1 found, 0 nothing (no '*', a missing key or field, another
 *         type), -1 with errno ENOMEM.
 */
int sort_pattern(sort_job *j, const resp_value *pat, const unsigned char *e,
                 size_t elen, const unsigned char **out, size_t *olen);

/** Free a job's memory.  \param j the job. */
void sort_job_free(sort_job *j);

#endif
