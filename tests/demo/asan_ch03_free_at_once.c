/* asan_ch03_free_at_once.c - step 1 of chapter 3: free the old snapshot at
 * once, and a reader still inside it reads freed memory.
 *
 * Go's atomic.Value copy-on-write never frees anything: the garbage
 * collector does, once no goroutine can reach the old map.  A C writer that
 * frees the old snapshot right after publishing the new one forgets the
 * readers that loaded the old pointer a moment earlier.  The two semaphores
 * force the bad interleaving on every run instead of waiting for it:
 *
 *   reader: read_begin, get("k")  -> holds the old table and value
 *   writer: set("k")              -> publishes, frees old table and value
 *   reader: get("k") again        -> reads the freed table: use-after-free
 *
 * Built with AddressSanitizer by `make demos`, which insists that ASan
 * reports heap-use-after-free.  The same program on store_cow_ops (epochs)
 * is correct: the writer's free would wait until read_end.
 */
#include "store_cow.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

static store *s;
static sem_t loaded, freed;

/* [ch03-free-at-once] */
static void *reader(void *arg)
{
    (void)arg;
    store_reader *r = store_reader_open(s);
    store_read_begin(r);
    const value *v = store_get(r, "k", 1);
    printf("reader: inside its section, k = %s\n", (const char *)value_str_bytes(v));
    sem_post(&loaded);
    sem_wait(&freed); /* the writer publishes and frees meanwhile */
    printf("reader: still inside, looks k up again in its snapshot...\n");
    v = store_get(r, "k", 1); /* the snapshot's table was freed */
    printf("reader: k = %s\n", (const char *)value_str_bytes(v));
    store_read_end(r);
    store_reader_close(r);
    return NULL;
}
/* [ch03-free-at-once] */

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0); /* print before ASan stops us */
    s = store_cow_create_unsafe_free();
    store_set(s, "k", 1, value_new_string("old", 3, VALUE_NO_EXPIRY));
    sem_init(&loaded, 0, 0);
    sem_init(&freed, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, reader, NULL);
    sem_wait(&loaded);
    store_set(s, "k", 1, value_new_string("new", 3, VALUE_NO_EXPIRY));
    printf("writer: published the new snapshot and freed the old one\n");
    sem_post(&freed);
    pthread_join(t, NULL);
    store_destroy(s);
    return 0;
}
