/* cc_workload_private.h - the workload's state, shared by its family files (ch12).
 *
 * The generator is split by concept: cc_workload.c holds the state, the
 * random numbers, the op builder and the batch loop; each
 * cc_workload_<family>.c file holds the generators of one group of command
 * families.  They share what is declared here and nothing else.
 *
 * Tracking.  Every key name comes from a small pool per type (CC_POOL
 * names per type and database), and the name's prefix says the type ("s:"
 * strings, "h:" hashes, ...), so a command of type T only ever names
 * T-keys and never meets the wrong type by accident; only RENAME, COPY,
 * MOVE, SWAPDB and FLUSHDB move keys around, and they keep the prefix.
 * For each key the generator keeps what it can prove: certainly absent,
 * certainly present (with a lower bound on its element count), or unknown
 * (it may vanish at any moment: a short expiry, or a pop that may have
 * emptied it).  A command that is valid only if the key exists is either
 * sent when the key is certainly present, or flagged CC_OP_MAY_FAIL.
 */
#ifndef CC_WORKLOAD_PRIVATE_H
#define CC_WORKLOAD_PRIVATE_H

#include "cc_workload.h"

#include <stdint.h>

/** Key types; each has its own name prefix (ccw_type_prefix). */
enum {
    CCW_STR,    /**< "s:" any string value (and the empty key) */
    CCW_NUM,    /**< "n:" integer counters (INCR, DECRBY, ...) */
    CCW_FLT,    /**< "f:" float counters (INCRBYFLOAT) */
    CCW_BIT,    /**< "b:" bitmaps (SETBIT, BITFIELD, BITOP) */
    CCW_HLL,    /**< "p:" HyperLogLogs */
    CCW_HASH,   /**< "h:" */
    CCW_LIST,   /**< "l:" */
    CCW_SET,    /**< "t:" */
    CCW_ZSET,   /**< "z:" */
    CCW_GEO,    /**< "g:" sorted sets of geohashes */
    CCW_STREAM, /**< "x:" */
    CCW_TYPES
};

/** Pool size per type; index CCW_POOL - 1 has a binary name, and the
 *  string type has one more slot, CCW_POOL: the empty key "". */
#define CCW_POOL 12
/** Most databases tracked. */
#define CCW_MAX_DB 16
/** Consumer groups per stream ("g0".."g2"). */
#define CCW_GROUPS 3

/** What the generator knows about a key. */
enum { CCW_ABSENT = 0, CCW_PRESENT = 1, CCW_UNKNOWN = 2 };

/** One tracked key. */
typedef struct ccw_key {
    uint8_t st;      /**< CCW_ABSENT, CCW_PRESENT or CCW_UNKNOWN */
    uint8_t groups;  /**< streams: groups that certainly exist (if PRESENT) */
    uint8_t gmaybe;  /**< streams: groups that may exist */
    uint32_t lo;     /**< PRESENT: lower bound on elements (strings: bytes) */
    uint32_t hi;     /**< upper bound on elements / bytes, in any state */
} ccw_key;

/** One database. */
typedef struct ccw_db {
    ccw_key k[CCW_TYPES][CCW_POOL + 1];
} ccw_db;

/** Families, in the order of ccw_family_names (sorted by name). */
enum {
    CCF_BITS, CCF_DB, CCF_EXPIRE, CCF_GEO, CCF_HASH, CCF_HLL, CCF_KEYS,
    CCF_LIST, CCF_MULTI, CCF_SCRIPT, CCF_SERVER, CCF_SET, CCF_SORT,
    CCF_STREAM, CCF_STRING, CCF_ZSET, CCF_COUNT
};

/** The workload (cc_workload.h). */
struct cc_workload {
    uint64_t s[4];          /**< xoshiro256** state */
    cc_workload_opts o;
    int db;                 /**< the database the stream is in */
    ccw_db dbs[CCW_MAX_DB];
    uint64_t stream_ms;     /**< next explicit stream ID's milliseconds */
    int in_multi;           /**< generating inside MULTI */
    int oom;                /**< an allocation failed */
    /* the batch being built */
    cc_op *ops;
    size_t nops, cap;
    /* the op being built */
    char **av;
    size_t *al;
    size_t ac, acap;
    int fam;
    /* statistics */
    size_t fam_count[CCF_COUNT];
    size_t total;
};

/** The workload, as the family files call it. */
typedef struct cc_workload ccw;

/* --- random numbers (cc_workload.c) --- */
/** The next 64 random bits. \param w the workload. \return them. */
uint64_t ccw_rnd(ccw *w);
/** Uniform in [0, n). \param w the workload. \param n > 0. \return the number. */
uint64_t ccw_below(ccw *w, uint64_t n);
/** Uniform in [lo, hi]. \param w the workload. \param lo least. \param hi most. \return the number. */
int64_t ccw_range(ccw *w, int64_t lo, int64_t hi);
/** 1 with probability 1/n. \param w the workload. \param n > 0. \return 0 or 1. */
int ccw_one_in(ccw *w, unsigned n);
#define CCW_PICK(w, arr) ((arr)[ccw_below((w), sizeof(arr) / sizeof((arr)[0]))])

/* --- building ops (cc_workload.c) --- */
/** Start an op of family (CCF_*). \param w the workload. \param family its family. */
void ccw_begin(ccw *w, int family);
/** Append an argument (copied). \param w the workload. \param p bytes. \param len their number. */
void ccw_arg(ccw *w, const void *p, size_t len);
/** Append a C string argument. \param w the workload. \param s the text. */
void ccw_str(ccw *w, const char *s);
/** Append a printf-formatted argument (under 256 bytes). \param w the workload. \param fmt the format. */
void ccw_fmt(ccw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Append an integer argument. \param w the workload. \param v the number. */
void ccw_int(ccw *w, int64_t v);
/** Finish the op: it joins the batch. \param w the workload. \param flags CC_OP_MAY_FAIL or 0. */
void ccw_end(ccw *w, unsigned flags);
/* --- keys and values (cc_workload_value.c) --- */
/** Append key (type, idx)'s name. \param w the workload. \param type CCW_*. \param idx pool index. */
void ccw_key_arg(ccw *w, int type, int idx);
/** Pick a key of type t (mostly a plain name, sometimes the binary one;
 *  the empty key sometimes for strings). */
int ccw_pick(ccw *w, int t);
/** Pick a key of type t that is certainly present (with at least one
 *  element if nonempty), most of the time when there is one; else any. */
int ccw_pick_present(ccw *w, int t, int nonempty);
/** The tracked state of key (t, i) in the current database. */
ccw_key *ccw_k(ccw *w, int t, int i);
/** Append a random value of at most max bytes (big ones only with
 *  opts.big); returns its length. */
size_t ccw_value(ccw *w, size_t max);
/** How many elements a "grow" command adds: lo..hi, or with opts.big
 *  sometimes thousands. */
uint32_t ccw_grow(ccw *w, uint32_t lo, uint32_t hi);
/** The longest value allowed: 1 MiB with big, else 64 KiB. */
size_t ccw_max_value(const ccw *w);

/* --- tracking helpers (cc_workload.c); k is a tracked key --- */
/** k now exists with at least n elements (it was written by an adding op);
 *  ttl is kept, so UNKNOWN stays UNKNOWN. */
void ccw_added(ccw_key *k, uint32_t n, uint32_t hi_add);
/** Up to n elements were removed: the key may be gone unless lo > n. */
void ccw_removed(ccw_key *k, uint32_t n);
/** The key was overwritten: now present without expiry, n elements. */
void ccw_replaced(ccw_key *k, uint32_t n);
/** The key may or may not have been deleted (or got a short TTL). */
void ccw_maybe(ccw_key *k);
/** The union of two possible states. */
ccw_key ccw_merge(ccw_key a, ccw_key b);
/** The key certainly has at least one element. */
int ccw_nonempty(const ccw_key *k);

/* --- family generators: each emits one unit (one or a few ops, kept
 * together in one batch), and updates the tracking --- */
/** cc_workload_string.c: SET and its options, counters, APPEND/SETRANGE, MSET.... \param w the workload. */
void ccw_gen_string(ccw *w);
/** cc_workload_string.c: SETBIT, BITFIELD, BITOP. \param w the workload. */
void ccw_gen_bits(ccw *w);
/** cc_workload_string.c: PFADD, PFMERGE, PFCOUNT. \param w the workload. */
void ccw_gen_hll(ccw *w);
/** cc_workload_coll.c: HSET, HSETNX, HDEL, HINCRBY, HINCRBYFLOAT. \param w the workload. */
void ccw_gen_hash(ccw *w);
/** cc_workload_coll.c: pushes, pops (blocking too), moves, LSET, LREM, LTRIM. \param w the workload. */
void ccw_gen_list(ccw *w);
/** cc_workload_coll.c: SADD, SREM, SMOVE, SPOP, the STORE forms. \param w the workload. */
void ccw_gen_set(ccw *w);
/** cc_workload_zset.c: ZADD and its flags, removals, pops, the STORE forms. \param w the workload. */
void ccw_gen_zset(ccw *w);
/** cc_workload_zset.c: GEOADD, GEOSEARCHSTORE, GEORADIUS[BYMEMBER] STORE. \param w the workload. */
void ccw_gen_geo(ccw *w);
/** cc_workload_stream.c: XADD, trimming, groups, XREADGROUP, claims, XSETID. \param w the workload. */
void ccw_gen_stream(ccw *w);
/** cc_workload_keys.c: DEL, UNLINK, RENAME[NX], COPY, MOVE, RESTORE. \param w the workload. */
void ccw_gen_keys(ccw *w);
/** cc_workload_keys.c: EXPIRE and its three siblings, PERSIST. \param w the workload. */
void ccw_gen_expire(ccw *w);
/** cc_workload_keys.c: SORT ... STORE. \param w the workload. */
void ccw_gen_sort(ccw *w);
/** cc_workload_keys.c: SELECT, SWAPDB, FLUSHDB, FLUSHALL. \param w the workload. */
void ccw_gen_db(ccw *w);
/** cc_workload_txn.c: EVAL, SCRIPT LOAD + EVALSHA, the _RO forms, functions. \param w the workload. */
void ccw_gen_script(ccw *w);
/** cc_workload_txn.c: PUBLISH. \param w the workload. */
void ccw_gen_server(ccw *w);
/** cc_workload_txn.c: MULTI, 2-8 units, EXEC or DISCARD. \param w the workload. */
void ccw_gen_multi(ccw *w);
/** cc_workload_txn.c: a deliberately failing op (wrong type, bad
 *  argument), flagged CC_OP_MAY_FAIL.  \param w the workload. */
void ccw_gen_wrongtype(ccw *w);
/** cc_workload.c: one unit of any family but MULTI (also used inside
 *  MULTI), by the families' weights.  \param w the workload. */
void ccw_gen_simple(ccw *w);

#endif
