/* pstream.h - a persistent Redis stream: entries, consumer groups, pending lists.
 * Chapter 8.
 *
 * A Redis stream is an append-mostly log of entries (an ID and field/value
 * pairs) plus a little metadata and a few consumer groups, each with a
 * pending entries list (PEL) and consumers that own parts of it.  Chapter
 * 7 holds one as flat arrays, so XADD on a million-entry stream would copy
 * a million pointers.  A pstream is a version like the others of chapter
 * 8: an edit returns a new version in O(log n), the old one stays intact
 * for the readers that hold it.
 *
 * Shape.  The entries are a pbtree (pbtree.h) ordered by ID; each entry is
 * one immutable, reference-counted allocation holding its ID, its field
 * count, the offsets of its strings and the bytes (pstream_entry).  The
 * small pstream object holds the metadata Redis keeps beside the entries
 * (last ID, first ID, largest deleted ID, entries ever added; see redis/redis
 * src/stream.h, struct stream) and two tree pointers; an edit copies it
 * (88 bytes).  Consumer groups are a second pbtree ordered by name (few per
 * stream, so usually one leaf).  A group holds its PEL, a pbtree of
 * immutable nack records ordered by ID (delivery time, delivery count and
 * the owning consumer's name), and its consumers, a pbtree ordered by name;
 * each consumer's own PEL is a pbtree of the very same nack records, so an
 * ID pending for a consumer costs one 56-byte record and two tree slots,
 * as in Redis, where the group and consumer radix trees point at one
 * streamNACK.  Consumers are kept in name order rather than in a hash trie
 * because that is Redis's own order (a radix tree of names), which XINFO
 * CONSUMERS prints, and because one more ordered tree of the same kind
 * keeps the module small.  XADD, XDEL, XACK, XCLAIM and consumer edits on
 * a million entries are all O(log n); trimming k entries is
 * O(k + log^2 n) (pbtree_delete_range()); deleting a consumer with k
 * pending entries is O(k log n), like Redis's O(k).
 *
 * No flat form.  Redis always encodes a stream as a radix tree of
 * listpacks (OBJECT ENCODING says "stream" at every size), and a pbtree of
 * up to 32 entries is a single leaf: an immutable array of entry pointers
 * that an edit copies whole, which is exactly what a flat form would be.
 * A second encoding would add conversions and their hysteresis and save
 * nothing, so a pstream has one form and pstream_encoding() is always
 * "stream".
 *
 * Versions and transients follow pbtree's edit conventions (the "edits"
 * comment block in pbtree.h): an edit of a version returns a new version
 * and leaves the old one untouched (an edit that changes nothing returns
 * the version with one more reference); an edit of a transient
 * (pstream_edit_begin()) changes it in place, its trees and the group and
 * consumer records it made being its own; pstream_edit_end() freezes it.
 * Every edit allocates what it needs before it changes anything visible;
 * an edit touching several trees works on private copies of them and
 * swaps them in at the end, so on failure (-1, errno ENOMEM or EINVAL, or
 * ENOENT/EEXIST where documented) the stream holds what it held and
 * nothing leaks.  Building a stream from an RDB file is a transient on
 * pstream_new() fed by pstream_add(), pstream_build_meta(),
 * pstream_group_create(), pstream_build_nack() and pstream_build_consumer()
 * in file order (see "building" below).
 *
 * Thread-safety.  One writer thread makes every edit and every
 * retain/release; readers (lengths, lookups, accessors, iterators) never
 * touch a reference count and may read a published version from any
 * thread, protected by epochs (chapter 3).  A transient is the writer's
 * alone until pstream_edit_end().
 */
#ifndef PSTREAM_H
#define PSTREAM_H

#include "pbtree.h"
#include "velem.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** A stream entry ID, ordered by ms then seq (Redis's streamID). */
typedef struct pstream_id {
    uint64_t ms;  /**< milliseconds part */
    uint64_t seq; /**< sequence part */
} pstream_id;

/** A byte string given to an edit (copied by it). */
typedef struct pstream_str {
    const void *p; /**< the bytes (may be NULL when len is 0) */
    size_t len;    /**< how many */
} pstream_str;

/** A version or a transient; opaque. */
typedef struct pstream pstream;

/** One entry: immutable, shared by versions; read it with the accessors. */
typedef struct pstream_entry pstream_entry;

/** One pending entry of a group: read-only outside pstream*.c. */
typedef struct pstream_nack {
    uint32_t refs;            /**< references (writer thread only) */
    uint32_t spare;           /**< unused */
    uint64_t edit;            /**< transient that made it (builder use) */
    pstream_id id;            /**< the pending entry's ID */
    int64_t delivery_time_ms; /**< last delivery, Unix ms */
    uint64_t delivery_count;  /**< times delivered */
    velem *owner;             /**< the owning consumer's name (NULL only
                                   while a transient is being built) */
} pstream_nack;

/** A consumer of a group: read-only outside pstream*.c. */
typedef struct pstream_consumer {
    const unsigned char *name; /**< its name's bytes (name_el's) */
    uint32_t name_len;         /**< their length */
    uint32_t refs;             /**< references (writer thread only) */
    uint64_t edit;             /**< transient that may change it in place */
    velem *name_el;            /**< the name, shared with its nacks */
    int64_t seen_time_ms;      /**< last interaction, Unix ms */
    int64_t active_time_ms;    /**< last successful read, Unix ms (-1:
                                    unknown) */
    pbtree *pel;               /**< its pending nacks by ID (a version) */
} pstream_consumer;

/** A consumer group: read-only outside pstream*.c. */
typedef struct pstream_group {
    const unsigned char *name; /**< its name's bytes (name_el's) */
    uint32_t name_len;         /**< their length */
    uint32_t refs;             /**< references (writer thread only) */
    uint64_t edit;             /**< transient that may change it in place */
    velem *name_el;            /**< the name */
    pstream_id last_id;        /**< last delivered ID */
    uint64_t entries_read;     /**< entries read, UINT64_MAX: unknown */
    pbtree *pel;               /**< pending nacks by ID */
    pbtree *consumers;         /**< consumers by name */
} pstream_group;

/** "Unknown" for pstream_group.entries_read (Redis's SCG_INVALID_ENTRIES_READ). */
#define PSTREAM_ENTRIES_READ_UNKNOWN UINT64_MAX

/**
 * Compare two IDs.
 * \param a first. \param b second.
 * \return <0, 0 or >0.
 */
int pstream_id_cmp(pstream_id a, pstream_id b);

/* ---- versions ------------------------------------------------------------ */

/**
 * Make an empty stream (XGROUP CREATE ... MKSTREAM makes one).
 * \return the version (reference count 1), or NULL with errno ENOMEM.
 */
pstream *pstream_new(void);

/**
 * Take one more reference to a version (writer thread only).
 * \param s a version. \return s.
 */
pstream *pstream_retain(pstream *s);

/**
 * Drop one reference to a version, or free a transient; what no other
 * version shares is freed.  Writer thread only; for a published version,
 * after an epoch grace period.
 * \param s the stream (NULL does nothing).
 */
void pstream_release(pstream *s);

/**
 * The name OBJECT ENCODING gives a stream.
 * \param s the stream. \return "stream", always (see the header comment).
 */
const char *pstream_encoding(const pstream *s);

/**
 * Number of entries (XLEN), O(1).
 * \param s the stream. \return the count.
 */
size_t pstream_len(const pstream *s);

/** \param s the stream. \return the last ID ever added or set (XSETID). */
pstream_id pstream_last_id(const pstream *s);
/** \param s the stream. \return the first entry's ID, 0-0 when empty. */
pstream_id pstream_first_id(const pstream *s);
/** \param s the stream. \return the largest ID deleted by XDEL (or set). */
pstream_id pstream_max_deleted_id(const pstream *s);
/** \param s the stream. \return entries ever added (or set by XSETID). */
uint64_t pstream_entries_added(const pstream *s);

/**
 * Heap bytes this version occupies if it shared nothing: header, trees,
 * entries, groups, consumers and nacks.  O(n).
 * \param s the stream. \return the byte count.
 */
size_t pstream_bytes(const pstream *s);

/**
 * Bytes of this version's own header struct: not its trees, entries, groups and pending lists, which
 * versions share by structural sharing.  O(1), and the same for every
 * version; value_charge() counts it for a stored value.
 * \param s the stream. \return sizeof the header struct.  Thread-safety:
 *         any reader.
 */
size_t pstream_root_bytes(const pstream *s);

/**
 * Records (entries, nacks, consumers, groups) of every stream that are
 * allocated and not yet freed, in the whole program: for tests (back to
 * the start once every version is released) and reports.
 * \return the count.  Thread-safety: any thread (relaxed atomic).
 */
size_t pstream_records_live(void);

/* ---- transients ---------------------------------------------------------- */

/**
 * Start a batch of edits on a version.
 * \param s the version (not modified; still the caller's).
 * \return the transient, or NULL with errno ENOMEM (EINVAL when s is a
 *         transient).
 */
pstream *pstream_edit_begin(pstream *s);

/**
 * Freeze a transient into a version, O(groups).
 * \param s the transient. \return s, now a version (reference count 1).
 */
pstream *pstream_edit_end(pstream *s);

/** \param s the stream. \return whether s is a transient. */
bool pstream_is_transient(const pstream *s);

/* ---- entries ------------------------------------------------------------- */

/**
 * Append an entry (XADD with an ID the caller generated), O(log n).
 * Sets last_id to id, counts it in entries_added, and sets first_id when
 * the stream was empty.
 * \param s       the stream.
 * \param id      the ID; must be greater than pstream_last_id(s).
 * \param fv      2 * nfields strings: field, value, field, value...
 *                (copied).
 * \param nfields the number of field/value pairs.
 * \param out     the result (pbtree's conventions).
 * \return 0, or -1 with errno EINVAL (id not above last_id, or an entry
 *         over 4 GiB) or ENOMEM.
 */
int pstream_add(pstream *s, pstream_id id, const pstream_str *fv,
                size_t nfields, pstream **out);

/**
 * The entry with an ID, O(log n).
 * \param s the stream. \param id the ID.
 * \return the entry (the stream's; valid while the version is), or NULL.
 */
const pstream_entry *pstream_get(const pstream *s, pstream_id id);

/** \param e an entry. \return its ID. */
pstream_id pstream_entry_id(const pstream_entry *e);
/** \param e an entry. \return its number of field/value pairs. */
size_t pstream_entry_nfields(const pstream_entry *e);
/**
 * The i-th field name of an entry.
 * \param e the entry. \param i 0..nfields-1. \param len receives the length.
 * \return the bytes (NUL after them), valid while the entry is.
 */
const unsigned char *pstream_entry_field(const pstream_entry *e, size_t i,
                                         size_t *len);
/**
 * The i-th value of an entry.
 * \param e the entry. \param i 0..nfields-1. \param len receives the length.
 * \return the bytes (NUL after them).
 */
const unsigned char *pstream_entry_value(const pstream_entry *e, size_t i,
                                         size_t *len);

/**
 * Delete an entry (XDEL), O(log n).  As Redis does (redis/redis
 * src/t_stream.c, xdelCommand): max_deleted_id becomes the ID if it is
 * larger, first_id moves to the next entry when the first was deleted
 * (0-0 when none is left); last_id and entries_added stay.
 * \param s the stream. \param id the ID. \param out the result.
 * \return 1 if deleted, 0 if absent (*out is s with one more reference),
 *         -1 with errno ENOMEM.
 */
int pstream_delete(pstream *s, pstream_id id, pstream **out);

/**
 * Delete the oldest entries until at most maxlen are left (XTRIM MAXLEN =,
 * exact), O(k + log^2 n) for k deleted.  As Redis's streamTrim(): first_id
 * moves, max_deleted_id does not change.
 * \param s the stream. \param maxlen entries kept.
 * \param limit at most this many are deleted (0: no limit; Redis's LIMIT).
 * \param out the result.
 * \return the number deleted (0: *out is s with one more reference), or -1
 *         with errno ENOMEM.
 */
long long pstream_trim_maxlen(pstream *s, uint64_t maxlen, uint64_t limit,
                              pstream **out);

/**
 * Delete every entry with an ID below minid (XTRIM MINID =), O(k + log^2 n).
 * \param s the stream. \param minid the smallest ID kept.
 * \param limit at most this many are deleted (0: no limit).
 * \param out the result.
 * \return the number deleted, or -1 with errno ENOMEM.
 */
long long pstream_trim_minid(pstream *s, pstream_id minid, uint64_t limit,
                             pstream **out);

/**
 * XSETID: set last_id and, optionally, entries_added and max_deleted_id,
 * with Redis's checks (redis/redis src/t_stream.c, xsetidCommand).
 * \param s             the stream.
 * \param id            the new last ID: not below max_deleted_id (the
 *                      current one and the one given) nor below the last
 *                      entry's ID.
 * \param entries_added the new count, or -1 to keep it; not below the
 *                      length.
 * \param max_deleted   the new largest deleted ID, or NULL (or 0-0) to
 *                      keep it.
 * \param out           the result.
 * \return 0, or -1 with errno EINVAL (a check failed) or ENOMEM.
 */
int pstream_set_id(pstream *s, pstream_id id, long long entries_added,
                   const pstream_id *max_deleted, pstream **out);

/* ---- iterating entries, PELs, groups, consumers --------------------------- */

/** A position in one of a version's ordered trees; no references held. */
typedef struct pstream_iter {
    pbtree_iter it;  /**< the position */
    pstream_id lo;   /**< smallest ID returned */
    pstream_id hi;   /**< largest ID returned */
    bool rev;           /**< backwards */
    unsigned char kind; /**< what the tree holds (pstream*.c's business) */
} pstream_iter;

/**
 * Iterate the entries with lo <= ID <= hi (XRANGE; rev: XREVRANGE, from hi
 * down), O(log n) to start, amortised O(1) a step.
 * \param it the iterator. \param s the version (must outlive it).
 * \param lo smallest ID. \param hi largest ID. \param rev direction.
 */
void pstream_range(pstream_iter *it, const pstream *s, pstream_id lo,
                   pstream_id hi, bool rev);

/**
 * The next entry of a pstream_range() iteration.
 * \param it the iterator. \return the entry, or NULL at the end.
 */
const pstream_entry *pstream_range_next(pstream_iter *it);

/**
 * Iterate a group's PEL over lo <= ID <= hi (XPENDING), either direction.
 * \param it the iterator. \param g the group (of a version that outlives
 * it). \param lo smallest ID. \param hi largest ID. \param rev direction.
 */
void pstream_pel_range(pstream_iter *it, const pstream_group *g,
                       pstream_id lo, pstream_id hi, bool rev);

/**
 * Iterate a consumer's own PEL over lo <= ID <= hi (XPENDING ... consumer).
 * \param it the iterator. \param c the consumer. \param lo smallest ID.
 * \param hi largest ID. \param rev direction.
 */
void pstream_consumer_pel_range(pstream_iter *it, const pstream_consumer *c,
                                pstream_id lo, pstream_id hi, bool rev);

/**
 * The next nack of a pstream_pel_range() or pstream_consumer_pel_range().
 * \param it the iterator. \return the nack, or NULL at the end.
 */
const pstream_nack *pstream_pel_next(pstream_iter *it);

/**
 * Iterate a stream's groups in name order (XINFO GROUPS).
 * \param it the iterator. \param s the version.
 */
void pstream_groups(pstream_iter *it, const pstream *s);

/** \param it a pstream_groups() iterator. \return the next group or NULL. */
const pstream_group *pstream_groups_next(pstream_iter *it);

/**
 * Iterate a group's consumers in name order (XINFO CONSUMERS).
 * \param it the iterator. \param g the group.
 */
void pstream_consumers(pstream_iter *it, const pstream_group *g);

/** \param it a pstream_consumers() iterator. \return the next consumer or NULL. */
const pstream_consumer *pstream_consumers_next(pstream_iter *it);

/* ---- groups and consumers (reads) ---------------------------------------- */

/** \param s the stream. \return the number of consumer groups. */
size_t pstream_groups_len(const pstream *s);

/**
 * A group by name, O(log groups).
 * \param s the stream. \param name its bytes. \param len their length.
 * \return the group (the version's), or NULL.
 */
const pstream_group *pstream_group_get(const pstream *s, const void *name,
                                       size_t len);

/** \param g a group. \return its pending entries. */
size_t pstream_group_pel_len(const pstream_group *g);
/** \param g a group. \return its consumers. */
size_t pstream_group_consumers_len(const pstream_group *g);

/**
 * A pending entry of a group, O(log n).
 * \param g the group. \param id the ID. \return the nack, or NULL.
 */
const pstream_nack *pstream_pel_get(const pstream_group *g, pstream_id id);

/**
 * A consumer by name, O(log consumers).
 * \param g the group. \param name the bytes. \param len their length.
 * \return the consumer, or NULL.
 */
const pstream_consumer *pstream_consumer_get(const pstream_group *g,
                                             const void *name, size_t len);

/** \param c a consumer. \return its pending entries. */
size_t pstream_consumer_pel_len(const pstream_consumer *c);

/* ---- groups and consumers (edits; pbtree's conventions for out) ----------- */

/**
 * XGROUP CREATE: add a group, O(log groups).
 * \param s the stream. \param name its bytes (copied). \param len their length.
 * \param last_id last delivered ID.
 * \param entries_read entries read, or PSTREAM_ENTRIES_READ_UNKNOWN.
 * \param out the result.
 * \return 1 if created, 0 if a group of that name exists (unchanged), -1
 *         with errno ENOMEM.
 */
int pstream_group_create(pstream *s, const void *name, size_t len,
                         pstream_id last_id, uint64_t entries_read,
                         pstream **out);

/**
 * XGROUP DESTROY: drop a group with its PEL and consumers, O(log groups)
 * (what no other version shares is freed with it).
 * \param s the stream. \param name the bytes. \param len their length.
 * \param out the result.
 * \return 1 if destroyed, 0 if absent, -1 with errno ENOMEM.
 */
int pstream_group_destroy(pstream *s, const void *name, size_t len,
                          pstream **out);

/**
 * XGROUP SETID (and what XREADGROUP moves): a group's last delivered ID
 * and entries read.
 * \param s the stream. \param name the group. \param len its length.
 * \param last_id the new last ID.
 * \param entries_read the new count, or PSTREAM_ENTRIES_READ_UNKNOWN.
 * \param out the result.
 * \return 0, or -1 with errno ENOENT (no such group) or ENOMEM.
 */
int pstream_group_set_id(pstream *s, const void *name, size_t len,
                         pstream_id last_id, uint64_t entries_read,
                         pstream **out);

/**
 * XGROUP CREATECONSUMER: add a consumer to a group.
 * \param s the stream. \param group the group's name. \param glen its length.
 * \param name the consumer's name (copied). \param len its length.
 * \param seen_ms seen time. \param active_ms active time (-1: never).
 * \param out the result.
 * \return 1 if created, 0 if it exists (unchanged), -1 with errno ENOENT
 *         (no group) or ENOMEM.
 */
int pstream_consumer_create(pstream *s, const void *group, size_t glen,
                            const void *name, size_t len, int64_t seen_ms,
                            int64_t active_ms, pstream **out);

/**
 * Set a consumer's seen and active times (what XREADGROUP and XCLAIM do).
 * \param s the stream. \param group the group. \param glen its length.
 * \param name the consumer. \param len its length.
 * \param seen_ms the new seen time. \param active_ms the new active time
 * (-1: keep it). \param out the result.
 * \return 0, or -1 with errno ENOENT (no group or consumer) or ENOMEM.
 */
int pstream_consumer_touch(pstream *s, const void *group, size_t glen,
                           const void *name, size_t len, int64_t seen_ms,
                           int64_t active_ms, pstream **out);

/**
 * XGROUP DELCONSUMER: drop a consumer and, as Redis does
 * (streamDelConsumer()), its pending entries from the group's PEL;
 * O(k log n) for k pending.
 * \param s the stream. \param group the group. \param glen its length.
 * \param name the consumer. \param len its length.
 * \param out the result.
 * \return the number of pending entries it had (>= 0; *out unchanged
 *         and retained when the consumer is absent: check with
 *         pstream_consumer_get()), or -1 with errno ENOENT (no group) or
 *         ENOMEM.
 */
long long pstream_consumer_delete(pstream *s, const void *group, size_t glen,
                                  const void *name, size_t len,
                                  pstream **out);

/* ---- pending entries ------------------------------------------------------ */

/**
 * Record a delivery (XREADGROUP, XCLAIM with FORCE): the group's PEL gets
 * id owned by the consumer, with this delivery time and count; if id was
 * pending for another consumer it moves, as in Redis's
 * streamReplyWithRange().  O(log n).
 * \param s the stream. \param group the group. \param glen its length.
 * \param id the entry ID (need not be in the stream: Redis keeps deleted
 *        entries pending).
 * \param consumer the owner; must exist. \param clen its length.
 * \param delivery_time_ms delivery time. \param delivery_count count.
 * \param out the result.
 * \return 1 if id was not pending before, 0 if it was (updated), -1 with
 *         errno ENOENT (no group or consumer) or ENOMEM.
 */
int pstream_pel_add(pstream *s, const void *group, size_t glen,
                    pstream_id id, const void *consumer, size_t clen,
                    int64_t delivery_time_ms, uint64_t delivery_count,
                    pstream **out);

/**
 * XACK one ID: remove it from the group's PEL and its owner's, O(log n).
 * \param s the stream. \param group the group. \param glen its length.
 * \param id the ID. \param out the result.
 * \return 1 if acknowledged, 0 if not pending (unchanged), -1 with errno
 *         ENOENT (no group) or ENOMEM.
 */
int pstream_pel_ack(pstream *s, const void *group, size_t glen,
                    pstream_id id, pstream **out);

/**
 * XCLAIM / XAUTOCLAIM one pending ID: new owner, delivery time and count,
 * O(log n).  Unlike pstream_pel_add() it does nothing to an ID that is
 * not pending.
 * \param s the stream. \param group the group. \param glen its length.
 * \param id the ID. \param consumer the new owner (must exist).
 * \param clen its length. \param delivery_time_ms the new time.
 * \param delivery_count the new count. \param out the result.
 * \return 1 if claimed, 0 if not pending (unchanged), -1 with errno ENOENT
 *         (no group or consumer) or ENOMEM.
 */
int pstream_pel_claim(pstream *s, const void *group, size_t glen,
                      pstream_id id, const void *consumer, size_t clen,
                      int64_t delivery_time_ms, uint64_t delivery_count,
                      pstream **out);

/* ---- building (RDB loading) ----------------------------------------------
 *
 * An RDB stream (redis/redis src/rdb.c, RDB_TYPE_STREAM_LISTPACKS_3) is
 * loaded into a transient in file order: pstream_add() for each live entry
 * (ascending), pstream_build_meta() with the length's companions,
 * pstream_group_create() per group, pstream_build_nack() per entry of the
 * group's PEL, and pstream_build_consumer() per consumer with the IDs it
 * owns.  Then pstream_check() (O(n)) rejects a group PEL entry no consumer
 * owns, and pstream_edit_end() freezes the result.  Each call costs
 * O(log n), and a batch copies each tree node at most once.
 */

/**
 * Set the metadata an RDB file records after the entries.
 * \param s the transient (or a version: then *out is written).
 * \param last_id last ID; not below the last entry's.
 * \param first_id first ID; must be the first entry's (0-0 when empty).
 * \param max_deleted_id largest deleted ID; not above last_id.
 * \param entries_added entries ever added; not below the length.
 * \param err receives what was wrong. \param errlen its size.
 * \param out the result.
 * \return 0, or -1 with errno EINVAL (err says which rule) or ENOMEM.
 */
int pstream_build_meta(pstream *s, pstream_id last_id, pstream_id first_id,
                       pstream_id max_deleted_id, uint64_t entries_added,
                       char *err, size_t errlen, pstream **out);

/**
 * Add an entry to a group's PEL with no owner yet (the RDB group PEL).
 * \param s the transient. \param group the group. \param glen its length.
 * \param id the ID. \param delivery_time_ms time. \param delivery_count count.
 * \param out the result.
 * \return 0, or -1 with errno ENOENT (no group), EEXIST (id already
 *         pending) or ENOMEM.
 */
int pstream_build_nack(pstream *s, const void *group, size_t glen,
                       pstream_id id, int64_t delivery_time_ms,
                       uint64_t delivery_count, pstream **out);

/**
 * Add a consumer that owns some of a group's pending IDs (an RDB
 * consumer), O(k log n) for its k IDs.
 * \param s the transient.  \param group the group. \param glen its length.
 * \param name the consumer (copied). \param len its length.
 * \param seen_ms seen time. \param active_ms active time (-1: unknown).
 * \param ids the IDs it owns, strictly ascending; each must be pending in
 *        the group with no owner yet.
 * \param nids how many. \param out the result.
 * \return 0, or -1 with errno ENOENT (no group, or an ID not pending),
 *         EEXIST (the consumer exists, or an ID is owned already), EINVAL
 *         (IDs not ascending) or ENOMEM.
 */
int pstream_build_consumer(pstream *s, const void *group, size_t glen,
                           const void *name, size_t len, int64_t seen_ms,
                           int64_t active_ms, const pstream_id *ids,
                           size_t nids, pstream **out);

/* ---- checking ------------------------------------------------------------ */

/**
 * Check every invariant: each tree's (pbtree_check()), entry IDs strictly
 * ascending and none above last_id, first_id the first entry's (0-0 when
 * empty), max_deleted_id <= last_id, entries_added >= length; groups in
 * name order; for each group, every PEL nack owned by a consumer of the
 * group and present in that consumer's PEL (the same record), every
 * consumer PEL nack present in the group PEL with that owner, and the
 * consumer PEL lengths summing to the group's.  O(n).
 * \param s the stream. \param err receives the first violation.
 * \param errlen size of err.
 * \return 0 if valid, -1 otherwise.
 */
int pstream_check(const pstream *s, char *err, size_t errlen);

#endif
