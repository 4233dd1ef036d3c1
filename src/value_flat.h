/* value_flat.h - chapter 7's flat collections, for the types not yet persistent.
 * Chapter 8.
 *
 * Chapter 7 chose, for an immutable value that a replica reads often and
 * rebuilds on each write, flat arrays in Redis's own order (cheap to
 * iterate, to index by rank and to copy) plus, for sets, hashes and sorted
 * sets, an open-addressing table (map.h) from member to position so that
 * SISMEMBER / HGET / ZSCORE stay O(1).  Sorted sets keep their array sorted
 * by (score, member), so ZRANGE by rank is a slice.  The bytes of all the
 * elements of one collection live in a few large chunks (an arena) owned
 * by the payload: one allocation per few thousand elements instead of one
 * each, and freeing the payload frees them all at once.
 *
 * Chapter 8 gives each type a persistent module; until a type's module is
 * in place, its values keep this form behind the value API (value.h):
 * value_as_list() and its siblings return the flat struct, the builders
 * fill it, and value_edit() copies it whole (the cost chapter 8 removes).
 * The payload carries its own reference count, so value_with_expire() and
 * value_retain() share it like a module's object.  Each type's part is
 * deleted when its module arrives.
 */
#ifndef VALUE_FLAT_H
#define VALUE_FLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "value.h"

struct value_chunk;
struct map;

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

/* [ch07-value-union] */
/** VALUE_LIST: items in list order (head first). */
typedef struct value_flat_list {
    size_t count;      /**< number of items */
    value_elem *items; /**< the items */
} value_flat_list;

/** VALUE_SET: members in insertion order, plus a lookup table. */
typedef struct value_flat_set {
    size_t count;        /**< number of members */
    value_elem *members; /**< the members */
    struct map *index;   /**< member -> position + 1 */
} value_flat_set;

/** VALUE_ZSET: entries sorted by (score, member), plus a table. */
typedef struct value_flat_zset {
    size_t count;          /**< number of members */
    value_zentry *entries; /**< ascending (score, member) */
    struct map *index;     /**< member -> position + 1 */
} value_flat_zset;

/** VALUE_HASH: fields in insertion order, plus a lookup table. */
typedef struct value_flat_hash {
    size_t count;            /**< number of fields */
    value_elem *fv;          /**< 2 * count: field, value, ... */
    int64_t *field_expire_ms;/**< per field, or NULL if none has one */
    struct map *index;       /**< field -> position + 1 */
} value_flat_hash;

/** The payload of a flat collection (value.u.flat). */
struct value_flat {
    uint32_t refs;             /**< value headers sharing it (writer) */
    uint8_t type;              /**< value_type */
    struct value_chunk *arena; /**< element bytes */
    size_t cap;                /**< allocated slots of the main array */
    /** The collection, by type. */
    union {
        value_flat_list list; /**< VALUE_LIST */
        value_flat_set set;   /**< VALUE_SET */
        value_flat_zset zset; /**< VALUE_ZSET */
        value_flat_hash hash; /**< VALUE_HASH */
        value_stream stream;  /**< VALUE_STREAM */
    } u;
};
/* [ch07-value-union] */

/**
 * A list's items, for readers.
 * \param v a VALUE_LIST.
 * \return its flat payload (valid as long as v).  Thread-safety: any reader.
 */
const value_flat_list *value_as_list(const value *v);

/**
 * A set's members, for readers.
 * \param v a VALUE_SET.
 * \return its flat payload (valid as long as v).
 */
const value_flat_set *value_as_set(const value *v);

/**
 * A sorted set's entries, for readers.
 * \param v a VALUE_ZSET version (sealed: sorted).
 * \return its flat payload (valid as long as v).
 */
const value_flat_zset *value_as_zset(const value *v);

/**
 * A hash's fields, for readers.
 * \param v a VALUE_HASH.
 * \return its flat payload (valid as long as v).
 */
const value_flat_hash *value_as_hash(const value *v);

/**
 * A stream, for readers.
 * \param v a VALUE_STREAM.
 * \return its flat payload (valid as long as v).
 */
const value_stream *value_as_stream(const value *v);

/**
 * A stream transient's payload, for its builder (rdb_stream.c), which
 * fills the arrays itself; bytes go through value_intern().
 * \param v a VALUE_STREAM transient.
 * \return the stream, or NULL with errno EINVAL.
 */
value_stream *value_edit_stream(value *v);

/**
 * Copy bytes into the arena of a flat collection or module value transient
 * (for builders that fill the arrays themselves: streams, module values).
 *
 * \param v     the transient.
 * \param bytes the bytes (may be NULL when len is 0).
 * \param len   how many.
 * \param out   receives the copy, NUL-terminated, owned by v's payload.
 * \return 0, or -1 with errno ENOMEM (EINVAL: not such a transient).
 */
int value_intern(value *v, const void *bytes, size_t len,
                 value_elem *out);

/**
 * Look up a hash field.
 *
 * \param v    a VALUE_HASH.
 * \param f    field bytes.
 * \param flen field length.
 * \return the field's position (index into value_as_hash(v)->fv / 2), or
 *         -1 if absent.
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

#endif
