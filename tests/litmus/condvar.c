/* condvar.c - waiting on a condition variable, done wrong and done right
 * (memory-model primer, chapter 1b).
 *
 * A condition variable carries no state: pthread_cond_wait() returning
 * means only "something may have changed, look again".  Two mistakes
 * follow from forgetting that, and this program makes each one happen on
 * every run instead of once a month:
 *
 *   1. Waiting with `if` instead of `while`.  POSIX allows spurious
 *      wake-ups, and a broadcast sent for another reason looks the same to
 *      the waiter.  We inject one: a broadcast with no change of state,
 *      sent once the taker is known to be asleep.  The `if` taker goes on
 *      and takes from an empty mailbox; the `while` taker looks again and
 *      waits again.
 *   2. Changing the predicate and signalling without holding the mutex.
 *      The signal can fall between the waiter's check and its wait, when
 *      nobody is waiting, and is lost.  Two semaphores hold the waiter in
 *      exactly that gap (as a preemption there would) while the notifier
 *      runs.  With the mutex the gap does not exist: the notifier cannot
 *      take the mutex until the waiter has released it inside
 *      pthread_cond_wait(), so the same hook cannot even be placed.
 *
 * Nothing here waits on a clock: every "the other thread is asleep now" is
 * learnt from a counter read under the mutex, so the output is the same on
 * every run, and tests/util/run-litmus.sh compares it with the committed
 * transcript docs/transcripts/ch01b-litmus-condvar.txt (the one chapter 1b
 * includes; `make transcripts T=ch01b-litmus-condvar` rewrites it).  The
 * exit status is 0 when
 * each wrong version failed as described and each right version worked.
 */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* --- 1. if or while: a one-item mailbox ---------------------------------- */

typedef struct mailbox {
    pthread_mutex_t mu;
    pthread_cond_t changed; /* broadcast when full may have changed */
    bool full;              /* the predicate: an item is waiting */
    int item;
    unsigned waits;         /* times the taker began to wait (for main) */
    bool returned;          /* the taker has taken (or thinks it has) */
    bool took_full;         /* ... and the mailbox was really full */
    int took;
} mailbox;

/* [ch01b-cv-if] */
static void *take_with_if(void *arg) /* WRONG */
{
    mailbox *m = arg;
    pthread_mutex_lock(&m->mu);
    if (!m->full) {            /* looks once ... */
        m->waits++;
        pthread_cond_wait(&m->changed, &m->mu);
    }                          /* ... and trusts the wake-up */
    m->took_full = m->full;
    m->took = m->item;
    m->full = false;
    m->returned = true;
    pthread_mutex_unlock(&m->mu);
    return NULL;
}
/* [ch01b-cv-if] */

/* [ch01b-cv-while] */
static void *take_with_while(void *arg) /* RIGHT */
{
    mailbox *m = arg;
    pthread_mutex_lock(&m->mu);
    while (!m->full) {         /* a wake-up means: look again */
        m->waits++;
        pthread_cond_wait(&m->changed, &m->mu);
    }
    m->took_full = m->full;
    m->took = m->item;
    m->full = false;
    m->returned = true;
    pthread_mutex_unlock(&m->mu);
    return NULL;
}
/* [ch01b-cv-while] */

/* Spin, taking the mutex each time, until done(m) holds. */
static void until(mailbox *m, bool (*done)(const mailbox *))
{
    for (;;) {
        pthread_mutex_lock(&m->mu);
        bool ok = done(m);
        pthread_mutex_unlock(&m->mu);
        if (ok)
            return;
        sched_yield();
    }
}
static bool asleep(const mailbox *m) { return m->waits == 1; }
static bool woke(const mailbox *m) { return m->returned || m->waits == 2; }

/* Returns true if the outcome matched what the version promises. */
static bool spurious_scene(const char *label, void *(*taker)(void *), bool wrong)
{
    mailbox m = { .full = false };
    pthread_mutex_init(&m.mu, NULL);
    pthread_cond_init(&m.changed, NULL);
    pthread_t t;
    pthread_create(&t, NULL, taker, &m);
    /* waits == 1 is set under mu just before pthread_cond_wait, which
     * releases mu atomically: holding mu now means the taker is asleep. */
    until(&m, asleep);
    /* [ch01b-cv-spurious] */
    pthread_mutex_lock(&m.mu);
    pthread_cond_broadcast(&m.changed); /* a wake-up, and no new state */
    pthread_mutex_unlock(&m.mu);
    /* [ch01b-cv-spurious] */
    until(&m, woke); /* it returned, or it is waiting again */
    pthread_mutex_lock(&m.mu);
    bool early = m.returned;
    if (!early) {    /* now deliver an item for real */
        m.item = 42;
        m.full = true;
        pthread_cond_broadcast(&m.changed);
    }
    pthread_mutex_unlock(&m.mu);
    pthread_join(t, NULL);
    if (early && !m.took_full)
        printf("  %s the taker woke, did not look again, and took from an "
               "empty mailbox\n", label);
    else if (!early && m.took_full)
        printf("  %s the taker woke, looked again, waited again, and took "
               "item %d\n", label, m.took);
    else
        printf("  %s unexpected: returned early %d, took a real item %d\n",
               label, early, m.took_full);
    pthread_cond_destroy(&m.changed);
    pthread_mutex_destroy(&m.mu);
    return wrong ? early && !m.took_full : !early && m.took_full;
}

/* --- 2. the lost wake-up ---------------------------------------------------- */

typedef struct event {
    pthread_mutex_t mu;
    pthread_cond_t set;
    /* The predicate.  Atomic so that the wrong notifier, which writes it
     * without the mutex, is a logic error and not also a data race. */
    atomic_bool ready;
    bool inside;     /* the waiter is in pthread_cond_wait (under mu) */
    bool done;       /* the waiter has returned (under mu) */
    sem_t checked;   /* waiter -> notifier: "I looked, it was false" */
    sem_t go;        /* notifier -> waiter (wrong version only): "go on" */
    bool hold;       /* wrong version: the waiter stops in the gap */
} event;

/* [ch01b-cv-lost] */
static void *wait_for_event(void *arg)
{
    event *e = arg;
    pthread_mutex_lock(&e->mu);
    while (!atomic_load(&e->ready)) {
        sem_post(&e->checked);     /* the check is done ... */
        if (e->hold)
            sem_wait(&e->go);      /* ... a preemption here, forced */
        e->inside = true;
        pthread_cond_wait(&e->set, &e->mu);
        e->inside = false;
    }
    e->done = true;
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

static void *notify_without_mutex(void *arg) /* WRONG */
{
    event *e = arg;
    sem_wait(&e->checked);
    atomic_store(&e->ready, true);
    pthread_cond_signal(&e->set);  /* nobody is waiting yet: lost */
    sem_post(&e->go);
    return NULL;
}
/* [ch01b-cv-lost] */

/* [ch01b-cv-notify] */
static void *notify_with_mutex(void *arg) /* RIGHT */
{
    event *e = arg;
    sem_wait(&e->checked);
    pthread_mutex_lock(&e->mu);    /* free only once the waiter waits */
    atomic_store(&e->ready, true);
    pthread_cond_signal(&e->set);
    pthread_mutex_unlock(&e->mu);
    return NULL;
}
/* [ch01b-cv-notify] */

static bool lost_scene(const char *label, void *(*notifier)(void *), bool wrong)
{
    event e = { .hold = wrong };
    atomic_init(&e.ready, false);
    pthread_mutex_init(&e.mu, NULL);
    pthread_cond_init(&e.set, NULL);
    sem_init(&e.checked, 0, 0);
    sem_init(&e.go, 0, 0);
    pthread_t w, n;
    pthread_create(&w, NULL, wait_for_event, &e);
    pthread_create(&n, NULL, notifier, &e);
    pthread_join(n, NULL); /* the only signal has been sent */
    bool lost = false;
    if (wrong) {
        /* Wait until the waiter is asleep or done.  Asleep, after the only
         * signal and with ready == true: the wake-up was lost. */
        for (;;) {
            pthread_mutex_lock(&e.mu);
            bool inside = e.inside, done = e.done;
            if (inside) {
                lost = true;
                pthread_cond_signal(&e.set); /* rescue it, to end the scene */
            }
            pthread_mutex_unlock(&e.mu);
            if (inside || done)
                break;
            sched_yield();
        }
    }
    pthread_join(w, NULL); /* the right version ends by itself */
    if (lost)
        printf("  %s the signal came before the wait and was lost: the "
               "waiter slept with ready == true\n", label);
    else
        printf("  %s the notifier got the mutex only once the waiter was "
               "inside pthread_cond_wait; the waiter woke\n", label);
    sem_destroy(&e.go);
    sem_destroy(&e.checked);
    pthread_cond_destroy(&e.set);
    pthread_mutex_destroy(&e.mu);
    return wrong ? lost : !lost;
}

int main(void)
{
    alarm(60); /* a right version that hangs fails instead of hanging CI */
    bool ok = true;
    printf("condvar: 1. if instead of while, and one spurious wake-up\n");
    ok &= spurious_scene("wrong (if):   ", take_with_if, true);
    ok &= spurious_scene("right (while):", take_with_while, false);
    printf("condvar: 2. a signal sent without the mutex, in the gap between "
           "the waiter's check and its wait\n");
    ok &= lost_scene("wrong (no mutex):", notify_without_mutex, true);
    ok &= lost_scene("right (mutex):   ", notify_with_mutex, false);
    printf(ok ? "condvar: each wrong version failed as shown, each right "
                "version worked\n"
              : "condvar: UNEXPECTED: a version did not behave as shown\n");
    return ok ? 0 : 1;
}
