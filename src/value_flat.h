/* value_flat.h - chapter 7's flat streams, until they move to pstream.h.
 * Chapter 8.
 *
 * Chapter 7 held every collection in flat, immutable arrays (the layout
 * chosen for a value that a replica reads often and rebuilds on each
 * write); chapter 8 moves each type to a persistent module.  Streams keep
 * the flat form here until their builder moves to pstream.h: entries in ID
 * order (deleted entries dropped), the metadata, each group's PEL sorted
 * by ID, and consumers with their pending IDs.  All byte strings live in an
 * arena owned by the payload (value_intern()), which carries its own
 * reference count so value_with_expire() and value_retain() share it.
 * rdb_stream.c fills the arrays itself through value_edit_stream().
 */
#ifndef VALUE_FLAT_H
#define VALUE_FLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "value.h"

struct value_chunk;

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

/** The payload of a flat stream (value.u.flat). */
struct value_flat {
    uint32_t refs;             /**< value headers sharing it (writer) */
    struct value_chunk *arena; /**< the bytes of its strings */
    value_stream stream;       /**< the stream */
};

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
 * Copy bytes into the arena of a stream or module value transient (for
 * the builders that fill their arrays themselves).
 *
 * \param v     the transient.
 * \param bytes the bytes (may be NULL when len is 0).
 * \param len   how many.
 * \param out   receives the copy, NUL-terminated, owned by v's payload.
 * \return 0, or -1 with errno ENOMEM (EINVAL: not such a transient).
 */
int value_intern(value *v, const void *bytes, size_t len,
                 value_elem *out);

#endif
