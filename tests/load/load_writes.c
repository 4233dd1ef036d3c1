/* load_writes.c - the writer's commands: random writes of every type that
 * keep the dataset's shape.  Chapter 12.
 *
 * The replica must apply a full-speed stream of every kind of write, so
 * the writer draws a kind and a key and then one of that kind's writes.
 * A write replaces rather than grows (a member is removed and added back,
 * a list pushed at one end is popped at the other, a stream is trimmed),
 * so that after any number of writes each key still has its kind and
 * about its size, and the readers' "right type" picks stay right.  Some
 * writes come in groups that must stay together on one connection:
 * MULTI/EXEC (the master propagates the transaction as one), a SELECT to
 * database 1 and back (the stream then carries SELECTs; database 1 also
 * gets FLUSHDB, SWAPDB 1 2 and COPY ... DB 1, whole-database writes that
 * the readers' database 0 never sees), a consumer group
 * destroyed and made again (g2; readers ask about g1, which never
 * changes).  "vol:N" strings are set with a short expiry and deleted, so
 * the replica sees keys expire and DELs arrive; PUBLISH feeds the
 * replica's subscribers (load_pubsub.c).
 */
#include "load.h"

#include <stdio.h>

static void key_arg(load_req *r, load_kind k, int i)
{
    load_arg(r, "%s:%d", load_kind_name(k), i);
}

static void put(load_buf *b, load_req *r, int *n)
{
    load_buf_cmd(b, r);
    (*n)++;
    load_req_init(r);
}

/* A string value of the size class of str:i. */
static void str_value(load_req *r, const load_shape *sh, int i, uint64_t *rng)
{
    int size = load_kind_size(sh, LK_STR, i);
    int len = size > 100 ? size / 2 + (int)load_below(rng, (uint64_t)size)
                         : 1 + (int)load_below(rng, (uint64_t)size * 2);
    char v[4096];
    if (len > (int)sizeof v - 1)
        len = (int)sizeof v - 1;
    uint64_t x = load_rand(rng);
    for (int j = 0; j < len; j++)
        v[j] = (char)('a' + (x >> (j % 60)) % 26);
    v[len] = '\0';
    /* argument buffers hold 2048 bytes: a big value goes in shorter */
    if (len > 1500)
        v[1500] = '\0';
    load_arg(r, "%s", v);
}

int load_write_gen(load_buf *b, const load_shape *sh, uint64_t *rng,
                   uint64_t *pushes)
{
    load_req r;
    load_req_init(&r);
    int n = 0;
    int i = (int)load_below(rng, (uint64_t)sh->keys);
    unsigned pick = (unsigned)load_below(rng, 100);
    load_kind k = (load_kind)load_below(rng, LK_COUNT);
    int size = load_kind_size(sh, k, i);
    int m = (int)load_below(rng, (uint64_t)size);
    unsigned how = (unsigned)load_below(rng, 4);
    if (pick < 4) { /* a transaction */
        load_arg(&r, "MULTI"), put(b, &r, &n);
        load_arg(&r, "SET"), key_arg(&r, LK_STR, i), str_value(&r, sh, i, rng);
        put(b, &r, &n);
        load_arg(&r, "INCR"), key_arg(&r, LK_INT, i), put(b, &r, &n);
        load_arg(&r, "HSET"), key_arg(&r, LK_HASH, i);
        load_arg(&r, "f%d", (int)load_below(rng, (uint64_t)load_kind_size(
                                 sh, LK_HASH, i)));
        load_arg(&r, "tx%llu", (unsigned long long)load_rand(rng) % 1000);
        put(b, &r, &n);
        load_arg(&r, "EXEC"), put(b, &r, &n);
        return n;
    }
    if (pick < 7) { /* other databases: whole-database writes there */
        if (how == 0 && m % 4 == 0) {
            load_arg(&r, "SWAPDB"), load_arg(&r, "1"), load_arg(&r, "2");
            put(b, &r, &n);
            return n;
        }
        if (how == 1) { /* a value copied across */
            load_arg(&r, "COPY"), key_arg(&r, k, i), load_arg(&r, "db1:%d", i);
            load_arg(&r, "DB"), load_arg(&r, "1"), load_arg(&r, "REPLACE");
            put(b, &r, &n);
            return n;
        }
        load_arg(&r, "SELECT"), load_arg(&r, "1"), put(b, &r, &n);
        if (how == 0 && m % 4 == 1) {
            load_arg(&r, "FLUSHDB");
        } else {
            load_arg(&r, "SET"), load_arg(&r, "db1:%d", i);
            load_arg(&r, "%llu", (unsigned long long)load_rand(rng));
        }
        put(b, &r, &n);
        load_arg(&r, "SELECT"), load_arg(&r, "0"), put(b, &r, &n);
        return n;
    }
    if (pick < 9) { /* a message for the replica's subscribers */
        /* ch:0 and ch:1 match SUBSCRIBE and PSUBSCRIBE, ch:2 only the
         * pattern */
        load_arg(&r, "PUBLISH"), load_arg(&r, "ch:%d", i % 3);
        *pushes += i % 3 < 2 ? 2 : 1;
        load_arg(&r, "msg-%d", m);
        put(b, &r, &n);
        return n;
    }
    if (pick < 15) { /* keys that come and go */
        load_arg(&r, how == 0 ? "DEL" : "SET"), load_arg(&r, "vol:%d", i);
        if (how != 0) {
            load_arg(&r, "v%d", m);
            load_arg(&r, "PX"), load_arg(&r, "%d", 1 + (int)load_below(rng,
                                                                       500));
        }
        put(b, &r, &n);
        return n;
    }
    switch (k) {
    case LK_STR:
        if (how == 0) {
            load_arg(&r, "SETRANGE"), key_arg(&r, k, i);
            load_arg(&r, "%d", m / 2), load_arg(&r, "xyz");
        } else if (how == 1) {
            int o = (int)load_below(rng, (uint64_t)sh->keys);
            load_arg(&r, "MSET"), key_arg(&r, k, i), str_value(&r, sh, i, rng);
            key_arg(&r, k, o), str_value(&r, sh, o, rng);
        } else {
            load_arg(&r, "SET"), key_arg(&r, k, i), str_value(&r, sh, i, rng);
        }
        break;
    case LK_INT:
        load_arg(&r, "INCRBY"), key_arg(&r, k, i);
        load_arg(&r, "%d", (int)load_below(rng, 201) - 100);
        break;
    case LK_HLL:
        load_arg(&r, "PFADD"), key_arg(&r, k, i);
        load_arg(&r, "e%d", (int)load_below(rng, (uint64_t)size * 2));
        break;
    case LK_BITS:
        load_arg(&r, "SETBIT"), key_arg(&r, k, i), load_arg(&r, "%d", m);
        load_arg(&r, "%d", (int)(how & 1));
        break;
    case LK_HASH:
        if (how == 0) {
            load_arg(&r, "HDEL"), key_arg(&r, k, i), load_arg(&r, "f%d", m);
            put(b, &r, &n);
        }
        load_arg(&r, "HSET"), key_arg(&r, k, i), load_arg(&r, "f%d", m);
        load_arg(&r, "w%llu", (unsigned long long)load_rand(rng) % 100000);
        break;
    case LK_LIST:
        if (how == 0) {
            load_arg(&r, "LSET"), key_arg(&r, k, i), load_arg(&r, "%d", m);
            load_arg(&r, "e%d-set", m);
            break;
        }
        load_arg(&r, how == 1 ? "LPUSH" : "RPUSH"), key_arg(&r, k, i);
        load_arg(&r, "e%d-element-padding-to-forty-bytes-%04d", m, m);
        put(b, &r, &n);
        load_arg(&r, how == 1 ? "RPOP" : "LPOP"), key_arg(&r, k, i);
        break;
    case LK_SET:
    case LK_ISET:
        for (int add = 0; add < 2; add++) {
            load_arg(&r, add ? "SADD" : "SREM"), key_arg(&r, k, i);
            if (k == LK_SET)
                load_arg(&r, "m%d", m);
            else
                load_arg(&r, "%d", m * 7 - 100);
            if (!add)
                put(b, &r, &n);
        }
        break;
    case LK_ZSET:
        if (how == 0) {
            load_arg(&r, "ZREM"), key_arg(&r, k, i), load_arg(&r, "m%d", m);
            put(b, &r, &n);
        }
        if (how == 1) {
            load_arg(&r, "ZINCRBY"), key_arg(&r, k, i), load_arg(&r, "1.5");
        } else {
            load_arg(&r, "ZADD"), key_arg(&r, k, i);
            load_arg(&r, "%d", (int)load_below(rng, 1000) - 500);
        }
        load_arg(&r, "m%d", m);
        break;
    case LK_GEO:
        load_arg(&r, "GEOADD"), key_arg(&r, k, i);
        load_arg(&r, "%.5f", -179.0 + (double)load_below(rng, 358000) / 1000);
        load_arg(&r, "%.5f", -84.0 + (double)load_below(rng, 168000) / 1000);
        load_arg(&r, "p%d", m);
        break;
    case LK_STREAM:
        if (pick < 17) {
            load_arg(&r, "XGROUP"), load_arg(&r, "DESTROY"), key_arg(&r, k, i);
            load_arg(&r, "g2"), put(b, &r, &n);
            load_arg(&r, "XGROUP"), load_arg(&r, "CREATE"), key_arg(&r, k, i);
            load_arg(&r, "g2"), load_arg(&r, "$");
        } else if (how == 0) {
            load_arg(&r, "XREADGROUP"), load_arg(&r, "GROUP");
            load_arg(&r, "g2"), load_arg(&r, "c%d", m % 3);
            load_arg(&r, "COUNT"), load_arg(&r, "2");
            load_arg(&r, "STREAMS"), key_arg(&r, k, i), load_arg(&r, ">");
        } else {
            load_arg(&r, "XADD"), key_arg(&r, k, i), load_arg(&r, "MAXLEN");
            load_arg(&r, "~"), load_arg(&r, "%d", size), load_arg(&r, "*");
            load_arg(&r, "f0"), load_arg(&r, "x%d", m);
            load_arg(&r, "f1"), load_arg(&r, "%d", (int)how);
        }
        break;
    default:
        break;
    }
    put(b, &r, &n);
    return n;
}
