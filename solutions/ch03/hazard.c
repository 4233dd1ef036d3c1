/* hazard.c - exercise 3.2, solved: hazard pointers in C11 atomics.
 *
 * Slots live in a list under d->lock (registration is rare); each slot's
 * hazard is an atomic pointer written only by its reader.  Retired objects
 * wait in a list until hp_scan() finds no slot naming them.
 *
 * The protocol is a store-then-load on each side (Dekker's pattern):
 *   reader: hazard = p (seq_cst); re-load src (seq_cst); equal? protected
 *   writer: src = q (seq_cst exchange); retire p; scan hazards (seq_cst)
 * In the single total order of seq_cst operations, either the scan comes
 * after the reader's hazard store (it sees p and keeps it) or before it
 * (then the writer's exchange came before the reader's re-load, which sees
 * q != p, and the reader retries without ever using p).
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

/* [ch03-sol-protect] */
void *hp_protect(hp_slot *h, void *_Atomic *src)
{
    void *p = atomic_load_explicit(src, memory_order_relaxed);
    for (;;) {
        /* seq_cst store then seq_cst load: see the file comment */
        atomic_store_explicit(&h->hazard, p, memory_order_seq_cst);
        void *again = atomic_load_explicit(src, memory_order_seq_cst);
        if (again == p)
            return p; /* still current after we announced it: safe */
        p = again;
    }
}

void hp_clear(hp_slot *h)
{
    /* release: our reads of the object happen before a scan that sees
     * NULL here, hence before the free. */
    atomic_store_explicit(&h->hazard, NULL, memory_order_release);
}
/* [ch03-sol-protect] */

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

/* [ch03-sol-scan] */
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
        if (protected_by_any(d, r->p)) {
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        r->free_fn(r->p);
        free(r);
        d->pending--;
        n++;
    }
    pthread_mutex_unlock(&d->lock);
    return n;
}
/* [ch03-sol-scan] */

size_t hp_pending(hp_domain *d)
{
    pthread_mutex_lock(&d->lock);
    size_t n = d->pending;
    pthread_mutex_unlock(&d->lock);
    return n;
}
