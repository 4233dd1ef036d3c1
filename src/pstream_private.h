/* pstream_private.h - what the pstream*.c files share; not an API.
 * Chapter 8.
 *
 * The stream object, the entry layout, the tree operations of each kind of
 * record and the edit helpers every edit uses.  The code is split by
 * concept: pstream.c versions, transients and metadata; pstream_entry.c
 * entries (XADD, XDEL, XTRIM, XSETID, ranges); pstream_group.c groups and
 * consumers; pstream_pel.c pending entries; pstream_build.c the RDB
 * builder and the checker.
 *
 * How an edit stays atomic.  An edit of a version runs as a one-edit
 * transient (edit_start() / edit_finish()): dropped on failure, frozen on
 * success, so a version is never touched.  An edit of a transient changes
 * things in place, so it first does every step that can fail and that no
 * reader of the transient can tell from "nothing happened": making a tree
 * a transient (thaw()), copying a group record into the groups tree so
 * that the transient owns it (own_group()), building new records.  Then it
 * makes at most one visible change that can fail, an edit of one tree.
 * An edit that changes several trees (XACK: the group PEL, the owner's PEL,
 * the consumers) makes private transients of them (fork_tree()), edits
 * those, and swaps them in at the end, which cannot fail.
 */
#ifndef PSTREAM_PRIVATE_H
#define PSTREAM_PRIVATE_H

#include "pstream.h"

/** A version (edit 0) or a transient (edit = its token). */
struct pstream {
    uint32_t refs;            /**< references to this version */
    uint32_t spare;           /**< unused */
    uint64_t edit;            /**< 0 for a version, else the token */
    pbtree *entries;          /**< pstream_entry by ID */
    pbtree *groups;           /**< pstream_group by name; NULL when none */
    pstream_id last_id;       /**< last ID added or set */
    pstream_id first_id;      /**< first entry's ID, 0-0 when empty */
    pstream_id max_deleted_id;/**< largest deleted ID */
    uint64_t entries_added;   /**< entries ever added */
};

/** One entry: header, 2 * nfields + 1 string offsets, then the bytes, each
 *  string followed by a NUL.  String j is bytes[off[j] .. off[j + 1] - 1). */
struct pstream_entry {
    uint32_t refs;    /**< references (writer thread only) */
    uint32_t nfields; /**< field/value pairs */
    pstream_id id;    /**< the ID */
    uint32_t off[];   /**< offsets into the bytes after the array */
};

/** Element operations of each tree kind. */
extern const pbtree_ops pstream_entry_ops;    /**< entries by ID */
extern const pbtree_ops pstream_nack_ops;     /**< a group PEL */
extern const pbtree_ops pstream_cpel_ops;     /**< a consumer PEL (the
                                                   nacks' bytes are counted
                                                   in the group PEL) */
extern const pbtree_ops pstream_consumer_ops; /**< consumers by name */
extern const pbtree_ops pstream_group_ops;    /**< groups by name */

/** A fresh transient token (never 0, never repeated). */
uint64_t pstream_new_token(void);

/** Count records made (+1) and freed (-1), for pstream_records_live(). */
void pstream_count(int delta);

/** Begin an edit: s itself if a transient, else a one-edit transient. */
int pstream_edit_start(pstream *s, pstream **w);
/**
 * Finish an edit begun with pstream_edit_start(): rc < 0 drops w; rc == 0
 * with changed false means nothing changed (*out = s, retained if a
 * version); otherwise *out = w, frozen if it was a one-edit transient.
 */
void pstream_edit_finish(pstream *s, pstream *w, int rc, bool changed,
                         pstream **out);

/** Make *slot a transient of s's batch if s is a transient (invisible). */
int pstream_thaw(const pstream *s, pbtree **slot);
/** A private transient of *slot's tree (freezing *slot first if needed). */
pbtree *pstream_fork_tree(pbtree **slot);
/** Swap a forked tree in: *slot is released and becomes w; w is frozen
 *  unless keep_transient. */
void pstream_swap_tree(pbtree **slot, pbtree *w, bool keep_transient);

/** The group of a name, or NULL (reads only). */
pstream_group *pstream_group_find(const pstream *s, const void *name,
                                  size_t len);
/**
 * The group of a name in the transient w, owned by w (copied into the
 * groups tree first if it was shared).
 * \return the group, or NULL with errno ENOENT or ENOMEM.
 */
pstream_group *pstream_own_group(pstream *w, const void *name, size_t len);
/** The consumer of a name in a consumers tree, or NULL. */
pstream_consumer *pstream_consumer_find(const pbtree *consumers,
                                        const void *name, size_t len);
/** A new consumer record with an empty PEL, owned by token edit. */
pstream_consumer *pstream_consumer_new(const void *name, size_t len,
                                       int64_t seen, int64_t active,
                                       uint64_t edit);
/** A copy of a consumer record, owned by token edit (NULL: ENOMEM). */
pstream_consumer *pstream_consumer_copy(const pstream_consumer *c,
                                        uint64_t edit);
/** Drop one reference to a consumer record. */
void pstream_consumer_release(pstream_consumer *c);
/** A new nack (owner retained, may be NULL), or NULL with ENOMEM. */
pstream_nack *pstream_nack_new(pstream_id id, int64_t time, uint64_t count,
                               velem *owner, uint64_t edit);
/** Drop one reference to a nack. */
void pstream_nack_release(pstream_nack *n);

/** Start an iterator over lo..hi of a tree of entries (kind 1) or nacks
 *  (kind 2), either direction. */
void pstream_iter_ids(pstream_iter *it, const pbtree *t, int kind,
                      pstream_id lo, pstream_id hi, bool rev);
/** Start an iterator over every element of t (NULL: none), forwards. */
void pstream_iter_all(pstream_iter *it, const pbtree *t);
/** The element at it, then move on; NULL at the end of the range. */
void *pstream_iter_step(pstream_iter *it);
/** pstream_iter kinds. */
enum { PSTREAM_IT_ENTRIES = 1, PSTREAM_IT_NACKS = 2, PSTREAM_IT_ALL = 3 };

/** Format into err (if any) and return -1. */
int pstream_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
