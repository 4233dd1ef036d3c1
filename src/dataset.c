/* dataset.c - generations of keyspaces, swapped whole by a full sync.
 * Chapter 10.
 *
 * A generation is a keyspace, its number and a count of the readers
 * attached to it.  The dataset points at the current one; the ones a
 * switch replaced wait on a retired list until no reader is attached, and
 * the writer destroys them there (dataset_reclaim()).  The whole scheme
 * rests on one rule: a reader attaches to a generation, and the writer
 * decides that a retired one is free, only while holding the dataset's
 * mutex.  The holder counts and the retired list are plain fields that the
 * mutex guards; nothing a reader dereferences is read without it first.
 *
 * The mutex is not on the readers' fast path, though.  At the start of a
 * section a reader loads the current-generation pointer once and compares
 * it with the generation it holds: equal (the usual case, for every
 * section between two full syncs) means read on, with no lock and no
 * write to shared memory.  Different means a switch happened, and only
 * then does the reader take the mutex, load the pointer again under it,
 * open a keyspace reader on the new generation, and let go of the old one:
 * once per switch per reader.  That load on the fast path only has to
 * notice that something changed, never to make what changed visible (the
 * mutex does that), so it is relaxed; each atomic below says why its order
 * is enough.
 *
 * The keyspace reader is opened by the reader's own thread, as chapter 3's
 * epoch slots require: a dataset never opens or closes a keyspace reader
 * on anyone else's behalf, which is why readers move themselves rather
 * than being moved by the writer.
 */
#include "dataset.h"

#include "alloc.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/** One generation: a keyspace and the readers attached to it. */
typedef struct ds_gen {
    keyspace *ks;        /**< the data; the dataset owns it */
    uint64_t number;     /**< 0 for the empty first one, then 1, 2, ... */
    unsigned holders;    /**< readers attached (guarded by the mutex) */
    struct ds_gen *next; /**< next retired generation (guarded) */
} ds_gen;

/** The dataset (dataset.h). */
struct dataset {
    const store_ops *variant;   /**< every generation's store variant */
    unsigned databases;         /**< and its number of databases */
    pthread_mutex_t mu;         /**< guards holders and the retired list,
                                     and every store to `current` */
    _Atomic(ds_gen *) current;  /**< the generation new sections read */
    ds_gen *retired;            /**< replaced generations, newest first */
    atomic_uint nretired;       /**< length of that list, for anyone */
    _Atomic uint64_t generation;/**< current->number, for anyone */
    atomic_bool loaded;         /**< a switch has happened */
};

/** A reader (dataset.h): the generation it holds and its reader there. */
struct dataset_reader {
    dataset *d;           /**< the dataset */
    ds_gen *gen;          /**< the generation held (counted in its
                               holders), or NULL: none */
    keyspace_reader *kr;  /**< a reader on gen->ks (NULL with gen) */
    bool in_section;      /**< between read_begin and read_end */
    uint64_t last;        /**< number of the generation last read */
};

/* The current generation, for the writer or under the mutex.  relaxed: the
 * writer is the only thread that stores `current`, so it reads its own
 * last store; any other caller holds the mutex, and every store is made
 * under the mutex, so the lock already ordered that store before this
 * load. */
static ds_gen *current_gen(const dataset *d)
{
    return atomic_load_explicit(&((dataset *)d)->current,
                                memory_order_relaxed);
}

dataset *dataset_create(const store_ops *variant, unsigned databases)
{
    dataset *d = xcalloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    ds_gen *g = xcalloc(1, sizeof *g);
    if (g == NULL) {
        free(d);
        return NULL;
    }
    g->ks = keyspace_create(variant, databases);
    if (g->ks == NULL) {
        int e = errno; /* EINVAL, ENOTSUP or ENOMEM: keep what it said */
        free(g);
        free(d);
        errno = e;
        return NULL;
    }
    int rc = pthread_mutex_init(&d->mu, NULL);
    if (rc != 0) {
        keyspace_destroy(g->ks);
        free(g);
        free(d);
        errno = rc;
        return NULL;
    }
    d->variant = variant;
    d->databases = databases;
    /* Plain initialisation: no other thread knows d yet, and whatever
     * hands d to one (pthread_create, a mutex) orders these stores. */
    atomic_init(&d->current, g);
    atomic_init(&d->nretired, 0);
    atomic_init(&d->generation, 0);
    atomic_init(&d->loaded, false);
    return d;
}

static void gen_free(ds_gen *g)
{
    assert(g->holders == 0 && "dataset_destroy: a reader is still open");
    keyspace_destroy(g->ks);
    free(g);
}

void dataset_destroy(dataset *d)
{
    if (d == NULL)
        return;
    for (ds_gen *g = d->retired, *next; g != NULL; g = next) {
        next = g->next;
        gen_free(g);
    }
    gen_free(current_gen(d));
    pthread_mutex_destroy(&d->mu);
    free(d);
}

keyspace *dataset_current(dataset *d)
{
    return current_gen(d)->ks;
}

keyspace *dataset_fresh(dataset *d)
{
    keyspace *ks = keyspace_create(d->variant, d->databases);
    if (ks == NULL)
        errno = ENOMEM; /* the shape was checked by dataset_create() */
    return ks;
}

int dataset_switch(dataset *d, keyspace *ks)
{
    ds_gen *old = current_gen(d);
    assert(ks != NULL && ks != old->ks);
    assert(!keyspace_in_batch(ks) && !keyspace_in_batch(old->ks) &&
           "dataset_switch: a batch is open");
    ds_gen *g = xcalloc(1, sizeof *g);
    if (g == NULL) {
        errno = ENOMEM;
        return -1; /* nothing changed: ks is still the caller's */
    }
    g->ks = ks;
    g->number = old->number + 1;
    pthread_mutex_lock(&d->mu);
    old->next = d->retired;
    d->retired = old;
    /* relaxed: a reader that sees the new pointer takes the mutex before
     * touching it (reader_move()), and the unlock below is what makes g's
     * fields and the loaded keyspace visible to that lock.  A reader that
     * still sees the old pointer reads the old generation, which it holds
     * and which stays alive until it lets go. */
    atomic_store_explicit(&d->current, g, memory_order_relaxed);
    /* relaxed: statistics for any thread, publishing nothing */
    atomic_fetch_add_explicit(&d->nretired, 1, memory_order_relaxed);
    atomic_store_explicit(&d->generation, g->number, memory_order_relaxed);
    pthread_mutex_unlock(&d->mu);
    /* release: pairs with the acquire in dataset_loaded().  A thread that
     * reads true has the store to `current` above happening before it, so
     * its next section cannot start on the empty generation 0 (a load may
     * not read a store older than one that happens before it): a server
     * that checks dataset_loaded() before answering never serves the
     * empty keyspace it started with. */
    atomic_store_explicit(&d->loaded, true, memory_order_release);
    return 0;
}

unsigned dataset_reclaim(dataset *d)
{
    /* relaxed: only this (the writer) thread changes the count, so it
     * reads its own last value; nothing to do costs this one load. */
    if (atomic_load_explicit(&d->nretired, memory_order_relaxed) == 0)
        return 0;
    ds_gen *dead = NULL;
    unsigned n = 0;
    pthread_mutex_lock(&d->mu);
    for (ds_gen **pp = &d->retired; *pp != NULL;) {
        ds_gen *g = *pp;
        if (g->holders == 0) {
            *pp = g->next; /* no reader holds it, and none can attach */
            g->next = dead;
            dead = g;
            n++;
        } else {
            pp = &g->next;
        }
    }
    atomic_fetch_sub_explicit(&d->nretired, n, memory_order_relaxed);
    pthread_mutex_unlock(&d->mu);
    /* Outside the mutex: destroying a large keyspace takes a while, and
     * readers moving to the current generation need not wait for it.
     * Every reader closed its keyspace reader on g before it dropped the
     * holder count under the mutex, so that close happened before this. */
    while (dead != NULL) {
        ds_gen *next = dead->next;
        gen_free(dead);
        dead = next;
    }
    return n;
}

bool dataset_loaded(const dataset *d)
{
    /* acquire: pairs with the release in dataset_switch() (see there) */
    return atomic_load_explicit(&((dataset *)d)->loaded,
                                memory_order_acquire);
}

uint64_t dataset_generation(const dataset *d)
{
    /* relaxed: a number, publishing nothing; a caller that wants the data
     * opens a reader, which synchronises through the mutex itself. */
    return atomic_load_explicit(&((dataset *)d)->generation,
                                memory_order_relaxed);
}

unsigned dataset_retired(const dataset *d)
{
    /* relaxed: a statistic, as dataset_generation() */
    return atomic_load_explicit(&((dataset *)d)->nretired,
                                memory_order_relaxed);
}

/* ---- readers ---------------------------------------------------------- */

dataset_reader *dataset_reader_open(dataset *d)
{
    dataset_reader *r = xcalloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->d = d;
    return r;
}

/* Let go of the generation r holds.  Called with the mutex held: the
 * keyspace reader is closed before the count drops, so the writer that
 * sees the count at zero may destroy the keyspace. */
static void reader_drop_locked(dataset_reader *r)
{
    keyspace_reader_close(r->kr);
    r->gen->holders--;
    r->gen = NULL;
    r->kr = NULL;
}

void dataset_reader_close(dataset_reader *r)
{
    if (r == NULL)
        return;
    assert(!r->in_section && "dataset_reader_close inside a section");
    if (r->gen != NULL) {
        pthread_mutex_lock(&r->d->mu);
        reader_drop_locked(r);
        pthread_mutex_unlock(&r->d->mu);
    }
    free(r);
}

/* [ch10-read-begin] */
/* Attach r to the current generation, letting go of the one it held.
 * Returns false, with r unchanged, when the keyspace reader cannot be
 * opened (out of memory). */
static bool reader_move(dataset_reader *r)
{
    dataset *d = r->d;
    bool ok = true;
    pthread_mutex_lock(&d->mu);
    /* Load again under the mutex: the pointer seen outside it may already
     * have been retired and reclaimed; this one cannot be, since reclaim
     * never frees the current generation and needs the mutex we hold. */
    ds_gen *cur = current_gen(d);
    if (cur != r->gen) {
        keyspace_reader *kr = keyspace_reader_open(cur->ks);
        if (kr == NULL) {
            ok = false;
        } else {
            if (r->gen != NULL)
                reader_drop_locked(r);
            cur->holders++;
            r->gen = cur;
            r->kr = kr;
        }
    }
    pthread_mutex_unlock(&d->mu);
    return ok;
}

keyspace_reader *dataset_read_begin(dataset_reader *r)
{
    /* learn: ch10 dataset_read_begin "The switch after a full sync" */
    assert(!r->in_section && "dataset_read_begin: already in a section");
    /* relaxed: this load only decides whether to move.  Seeing the
     * generation we hold, we read it, and it is ours until we let go;
     * seeing another, reader_move() takes the mutex and loads again
     * there, and the mutex orders everything that load needs.  Nor does
     * a stronger order make a new generation appear sooner: a section
     * that begins after dataset_switch() (ordered after it by some
     * synchronisation) reads the new pointer with this load anyway. */
    ds_gen *cur = atomic_load_explicit(&r->d->current, memory_order_relaxed);
    if (cur != r->gen && !reader_move(r) && r->gen == NULL) {
        errno = ENOMEM; /* nothing held to fall back on */
        return NULL;
    }
    keyspace_read_begin(r->kr);
    r->in_section = true;
    r->last = r->gen->number;
    return r->kr;
    /* learn: end */
}
/* [ch10-read-begin] */

void dataset_read_end(dataset_reader *r)
{
    assert(r->in_section && "dataset_read_end outside a section");
    keyspace_read_end(r->kr);
    r->in_section = false;
}

void dataset_reader_quiesce(dataset_reader *r)
{
    assert(!r->in_section && "dataset_reader_quiesce inside a section");
    if (r->gen == NULL)
        return;
    /* relaxed: as in dataset_read_begin(), the load only decides; a
     * generation that is no longer current stays retired for good, so
     * letting go of it on a stale view is never wrong, only a little late
     * (the next call sees the change). */
    if (atomic_load_explicit(&r->d->current, memory_order_relaxed) == r->gen)
        return;
    pthread_mutex_lock(&r->d->mu);
    reader_drop_locked(r);
    pthread_mutex_unlock(&r->d->mu);
}

uint64_t dataset_reader_generation(const dataset_reader *r)
{
    return r->last;
}
