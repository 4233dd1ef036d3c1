/* ch09_publish_each.c - chapter 9's keyspace publishing every change as it is made.
 *
 * Chapter 9 opens with a reader that must never see half a batch.  This
 * file puts back the natural first design: keyspace_put() publishes at
 * once, as chapter 5's store_set() would, instead of waiting for
 * keyspace_commit().  It compiles src/keyspace_batch.c unchanged with its
 * keyspace_put() renamed out of the way and supplies one that commits the
 * batch after every put and opens a new one.  Each change is still right
 * on its own, so a writer's results are the same; only a reader, between
 * two puts of one batch, sees a keyspace the master never had.
 * `make broken-ch09_publish_each` links it with chapter 9's suites in
 * place of the library's keyspace_batch.o.  Never built into the library.
 */
#define keyspace_put keyspace_put_in_batch
#include "keyspace_batch.c"
#undef keyspace_put

int keyspace_put(keyspace *ks, unsigned db, const void *key, size_t klen,
                 value *v);

int keyspace_put(keyspace *ks, unsigned db, const void *key, size_t klen,
                 value *v)
{
    int rc = keyspace_put_in_batch(ks, db, key, klen, v);
    if (rc != 0)
        return rc;
    /* The bug: the change is published before the batch is over. */
    if (keyspace_commit(ks) != 0)
        return -1;
    return keyspace_batch_begin(ks);
}
