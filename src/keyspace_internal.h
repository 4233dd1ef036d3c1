/* keyspace_internal.h - what the keyspace files share (not a public API).
 * Chapter 9.
 *
 * keyspace.c holds the keyspace's life cycle, the meta record and the
 * readers; keyspace_batch.c holds the writer: the overlay of pending
 * changes and the commit that turns it into one store_apply().  Both work
 * on the encoded key: the key's 2-byte big-endian physical database number
 * followed by its bytes, built in a buffer the handle owns, so that a
 * lookup of a short key allocates nothing.
 */
#ifndef KEYSPACE_INTERNAL_H
#define KEYSPACE_INTERNAL_H

#include "keyspace.h"

#include <pthread.h>

/** The meta record's key: one byte, shorter than any data key. */
#define KS_META_KEY "\xff"
/** Its length. */
#define KS_META_KLEN 1u
/** Bytes of the meta record's header: the number of databases (u32). */
#define KS_META_HDR 4u

/** An encoded-key buffer: inline for short keys, grown on the heap. */
typedef struct ks_keybuf {
    unsigned char *p;        /**< the buffer: small, or a heap block */
    size_t cap;              /**< its size */
    unsigned char small[256];/**< the inline buffer */
} ks_keybuf;

/** One pending key of a batch. */
typedef struct ks_ent {
    uint64_t hash;       /**< hash_bytes() of the encoded key */
    unsigned char *key;  /**< the encoded key (in the batch's arena) */
    uint32_t klen;       /**< its length */
    uint8_t existed;     /**< the key was in the store when the batch began */
    value *v;            /**< the pending value (the batch's), or NULL:
                              deleted */
} ks_ent;

/** A block of the batch's key arena. */
typedef struct ks_chunk {
    struct ks_chunk *next; /**< the block allocated before */
    size_t used;           /**< bytes handed out */
    size_t cap;            /**< bytes in data */
    unsigned char data[];  /**< the keys */
} ks_chunk;

/** The overlay: pending entries in arrival order and an index over them. */
typedef struct ks_overlay {
    ks_ent *ents;      /**< the entries, in the order keys first changed */
    size_t n;          /**< entries used */
    size_t cap;        /**< entries allocated */
    uint32_t *idx;     /**< open addressing: 0 empty, else entry index + 1 */
    size_t mask;       /**< index slots - 1 (a power of two minus one) */
    ks_chunk *arena;   /**< key bytes, newest block first */
} ks_overlay;

/** A keyspace (keyspace.h): the store, the writer's meta and its batch. */
struct keyspace {
    store *s;               /**< every database's keys and the meta record */
    unsigned ndb;           /**< number of databases */
    bool locked;            /**< the variant's sections are not snapshots:
                                 readers and commits take `lock` */
    pthread_rwlock_t lock;  /**< see `locked` */
    /* The writer's view of the meta record, as the batch sees it. */
    uint16_t *map;          /**< logical database -> physical number */
    uint64_t *counts;       /**< keys per physical number */
    uint16_t *saved_map;    /**< map and counts as published, kept once */
    uint64_t *saved_counts; /**<   the batch first changes them */
    bool meta_dirty;        /**< saved_* hold the published copy */
    /* The batch. */
    bool in_batch;          /**< between batch_begin and commit/abort */
    store_reader *wr;       /**< the writer's own reader (in a section
                                 while the batch is open) */
    ks_overlay ov;          /**< the pending changes */
    store_change *changes;  /**< commit's array, kept between batches */
    size_t changes_cap;     /**< its size */
    ks_keybuf kb;           /**< the writer's encoded-key buffer */
    /* The last key the batch resolved (its encoding is still in kb): a
     * command that looks a key up and then changes it hashes it once. */
    bool last_valid;        /**< the fields below describe kb's key */
    size_t last_klen;       /**< its encoded length */
    uint64_t last_hash;     /**< its hash */
    size_t last_ent;        /**< its entry's index, or SIZE_MAX: none */
    const value *last_sv;   /**< the store's value, when it has no entry */
};

/** A reader (keyspace.h): a store reader and this section's meta record. */
struct keyspace_reader {
    keyspace *ks;           /**< the keyspace */
    store_reader *sr;       /**< its reader on the store */
    const value *meta;      /**< the meta record of this section */
    const unsigned char *mb;/**< its bytes when contiguous, else NULL */
    bool in_section;        /**< between read_begin and read_end */
    ks_keybuf kb;           /**< the encoded-key buffer */
};

/**
 * Encode (phys, key) into a key buffer, growing it when needed.
 * \param b    the buffer.
 * \param phys the physical database number.
 * \param key  key bytes.
 * \param klen key length.
 * \return the encoded key (klen + 2 bytes), or NULL with errno ENOMEM.
 */
const unsigned char *ks_encode(ks_keybuf *b, uint16_t phys, const void *key,
                               size_t klen);

/**
 * Free a key buffer's heap block, if any.
 * \param b the buffer.
 */
void ks_keybuf_free(ks_keybuf *b);

/**
 * Make the meta record for a map and counts.
 * \param ndb    number of databases.
 * \param map    logical -> physical.
 * \param counts keys per physical number.
 * \return a string value (one reference), or NULL with errno ENOMEM.
 */
value *ks_meta_make(unsigned ndb, const uint16_t *map, const uint64_t *counts);

/**
 * Find the entry of an encoded key.
 * \param ov   the overlay.
 * \param k    the encoded key.
 * \param klen its length.
 * \param h    hash_bytes() of it.
 * \return the entry, or NULL.
 */
ks_ent *ks_overlay_find(const ks_overlay *ov, const unsigned char *k,
                        size_t klen, uint64_t h);

/**
 * Add an entry for an encoded key that has none; its value is NULL.
 * Entries may move (the array grows): pointers to entries are valid until
 * the next add.
 * \param ov      the overlay.
 * \param k       the encoded key (copied).
 * \param klen    its length.
 * \param h       its hash.
 * \param existed whether the store holds the key.
 * \return the entry, or NULL with errno ENOMEM (nothing added).
 */
ks_ent *ks_overlay_add(ks_overlay *ov, const unsigned char *k, size_t klen,
                       uint64_t h, bool existed);

/**
 * Free every pending entry's value and key, and empty the overlay (its
 * arrays are kept for the next batch).
 * \param ov the overlay.
 */
void ks_overlay_clear(ks_overlay *ov);

/**
 * Free an overlay's memory.
 * \param ov the overlay (cleared first).
 */
void ks_overlay_free(ks_overlay *ov);

/** One key of a database, as ks_sorted_keys() lists them. */
typedef struct ks_key {
    const unsigned char *k; /**< key bytes, no prefix (the store's) */
    size_t klen;            /**< their length */
    const value *v;         /**< its value */
} ks_key;

/**
 * The keys of one database in byte order (shorter first on a tie), for
 * output and comparisons that must not depend on the store's order.
 * \param r   a reader inside a section.
 * \param db  the database.
 * \param out receives a malloc'ed array (free() it; NULL when empty),
 *            valid until the section ends.
 * \param n   receives its length.
 * \return 0, or -1 with errno ENOMEM.
 */
int ks_sorted_keys(keyspace_reader *r, unsigned db, ks_key **out, size_t *n);

/**
 * Enter a section unless the reader is in one already.
 * \param r the reader.
 * \return true when a section was opened (close it with
 *         keyspace_read_end()).
 */
bool ks_section_enter(keyspace_reader *r);

#endif
