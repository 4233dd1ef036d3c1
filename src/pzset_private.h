/* pzset_private.h - the layout the pzset*.c files share; not an API.
 * Chapter 8.
 *
 * A pzset is a header over one of two forms: a flat array of entries,
 * or a pbtree (order) and a ptrie (members) holding the same entries.
 * The entry and its search keys start with the same header, so that the
 * tree's compare function can tell a key from an entry by one field that
 * never changes (the length's top bit) and readers never read a reference
 * count, which the writer may be changing at the same moment.  Nothing
 * outside pzset*.c and the chapter 8 tests includes this header.
 */
#ifndef PZSET_PRIVATE_H
#define PZSET_PRIVATE_H

#include "pzset.h"
#include "ptrie.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Set in pzset_head.len of a search key, never in an entry's. */
#define PZSET_KEY_BIT 0x80000000u

/** What entries and search keys start with. */
typedef struct pzset_head {
    uint32_t refs;  /**< entry: slots (and callers) holding it; writer
                         thread only, never read by a reader */
    uint32_t len;   /**< entry: member length; key: PZSET_KEY_BIT | kind */
    double score;   /**< the score (key: the bound, for score kinds) */
} pzset_head;

/** One member and its score: one allocation. */
struct pzset_entry {
    pzset_head h;              /**< refs, len, score */
    unsigned char member[];    /**< h.len bytes, then a NUL */
};

/** What a search key stands for, between which entries it falls. */
enum pzset_key_kind {
    PZSET_KEY_SCORE_GE = 1, /**< before the first entry with score >= */
    PZSET_KEY_SCORE_GT,     /**< before the first entry with score > */
    PZSET_KEY_LEX_GE,       /**< before the first entry with member >= */
    PZSET_KEY_LEX_GT        /**< before the first entry with member > */
};

/** A search key for pbtree_rank(): never equal to an entry. */
typedef struct pzset_key {
    pzset_head h;             /**< len = PZSET_KEY_BIT | kind; score */
    const unsigned char *m;   /**< member bound (lex kinds) */
    size_t mlen;              /**< its length */
} pzset_key;

/** A version or a transient. */
struct pzset {
    uint32_t refs;          /**< references to a version; 1 for a
                                 transient */
    bool transient;         /**< between edit_begin and edit_end */
    size_t len;             /**< members */
    pzset_entry **flat;     /**< flat form (tree NULL): len entries in
                                 order, each holding one reference; NULL
                                 when empty */
    size_t cap;             /**< room at flat (a transient grows it) */
    pbtree *tree;           /**< tree form: entries by (score, member) */
    ptrie *dict;            /**< tree form: entries by member */
    bool was_tree;          /**< this set or one it was edited from had
                                 the tree form (pzset_was_tree()) */
};

/* ---- entries and order (pzset_entry.c) ----------------------------------- */

/** The flat form's limits in force (pzset_set_limits()). */
extern size_t pzset_max_entries;
/** Longest member of a flat set. */
extern size_t pzset_max_bytes;

/** Element operations of the order tree. */
extern const pbtree_ops pzset_tree_ops;
/** Element operations of the member trie. */
extern const ptrie_ops pzset_dict_ops;

/**
 * A new entry with one reference, or NULL with errno ENOMEM (EINVAL when
 * mlen > PZSET_MAX_MEMBER).
 */
pzset_entry *pzset_entry_new(const void *m, size_t mlen, double score);

/** Take one reference to an entry. */
static inline pzset_entry *pzset_entry_retain(pzset_entry *e)
{
    e->h.refs++;
    return e;
}

/** Drop one reference; the last frees the entry. */
void pzset_entry_release(pzset_entry *e);

/** Bytes of an entry's allocation. */
size_t pzset_entry_size(const pzset_entry *e);

/** Whether an entry's member is these bytes. */
bool pzset_entry_is(const pzset_entry *e, const void *m, size_t mlen);

/** Members compared as Redis does: memcmp, then the shorter first. */
int pzset_member_cmp(const void *a, size_t alen, const void *b, size_t blen);

/**
 * Order of an entry (a) and an entry or search key (b), the tree's
 * compare: <0 when a comes first, 0 only for the same (score, member).
 */
int pzset_cmp(const void *a, const void *b);

/** Rank in a flat array of the first entry not below key (an entry or a
 *  search key), by binary search. */
size_t pzset_flat_rank(pzset_entry *const *a, size_t n, const void *key);

/** The index in a flat array of the entry with member m, or SIZE_MAX. */
size_t pzset_flat_find(pzset_entry *const *a, size_t n, const void *m,
                       size_t mlen);

/* ---- headers and forms (pzset.c, pzset_edit.c) ---------------------------- */

/** A new empty header (version, refs 1), or NULL with errno ENOMEM. */
pzset *pzset_header_new(void);

/**
 * A flat array holding entries src[0..n) (each retained) with room for
 * cap >= n, or NULL with errno ENOMEM.  cap 0 gives NULL (not an error).
 */
pzset_entry **pzset_flat_copy(pzset_entry *const *src, size_t n, size_t cap,
                              bool *failed);

/** Release every entry of a flat array and free it. */
void pzset_flat_free(pzset_entry **a, size_t n);

/** The result of an edit that changed nothing: z, retained if a version. */
pzset *pzset_unchanged(pzset *z);

/**
 * Make the tree form of entries e[0..n) (in order): a pbtree built in
 * one pass and a ptrie filled on a private transient.  0, or -1 with
 * errno ENOMEM and nothing made.
 */
int pzset_build_tree(pzset_entry *const *e, size_t n, pbtree **tree,
                     ptrie **dict);

/**
 * Whether a tree-form set of n members should become flat: n at most half
 * the entry limit and every member within the byte limit (checked for
 * the tree given, O(n) for those few members).
 */
bool pzset_should_flatten(const pbtree *tree);

/**
 * Replace the form of header z (a new version being made, or a
 * transient) by the flat form of the tree given (the tree and dict stay
 * the caller's).  0, or -1 with errno ENOMEM and z unchanged.
 */
int pzset_flatten_into(pzset *z, const pbtree *tree);

/** Freeze a tree-form transient's two indexes into versions, in place
 *  (allocates nothing; the set's contents do not change). */
void pzset_freeze(pzset *z);

/** Drop a header's form (its array, or its tree and dict); len 0. */
void pzset_drop_form(pzset *z);

#endif
