/* hamt_check.c - the trie's invariants, checked the slow, obvious way.
 * Chapter 5.
 *
 * Every test in tests/ch05_hamt.c calls hamt_check() after every change.
 * It walks the whole version and re-derives what the fast code assumes:
 * that a bitmap has one bit per slot, that a key sits on the path its hash
 * spells, that sizes add up, that collision nodes hold one hash, and that
 * the shape is canonical.  Kept apart from hamt.c so that the fast code
 * reads without it.
 */
#include "hamt.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_collision(const hamt_node *nd)
{
    return nd->bitmap == 0 && nd->n > 0;
}

static bool same_key(const hamt_key *a, const hamt_key *b)
{
    return a->hash == b->hash && a->len == b->len &&
           (a->len == 0 || memcmp(a->bytes, b->bytes, a->len) == 0);
}

static int check_node(const hamt_node *nd, unsigned shift, uint64_t prefix,
                      bool is_root, char *err, size_t errlen)
{
    uint64_t mask = shift >= 64 ? UINT64_MAX : (UINT64_C(1) << shift) - 1;
    if (!is_root && nd->size < 2) {
        snprintf(err, errlen, "non-root node at shift %u holds %zu keys",
                 shift, nd->size);
        return -1;
    }
    if (is_collision(nd)) {
        if (nd->n < 2 || nd->size != nd->n) {
            snprintf(err, errlen, "collision node with n=%u size=%zu",
                     nd->n, nd->size);
            return -1;
        }
        for (uint32_t i = 0; i < nd->n; i++) {
            const hamt_key *k = nd->slots[i].key;
            if (k == NULL || k->hash != nd->slots[0].key->hash ||
                (k->hash & mask) != prefix) {
                snprintf(err, errlen, "collision node slot %u off its hash",
                         i);
                return -1;
            }
            for (uint32_t j = 0; j < i; j++)
                if (same_key(nd->slots[j].key, k)) {
                    snprintf(err, errlen, "key twice in a collision node");
                    return -1;
                }
        }
        return 0;
    }
    if (shift >= 64 || (uint32_t)__builtin_popcount(nd->bitmap) != nd->n) {
        snprintf(err, errlen, "branch at shift %u: bitmap %08x, n=%u", shift,
                 (unsigned)nd->bitmap, nd->n);
        return -1;
    }
    if (!is_root && nd->n == 1 && nd->slots[0].key == NULL &&
        is_collision(nd->slots[0].u.child)) {
        snprintf(err, errlen, "branch at shift %u holds only a collision "
                 "node", shift);
        return -1;
    }
    size_t size = 0;
    uint32_t bits = nd->bitmap;
    for (uint32_t i = 0; i < nd->n; i++) {
        unsigned idx = (unsigned)__builtin_ctz(bits);
        bits &= bits - 1;
        uint64_t p = prefix | ((uint64_t)idx << shift);
        uint64_t m = shift + HAMT_BITS >= 64
                         ? UINT64_MAX
                         : (UINT64_C(1) << (shift + HAMT_BITS)) - 1;
        const hamt_slot *s = &nd->slots[i];
        if (s->key != NULL) {
            if ((s->key->hash & m) != p) {
                snprintf(err, errlen, "key at shift %u index %u is off its "
                         "hash path", shift, idx);
                return -1;
            }
            size++;
        } else {
            if (check_node(s->u.child, shift + HAMT_BITS, p, false, err,
                           errlen) != 0)
                return -1;
            size += s->u.child->size;
        }
    }
    if (size != nd->size) {
        snprintf(err, errlen, "node at shift %u says size %zu, holds %zu",
                 shift, nd->size, size);
        return -1;
    }
    return 0;
}

int hamt_check(const hamt_node *root, char *err, size_t errlen)
{
    if (root == NULL)
        return 0;
    if (root->n == 0) {
        snprintf(err, errlen, "empty root node (should be NULL)");
        return -1;
    }
    return check_node(root, 0, 0, true, err, errlen);
}
