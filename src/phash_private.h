/* phash_private.h - the layout the phash*.c files share; not an API.
 * Chapter 8.
 *
 * A phash is a header over one of two forms: a flat array of field
 * pointers, or a trie of fields with an expiry index beside it (see
 * phash.h for why).  The header also keeps the counts that make
 * phash_len(), phash_min_expire() and the choice of form O(1).  Only the
 * writer changes a header; a version's is never changed after it is
 * published.
 */
#ifndef PHASH_PRIVATE_H
#define PHASH_PRIVATE_H

#include "phash.h"
#include "pbtree.h"
#include "ptrie.h"

/** A version or a transient. */
struct phash {
    uint32_t refs;      /**< references to a version; 1 for a transient */
    bool tree;          /**< the form: trie (true) or flat array */
    bool transient;     /**< between edit_begin and edit_end */
    size_t n;           /**< fields */
    size_t nexp;        /**< fields with an expiry */
    size_t nbig;        /**< fields with a name or value over max_bytes */
    int64_t min_expire; /**< smallest expiry, or PHASH_NO_EXPIRE */
    union {
        struct {
            phash_field **items; /**< n fields in insertion order: inl in
                                      a version made by an edit, a
                                      separate array in a transient */
            size_t cap;          /**< room at items */
        } flat;                  /**< flat form */
        struct {
            ptrie *fields;  /**< the fields, keyed by name */
            pbtree *expiry; /**< the expiring fields by (expiry, name),
                                 always a version; NULL when nexp is 0 */
        } tree;             /**< tree form */
    } u;                    /**< the form's data */
    phash_field *inl[];     /**< a flat version's own array */
};

/** Current limits (phash.c). */
extern size_t phash_max_entries_;
/** Current limits (phash.c). */
extern size_t phash_max_bytes_;

/** The trie operations for fields (phash_field.c). */
extern const ptrie_ops phash_field_trie_ops;
/** The expiry index operations for fields (phash_field.c). */
extern const pbtree_ops phash_field_expiry_ops;

/** Whether a field is too long for the flat form. */
static inline bool phash_field_big(const phash_field *f)
{
    return f->flen > phash_max_bytes_ || f->vlen > phash_max_bytes_;
}

/** Whether a field has exactly this name. */
bool phash_field_is(const phash_field *f, const void *name, size_t len);

/** Order of the expiry index: expiry, then name. */
int phash_field_expiry_cmp(const void *a, const void *b);

/** Position of a name in a flat array, or SIZE_MAX (phash.c). */
size_t phash_flat_find(const phash *h, const void *f, size_t flen);

/** Bytes of the header of a flat version with room for n pointers. */
static inline size_t phash_header_bytes(size_t n)
{
    return sizeof(phash) + n * sizeof(phash_field *);
}

#endif
