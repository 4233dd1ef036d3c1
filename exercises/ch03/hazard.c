/* hazard.c - exercise 3.2: hazard pointers in C11 atomics.
 *
 * Given: slots in a list under d->lock, each with an atomic hazard pointer
 * written only by its reader; retired objects in a list.  Two functions are
 * deliberately wrong, and the tests in tests/exercises/ch03_hazard.c catch
 * both:
 *   hp_protect() only loads the pointer; it must also announce it in the
 *     slot and re-load *src to check that it is still current (a seq_cst
 *     store, then a seq_cst load; retry if it changed).
 *   hp_scan() frees every retired object; it must free only those that no
 *     registered slot's hazard names (read the hazards with seq_cst loads).
 * Solve both, then `make exercise CH=03`.
 */
#include "hazard.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

struct hp_slot {
    _Alignas(128) void *_Atomic hazard; /* own cache line: readers scale */
    hp_domain *d;
    hp_slot *next;
};

typedef struct hp_retired {
    void *p;
    void (*free_fn)(void *);
    struct hp_retired *next;
} hp_retired;

struct hp_domain {
    pthread_mutex_t lock;
    hp_slot *slots;
    hp_retired *retired;
    size_t pending;
};

hp_domain *hp_create(void)
{
    hp_domain *d = calloc(1, sizeof *d);
    if (d != NULL)
        pthread_mutex_init(&d->lock, NULL);
    return d;
}

void hp_destroy(hp_domain *d)
{
    if (d == NULL)
        return;
    for (hp_retired *r = d->retired, *next; r != NULL; r = next) {
        next = r->next;
        r->free_fn(r->p);
        free(r);
    }
    pthread_mutex_destroy(&d->lock);
    free(d);
}

hp_slot *hp_register(hp_domain *d)
{
    hp_slot *h = aligned_alloc(128, sizeof *h);
    if (h == NULL)
        return NULL;
    atomic_init(&h->hazard, NULL);
    h->d = d;
    pthread_mutex_lock(&d->lock);
    h->next = d->slots;
    d->slots = h;
    pthread_mutex_unlock(&d->lock);
    return h;
}

void hp_unregister(hp_slot *h)
{
    if (h == NULL)
        return;
    hp_domain *d = h->d;
    pthread_mutex_lock(&d->lock);
    for (hp_slot **pp = &d->slots; *pp != NULL; pp = &(*pp)->next)
        if (*pp == h) {
            *pp = h->next;
            break;
        }
    pthread_mutex_unlock(&d->lock);
    free(h);
}

void *hp_protect(hp_slot *h, void *_Atomic *src)
{
    /* TODO exercise 3.2: announce p in h->hazard and validate it. */
    (void)h;
    return atomic_load_explicit(src, memory_order_acquire);
}

void hp_clear(hp_slot *h)
{
    /* release: our reads of the object happen before a scan that sees
     * NULL here, hence before the free. */
    atomic_store_explicit(&h->hazard, NULL, memory_order_release);
}

int hp_retire(hp_domain *d, void *p, void (*free_fn)(void *p))
{
    hp_retired *r = malloc(sizeof *r);
    if (r == NULL)
        return -1;
    r->p = p;
    r->free_fn = free_fn;
    pthread_mutex_lock(&d->lock);
    r->next = d->retired;
    d->retired = r;
    d->pending++;
    pthread_mutex_unlock(&d->lock);
    return 0;
}

static inline bool protected_by_any(hp_domain *d, void *p)
{
    for (hp_slot *h = d->slots; h != NULL; h = h->next)
        if (atomic_load_explicit(&h->hazard, memory_order_seq_cst) == p)
            return true;
    return false;
}

size_t hp_scan(hp_domain *d)
{
    size_t n = 0;
    pthread_mutex_lock(&d->lock);
    for (hp_retired **pp = &d->retired; *pp != NULL;) {
        hp_retired *r = *pp;
        /* TODO exercise 3.2: skip objects protected_by_any() slot. */
        *pp = r->next;
        r->free_fn(r->p);
        free(r);
        d->pending--;
        n++;
    }
    pthread_mutex_unlock(&d->lock);
    return n;
}

size_t hp_pending(hp_domain *d)
{
    pthread_mutex_lock(&d->lock);
    size_t n = d->pending;
    pthread_mutex_unlock(&d->lock);
    return n;
}
