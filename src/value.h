/* value.h - what the store keeps under a key: a Redis value and its expiry.
 * Chapter 1; extended in chapters 7, 8, 9.
 *
 * A stored value never changes.  That single rule is what lets the
 * copy-on-write stores of chapters 3 and 5 share one value between many
 * snapshots, and what lets a reader keep using a value pointer for the whole
 * of its read-side critical section while the writer replaces the key.  To
 * change a key the writer makes a new version and stores it; the old one is
 * freed by the store once no reader can hold it.
 *
 * Chapter 1 needed only strings.  Chapter 7 added every other Redis type,
 * because a replica's first act is to load the master's RDB snapshot.
 * Chapter 8 makes every type persistent: an edit returns a new version that
 * shares almost everything with the old one, which stays intact for the
 * readers that hold it.
 *
 * The one value API.  Every caller (RDB loading, rdb-dump's JSON, the
 * stores, the commands of later chapters) goes through this header:
 *
 *  - The header.  A value is a 24-byte header (type, encoding, flags, a
 *    reference count, the expiry) and a payload.  Strings up to
 *    PSTRING_THRESHOLD bytes are inline: the bytes follow the header in one
 *    allocation.  Everything else points at the object of its type module
 *    (u.str a pstring, u.module a module value; the collections below).
 *    The expiry is in the header, outside the payload, so EXPIRE and
 *    PERSIST on a big value copy 24 bytes (value_with_expire()).
 *  - Build.  value_new_string(); value_new_collection() returns a
 *    transient (VALUE_F_TRANSIENT) that value_list_push(), value_set_add(),
 *    value_hash_add() and value_zset_add() fill (a stream's through
 *    value_edit_stream() and pstream's builder), and value_seal() freezes.
 *  - Look up and iterate.  Strings: value_str_len(), value_str_bytes(),
 *    value_str_read().  Collections: value_as_list() and its siblings give
 *    the type module's object, read through that module's own API (one
 *    place that declares each operation, not a copy of it here).
 *  - Edit.  Strings: value_str_append(), value_str_setrange(),
 *    value_str_setbit() return a new version.  Collections: value_edit()
 *    returns a transient sharing the version's payload; the builders and
 *    value_edit_list() and its siblings (the module's object, for the
 *    module's edit functions) change the transient in place; value_seal()
 *    makes it a version.  The version it came from is untouched.
 *  - Share.  value_retain() (COPY: two keys, one value), value_free()
 *    (drop one reference), value_embed() (a copy inside a store entry).
 *
 * Representations.  Chapter 8 moves each collection type to its own
 * persistent module: lists to plist.h, sets to pset.h, hashes (with
 * per-field expiry) to phash.h, sorted sets to pzset.h, streams (entries,
 * consumer groups, pending lists) to pstream.h.  Module values
 * (value_module.h) stay flat, built once and never edited: the replica
 * only keeps them for tools.
 *
 * Threads.  Readers (every const function here and the modules' readers)
 * never touch a reference count and may run on any thread on a published
 * value.  Reference counts (value_retain(), value_free(), value_edit()) are
 * plain integers changed by the writer thread only.  Every store calls
 * value_free() from its write path: store_naive.c and store_rwlock.c in
 * store_set()/store_del() (the latter under its write lock), store_cow.c,
 * store_hamt.c and store_striped.c from the epoch callbacks that their
 * write operations (set, del, apply, and destroy) run through
 * ebr_reclaim(), so after the grace period and still on the writing
 * thread.  (store_cow_synchronize() also runs them; only the writer calls
 * it.)  A store with several writer threads must not share one value
 * between keys (value_retain()) written by different threads.
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

#include "pstring.h"

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

/** value.enc: a string whose bytes follow the header. */
#define VALUE_ENC_INLINE 0
/** value.enc: u points at the type module's object. */
#define VALUE_ENC_PAYLOAD 1

/** value.flags: being built or edited by the writer (not yet stored). */
#define VALUE_F_TRANSIENT 0x01u
/** value.flags: lives inside a store entry (refs 0, never freed alone). */
#define VALUE_F_EMBEDDED 0x02u

/** One byte string owned by a module value (value_module.h). */
typedef struct value_elem {
    size_t len;           /**< length in bytes */
    unsigned char *bytes; /**< the bytes, NUL-terminated for convenience */
} value_elem;

typedef struct plist plist;               /* plist.h */
typedef struct pset pset;                 /* pset.h */
typedef struct phash phash;               /* phash.h */
typedef struct pzset pzset;               /* pzset.h */
typedef struct pstream pstream;           /* pstream.h */
typedef struct value_module value_module; /* value_module.h */

/* [ch01-value] */
/** A stored value: a 24-byte header and its payload.  Never changed once
 *  handed to a store. */
typedef struct value {
    uint8_t type;      /**< value_type */
    uint8_t enc;       /**< VALUE_ENC_INLINE or VALUE_ENC_PAYLOAD */
    uint8_t flags;     /**< VALUE_F_TRANSIENT, VALUE_F_EMBEDDED */
    uint8_t spare;     /**< zero */
    uint32_t refs;     /**< references (stores, keys sharing it after COPY);
                            writer thread only */
    int64_t expire_ms; /**< absolute Unix ms, or VALUE_NO_EXPIRY; outside
                            the payload, so PEXPIREAT/PERSIST copy only
                            this header */
    /** The payload, by type and encoding. */
    union {
        uint32_t len;   /**< inline string: length; the bytes follow the
                             header (value_str_bytes()), then a NUL */
        pstring *str;   /**< a string longer than PSTRING_THRESHOLD */
        /* [ch01-value] */
        /* [ch07-value-union] */
        plist *list;    /**< VALUE_LIST (plist.h) */
        pset *set;      /**< VALUE_SET (pset.h) */
        phash *hash;    /**< VALUE_HASH (phash.h) */
        pzset *zset;    /**< VALUE_ZSET (pzset.h) */
        pstream *stream;/**< VALUE_STREAM (pstream.h) */
        value_module *module; /**< VALUE_MODULE (value_module.h) */
        /* [ch07-value-union] */
    } u;
} value;

_Static_assert(sizeof(value) == 24, "the value header is 24 bytes");

/* ---- strings ------------------------------------------------------------- */

/**
 * Make a string value: inline up to PSTRING_THRESHOLD bytes (the bytes
 * follow the header, then a NUL not counted in the length), a pstring
 * above.
 *
 * \param bytes     the string; may be NULL when len is 0.
 * \param len       its length; any bytes allowed, NUL and 0xFF included.
 * \param expire_ms absolute Unix time in ms, or VALUE_NO_EXPIRY.
 * \return a new value with one reference, the caller's (free with
 *         value_free() or hand it to a store), or NULL with errno ENOMEM.
 *
 * Thread-safety: safe from any thread.
 */
value *value_new_string(const void *bytes, size_t len, int64_t expire_ms);

/**
 * Length of a string value.
 * \param v a VALUE_STRING.
 * \return its length in bytes.  Thread-safety: any reader.
 */
size_t value_str_len(const value *v);

/**
 * The bytes of a string value, when they are contiguous.
 * \param v a VALUE_STRING.
 * \return the bytes (read only, valid as long as v): NUL-terminated for
 *         an inline string; NULL for a chunked pstring (use
 *         value_str_read() or pstring_iter_next()).  Thread-safety: any
 *         reader.
 */
const unsigned char *value_str_bytes(const value *v);

/**
 * Copy bytes [off, off + n) of a string value, any encoding.
 * \param v   a VALUE_STRING.
 * \param off first byte.
 * \param buf receives them (room for n bytes).
 * \param n   how many wanted.
 * \return the number copied: min(n, length - off), 0 past the end.
 *         Thread-safety: any reader.
 */
size_t value_str_read(const value *v, size_t off, void *buf, size_t n);

/**
 * APPEND: a new version with bytes added at the end.  An inline string
 * that outgrows PSTRING_THRESHOLD becomes a pstring.
 * \param v   a VALUE_STRING version (untouched).
 * \param p   the bytes (NULL only when n is 0).
 * \param n   how many.
 * \param out receives the new version (one reference, same expiry).
 * \return 0, or -1 with errno ENOMEM or EINVAL (*out not written).
 * Thread-safety: the writer thread.
 */
int value_str_append(const value *v, const void *p, size_t n, value **out);

/**
 * SETRANGE: a new version with bytes overwritten from off, zero-padded
 * first when off is past the end (n 0 changes nothing, as in Redis).
 * \param v   a VALUE_STRING version (untouched).
 * \param off where to write.
 * \param p   the bytes.
 * \param n   how many.
 * \param out receives the new version (one reference, same expiry).
 * \return 0, or -1 with errno ENOMEM or EINVAL (*out not written).
 * Thread-safety: the writer thread.
 */
int value_str_setrange(const value *v, size_t off, const void *p, size_t n,
                       value **out);

/**
 * SETBIT: a new version with one bit set or cleared (bit 0 is the most
 * significant bit of byte 0), grown with zero bytes when needed.
 * \param v      a VALUE_STRING version (untouched).
 * \param bitoff the bit.
 * \param bit    0 or 1 (any non-zero is 1).
 * \param out    receives the new version (one reference, same expiry).
 * \param oldbit receives the bit's previous value (may be NULL).
 * \return 0, or -1 with errno ENOMEM or EINVAL (*out not written).
 * Thread-safety: the writer thread.
 */
int value_str_setbit(const value *v, uint64_t bitoff, int bit, value **out,
                     int *oldbit);

/* ---- building and editing collections ------------------------------------ */

/**
 * Make an empty collection as a transient, to be filled by the builder
 * functions (or the module's edits, through value_edit_list() and its
 * siblings) and frozen by value_seal().
 *
 * \param type      VALUE_LIST, VALUE_SET, VALUE_ZSET, VALUE_HASH,
 *                  VALUE_STREAM or VALUE_MODULE.
 * \param expire_ms absolute Unix time in ms, or VALUE_NO_EXPIRY.
 * \return a new transient with one reference, the caller's, or NULL
 *         (errno ENOMEM, or EINVAL for VALUE_STRING or no such type).
 *
 * Thread-safety: safe from any thread (the transient is the caller's).
 */
value *value_new_collection(value_type type, int64_t expire_ms);

/**
 * Start editing a version: a transient with the same type, expiry and
 * contents, sharing v's payload through the module's own transient
 * (X_edit_begin()).  Edits of the transient never change v.
 * \param v a list, set, hash, sorted-set or stream version (not a
 *          transient; not a string: strings are edited by
 *          value_str_append() and its siblings; not a module value: built
 *          once).
 * \return the transient (one reference, the caller's), or NULL with errno
 *         ENOMEM or EINVAL.
 * Thread-safety: the writer thread.
 */
value *value_edit(const value *v);

/**
 * Freeze a transient into a version (X_edit_end()).  Call once, before
 * handing the value to a store.
 * \param v the transient; it becomes the version.
 * \return 0, or -1 with errno EINVAL when v is not a transient.
 */
int value_seal(value *v);

/**
 * Fork a transient: freeze what it holds now into a new version, and let
 * the transient go on from that version (COPY, RENAME or MOVE of a key the
 * batch is editing: two keys never share one transient, and the copy
 * still shares every node).  Costs X_edit_end() and X_edit_begin().
 * \param t   a list, set, hash, sorted-set or stream transient; it stays a
 *            transient with the same contents and expiry.
 * \param out receives the version (one reference, t's expiry).
 * \return 0, or -1 with errno EINVAL (t not such a transient) or ENOMEM
 *         (then t has become a version holding the same contents: the
 *         caller aborts its batch, which frees it).
 * Thread-safety: the writer thread.
 */
int value_fork(value *t, value **out);

/**
 * Whether v is a transient (between value_new_collection()/value_edit()
 * and value_seal()).
 * \param v the value.
 * \return true for a transient.
 */
bool value_is_transient(const value *v);

/**
 * Append an item at the tail of a list transient (RPUSH, RDB loading).
 *
 * \param v   a VALUE_LIST transient.
 * \param p   item bytes.
 * \param len item length.
 * \return 0, or -1 (errno ENOMEM; EINVAL when v is not a list transient).
 */
int value_list_push(value *v, const void *p, size_t len);

/**
 * Add a member to a set transient.
 *
 * \param v   a VALUE_SET transient.
 * \param p   member bytes.
 * \param len member length.
 * \return 1 if added, 0 if it was already there, -1 (errno ENOMEM; EINVAL
 *         when v is not a set transient).
 */
int value_set_add(value *v, const void *p, size_t len);

/**
 * Add a field to a hash transient.
 *
 * \param v         a VALUE_HASH transient.
 * \param f         field bytes.
 * \param flen      field length.
 * \param val       value bytes.
 * \param vlen      value length.
 * \param expire_ms the field's absolute expiry (Unix ms), or
 *                  VALUE_NO_EXPIRY.
 * \return 1 if added, 0 if the field was already there (nothing changed),
 *         -1 (errno ENOMEM; EINVAL when v is not a hash transient).
 */
int value_hash_add(value *v, const void *f, size_t flen, const void *val,
                   size_t vlen, int64_t expire_ms);

/**
 * Add a member to a sorted-set transient.
 *
 * \param v     a VALUE_ZSET transient.
 * \param m     member bytes.
 * \param mlen  member length.
 * \param score the score.
 * \return 1 if added, 0 if the member was already there, -1 (errno
 *         ENOMEM; EINVAL when v is not a sorted-set transient).
 */
int value_zset_add(value *v, const void *m, size_t mlen, double score);

/* ---- sharing, expiry, accounting ----------------------------------------- */

/**
 * Share a value (COPY, or a second key holding the same value).
 * \param v a version (not a transient).
 * \return v with one more reference; for an embedded value (or one whose
 *         count is full) a fresh standalone copy with one reference, or
 *         NULL with errno ENOMEM.
 * Thread-safety: the writer thread.
 */
value *value_retain(value *v);

/**
 * Drop one reference; the last frees the header and releases the payload
 * (freed when no other version shares it).
 *
 * \param v the value; NULL, and an embedded value, do nothing.
 *
 * Thread-safety: the writer thread, once no reader can reach v (the
 * stores call it after the epoch grace period; see the file comment).
 */
void value_free(value *v);

/**
 * The same value with another expiry (PEXPIREAT, PERSIST): a new header
 * sharing v's payload (an inline string's bytes are copied: at most
 * PSTRING_THRESHOLD).
 * \param v         a version (untouched).
 * \param expire_ms the new expiry, or VALUE_NO_EXPIRY.
 * \param out       receives the new version (one reference).
 * \return 0, or -1 with errno ENOMEM or EINVAL (v a transient).
 * Thread-safety: the writer thread.
 */
int value_with_expire(const value *v, int64_t expire_ms, value **out);

/**
 * Bytes needed to embed v in a store entry (value_embed()).
 * \param v the value.
 * \return the size (header, inline bytes and their NUL), or 0 when v
 *         cannot be embedded: only inline string versions can.
 */
size_t value_embed_size(const value *v);

/**
 * Copy v into a store entry: header and inline bytes; the copy has
 * VALUE_F_EMBEDDED set and refs 0, and value_free() ignores it.
 * \param v   a value with value_embed_size(v) > 0 (still the caller's).
 * \param dst value_embed_size(v) bytes aligned for value.
 * \return dst, as a value.
 */
value *value_embed(const value *v, void *dst);

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
 * Heap bytes of a value, for benchmarks and tools: its header (with the
 * inline bytes) and its whole payload, counted fully even when shared.
 * O(n) for a collection (it visits every node and element); the stores
 * count value_charge() instead.
 *
 * \param v the value.
 * \return the bytes; an embedded value's header counts 0 (it is part of
 *         its store entry), its payload is counted.
 */
size_t value_bytes(const value *v);

/**
 * What a store charges for holding a value, in O(1): the figure every
 * store adds to store_stats.bytes when it stores v and subtracts when it
 * lets v go.
 *
 * Why not value_bytes().  A new version of a collection shares all but
 * O(log n) of its nodes and elements with the version it replaces, so
 * "the bytes of one version" is not what a store holds anyway, and
 * counting them walks the whole collection: O(n) for every write to a
 * big list, set, hash, sorted set or stream.  So a collection or module
 * value is charged its 24-byte header and its root object's own struct
 * (plist_root_bytes() and its siblings), never its nodes and elements
 * (value_bytes() counts those, on demand).  A string is charged what
 * value_bytes() gives when that is O(1): the header with its inline bytes
 * or the pstring's flat buffer; a chunked pstring is charged its length
 * rounded up to whole chunks (pstring_charge()).  As in value_bytes(), an
 * embedded value's header counts 0 (it is part of its store entry).
 *
 * Deterministic: a sealed value always gives the same charge, which the
 * stores' add-on-store, subtract-on-release accounting relies on.
 *
 * \param v the value (sealed, as stores hold them).
 * \return the bytes.  Thread-safety: any reader.
 */
size_t value_charge(const value *v);

/**
 * Number of elements of a collection (items, members, fields, entries).
 *
 * \param v the value.
 * \return the count; 1 for a string; the number of steps of a module value.
 */
size_t value_count(const value *v);

/**
 * Name of a type as Redis's TYPE command says it.
 *
 * \param t the type.
 * \return "string", "list", "set", "zset", "hash", "stream" or "module".
 */
const char *value_type_name(value_type t);

/**
 * Current Unix time in milliseconds (CLOCK_REALTIME), the clock Redis
 * expiries are measured against.
 *
 * \return milliseconds since 1970-01-01 UTC.
 */
int64_t value_now_ms(void);

/* ---- the payloads: each type's module object ----------------------------- */

/* Readers take the version's object and use the module's own readers
 * (plist_get(), pset_has(), phash_get(), pzset_score(), their iterators);
 * a transient's object takes the module's edits with out == the object
 * itself (a transient is changed in place), so a batch of k edits costs
 * O(k log n) and value_seal() ends it. */
#include "phash.h"
#include "plist.h"
#include "pset.h"
#include "pstream.h"
#include "pzset.h"

/**
 * A list's object, for readers.
 * \param v a VALUE_LIST.
 * \return its plist (valid as long as v).  Thread-safety: any reader.
 */
const plist *value_as_list(const value *v);

/**
 * A set's object, for readers.
 * \param v a VALUE_SET.
 * \return its pset (valid as long as v).  Thread-safety: any reader.
 */
const pset *value_as_set(const value *v);

/**
 * A hash's object, for readers.
 * \param v a VALUE_HASH.
 * \return its phash (valid as long as v).  Thread-safety: any reader.
 */
const phash *value_as_hash(const value *v);

/**
 * A sorted set's object, for readers.
 * \param v a VALUE_ZSET.
 * \return its pzset (valid as long as v).  Thread-safety: any reader.
 */
const pzset *value_as_zset(const value *v);

/**
 * A stream's object, for readers.
 * \param v a VALUE_STREAM.
 * \return its pstream (valid as long as v).  Thread-safety: any reader.
 */
const pstream *value_as_stream(const value *v);

/**
 * A list transient's object, for plist's edits (out == the object).
 * \param v a VALUE_LIST transient.
 * \return the plist transient, or NULL with errno EINVAL.
 * Thread-safety: the writer thread.
 */
plist *value_edit_list(value *v);

/**
 * A set transient's object, for pset's edits (out == the object).
 * \param v a VALUE_SET transient.
 * \return the pset transient, or NULL with errno EINVAL.
 */
pset *value_edit_set(value *v);

/**
 * A hash transient's object, for phash's edits (out == the object).
 * \param v a VALUE_HASH transient.
 * \return the phash transient, or NULL with errno EINVAL.
 */
phash *value_edit_hash(value *v);

/**
 * A sorted-set transient's object, for pzset's edits (out == the object).
 * \param v a VALUE_ZSET transient.
 * \return the pzset transient, or NULL with errno EINVAL.
 */
pzset *value_edit_zset(value *v);

/**
 * A stream transient's object, for pstream's edits and builder (out ==
 * the object).
 * \param v a VALUE_STREAM transient.
 * \return the pstream transient, or NULL with errno EINVAL.
 */
pstream *value_edit_stream(value *v);

/* Module values: value_as_module(), value_edit_module(), value_intern(). */
#include "value_module.h"

#endif
