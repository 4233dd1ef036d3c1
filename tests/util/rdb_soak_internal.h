/* rdb_soak_internal.h - what the parts of the RDB soak share (chapter 7).
 *
 * The soak (rdb_soak.h) is three files: rdb_soak.c runs a seed and owns
 * the plumbing (building and pipelining commands, recording the first
 * failure), rdb_soak_gen.c draws the settings and the dataset, and
 * rdb_soak_cmp.c compares the loaded dump with the server.  They share one
 * state, struct soak, and the helpers below; nothing here is for use
 * outside those three files.
 */
#ifndef TEST_RDB_SOAK_INTERNAL_H
#define TEST_RDB_SOAK_INTERNAL_H

#include "rdb_soak.h"
#include "resp_client.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- randomness ------------------------------------------------------------- */

/* splitmix64: tiny, full period, and every seed gives a different stream. */
static inline uint64_t soak_rnd(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static inline uint64_t soak_below(uint64_t *s, uint64_t n)
{
    return n == 0 ? 0 : soak_rnd(s) % n;
}

static inline bool soak_chance(uint64_t *s, unsigned pct)
{
    return soak_below(s, 100) < pct;
}

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(s, a) ((a)[soak_below((s), COUNT_OF(a))])

/** One run's state. */
typedef struct soak {
    uint64_t rng;
    const rdb_soak_opts *o;
    rdb_soak_result *res;
    resp_client c;
    bool failed;           /* res->diff holds the reason */
    int status;            /* what rdb_soak_run returns once failed */
    bool big;              /* 2 MiB elements allowed in this run */
    int bigs_left;         /* how many more */
    int64_t now_ms;
    int ndbs;              /* databases in use: 0 .. ndbs-1 */
    int cur_db;            /* the one being compared */
    bool tiny;             /* the current key is huge: small elements only */
    unsigned char *dump;   /* the dump in memory when read in chunks */
    size_t dump_len;
    size_t chunk;          /* bytes per source call */
    /* the first key of each type and its database, for tamper */
    char *first_key[6];
    size_t first_klen[6];
    int first_db[6];
    /* the command being built */
    char **argv;
    size_t *lens;
    size_t argc, cap;
    /* numeric key names in use */
    int64_t *num_keys;
    size_t n_num_keys;
} soak;

/** Record the first failure: status 1 (a difference) or -1 (could not
 *  run); later calls are ignored.  \param s the run \param status 1 or -1
 *  \param fmt printf format */
void soak_fail(soak *s, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Drop the command being built.  \param s the run */
void soak_arg_reset(soak *s);
/** Append an argument (copied).  \param s the run \param p bytes
 *  \param len their count */
void soak_arg_add(soak *s, const void *p, size_t len);
/** Append a C-string argument.  \param s the run \param str the text */
void soak_arg_str(soak *s, const char *str);
/** Append a formatted argument (under 128 bytes).  \param s the run
 *  \param fmt printf format */
void soak_arg_fmt(soak *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Start a command whose second argument is a key.  \param s the run
 *  \param cmd the command \param key the key \param klen its length */
void soak_cmd_key(soak *s, const char *cmd, const char *key, size_t klen);
/** Queue the command built so far.  \param s the run */
void soak_send(soak *s);
/** Read every queued reply; an error reply fails the run (-1).
 *  \param s the run */
void soak_drain(soak *s);

/** Draw and apply the server settings (rdb_soak_gen.c).  \param s the run */
void soak_draw_config(soak *s);
/** Write the dataset (rdb_soak_gen.c).  \param s the run */
void soak_gen_dataset(soak *s);
/** Change the server after SAVE, for the self-test (rdb_soak_gen.c).
 *  \param s the run */
void soak_tamper(soak *s);
/** Load database db of the dump and compare it with the server
 *  (rdb_soak_cmp.c).  \param s the run \param path dump.rdb \param db the
 *  database */
void soak_compare(soak *s, const char *path, int db);

#endif
