/* ch12_past_expiry.c - chapter 12's replica that expires keys on its own clock.
 *
 * Chapter 12 opens with a bug the consistency checker found.  A master
 * never propagates an expiry it knows to be past, but a replica that lags
 * applies `PEXPIREAT` after its time.  Redis as a replica then sets the
 * past expiry and waits for the master's DEL; this file puts back the
 * applier that deletes the key at once, as a master would: src/cmd_expire.c
 * compiled unchanged except that setting an expiry already past (by the
 * replica's clock) deletes the key.  The master's next command on that key
 * (RENAME, LPUSH ...) then finds it alive on the master and missing here.
 * `make broken-replica-ch12_past_expiry` builds build/replica with it in
 * place of the library's cmd_expire.o.  Never built into the library.
 */
#include "keyspace.h"
#include "value.h"

#include <time.h>

/* keyspace_set_expire() as the broken applier uses it: a past time deletes. */
static int delete_if_past(keyspace *ks, unsigned db, const void *key, size_t klen,
                          int64_t expire_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (expire_ms != VALUE_NO_EXPIRY && expire_ms <= now)
        return keyspace_delete(ks, db, key, klen) < 0 ? -1 : 0;
    return keyspace_set_expire(ks, db, key, klen, expire_ms);
}

#define keyspace_set_expire delete_if_past
#include "cmd_expire.c"
#undef keyspace_set_expire
