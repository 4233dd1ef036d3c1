/* velem.h - an immutable, reference-counted byte string: one element of a collection.
 * Chapter 8.
 *
 * Persistent collections (chapter 8) share their elements between versions:
 * the list that LPUSH returns holds the very same element objects as the
 * list it was made from, and so does the tree a flat list turns into when
 * it grows.  An element therefore cannot belong to one container; it is
 * an object of its own, freed when the last version that holds it lets it
 * go.  A velem is that object for list items and set members: a 32-bit
 * reference count, a 32-bit length and the bytes, in one allocation, with
 * a NUL after the bytes so they can be printed or parsed as a C string.
 *
 * Why a reference count and not epochs.  Epochs (chapter 3) decide *when*
 * memory may be freed (no reader can still reach it); the count decides
 * *whether* (no version still holds it).  A version that is replaced is
 * handed to the epochs once, and when its grace period is over it drops
 * one reference to each node and element it holds; what another version
 * still holds lives on.  Only the writer thread ever changes a count (the
 * retire callbacks of ebr run on the writer), so counts are plain
 * integers: no atomic instruction on the write path, none on the read
 * path, where readers never touch a count at all.
 *
 * Length.  Redis caps a string at 512 MB (proto-max-bulk-len), far below
 * 2^32, so 32 bits are enough and keep the header at 8 bytes.
 */
#ifndef VELEM_H
#define VELEM_H

#include <stddef.h>
#include <stdint.h>

/** The longest element: 2^32 - 1 bytes. */
#define VELEM_MAX_LEN UINT32_MAX

/** An element: treat every field as read-only outside velem.c. */
/* [ch08-velem] */
typedef struct velem {
    uint32_t refs;         /**< references held (writer thread only) */
    uint32_t len;          /**< length in bytes, NUL excluded */
    unsigned char bytes[]; /**< len bytes, then a NUL */
} velem;
/* [ch08-velem] */

/**
 * Make an element holding a copy of some bytes.
 * \param p   the bytes (may be NULL when len is 0).
 * \param len how many; at most VELEM_MAX_LEN.
 * \return the element with one reference (the caller's), or NULL with
 *         errno ENOMEM (or EINVAL when len is too big).
 * Thread-safety: any thread.
 */
velem *velem_new(const void *p, size_t len);

/**
 * Take one more reference.
 * \param e the element (NULL is allowed and returned).
 * \return e.
 * Thread-safety: the writer thread only.
 */
velem *velem_retain(velem *e);

/**
 * Drop one reference; the last one frees the element.
 * \param e the element (NULL does nothing).
 * Thread-safety: the writer thread only, and for an element a published
 * version holds, only after an epoch grace period.
 */
void velem_release(velem *e);

/**
 * Compare two byte strings as Redis does (memcmp, then the shorter first).
 * \param a first bytes. \param alen its length.
 * \param b second bytes. \param blen its length.
 * \return <0, 0 or >0.
 */
int velem_cmp_bytes(const void *a, size_t alen, const void *b, size_t blen);

/**
 * Whether an element holds exactly these bytes.
 * \param e the element. \param p the bytes. \param len their length.
 * \return 1 if equal, 0 if not.
 */
int velem_eq(const velem *e, const void *p, size_t len);

/**
 * Heap bytes of an element (header, bytes and NUL).
 * \param e the element.
 * \return sizeof(velem) + len + 1.
 */
size_t velem_bytes(const velem *e);

/* Adapters with the void * signatures of pbtree_ops and ptrie_ops. */

/** pbtree_ops / ptrie_ops .retain for velem elements. \param e a velem. */
void velem_retain_op(void *e);
/** pbtree_ops / ptrie_ops .release for velem elements. \param e a velem. */
void velem_release_op(void *e);
/** pbtree_ops / ptrie_ops .size for velem elements.
 *  \param e a velem. \return velem_bytes(e). */
size_t velem_size_op(const void *e);
/** ptrie_ops .key for velem elements: the element's own bytes.
 *  \param e a velem. \param len receives its length. \return its bytes. */
const void *velem_key_op(const void *e, size_t *len);

#endif
