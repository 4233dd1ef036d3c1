/* asan_ch03_refcount_window.c - step 2 of chapter 3: a naive reference
 * count on the snapshot does not close the gap, it only narrows it.
 *
 * The idea: each snapshot counts its users; the store's own pointer is one
 * reference, a reader adds one while it reads, and whoever drops the last
 * reference frees it.  The flaw is that a reader must first load the
 * pointer and only then increment the count it points to.  Between the two
 * the writer can swap the pointer, drop the store's reference (the count
 * falls to zero) and free the snapshot: the reader then increments freed
 * memory.  The semaphores open that window deterministically:
 *
 *   reader: p = load(cur)                      count(p) = 1 (the store's)
 *   writer: exchange(cur, new); release(p)     count(p) = 0 -> free(p)
 *   reader: fetch_add(&p->refs, 1)             use-after-free
 *
 * Making it safe takes more machinery (a lock around load+increment, or
 * split/deferred counts), and even then every reader writes the snapshot's
 * shared count: build/cow-readcost measures what that costs.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct snap {
    _Atomic long refs;
    int data[16];
} snap;

static _Atomic(snap *) cur;
static sem_t loaded, swapped;

static snap *snap_new(int v)
{
    snap *p = malloc(sizeof *p);
    atomic_init(&p->refs, 1); /* the reference held by `cur` */
    for (int i = 0; i < 16; i++)
        p->data[i] = v;
    return p;
}

/* [ch03-refcount-window] */
static void snap_release(snap *p)
{
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
        free(p);
}

static void *reader(void *arg)
{
    (void)arg;
    snap *p = atomic_load_explicit(&cur, memory_order_acquire);
    sem_post(&loaded);
    sem_wait(&swapped); /* the window: loaded, not yet counted */
    printf("reader: incrementing the count of the snapshot it loaded...\n");
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    printf("reader: data[0] = %d\n", p->data[0]);
    snap_release(p);
    return NULL;
}
/* [ch03-refcount-window] */

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0); /* print before ASan stops us */
    atomic_init(&cur, snap_new(1));
    sem_init(&loaded, 0, 0);
    sem_init(&swapped, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, reader, NULL);
    sem_wait(&loaded);
    snap *old = atomic_exchange_explicit(&cur, snap_new(2),
                                         memory_order_acq_rel);
    snap_release(old); /* count was 1: no reader counted yet, so free */
    printf("writer: swapped, dropped the last counted reference, freed\n");
    sem_post(&swapped);
    pthread_join(t, NULL);
    snap_release(atomic_load(&cur));
    return 0;
}
