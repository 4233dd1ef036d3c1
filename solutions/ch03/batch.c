/* batch.c - exercise 3.1, solved: copy once, apply all, publish once.
 *
 * The map is store_cow in miniature: an atomic pointer to an immutable
 * kvmap, old snapshots retired to an ebr domain.  batch_map_apply() clones
 * the table once, applies every change to the private copy, and swings the
 * pointer once.  What the new snapshot no longer references (the old table,
 * replaced values, removed keys and values) is collected while applying and
 * retired only after the publish, because until then readers can still
 * reach it through the old snapshot.
 */
#include "batch.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

struct batch_map {
    _Atomic(kvmap *) cur;
    pthread_mutex_t wlock;
    ebr *dom;
    unsigned long publishes; /* under wlock */
};

/* What a snapshot displaced, freed together with it. */
typedef struct displaced {
    void *p;
    void (*free_fn)(void *);
    size_t klen; /* for keys */
} displaced;

/* One published version.  The kvmap comes first, so a pointer to it is a
 * pointer to the snapshot.  Once retired, the snapshot also carries what
 * only it still referenced (gone), and ebr_node is its queue link: retiring
 * allocates nothing and cannot fail. */
typedef struct snap {
    kvmap kv;
    ebr_node node;
    displaced *gone; /* malloc'd, or NULL */
    size_t ngone;
} snap;

static void table_free(kvmap *kv)
{
    snap *sn = (snap *)(void *)kv;
    for (size_t i = 0; i < sn->ngone; i++)
        sn->gone[i].free_fn(sn->gone[i].p);
    free(sn->gone);
    map_release(&kv->m);
    free(sn);
}

static void snap_reclaim(ebr_node *n)
{
    table_free(&((snap *)(void *)((char *)n - offsetof(snap, node)))->kv);
}

static void value_free_fn(void *p)
{
    value_free(p);
}

batch_map *batch_map_create(void)
{
    batch_map *b = calloc(1, sizeof *b);
    snap *sn = calloc(1, sizeof *sn);
    kvmap *kv = sn != NULL ? &sn->kv : NULL;
    if (b == NULL || kv == NULL || kvmap_init(kv, 0) != 0 ||
        (b->dom = ebr_create()) == NULL) {
        free(kv);
        free(b);
        return NULL;
    }
    atomic_init(&b->cur, kv);
    pthread_mutex_init(&b->wlock, NULL);
    return b;
}

void batch_map_destroy(batch_map *b)
{
    if (b == NULL)
        return;
    kvmap *kv = atomic_load_explicit(&b->cur, memory_order_relaxed);
    kvmap_free_all(kv);
    free(kv);
    ebr_destroy(b->dom);
    pthread_mutex_destroy(&b->wlock);
    free(b);
}

ebr *batch_map_domain(batch_map *b)
{
    return b->dom;
}

const kvmap *batch_map_read_begin(batch_map *b, ebr_reader *r)
{
    ebr_enter(r);
    /* acquire: pairs with the release store that published it */
    return atomic_load_explicit(&b->cur, memory_order_acquire);
}

void batch_map_read_end(ebr_reader *r)
{
    ebr_exit(r);
}

unsigned long batch_map_publishes(batch_map *b)
{
    pthread_mutex_lock(&b->wlock);
    unsigned long n = b->publishes;
    pthread_mutex_unlock(&b->wlock);
    return n;
}

int batch_map_apply(batch_map *b, const batch_change *changes, size_t n)
{
    pthread_mutex_lock(&b->wlock);
    kvmap *old = atomic_load_explicit(&b->cur, memory_order_relaxed);
    snap *nsn = calloc(1, sizeof *nsn);
    kvmap *next = nsn != NULL ? &nsn->kv : NULL;
    /* at most one displaced key and one value per change */
    displaced *gone = malloc((2 * n + 1) * sizeof *gone);
    size_t ngone = 0, i = 0;
    if (next == NULL || gone == NULL || map_clone(&next->m, &old->m) != 0) {
        free(next);
        next = NULL;
        goto fail;
    }
    /* [ch03-sol-batch] */
    next->data_bytes = old->data_bytes;
    for (; i < n; i++) {
        const batch_change *c = &changes[i];
        if (c->v != NULL) {
            value *replaced = NULL;
            if (kvmap_put(next, c->key, c->klen, c->v, &replaced) != 0)
                goto fail;
            if (replaced != NULL)
                gone[ngone++] = (displaced){ replaced, value_free_fn, 0 };
        } else {
            void *k;
            value *v;
            if (kvmap_remove(next, c->key, c->klen, &k, &v)) {
                gone[ngone++] = (displaced){ k, free, c->klen };
                gone[ngone++] = (displaced){ v, value_free_fn, 0 };
            }
        }
    }
    /* release: the whole batch is visible to any reader that sees next */
    atomic_store_explicit(&b->cur, next, memory_order_release);
    b->publishes++;
    /* What the batch displaced leaves with old: one retire, which cannot
     * fail (the queue link is inside the snapshot). */
    snap *osn = (snap *)(void *)old;
    osn->gone = gone;
    osn->ngone = ngone;
    ebr_retire(b->dom, &osn->node, snap_reclaim, 0);
    /* [ch03-sol-batch] */
    pthread_mutex_unlock(&b->wlock);
    ebr_reclaim(b->dom);
    return 0;

fail:
    /* Nothing was published, so nothing is shared with readers yet.  Free
     * what the batch created: key copies in next that old does not own,
     * and every value of the batch (the map owns them even on failure). */
    if (next != NULL) {
        size_t pos = 0;
        for (map_entry *e; (e = map_next(&next->m, &pos)) != NULL;) {
            map_entry *o = map_find(&old->m, e->key, e->klen);
            if (o == NULL || o->key != e->key)
                free((void *)e->key);
        }
        table_free(next);
    }
    /* A key this batch inserted and then deleted sits in `gone` and is
     * in no table: free it.  Keys removed from old stay old's. */
    for (size_t j = 0; j < ngone; j++) {
        if (gone[j].free_fn == free) {
            map_entry *e = map_find(&old->m, gone[j].p, gone[j].klen);
            if (e == NULL || (const void *)e->key != gone[j].p)
                free(gone[j].p);
        }
    }
    for (size_t j = 0; j < n; j++)
        value_free(changes[j].v);
    pthread_mutex_unlock(&b->wlock);
    free(gone);
    errno = ENOMEM;
    return -1;
}
