/* kvmap_batch.c - a batch of changes to a kvmap, all of them or none.
 * Chapter 5.
 *
 * It serves every store built on a kvmap (naive, rwlock,
 * striped, cow).  A kvmap change can fail in two places: copying a new key
 * and growing the table.  Rather than undo changes after a failure (undoing
 * a delete means re-inserting, which can itself need memory), the batch
 * makes both allocations before it changes anything: a key copy for every
 * SET, whether or not the key turns out to exist, and room in the table for
 * that many new keys.  After that, applying is only pointer moves that
 * cannot fail.  The price is a key copy per SET of an existing key, freed
 * again at the end, and a second pass over the changes.
 */
#include "kvmap.h"
#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void free_set_values(store_change *ch, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ch[i].kind == STORE_CHANGE_SET)
            value_free(ch[i].val);
}

static void fail(store_change *ch, size_t n, size_t failed)
{
    for (size_t i = 0; i < n; i++)
        ch[i].result = i == failed ? -1 : 0;
    free_set_values(ch, n);
    errno = ENOMEM;
}

int kvmap_batch_prepare(kvmap_batch *b, store_change *ch, size_t n)
{
    *b = (kvmap_batch){ .ch = ch, .n = n };
    if (n == 0)
        return 0;
    b->left = xcalloc(n, sizeof *b->left);
    if (b->left == NULL) {
        fail(ch, n, 0); /* charged to the first change */
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (ch[i].kind != STORE_CHANGE_SET)
            continue;
        b->sets++;
        /* at least one byte: a NULL key marks an empty slot (kvmap_put) */
        unsigned char *copy = xmalloc(ch[i].klen ? ch[i].klen : 1);
        if (copy == NULL) {
            for (size_t j = 0; j < i; j++)
                free(b->left[j].key);
            free(b->left);
            b->left = NULL;
            fail(ch, n, i);
            return -1;
        }
        if (ch[i].klen > 0)
            memcpy(copy, ch[i].key, ch[i].klen);
        b->left[i].key = copy;
    }
    return 0;
}

/* [ch05-kvmap-batch-apply] */
void kvmap_batch_apply(kvmap *kv, kvmap_batch *b, size_t i)
{
    store_change *c = &b->ch[i];
    kvmap_left *l = &b->left[i];
    if (c->kind == STORE_CHANGE_DEL) {
        bool found = kvmap_remove(kv, c->key, c->klen, &l->key, &l->val);
        c->result = found ? 1 : 0;
        return;
    }
    map_entry *e = map_find(&kv->m, c->key, c->klen);
    if (e != NULL) { /* replace: the prepared key copy stays unused */
        l->val = e->val;
        kv->data_bytes += value_charge(c->val) - value_charge(l->val);
        e->val = c->val;
    } else { /* insert the prepared copy: room was reserved, cannot fail */
        int rc = map_insert(&kv->m, l->key, c->klen, c->val);
        (void)rc;
        kv->data_bytes += c->klen + value_charge(c->val);
        l->key = NULL;
    }
    c->result = 0;
}
/* [ch05-kvmap-batch-apply] */

void kvmap_batch_abort(kvmap_batch *b, size_t failed)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->left[i].key);
    free(b->left);
    b->left = NULL;
    fail(b->ch, b->n, failed);
}

size_t kvmap_batch_first_set(const kvmap_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->ch[i].kind == STORE_CHANGE_SET)
            return i;
    return 0;
}

void kvmap_batch_end(kvmap_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->left[i].key);
        value_free(b->left[i].val);
    }
    free(b->left);
    b->left = NULL;
}
