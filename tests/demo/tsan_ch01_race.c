/* tsan_ch01_race.c - chapter 1's data race: two threads, one naive store.
 *
 * A writer thread keeps replacing the value of one key while a reader thread
 * keeps reading it.  store_naive does nothing to order the two, so the
 * reader's load of the slot's value pointer and the writer's store to it are
 * a data race: undefined behaviour in C11, and in practice a reader that can
 * follow a pointer to a value the writer has just freed.
 *
 * This program is only ever built with -fsanitize=thread (make tsan-ch01,
 * make demos).  ThreadSanitizer must report "data race"; `make demos` fails
 * if it ever stops doing so.
 */
#include "store.h"
#include "store_naive.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum { ROUNDS = 20000, ATTEMPTS = 5 };

/* [ch01-race] */
static void *writer(void *arg)
{
    store *s = arg;
    char buf[32];
    for (int i = 0; i < ROUNDS; i++) {
        int n = snprintf(buf, sizeof buf, "version-%d", i);
        store_set(s, "hot", 3, value_new_string(buf, (size_t)n, VALUE_NO_EXPIRY));
    }
    return NULL;
}

static void *reader(void *arg)
{
    store_reader *r = arg;
    size_t seen = 0;
    for (int i = 0; i < ROUNDS; i++) {
        store_read_begin(r);
        const value *v = store_get(r, "hot", 3);
        if (v != NULL)
            seen += value_str_len(v);
        store_read_end(r);
    }
    return (void *)seen;
}
/* [ch01-race] */

int main(void)
{
    store *s = store_create(&store_naive_ops);
    store_set(s, "hot", 3, value_new_string("version-0", 9, VALUE_NO_EXPIRY));
    store_reader *r = store_reader_open(s);
    /* ThreadSanitizer stops at its first report (halt_on_error=1).  On a
     * busy machine one pair of runs now and then ends with the race unseen,
     * so the pair runs up to ATTEMPTS times: the demonstration (and
     * `make demos`, which insists on the report) does not depend on luck. */
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        pthread_t w, rd;
        pthread_create(&w, NULL, writer, s);
        pthread_create(&rd, NULL, reader, r);
        pthread_join(w, NULL);
        pthread_join(rd, NULL);
    }
    store_reader_close(r);
    store_destroy(s);
    puts("finished without a report (ThreadSanitizer should have stopped us)");
    return 0;
}
