/* tsan_ch01b_mp_acqrel_clean.c - message passing with release/acquire: no
 * data race (memory-model primer, chapter 1b).
 *
 * The same producer and consumer as tsan_ch01b_mp_relaxed.c, with the one
 * change that makes them correct: the flag is stored with
 * memory_order_release and loaded with memory_order_acquire.  A load-acquire
 * that reads the value of a store-release *synchronises with* it, so
 * everything the producer did before the store (writing the payload)
 * happens-before everything the consumer does after the load (reading it).
 * The payload needs no atomic at all.
 *
 * Built only with -fsanitize=thread (make demos).  The name ends in _clean:
 * tests/util/run-demos.sh insists that ThreadSanitizer reports nothing and
 * that the program exits 0.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static int payload;          /* plain data */
static _Atomic int flag;     /* 1 once payload is written */

/* [ch01b-mp-acqrel] */
static void *producer(void *arg)
{
    payload = *(const int *)arg;                               /* data */
    /* release: the payload write happens-before any acquire load that
     * reads this 1. */
    atomic_store_explicit(&flag, 1, memory_order_release);
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    /* acquire: having read the producer's 1, we see its payload. */
    while (atomic_load_explicit(&flag, memory_order_acquire) == 0)
        ;
    printf("consumer read payload %d\n", payload);             /* no race */
    return NULL;
}
/* [ch01b-mp-acqrel] */

int main(void)
{
    pthread_t p, c;
    pthread_create(&c, NULL, consumer, NULL);
    int message = 42;
    pthread_create(&p, NULL, producer, &message);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    return 0;
}
