/* load_dataset.c - the load test's dataset: keys of every type in their
 * small and big encodings, filled into the master.  Chapter 12.
 *
 * Each kind of key ("str:3", "hash:0", "stream:7", ...) has the same
 * number of keys; the first few of each kind are big, so that the master
 * uses its other encoding for them (Redis 7.0's limits, redis/redis
 * src/config.c: hash-max-listpack-entries 512, set-max-intset-entries
 * 512, set/zset-max-listpack-entries 128, list-max-listpack-size -2 (8 KB
 * a node), hll-sparse-max-bytes 3000, strings longer than 44 bytes are
 * "raw").  Members are drawn from a universe of the key's size ("f0".."fN"
 * for fields), so the writer can change them forever without a key
 * growing: it replaces, it does not add.  The fill is pipelined, a batch
 * of commands a write, and any error reply stops it naming the command.
 */
#include "load.h"

#include <stdio.h>
#include <string.h>

static const char *const kind_names[LK_COUNT] = {
    [LK_STR] = "str",   [LK_INT] = "int",   [LK_HLL] = "hll",
    [LK_BITS] = "bits", [LK_HASH] = "hash", [LK_LIST] = "list",
    [LK_SET] = "set",   [LK_ISET] = "iset", [LK_ZSET] = "zset",
    [LK_GEO] = "geo",   [LK_STREAM] = "stream",
};

const char *load_kind_name(load_kind k)
{
    return k < LK_COUNT ? kind_names[k] : "?";
}

int load_kind_type(load_kind k)
{
    switch (k) {
    case LK_STR: case LK_INT: case LK_HLL: case LK_BITS: return 0;
    case LK_HASH: return 1;
    case LK_LIST: return 2;
    case LK_SET: case LK_ISET: return 3;
    case LK_ZSET: case LK_GEO: return 4;
    case LK_STREAM: return 5;
    default: return -1;
    }
}

int load_kind_size(const load_shape *sh, load_kind k, int i)
{
    bool big = i < sh->large;
    switch (k) {
    case LK_STR: return big ? 2000 : 20;      /* bytes */
    case LK_INT: return 1;
    case LK_HLL: return big ? 4000 : 6;       /* elements added */
    case LK_BITS: return big ? 80000 : 200;   /* highest bit */
    case LK_HASH: return big ? 600 : 8;
    case LK_LIST: return big ? 400 : 8;
    case LK_SET: return big ? 300 : 8;
    case LK_ISET: return big ? 600 : 8;
    case LK_ZSET: return big ? 300 : 8;
    case LK_GEO: return big ? 300 : 8;
    case LK_STREAM: return big ? 1000 : 10;
    default: return 1;
    }
}

/* A geo member's position: spread over the valid range, deterministic. */
static void geo_pos(int m, double *lon, double *lat)
{
    *lon = -179.0 + (double)((m * 37) % 3580) / 10.0;
    *lat = -84.0 + (double)((m * 53) % 1680) / 10.0;
}

typedef struct filler {
    load_conn c;
    load_buf b;
    int pending;
    char *err;
    size_t errsz;
    int failed;
} filler;

static void flush(filler *f)
{
    if (f->pending == 0 || f->failed)
        return;
    if (load_conn_send(&f->c, &f->b) != 0) {
        snprintf(f->err, f->errsz, "filling the master: %s", f->c.err);
        f->failed = 1;
    }
    for (int i = 0; i < f->pending && !f->failed; i++) {
        const char *r;
        size_t n;
        if (load_conn_reply(&f->c, &r, &n) != 1) {
            snprintf(f->err, f->errsz, "filling the master: %s", f->c.err);
            f->failed = 1;
        } else if (r[0] == '-') {
            snprintf(f->err, f->errsz, "filling the master: reply %d of a "
                     "batch: %.*s", i, (int)(n > 200 ? 200 : n), r);
            f->failed = 1;
        }
    }
    f->b.len = 0;
    f->pending = 0;
}

static void add(filler *f, load_req *r)
{
    load_buf_cmd(&f->b, r);
    if (++f->pending >= 64)
        flush(f);
    load_req_init(r);
}

/* One key of kind k, index i, built in commands of at most ~16 items. */
static void fill_key(filler *f, load_kind k, int i, const load_shape *sh)
{
    int size = load_kind_size(sh, k, i);
    const char *kn = load_kind_name(k);
    load_req r;
    load_req_init(&r);
    switch (k) {
    case LK_STR: {
        char v[2001];
        for (int j = 0; j < size; j++)
            v[j] = (char)('a' + (i + j) % 26);
        v[size] = '\0';
        load_arg(&r, "SET"), load_arg(&r, "%s:%d", kn, i);
        load_arg(&r, "%s", v);
        add(f, &r);
        return;
    }
    case LK_INT:
        load_arg(&r, "SET"), load_arg(&r, "%s:%d", kn, i);
        load_arg(&r, "%lld", i < sh->large ? 1000000007LL * (i + 1) : i);
        add(f, &r);
        return;
    case LK_BITS:
        for (int j = 0; j < size; j += size / 20 + 1) {
            load_arg(&r, "SETBIT"), load_arg(&r, "%s:%d", kn, i);
            load_arg(&r, "%d", j), load_arg(&r, "1");
            add(f, &r);
        }
        return;
    default:
        break;
    }
    if (k == LK_STREAM) {
        for (int j = 0; j < size; j++) {
            load_arg(&r, "XADD"), load_arg(&r, "%s:%d", kn, i);
            load_arg(&r, "*");
            for (int c = 0; c < 3; c++)
                load_arg(&r, "f%d", c), load_arg(&r, "v%d-%d", j, c);
            add(f, &r);
        }
    }
    int j = k == LK_STREAM ? size : 0;
    while (j < size) {
        load_arg(&r, "%s", k == LK_HLL ? "PFADD" : k == LK_HASH ? "HSET"
                 : k == LK_LIST ? "RPUSH" : k == LK_SET || k == LK_ISET
                 ? "SADD" : k == LK_ZSET ? "ZADD" : "GEOADD");
        load_arg(&r, "%s:%d", kn, i);
        for (int c = 0; c < 12 && j < size; c++, j++) {
            double lon, lat;
            switch (k) {
            case LK_HLL: load_arg(&r, "e%d", j); break;
            case LK_HASH:
                load_arg(&r, "f%d", j);
                load_arg(&r, "value-%d-%d", i, j);
                break;
            case LK_LIST:
                load_arg(&r, "e%d-element-padding-to-forty-bytes-%04d", j, j);
                break;
            case LK_SET: load_arg(&r, "m%d", j); break;
            case LK_ISET: load_arg(&r, "%d", j * 7 - 100); break;
            case LK_ZSET:
                load_arg(&r, "%d.5", (j * 13) % 97);
                load_arg(&r, "m%d", j);
                break;
            case LK_GEO:
                geo_pos(j, &lon, &lat);
                load_arg(&r, "%.4f", lon), load_arg(&r, "%.4f", lat);
                load_arg(&r, "p%d", j);
                break;
            default: break;
            }
        }
        add(f, &r);
    }
    if (k == LK_STREAM) {
        /* g1: fixed, with pending entries of two consumers; g2: the
         * writer's, destroyed and made again. */
        const char *const grp[][8] = {
            {"XGROUP", "CREATE", NULL, "g1", "0"},
            {"XGROUP", "CREATE", NULL, "g2", "$"},
            {"XREADGROUP", "GROUP", "g1", "c1", "COUNT", "3", "STREAMS"},
            {"XREADGROUP", "GROUP", "g1", "c2", "COUNT", "2", "STREAMS"},
        };
        for (int g = 0; g < 4; g++) {
            for (int a = 0; a < 8 && (grp[g][a] != NULL || a == 2); a++) {
                if (grp[g][a] == NULL)
                    load_arg(&r, "%s:%d", kn, i);
                else
                    load_arg(&r, "%s", grp[g][a]);
            }
            if (g >= 2)
                load_arg(&r, "%s:%d", kn, i), load_arg(&r, ">");
            add(f, &r);
        }
    }
}

int load_dataset_fill(int port, const load_shape *sh, char *err,
                      size_t errsz)
{
    filler f = {.err = err, .errsz = errsz};
    if (load_conn_open(&f.c, port, 30000) != 0) {
        snprintf(err, errsz, "master: %s", f.c.err);
        return -1;
    }
    for (int k = 0; k < LK_COUNT && !f.failed; k++)
        for (int i = 0; i < sh->keys && !f.failed; i++)
            fill_key(&f, (load_kind)k, i, sh);
    flush(&f);
    load_buf_free(&f.b);
    load_conn_close(&f.c);
    return f.failed ? -1 : 0;
}
