/* phash.h - a persistent Redis hash with per-field expiry.
 * Chapter 8.
 *
 * A Redis hash maps field names to values, and since Redis 7.4 each field
 * may carry its own expiry (HPEXPIREAT, HPERSIST; stored in an RDB file as
 * absolute Unix milliseconds).  A phash is the chapter 8 form of it: an
 * edit returns a new version, the old one stays intact for the readers
 * that hold it, and one field's edit costs O(log n), never a copy of the
 * hash.
 *
 * Elements.  One field is one allocation, a phash_field: a reference
 * count, the two lengths, the expiry when there is one, the field bytes
 * and a NUL, the value bytes and a NUL.  Versions share fields: a new
 * version holds the same field objects as the one it was made from,
 * except the one the edit replaced.  The expiry is stored only when the
 * field has one (8 bytes more), so a plain "field:123456" / "value:123456"
 * pair is 12 + 13 + 13 = 38 bytes, one 48-byte malloc chunk.  HPEXPIREAT
 * copies that one field's allocation and the path to it; every other
 * field stays shared.
 *
 * Two forms, as in Redis.  A small hash is FLAT: an immutable array of
 * field pointers in insertion order (the order a listpack keeps, and so
 * HGETALL's order in Redis), searched linearly; an edit copies the whole
 * array, at most max_entries pointers, which is less than a tree path
 * costs at that size.  A hash with more than max_entries fields, or with
 * a field name or value longer than max_bytes, becomes a TREE: a CHAMP
 * trie keyed by field name (src/ptrie.h).  It becomes flat again only
 * when its count falls to max_entries / 2 with every field within
 * max_bytes, so a hash whose size moves around the limit is not rebuilt
 * on every edit.  The defaults are Redis's hash-max-listpack-entries 128
 * and hash-max-listpack-value 64 (redis/redis redis.conf);
 * phash_set_limits() changes them.  phash_encoding() names what OBJECT
 * ENCODING would say: "listpack", "listpackex" (flat with some field
 * expiring: Redis 7.4's listpack with TTLs) or "hashtable".
 *
 * Expiry index.  phash_min_expire() is O(1): the header keeps the number
 * of fields that have an expiry and the smallest expiry.  A dump needs
 * both before it writes the first field (Redis 7.4 writes a hash with
 * expiring fields under another RDB type, and its header holds the
 * minimum), and the active expiry cycle needs the minimum of every hash
 * it looks at; neither should walk a million fields to learn it.  Keeping
 * the minimum right when the field holding it is deleted needs the next
 * one, so the tree form also keeps an expiry index: a pbtree (src/pbtree.h)
 * of exactly the fields that expire, ordered by (expiry, name).  Its
 * first element is the minimum (O(log n) to find after an edit), so an
 * active expiry cycle finds each field that is due in O(log n) with
 * phash_next_expiring() and stops at the first that is not.  A hash with
 * no expiring field has no index and pays nothing.  In
 * the flat form the minimum is recomputed by each edit's copy of the
 * array, which reads every field anyway.
 *
 * The index is always a version, never a transient, even inside a phash
 * transient: an edit updates the index first (new index versions, the
 * old one untouched) and the trie second, so when the trie edit fails the
 * new index is simply dropped and nothing has changed.  (Undoing a trie
 * edit already made in place could itself need memory.)  The price is
 * that a batch copies an index path for each expiring field it changes,
 * O(log n) each, instead of once per node.
 *
 * Time.  The module does not read the clock: a field whose expiry has
 * passed is still a field until the caller deletes it (lazily on access,
 * or actively through phash_next_expiring()), as Redis does with its own
 * clock and rules.
 *
 * Versions, transients, failure, threads: the chapter 8 conventions of
 * src/pbtree.h.  Edits and retain/release are the writer thread's; readers
 * (phash_len(), phash_get(), phash_nth(), the iterator, phash_min_expire())
 * touch no reference count and may read a published version from any
 * thread under an epoch (chapter 3).
 */
#ifndef PHASH_H
#define PHASH_H

#include "ptrie.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Default most fields of a flat hash (hash-max-listpack-entries). */
#define PHASH_MAX_ENTRIES 128
/** Default longest field name or value of a flat hash
 *  (hash-max-listpack-value). */
#define PHASH_MAX_BYTES 64
/** The expiry of a field that does not expire. */
#define PHASH_NO_EXPIRE ((int64_t)-1)
/** The longest field name or value: 2^31 - 1 bytes (Redis caps a string
 *  at 512 MB, proto-max-bulk-len). */
#define PHASH_MAX_LEN ((size_t)INT32_MAX)

/** One field and its value: immutable, shared by the versions that hold
 *  it.  Read it through the accessors below. */
typedef struct phash_field {
    uint32_t refs;           /**< references held (writer thread only) */
    uint32_t flen;           /**< field name length, NUL excluded */
    unsigned vlen : 31;      /**< value length, NUL excluded */
    unsigned has_expire : 1; /**< whether data starts with an expiry */
    /** [int64 expiry, unaligned, when has_expire] name NUL value NUL */
    unsigned char data[];
} phash_field;

/** A version or a transient; opaque. */
typedef struct phash phash;

/* ---- fields ------------------------------------------------------------- */

/**
 * Make a field holding copies of a name and a value.
 * \param f the name (may be NULL when flen is 0). \param flen its length.
 * \param v the value (may be NULL when vlen is 0). \param vlen its length.
 * \param expire_ms absolute Unix ms (>= 0), or PHASH_NO_EXPIRE.
 * \return the field with one reference (the caller's), or NULL with errno
 *         ENOMEM, or EINVAL (a length over PHASH_MAX_LEN, an expiry below
 *         -1).  Thread-safety: any thread.
 */
phash_field *phash_field_new(const void *f, size_t flen, const void *v,
                             size_t vlen, int64_t expire_ms);

/**
 * Take one more reference to a field (writer thread only).
 * \param f the field (NULL is returned as is). \return f.
 */
phash_field *phash_field_retain(phash_field *f);

/**
 * Drop one reference; the last frees the field (writer thread only).
 * \param f the field (NULL does nothing).
 */
void phash_field_release(phash_field *f);

/**
 * The field's name.
 * \param f the field. \param len receives the length (may be NULL).
 * \return the bytes, followed by a NUL; valid as long as f is.
 */
const unsigned char *phash_field_name(const phash_field *f, size_t *len);

/**
 * The field's value.
 * \param f the field. \param len receives the length (may be NULL).
 * \return the bytes, followed by a NUL; valid as long as f is.
 */
const unsigned char *phash_field_value(const phash_field *f, size_t *len);

/**
 * The field's expiry.
 * \param f the field.
 * \return absolute Unix ms, or PHASH_NO_EXPIRE.
 */
int64_t phash_field_expire(const phash_field *f);

/**
 * Heap bytes of a field as allocated (header, expiry, both strings and
 * NULs).
 * \param f the field. \return the byte count.
 */
size_t phash_field_bytes(const phash_field *f);

/**
 * Fields alive in the whole program (made and not yet freed).  For tests:
 * when every version is released it is back where it started.
 * \return the count.  Thread-safety: any thread (relaxed atomic).
 */
size_t phash_fields_live(void);

/* ---- hashes --------------------------------------------------------------- */

/**
 * Set the limits of the flat form (process-wide).
 * \param max_entries most fields of a flat hash (0: always a tree).
 * \param max_bytes   longest name or value of a flat hash.
 * \return 0, or -1 with errno EINVAL when max_entries exceeds 2^24 or
 *         max_bytes PHASH_MAX_LEN.
 * Thread-safety: not thread-safe; the writer thread, while no hash exists
 * (a hash's form is checked against the limits of the moment).
 */
int phash_set_limits(size_t max_entries, size_t max_bytes);

/**
 * Make an empty version.
 * \return the version (reference count 1), or NULL with errno ENOMEM.
 */
phash *phash_new(void);

/**
 * Take one more reference to a version (writer thread only).
 * \param h a version (not a transient). \return h.
 */
phash *phash_retain(phash *h);

/**
 * Drop one reference to a version, or free a transient.  Fields no other
 * version holds are freed.  Writer thread only; for a published version
 * only after an epoch grace period.
 * \param h the hash (NULL does nothing).
 */
void phash_release(phash *h);

/**
 * Number of fields, O(1).
 * \param h the hash. \return the count.
 */
size_t phash_len(const phash *h);

/**
 * Find a field by name: O(n) in the flat form (n <= max_entries), O(log n)
 * in the tree.
 * \param h the hash.
 * \param f the name (may be NULL when flen is 0). \param flen its length.
 * \return the field (the hash's: valid while h is), or NULL.
 */
const phash_field *phash_get(const phash *h, const void *f, size_t flen);

/**
 * The i-th field in iteration order (HRANDFIELD), O(1) flat, O(log n) tree.
 * \param h the hash. \param i the position.
 * \return the field, or NULL when i >= phash_len(h).
 */
const phash_field *phash_nth(const phash *h, size_t i);

/**
 * The smallest expiry of any field, O(1).
 * \param h the hash.
 * \return absolute Unix ms, or PHASH_NO_EXPIRE when no field expires.
 */
int64_t phash_min_expire(const phash *h);

/**
 * Number of fields that have an expiry, O(1).
 * \param h the hash. \return the count.
 */
size_t phash_expiring_len(const phash *h);

/**
 * The field that expires first (smallest expiry, then smallest name), for
 * an active expiry cycle: delete it while its expiry has passed.
 * O(max_entries) flat, O(log n) tree.
 * \param h the hash.
 * \return the field, or NULL when no field expires.
 */
const phash_field *phash_next_expiring(const phash *h);

/**
 * OBJECT ENCODING's name for the hash.
 * \param h the hash.
 * \return "listpack" (flat, no field expires), "listpackex" (flat, some
 *         field expires) or "hashtable" (tree); a static string.
 */
const char *phash_encoding(const phash *h);

/**
 * Heap bytes this version occupies if it shared nothing: header, flat
 * array or trie and expiry index, and every field.  O(n).
 * \param h the hash. \return the byte count.
 */
size_t phash_bytes(const phash *h);

/**
 * Bytes of this version's own header struct: not its array, trie, expiry index and fields, which
 * versions share by structural sharing.  O(1), and the same for every
 * version; value_charge() counts it for a stored value.
 * \param h the hash. \return sizeof the header struct.  Thread-safety:
 *         any reader.
 */
size_t phash_root_bytes(const phash *h);

/**
 * Check every invariant: counts (fields, expiring fields, long fields)
 * against the contents, the minimum expiry, the form against the limits
 * (flat: at most max_entries fields, none longer than max_bytes; tree:
 * more than max_entries / 2 fields or a long one), no field name twice,
 * the trie's and the index's own invariants, and that the index holds
 * exactly the expiring fields.  O(n log n).
 * \param h the hash. \param err receives the first violation.
 * \param errlen size of err.
 * \return 0 if valid, -1 otherwise.
 */
int phash_check(const phash *h, char *err, size_t errlen);

/* ---- edits ----------------------------------------------------------------
 *
 * The chapter 8 conventions (src/pbtree.h): h a version -> *out is a new
 * version (reference count 1) and h is untouched; nothing changed -> *out
 * is h with one more reference; h a transient -> changed in place, *out is
 * h.  On failure -1 with errno (ENOMEM, EINVAL), *out is not written and
 * h holds what it held, nothing leaked.  Names and values are copied.
 * Writer thread only.
 */

/**
 * HSET (with PHASH_NO_EXPIRE: HSET clears a field's expiry) or a set with
 * an expiry: the field gets this value and this expiry.
 * \param h the hash.
 * \param f the name. \param flen its length.
 * \param v the value. \param vlen its length.
 * \param expire_ms absolute Unix ms (>= 0), or PHASH_NO_EXPIRE.
 * \param out receives the result.
 * \return 1 if the field is new, 0 if it was there (updated), -1 with
 *         errno ENOMEM or EINVAL (a length over PHASH_MAX_LEN, an expiry
 *         below -1).
 */
int phash_set(phash *h, const void *f, size_t flen, const void *v,
              size_t vlen, int64_t expire_ms, phash **out);

/**
 * HPEXPIREAT (expire_ms >= 0) or HPERSIST (PHASH_NO_EXPIRE) of one field:
 * only that field's allocation is copied, with the value shared bytes for
 * bytes.  Setting the expiry it already has changes nothing.
 * \param h the hash. \param f the name. \param flen its length.
 * \param expire_ms absolute Unix ms, or PHASH_NO_EXPIRE.
 * \param out receives the result.
 * \return 1 if the field exists (its expiry is now expire_ms), 0 if there
 *         is no such field, -1 with errno ENOMEM or EINVAL.
 */
int phash_set_expire(phash *h, const void *f, size_t flen,
                     int64_t expire_ms, phash **out);

/**
 * HDEL of one field.
 * \param h the hash. \param f the name. \param flen its length.
 * \param out receives the result.
 * \return 1 if deleted, 0 if absent, -1 with errno ENOMEM.
 */
int phash_del(phash *h, const void *f, size_t flen, phash **out);

/* ---- transients ------------------------------------------------------------ */

/**
 * Start a batch of edits (HSET with many fields, loading from RDB).
 * \param h the version (not modified; still the caller's; it may be
 *          released while the transient lives).
 * \return the transient, or NULL with errno ENOMEM, or EINVAL when h is a
 *         transient.
 */
phash *phash_edit_begin(phash *h);

/**
 * Freeze a transient into a version.
 * \param h the transient. \return h, now a version with reference count 1.
 */
phash *phash_edit_end(phash *h);

/**
 * Whether h is a transient.
 * \param h the hash. \return true between phash_edit_begin() and
 *         phash_edit_end().
 */
bool phash_is_transient(const phash *h);

/* ---- iteration --------------------------------------------------------------- */

/** A walk over a version's fields (insertion order flat, hash order
 *  tree); readers may use it freely, it holds no references. */
typedef struct phash_iter {
    const phash *h; /**< the hash */
    size_t i;       /**< next position in the flat form */
    ptrie_iter it;  /**< position in the tree form */
} phash_iter;

/**
 * Place an iterator before the first field.
 * \param it the iterator.
 * \param h  the hash; must not change or be freed while it is used.
 */
void phash_iter_init(phash_iter *it, const phash *h);

/**
 * The next field.
 * \param it the iterator.
 * \return the field (the hash's), or NULL at the end.
 */
const phash_field *phash_iter_next(phash_iter *it);

#endif
