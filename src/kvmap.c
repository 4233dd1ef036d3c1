/* kvmap.c - key copying, value swapping and byte counting over map.c.
 * Chapter 1; extended in chapter 5.
 */
#include "kvmap.h"
#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int kvmap_init(kvmap *kv, size_t expected)
{
    kv->data_bytes = 0;
    return map_init(&kv->m, expected, NULL);
}

/* [ch01-kvmap-put] */
int kvmap_put(kvmap *kv, const void *key, size_t klen, value *v,
              value **replaced)
{
    map_entry *e = map_find(&kv->m, key, klen);
    if (e != NULL) {
        *replaced = e->val;
        kv->data_bytes += value_charge(v) - value_charge(*replaced);
        e->val = v;
        return 0;
    }
    /* malloc(0) may return NULL, and a NULL key marks an empty slot: always
     * allocate at least one byte, even for the empty key. */
    unsigned char *copy = xmalloc(klen ? klen : 1);
    if (copy == NULL) {
        errno = ENOMEM;
        return -1;
    }
    if (klen > 0)
        memcpy(copy, key, klen);
    if (map_insert(&kv->m, copy, klen, v) != 0) {
        free(copy);
        return -1;
    }
    kv->data_bytes += klen + value_charge(v);
    *replaced = NULL;
    return 0;
}
/* [ch01-kvmap-put] */

bool kvmap_remove(kvmap *kv, const void *key, size_t klen, void **old_key,
                  value **old_val)
{
    map_entry e;
    if (!map_remove(&kv->m, key, klen, &e))
        return false;
    *old_key = (void *)e.key;
    *old_val = e.val;
    kv->data_bytes -= e.klen + value_charge(e.val);
    return true;
}

int kvmap_reserve(kvmap *kv, size_t more)
{
    return map_reserve(&kv->m, more);
}

value *kvmap_get(const kvmap *kv, const void *key, size_t klen)
{
    map_entry *e = map_find(&kv->m, key, klen);
    return e ? e->val : NULL;
}

void kvmap_free_all(kvmap *kv)
{
    size_t pos = 0;
    for (map_entry *e; (e = map_next(&kv->m, &pos)) != NULL;) {
        free((void *)e->key);
        value_free(e->val);
    }
    map_release(&kv->m);
    kv->data_bytes = 0;
}

size_t kvmap_bytes(const kvmap *kv)
{
    return kv->data_bytes + map_table_bytes(&kv->m);
}

int kvmap_iterate(const kvmap *kv, store_iter_fn *fn, void *arg)
{
    size_t pos = 0;
    for (map_entry *e; (e = map_next(&kv->m, &pos)) != NULL;) {
        int rc = fn(e->key, e->klen, e->val, arg);
        if (rc != 0)
            return rc;
    }
    return 0;
}
