/* tsan_ch01b_mp_relaxed.c - message passing with a relaxed flag: a data race
 * (memory-model primer, chapter 1b).
 *
 * A producer writes a payload (a plain int) and then raises a flag; a
 * consumer waits for the flag and then reads the payload.  The flag is an
 * atomic, so the flag itself is not raced on; but with memory_order_relaxed
 * the store and the load of the flag order nothing else.  Seeing flag == 1
 * does not make the payload write happen-before the payload read, so the two
 * plain accesses are a data race: undefined behaviour in C11, whatever x86
 * does (x86 keeps stores in order, but the compiler is free to move the
 * payload store after the relaxed flag store, or to read the payload first).
 *
 * Built only with -fsanitize=thread (make demos).  ThreadSanitizer must
 * report the race on `payload`; tsan_ch01b_mp_acqrel_clean.c is the same
 * program with release/acquire, and must stay silent.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static int payload;          /* plain data */
static _Atomic int flag;     /* 1 once payload is written */

/* [ch01b-mp-relaxed] */
static void *producer(void *arg)
{
    payload = *(const int *)arg;                               /* data */
    atomic_store_explicit(&flag, 1, memory_order_relaxed);     /* WRONG */
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    while (atomic_load_explicit(&flag, memory_order_relaxed) == 0)
        ;                                                      /* WRONG */
    printf("consumer read payload %d\n", payload);             /* race */
    return NULL;
}
/* [ch01b-mp-relaxed] */

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
