/* store_striped.h - lock striping: 16 reader-writer locks, one per shard.
 * Chapter 5.
 *
 * The usual answer to "one lock is a bottleneck" is more locks: split the
 * keys into shards by hash, each with its own map and its own rwlock.  Two
 * writers on different shards no longer wait for each other.  Chapter 5
 * keeps it as a comparison point, because it shows what striping does not
 * fix: a reader still writes a lock word (now one of 16), so readers of the
 * same shard still bounce its cache line between cores, and with random
 * keys two readers meet on the same lines all the time.  And because a
 * reader drops the shard lock after each lookup but keeps using the value,
 * replaced values still go through epochs, one domain per shard.  A read
 * section is therefore not a snapshot: two lookups of one key may return
 * two values (each stays valid until read_end()).
 */
#ifndef STORE_STRIPED_H
#define STORE_STRIPED_H

#include "store.h"

/** Lock-striped store ("striped"): 16 shards, each a map and an rwlock. */
extern const store_ops store_striped_ops;

#endif
