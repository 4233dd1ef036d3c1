/* rdb_json_order.c - the order rdb-dump writes set members and hash fields in.
 * Chapter 8.
 *
 * rdb-dump's output must be the same on every run.  Small sets and hashes
 * (the flat "listpack"/"intset" forms of pset.h and phash.h) iterate in
 * insertion order, which for a loaded value is the file's order: written
 * as they come.  A big one is a hash trie (ptrie.h), which iterates in the
 * order of SipHash values keyed afresh in every process, so the same file
 * would print differently on each run; those are written sorted by bytes
 * (memcmp order, shorter first on a tie), an order that depends on the
 * contents alone.  Redis itself gives a hashtable's elements in no
 * particular order, and the corpus comparison (tests/ch07_corpus.c)
 * compares sets as sets and hashes as maps, so either order is faithful.
 */
#include "rdb_json_internal.h"
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

static int cmp_bytes(const unsigned char *a, size_t alen,
                     const unsigned char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c != 0 ? c : (alen > blen) - (alen < blen);
}

static int cmp_member(const void *pa, const void *pb)
{
    const velem *a = *(const velem *const *)pa, *b = *(const velem *const *)pb;
    return cmp_bytes(a->bytes, a->len, b->bytes, b->len);
}

static int cmp_field(const void *pa, const void *pb)
{
    const phash_field *a = *(const phash_field *const *)pa;
    const phash_field *b = *(const phash_field *const *)pb;
    size_t al, bl;
    const unsigned char *an = phash_field_name(a, &al);
    const unsigned char *bn = phash_field_name(b, &bl);
    return cmp_bytes(an, al, bn, bl);
}

static bool is_trie(const char *encoding)
{
    return strcmp(encoding, "hashtable") == 0;
}

const velem **rdb_json_set_members(const pset *s)
{
    size_t n = pset_len(s);
    const velem **a = xmalloc((n ? n : 1) * sizeof *a);
    if (a == NULL)
        return NULL;
    pset_iter it;
    pset_iter_init(&it, s);
    for (size_t i = 0; i < n; i++)
        a[i] = pset_iter_next(&it);
    if (is_trie(pset_encoding(s)))
        qsort(a, n, sizeof *a, cmp_member);
    return a;
}

const phash_field **rdb_json_hash_fields(const phash *h)
{
    size_t n = phash_len(h);
    const phash_field **a = xmalloc((n ? n : 1) * sizeof *a);
    if (a == NULL)
        return NULL;
    phash_iter it;
    phash_iter_init(&it, h);
    for (size_t i = 0; i < n; i++)
        a[i] = phash_iter_next(&it);
    if (is_trie(phash_encoding(h)))
        qsort(a, n, sizeof *a, cmp_field);
    return a;
}
