/* value.h - what the store keeps under a key: a Redis value and its expiry.
 * Chapter 1; extended in chapter 7.
 *
 * A value is immutable once it is stored.  That single rule is what lets the
 * copy-on-write stores of chapters 3 and 5 share one value between many
 * snapshots, and what lets a reader keep using a value pointer for the whole
 * of its read-side critical section while the writer replaces the key.  To
 * change a key the writer builds a new value and stores it; the old one is
 * freed by the store once no reader can hold it.
 *
 * Chapter 1 needed only strings.  Chapter 7 adds every other Redis type,
 * because a replica's first act is to load the master's RDB snapshot, and
 * that holds lists, sets, sorted sets, hashes and streams.  The shapes are
 * chosen for an immutable value that a replica reads often and rebuilds on
 * each write (copy-on-write): flat arrays in Redis's own order (cheap to
 * iterate, to index by rank and to copy) plus, for sets, hashes and sorted
 * sets, an open-addressing table (map.h) from member to position so that
 * SISMEMBER / HGET / ZSCORE stay O(1).  Sorted sets keep their array sorted
 * by (score, member), so ZRANGE by rank is a slice.  The bytes of all the
 * elements of one collection live in a few large chunks (an arena) owned by
 * the value: one allocation per few thousand elements instead of one each,
 * and freeing the value frees them all at once.
 *
 * Values are built by the functions below (value_new_collection() and the
 * *_add / *_push helpers, then value_seal()), and never changed after they
 * are handed to a store.
 *
 * Expiry is absolute Unix time in milliseconds, as the master sends it.  A
 * replica never deletes a key on its own clock (the master's DEL does that);
 * readers simply treat an expired key as missing (see value_is_expired()).
 */
#ifndef VALUE_H
#define VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The expire_ms of a value that never expires. */
#define VALUE_NO_EXPIRY INT64_C(-1)

/** The Redis type of a value. */
typedef enum value_type {
    VALUE_STRING = 0, /**< a byte string (Redis "string") */
    VALUE_LIST,       /**< an ordered sequence of byte strings */
    VALUE_SET,        /**< unique byte strings */
    VALUE_ZSET,       /**< unique members, each with a double score */
    VALUE_HASH,       /**< unique fields, each with a value (and an expiry) */
    VALUE_STREAM,     /**< entries by ID, consumer groups, pending lists */
    VALUE_MODULE,     /**< a module's opaque value (kept only for tools) */
} value_type;

/** One byte string inside a collection (bytes owned by the value). */
typedef struct value_elem {
    size_t len;           /**< length in bytes */
    unsigned char *bytes; /**< the bytes, NUL-terminated for convenience */
} value_elem;

/** One sorted-set member with its score. */
typedef struct value_zentry {
    value_elem member; /**< the member */
    double score;      /**< its score (may be +-inf, never NaN in Redis) */
} value_zentry;

/** A stream entry ID: milliseconds and sequence number. */
typedef struct value_stream_id {
    uint64_t ms;  /**< milliseconds part */
    uint64_t seq; /**< sequence part */
} value_stream_id;

/** One stream entry: its ID and field/value pairs. */
typedef struct value_stream_entry {
    value_stream_id id; /**< the entry ID */
    size_t nfields;     /**< number of field/value pairs */
    value_elem *fv;     /**< 2 * nfields strings: field, value, ... */
} value_stream_entry;

/** One entry of a consumer group's pending entries list (PEL). */
typedef struct value_stream_nack {
    value_stream_id id;        /**< the pending entry */
    int64_t delivery_time_ms;  /**< last delivery, Unix ms */
    uint64_t delivery_count;   /**< times delivered */
} value_stream_nack;

/** A consumer of a group and the IDs it has pending. */
typedef struct value_stream_consumer {
    value_elem name;         /**< consumer name */
    int64_t seen_time_ms;    /**< last interaction, Unix ms */
    int64_t active_time_ms;  /**< last successful read, -1 if unknown */
    size_t npel;             /**< pending IDs owned by this consumer */
    value_stream_id *pel;    /**< those IDs, ascending */
} value_stream_consumer;

/** A consumer group. */
typedef struct value_stream_group {
    value_elem name;                  /**< group name */
    value_stream_id last_id;          /**< last delivered ID */
    uint64_t entries_read;            /**< UINT64_MAX = unknown */
    size_t npel;                      /**< pending entries */
    value_stream_nack *pel;           /**< ascending by ID */
    size_t nconsumers;                /**< consumers */
    value_stream_consumer *consumers; /**< in file order */
} value_stream_group;

/** A stream: entries in ID order plus its metadata and groups. */
typedef struct value_stream {
    size_t nentries;               /**< live entries held */
    value_stream_entry *entries;   /**< ascending by ID */
    uint64_t length;               /**< length as recorded (XLEN) */
    value_stream_id last_id;       /**< last ID ever generated */
    value_stream_id first_id;      /**< first live ID (RDB >= v2 streams) */
    value_stream_id max_deleted_id;/**< largest deleted ID */
    uint64_t entries_added;        /**< entries ever added */
    size_t ngroups;                /**< consumer groups */
    value_stream_group *groups;    /**< in file order */
} value_stream;

/** What one module serialisation step wrote. */
typedef enum value_module_op_kind {
    VALUE_MOD_SINT = 1,   /**< signed integer */
    VALUE_MOD_UINT = 2,   /**< unsigned integer */
    VALUE_MOD_FLOAT = 3,  /**< 32-bit float */
    VALUE_MOD_DOUBLE = 4, /**< 64-bit double */
    VALUE_MOD_STRING = 5, /**< byte string */
} value_module_op_kind;

/** One step of a module value (MODULE_2 opcode stream). */
typedef struct value_module_op {
    value_module_op_kind kind; /**< which field is valid */
    uint64_t u;                /**< VALUE_MOD_UINT / SINT (as bits) */
    double d;                  /**< VALUE_MOD_FLOAT / DOUBLE */
    value_elem str;            /**< VALUE_MOD_STRING */
} value_module_op;

/** A module value: the module's name, encoding version and raw steps. */
typedef struct value_module {
    char name[10];          /**< 9-character module type name + NUL */
    uint64_t module_id;     /**< the 64-bit id as stored */
    unsigned encver;        /**< the module's encoding version */
    size_t nops;            /**< steps */
    value_module_op *ops;   /**< in file order */
} value_module;

struct value_chunk;
struct map;

/* [ch01-value] */
/** A stored value.  Immutable once handed to a store. */
typedef struct value {
    value_type type;   /**< which member of u is valid */
    int64_t expire_ms; /**< absolute Unix ms, or VALUE_NO_EXPIRY */
    union {
        /** VALUE_STRING: len bytes, NUL-terminated for convenience. */
        struct {
            size_t len;           /**< length in bytes, NUL excluded */
            unsigned char *bytes; /**< points just past the struct */
        } str;
        /* [ch01-value] */
        /* [ch07-value-union] */
        /** VALUE_LIST: items in list order (head first). */
        struct {
            size_t count;      /**< number of items */
            value_elem *items; /**< the items */
        } list;
        /** VALUE_SET: members in insertion order, plus a lookup table. */
        struct {
            size_t count;        /**< number of members */
            value_elem *members; /**< the members */
            struct map *index;   /**< member -> position + 1 */
        } set;
        /** VALUE_ZSET: entries sorted by (score, member), plus a table. */
        struct {
            size_t count;          /**< number of members */
            value_zentry *entries; /**< ascending (score, member) */
            struct map *index;     /**< member -> position + 1 */
        } zset;
        /** VALUE_HASH: fields in insertion order, plus a lookup table. */
        struct {
            size_t count;            /**< number of fields */
            value_elem *fv;          /**< 2 * count: field, value, ... */
            int64_t *field_expire_ms;/**< per field, or NULL if none has one */
            struct map *index;       /**< field -> position + 1 */
        } hash;
        value_stream *stream; /**< VALUE_STREAM */
        value_module *module; /**< VALUE_MODULE */
    } u;               /**< the payload, by type */
    struct value_chunk *arena; /**< element bytes of collections */
    size_t cap;        /**< allocated slots of the main array (builders) */
} value;
/* [ch07-value-union] */

/**
 * Make a string value.
 *
 * The bytes are copied into the same allocation as the value, followed by a
 * NUL byte that is not counted in the length.
 *
 * \param bytes     the string; may be NULL when len is 0.
 * \param len       its length; any bytes allowed, NUL and 0xFF included.
 * \param expire_ms absolute Unix time in ms, or VALUE_NO_EXPIRY.
 * \return a new value owned by the caller (free with value_free() or hand
 *         it to a store), or NULL if out of memory.
 *
 * Thread-safety: safe from any thread.
 */
value *value_new_string(const void *bytes, size_t len, int64_t expire_ms);

/**
 * Make an empty collection value, to be filled by the builder functions.
 *
 * \param type      VALUE_LIST, VALUE_SET, VALUE_ZSET, VALUE_HASH,
 *                  VALUE_STREAM or VALUE_MODULE.
 * \param expire_ms absolute Unix time in ms, or VALUE_NO_EXPIRY.
 * \return a new empty value owned by the caller, or NULL if out of memory
 *         or type is VALUE_STRING.
 *
 * Thread-safety: safe from any thread.
 */
value *value_new_collection(value_type type, int64_t expire_ms);

/**
 * Copy bytes into a value's arena (for building collections).
 *
 * \param v     the value being built.
 * \param bytes the bytes (may be NULL when len is 0).
 * \param len   how many.
 * \param out   receives the copy, NUL-terminated, owned by v.
 * \return 0, or -1 if out of memory.
 */
int value_intern(value *v, const void *bytes, size_t len, value_elem *out);

/**
 * Append an item at the tail of a list being built.
 *
 * \param v   a VALUE_LIST not yet stored.
 * \param p   item bytes.
 * \param len item length.
 * \return 0, or -1 if out of memory.
 */
int value_list_push(value *v, const void *p, size_t len);

/**
 * Add a member to a set being built.
 *
 * \param v   a VALUE_SET not yet stored.
 * \param p   member bytes.
 * \param len member length.
 * \return 1 if added, 0 if it was already there, -1 if out of memory.
 */
int value_set_add(value *v, const void *p, size_t len);

/**
 * Add a field to a hash being built.
 *
 * \param v         a VALUE_HASH not yet stored.
 * \param f         field bytes.
 * \param flen      field length.
 * \param val       value bytes.
 * \param vlen      value length.
 * \param expire_ms the field's absolute expiry (Unix ms), or
 *                  VALUE_NO_EXPIRY.
 * \return 1 if added, 0 if the field was already there (nothing changed),
 *         -1 if out of memory.
 */
int value_hash_add(value *v, const void *f, size_t flen, const void *val,
                   size_t vlen, int64_t expire_ms);

/**
 * Add a member to a sorted set being built (order is fixed by value_seal()).
 *
 * \param v     a VALUE_ZSET not yet stored.
 * \param m     member bytes.
 * \param mlen  member length.
 * \param score the score.
 * \return 1 if added, 0 if the member was already there, -1 if out of
 *         memory.
 */
int value_zset_add(value *v, const void *m, size_t mlen, double score);

/**
 * Finish building a value: sort a sorted set, release slack.  Call once,
 * before handing the value to a store.
 *
 * \param v the value.
 * \return 0, or -1 if out of memory (v is still valid and freeable).
 */
int value_seal(value *v);

/**
 * Number of elements of a collection (items, members, fields, entries).
 *
 * \param v the value.
 * \return the count; 1 for a string; the number of steps of a module value.
 */
size_t value_count(const value *v);

/**
 * Look up a hash field.
 *
 * \param v    a VALUE_HASH.
 * \param f    field bytes.
 * \param flen field length.
 * \return the field's position (index into u.hash.fv / 2), or -1 if absent.
 */
long value_hash_find(const value *v, const void *f, size_t flen);

/**
 * Whether a set holds a member.
 *
 * \param v    a VALUE_SET.
 * \param m    member bytes.
 * \param mlen member length.
 * \return true if present.
 */
bool value_set_has(const value *v, const void *m, size_t mlen);

/**
 * Look up a sorted-set member's score.
 *
 * \param v     a VALUE_ZSET (sealed).
 * \param m     member bytes.
 * \param mlen  member length.
 * \param score receives the score when found (may be NULL).
 * \return true if present.
 */
bool value_zset_score(const value *v, const void *m, size_t mlen,
                      double *score);

/**
 * Name of a type as Redis's TYPE command says it.
 *
 * \param t the type.
 * \return "string", "list", "set", "zset", "hash", "stream" or "module".
 */
const char *value_type_name(value_type t);

/**
 * Free a value and everything it owns.
 *
 * \param v the value; NULL is allowed and does nothing.
 *
 * Thread-safety: the caller must be the only one still able to reach v.
 */
void value_free(value *v);

/**
 * Whether a value has expired at the given time.
 *
 * A key expires at exactly expire_ms, as in Redis: at now_ms == expire_ms it
 * is already gone.
 *
 * \param v      the value.
 * \param now_ms current Unix time in ms.
 * \return true if v has an expiry and it is <= now_ms.
 */
bool value_is_expired(const value *v, int64_t now_ms);

/**
 * Heap bytes owned by a value (its struct included), for memory accounting.
 *
 * \param v the value.
 * \return the bytes requested from malloc for v.
 */
size_t value_bytes(const value *v);

/**
 * Current Unix time in milliseconds (CLOCK_REALTIME), the clock Redis
 * expiries are measured against.
 *
 * \return milliseconds since 1970-01-01 UTC.
 */
int64_t value_now_ms(void);

#endif
