/* ch02_preference.c - chapter 2: who goes first, a new reader or a waiting
 * writer?  Deterministic tests of reader and writer preference.
 *
 * The scene is always the same.  Reader A is inside a read section.  A
 * writer thread calls store_set() and has to wait for A.  Now reader B
 * arrives.  Under reader preference ("rwlock-rp", glibc's default) B walks
 * in past the waiting writer, so readers that keep overlapping can starve
 * the writer for ever; under writer preference ("rwlock") B must queue
 * behind the writer.
 *
 * No test sleeps or measures time.  "The writer is waiting" is observed in
 * the lock word itself (store_rwlock_peek()): the writer sets its claim bit
 * before it blocks, and it is that bit a new reader looks at.  B's attempt
 * is store_rwlock_try_read_begin(), which answers at once instead of
 * blocking, so a wrong answer fails the test instead of hanging it.
 */
#include "store_rwlock.h"
#include "test_util.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct writer_job {
    store *s;
    atomic_bool done; /* set once store_set() has returned */
} writer_job;

static void *writer_main(void *arg)
{
    writer_job *job = arg;
    value *v = value_new_string("new", 3, VALUE_NO_EXPIRY);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(store_set(job->s, "k", 1, v), 0);
    /* release: whoever sees done == true also sees the store after set. */
    atomic_store_explicit(&job->done, true, memory_order_release);
    return NULL;
}

/* Wait (without a clock: the tcase timeout catches a hang) until the
 * writer has claimed the lock and is waiting for the readers to leave. */
static void wait_for_writer_claim(store *s)
{
    while (!store_rwlock_peek(s).writer_claimed)
        sched_yield();
}

static store *make_store(const char *variant)
{
    store *s = store_create(store_variant(variant));
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(
        store_set(s, "k", 1, value_new_string("old", 3, VALUE_NO_EXPIRY)), 0);
    return s;
}

static void assert_value(store_reader *r, const char *want)
{
    const value *v = store_get(r, "k", 1);
    ck_assert_ptr_nonnull(v);
    ck_assert_bytes_eq(value_str_bytes(v), value_str_len(v), want, strlen(want));
}

/* [ch02-test-writer-preferred] */
START_TEST(rwlock_new_reader_waits_behind_writer)
{
    store *s = make_store("rwlock");
    store_reader *a = store_reader_open(s), *b = store_reader_open(s);
    store_read_begin(a);                    /* reader A is inside */
    writer_job job = {.s = s};
    pthread_t w;
    ck_assert_int_eq(pthread_create(&w, NULL, writer_main, &job), 0);
    wait_for_writer_claim(s);               /* the writer now waits for A */

    ck_assert_msg(store_rwlock_try_read_begin(b) == 0,
                  "rwlock prefers writers: a new reader must not pass a "
                  "waiting writer");
    ck_assert(!atomic_load_explicit(&job.done, memory_order_acquire));

    store_read_end(a);                      /* A leaves: the writer goes */
    ck_assert_int_eq(pthread_join(w, NULL), 0);
    store_read_begin(b);
    assert_value(b, "new");
    store_read_end(b);
    store_reader_close(a);
    store_reader_close(b);
    store_destroy(s);
}
END_TEST
/* [ch02-test-writer-preferred] */

/* [ch02-test-reader-preferred] */
START_TEST(rwlock_rp_new_reader_passes_writer)
{
    store *s = make_store("rwlock-rp");
    store_reader *a = store_reader_open(s), *b = store_reader_open(s);
    store_read_begin(a);
    writer_job job = {.s = s};
    pthread_t w;
    ck_assert_int_eq(pthread_create(&w, NULL, writer_main, &job), 0);
    wait_for_writer_claim(s);

    /* Starvation, step by step: A and B take turns so that one of them is
     * always inside.  Each new reader walks past the waiting writer, and
     * the writer never gets in, however many rounds we play. */
    store_reader *inside = a, *next = b;
    for (int round = 0; round < 100; round++) {
        ck_assert_msg(store_rwlock_try_read_begin(next) == 1,
                      "round %d: rwlock-rp prefers readers: a new reader "
                      "should pass the waiting writer", round);
        assert_value(next, "old");          /* the writer is still out */
        store_read_end(inside);             /* hand over, never empty */
        store_reader *t = inside;
        inside = next;
        next = t;
        ck_assert(store_rwlock_peek(s).writer_claimed);
        ck_assert(!atomic_load_explicit(&job.done, memory_order_acquire));
    }
    store_read_end(inside);                 /* the lock empties at last */
    ck_assert_int_eq(pthread_join(w, NULL), 0);
    store_read_begin(a);
    assert_value(a, "new");
    store_read_end(a);
    store_reader_close(a);
    store_reader_close(b);
    store_destroy(s);
}
END_TEST
/* [ch02-test-reader-preferred] */

/* The same scene on a raw pthread_rwlock_t of a given kind, to show which
 * kinds glibc really honours.  Returns whether the new reader got in. */
typedef struct raw_writer {
    pthread_rwlock_t *lock;
    atomic_bool done;
} raw_writer;

static void *raw_writer_main(void *arg)
{
    raw_writer *job = arg;
    ck_assert_int_eq(pthread_rwlock_wrlock(job->lock), 0);
    atomic_store_explicit(&job->done, true, memory_order_release);
    ck_assert_int_eq(pthread_rwlock_unlock(job->lock), 0);
    return NULL;
}

static bool new_reader_passes_waiting_writer(int kind)
{
    pthread_rwlockattr_t attr;
    pthread_rwlock_t lock;
    ck_assert_int_eq(pthread_rwlockattr_init(&attr), 0);
    ck_assert_int_eq(pthread_rwlockattr_setkind_np(&attr, kind), 0);
    ck_assert_int_eq(pthread_rwlock_init(&lock, &attr), 0);
    pthread_rwlockattr_destroy(&attr);

    ck_assert_int_eq(pthread_rwlock_rdlock(&lock), 0);      /* reader A */
    raw_writer job = {.lock = &lock};
    pthread_t w;
    ck_assert_int_eq(pthread_create(&w, NULL, raw_writer_main, &job), 0);
    while (!store_rwlock_peek_lock(&lock).writer_claimed)
        sched_yield();
    int rc = pthread_rwlock_tryrdlock(&lock);               /* reader B */
    ck_assert_msg(rc == 0 || rc == EBUSY, "tryrdlock: %s", strerror(rc));
    ck_assert(!atomic_load_explicit(&job.done, memory_order_acquire));
    if (rc == 0)
        ck_assert_int_eq(pthread_rwlock_unlock(&lock), 0);  /* B leaves */
    ck_assert_int_eq(pthread_rwlock_unlock(&lock), 0);      /* A leaves */
    ck_assert_int_eq(pthread_join(w, NULL), 0);
    ck_assert(atomic_load_explicit(&job.done, memory_order_acquire));
    ck_assert_int_eq(pthread_rwlock_destroy(&lock), 0);
    return rc == 0;
}

/* [ch02-test-prefer-writer-np] */
START_TEST(raw_kinds_which_ones_prefer_writers)
{
    ck_assert_msg(new_reader_passes_waiting_writer(
                      PTHREAD_RWLOCK_PREFER_READER_NP),
                  "PREFER_READER_NP (the default) lets readers pass");
    /* The surprise: PREFER_WRITER_NP is accepted, and ignored.  POSIX lets
     * a thread take a read lock it already holds; if new readers queued
     * behind a writer, such a thread would wait for the writer, which
     * waits for the thread.  So glibc treats this kind like the default. */
    ck_assert_msg(new_reader_passes_waiting_writer(
                      PTHREAD_RWLOCK_PREFER_WRITER_NP),
                  "glibc ignores PREFER_WRITER_NP: a new reader still "
                  "passes the waiting writer");
    ck_assert_msg(!new_reader_passes_waiting_writer(
                      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP),
                  "PREFER_WRITER_NONRECURSIVE_NP must make the new reader "
                  "wait");
}
END_TEST
/* [ch02-test-prefer-writer-np] */

/* [ch02-test-lock-word] */
START_TEST(every_reader_writes_the_lock_word)
{
    store *s = make_store("rwlock");
    store_reader *r[3];
    for (int i = 0; i < 3; i++)
        r[i] = store_reader_open(s);
    ck_assert_uint_eq(store_rwlock_peek(s).readers, 0);
    for (int i = 0; i < 3; i++) {
        store_read_begin(r[i]);             /* an atomic add on the word */
        ck_assert_uint_eq(store_rwlock_peek(s).readers, (unsigned)i + 1);
    }
    for (int i = 0; i < 3; i++)
        store_read_end(r[i]);               /* and a CAS to undo it */
    ck_assert_uint_eq(store_rwlock_peek(s).readers, 0);
    ck_assert(!store_rwlock_peek(s).writer_claimed);
    for (int i = 0; i < 3; i++)
        store_reader_close(r[i]);
    store_destroy(s);
}
END_TEST
/* [ch02-test-lock-word] */

START_TEST(try_read_begin_when_free_and_when_writing)
{
    const char *variants[] = {"rwlock", "rwlock-rp"};
    for (int i = 0; i < 2; i++) {
        store *s = make_store(variants[i]);
        store_reader *a = store_reader_open(s), *b = store_reader_open(s);
        /* No writer anywhere: readers always share. */
        ck_assert_int_eq(store_rwlock_try_read_begin(a), 1);
        ck_assert_int_eq(store_rwlock_try_read_begin(b), 1);
        assert_value(b, "old");
        store_read_end(a);
        store_read_end(b);
        ck_assert_uint_eq(store_rwlock_peek(s).readers, 0);
        store_reader_close(a);
        store_reader_close(b);
        store_destroy(s);
    }
}
END_TEST

/* The nesting rule is per handle, not per thread (src/store.h): one thread
 * may be inside sections of two handles at once, but a second
 * store_read_begin() on the same handle is a bug the wrapper's assertion
 * stops.  The nested call runs in a child process, whose death by SIGABRT
 * (and assertion message) the parent checks. */
START_TEST(sections_nest_per_handle_not_per_thread)
{
    const char *variants[] = {"naive", "rwlock", "rwlock-rp", "cow"};
    for (int i = 0; i < 4; i++) {
        store *s = make_store(variants[i]);
        store_reader *a = store_reader_open(s), *b = store_reader_open(s);
        store_read_begin(a);                /* no writer: b may enter too */
        store_read_begin(b);
        assert_value(a, "old");
        assert_value(b, "old");
        store_read_end(b);
        store_read_end(a);

        int fds[2];
        ck_assert_int_eq(pipe(fds), 0);
        fflush(NULL);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            dup2(fds[1], 2);
            store_read_begin(a);
            store_read_begin(a);            /* nested: must abort here */
            _exit(0);
        }
        close(fds[1]);
        char msg[512] = "";
        size_t got = 0;
        ssize_t n;
        while (got < sizeof msg - 1 &&
               (n = read(fds[0], msg + got, sizeof msg - 1 - got)) > 0)
            got += (size_t)n;
        msg[got] = '\0';
        close(fds[0]);
        int st;
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
                      "%s: a nested store_read_begin() on one handle did "
                      "not abort (status %d)", variants[i], st);
        ck_assert_msg(strstr(msg, "sections do not nest") != NULL,
                      "%s: assertion message: %s", variants[i], msg);
        store_reader_close(a);
        store_reader_close(b);
        store_destroy(s);
    }
}
END_TEST

Suite *ch02_preference_suite(void)
{
    Suite *s = suite_create("ch02_preference");
    TCase *tc = test_tcase("preference", 10);
    tcase_add_test(tc, rwlock_new_reader_waits_behind_writer);
    tcase_add_test(tc, rwlock_rp_new_reader_passes_writer);
    tcase_add_test(tc, raw_kinds_which_ones_prefer_writers);
    tcase_add_test(tc, every_reader_writes_the_lock_word);
    tcase_add_test(tc, try_read_begin_when_free_and_when_writing);
    tcase_add_test(tc, sections_nest_per_handle_not_per_thread);
    suite_add_tcase(s, tc);
    return s;
}
