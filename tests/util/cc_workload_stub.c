/* cc_workload_stub.c - a stand-in for the consistency checker's workload (SET/HSET/RPUSH/SELECT).
 * Chapter 12.
 *
 * Weak definitions of cc_workload.h, used only until tests/util/cc_workload.c
 * is in the tree (its strong definitions then win, and this file goes).
 */
#include "cc_workload.h"

#include <stdlib.h>
#include <string.h>

struct cc_workload {
    uint64_t rng;
    int db, databases;
    size_t total;
    cc_op *ops;
    size_t nops;
    char (*buf)[10][96];
    size_t cap;
    size_t counts[16];
};

static const char *const fams[] = {"db", "geo", "hash", "keys", "list", "script",
                                   "set", "sort", "stream", "string", "zset"};
#define NFAM ((int)(sizeof fams / sizeof fams[0]))

__attribute__((weak)) void cc_workload_opts_default(cc_workload_opts *o)
{
    o->databases = 4;
    o->big = 1;
}

__attribute__((weak)) cc_workload *cc_workload_new(uint64_t seed, const cc_workload_opts *o)
{
    cc_workload *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->rng = seed * 0x9E3779B97F4A7C15ull | 1;
    w->databases = o && o->databases > 0 ? o->databases : 4;
    return w;
}

__attribute__((weak)) void cc_workload_free(cc_workload *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->cap; i++) {
        free(w->ops[i].argv);
        free(w->ops[i].lens);
    }
    free(w->ops);
    free(w->buf);
    free(w);
}

static uint64_t rnd(cc_workload *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

/* Templates: words, with placeholders %k key (of the template's family),
 * %K another key of that family, %m member, %i small int, %f float,
 * %v value, %t a short TTL in ms, %d a database. */
static const char *const tmpl[][10] = {
    {"string", "SET", "%k", "%v"}, {"string", "APPEND", "%k", "%v"},
    {"string", "INCRBY", "%k", "%i"}, {"string", "INCRBYFLOAT", "%k", "%f"},
    {"string", "SETRANGE", "%k", "%i", "%v"}, {"string", "SETBIT", "%k", "%i", "1"},
    {"string", "SET", "%k", "%v", "PX", "%t"}, {"string", "GETDEL", "%k"},
    {"string", "GETEX", "%k", "PX", "%t"}, {"string", "PFADD", "%k", "%m", "%m"},
    {"hash", "HSET", "%k", "%m", "%v"}, {"hash", "HDEL", "%k", "%m"},
    {"hash", "HINCRBY", "%k", "%m", "%i"}, {"hash", "HINCRBYFLOAT", "%k", "%m", "%f"},
    {"hash", "HSETNX", "%k", "%m", "%v"},
    {"list", "RPUSH", "%k", "%v", "%v"}, {"list", "LPUSH", "%k", "%m"},
    {"list", "LPOP", "%k"}, {"list", "RPOP", "%k", "2"}, {"list", "LSET", "%k", "0", "%v"},
    {"list", "LINSERT", "%k", "BEFORE", "%m", "%v"}, {"list", "LTRIM", "%k", "1", "-2"},
    {"list", "LREM", "%k", "0", "%m"}, {"list", "LMOVE", "%k", "%K", "LEFT", "RIGHT"},
    {"set", "SADD", "%k", "%m", "%m", "%i"}, {"set", "SREM", "%k", "%m"},
    {"set", "SPOP", "%k"}, {"set", "SMOVE", "%k", "%K", "%m"},
    {"set", "SUNIONSTORE", "%k", "%K", "%K"}, {"set", "SINTERSTORE", "%k", "%K", "%K"},
    {"zset", "ZADD", "%k", "%f", "%m", "%i", "%m"}, {"zset", "ZINCRBY", "%k", "%f", "%m"},
    {"zset", "ZREM", "%k", "%m"}, {"zset", "ZPOPMIN", "%k"},
    {"zset", "ZREMRANGEBYRANK", "%k", "0", "0"}, {"zset", "ZUNIONSTORE", "%k", "2", "%K", "%K"},
    {"zset", "ZADD", "%k", "GT", "CH", "%f", "%m"}, {"zset", "ZRANGESTORE", "%k", "%K", "0", "-1"},
    {"geo", "GEOADD", "%k", "13.36", "38.11", "%m"},
    {"stream", "XADD", "%k", "*", "%m", "%v"}, {"stream", "XADD", "%k", "MAXLEN", "~", "5", "*", "f", "%v"},
    {"stream", "XADD", "%k", "MAXLEN", "3", "*", "f", "%v"},
    {"stream", "XGROUP", "CREATE", "%k", "g1", "0", "MKSTREAM"},
    {"stream", "XGROUP", "CREATE", "%k", "g2", "$", "MKSTREAM", "ENTRIESREAD", "1"},
    {"stream", "XREADGROUP", "GROUP", "g1", "c1", "COUNT", "2", "STREAMS", "%k", ">"},
    {"stream", "XREADGROUP", "GROUP", "g2", "c2", "STREAMS", "%k", ">"},
    {"stream", "XREADGROUP", "GROUP", "g1", "c2", "NOACK", "STREAMS", "%k", ">"},
    {"stream", "XAUTOCLAIM", "%k", "g1", "c3", "0", "0", "COUNT", "1"},
    {"stream", "XTRIM", "%k", "MAXLEN", "2"}, {"stream", "XGROUP", "SETID", "%k", "g1", "0"},
    {"stream", "XGROUP", "DELCONSUMER", "%k", "g1", "c1"},
    {"stream", "XGROUP", "CREATECONSUMER", "%k", "g1", "c9"},
    {"keys", "EXPIRE", "%k", "100"}, {"keys", "PEXPIRE", "%k", "%t"}, {"keys", "PERSIST", "%k"},
    {"keys", "DEL", "%k"}, {"keys", "RENAME", "%k", "%K"}, {"keys", "COPY", "%k", "%K", "REPLACE"},
    {"keys", "UNLINK", "%k"}, {"keys", "MOVE", "%k", "%d"},
    {"sort", "SORT", "%k", "ALPHA", "STORE", "%K"},
    {"db", "SELECT", "%d"}, {"db", "SWAPDB", "%d", "%d"},
    {"script", "EVAL", "redis.call('SET', KEYS[1], ARGV[1]) redis.call('INCR', KEYS[1]) return 1", "1", "%k", "%v"},
    {"script", "EVAL", "redis.call('RPUSH', KEYS[1], ARGV[1]) return redis.call('LLEN', KEYS[1])", "1", "%k", "%v"},
};
#define NTMPL (sizeof tmpl / sizeof tmpl[0])

static void word(cc_workload *w, const char *fam_name, const char *t, char *out, size_t sz)
{
    unsigned r = (unsigned)(rnd(w) % 8);
    if (t[0] != '%') {
        snprintf(out, sz, "%s", t);
    } else if (t[1] == 'k' || t[1] == 'K') {
        const char *f = !strcmp(fam_name, "keys") || !strcmp(fam_name, "sort") ||
                        !strcmp(fam_name, "script")
                            ? (const char *[]){"string", "hash", "list", "set", "zset",
                                               "stream"}[rnd(w) % 6]
                            : fam_name;
        snprintf(out, sz, "%s:%u", f, r);
    } else if (t[1] == 'm') {
        snprintf(out, sz, "m%u", (unsigned)(rnd(w) % 12));
    } else if (t[1] == 'i') {
        snprintf(out, sz, "%u", (unsigned)(rnd(w) % 100));
    } else if (t[1] == 'f') {
        snprintf(out, sz, "%.3f", (double)(rnd(w) % 100000) / 7.0);
    } else if (t[1] == 't') {
        snprintf(out, sz, "%u", 1 + (unsigned)(rnd(w) % 3000));
    } else if (t[1] == 'd') {
        snprintf(out, sz, "%d", (int)(rnd(w) % (uint64_t)w->databases));
    } else {
        snprintf(out, sz, "v%llu", (unsigned long long)(rnd(w) % 100000));
    }
}

__attribute__((weak)) int cc_workload_batch(cc_workload *w, size_t n, const cc_op **ops,
                                            size_t *nops)
{
    if (n > w->cap) {
        cc_op *p = realloc(w->ops, n * sizeof *p);
        if (!p)
            return -1;
        w->ops = p;
        char (*b)[10][96] = realloc(w->buf, n * sizeof *b);
        if (!b)
            return -1;
        w->buf = b;
        for (size_t i = w->cap; i < n; i++) {
            w->ops[i].argv = calloc(10, sizeof(char *));
            w->ops[i].lens = calloc(10, sizeof(size_t));
            if (!w->ops[i].argv || !w->ops[i].lens)
                return -1;
            w->cap = i + 1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        cc_op *op = &w->ops[i];
        size_t k = (size_t)(rnd(w) % NTMPL);
        if (!strcmp(tmpl[k][0], "db") && rnd(w) % 3)
            k = 0;
        op->argc = 0;
        for (size_t j = 1; j < 10 && tmpl[k][j]; j++) {
            word(w, tmpl[k][0], tmpl[k][j], w->buf[i][op->argc], 96);
            op->argv[op->argc] = w->buf[i][op->argc];
            op->lens[op->argc] = strlen(w->buf[i][op->argc]);
            op->argc++;
        }
        if (!strcmp(op->argv[0], "SELECT"))
            w->db = atoi(op->argv[1]);
        op->family = tmpl[k][0];
        op->flags = CC_OP_MAY_FAIL;
        for (int f = 0; f < NFAM; f++)
            if (!strcmp(fams[f], op->family))
                w->counts[f]++;
    }
    w->total += n;
    *ops = w->ops;
    *nops = n;
    return 0;
}

__attribute__((weak)) int cc_workload_db(const cc_workload *w)
{
    return w->db;
}

__attribute__((weak)) void cc_workload_print_stats(const cc_workload *w, FILE *out)
{
    for (int i = 0; i < NFAM; i++)
        fprintf(out, "%s %zu\n", fams[i], w->counts[i]);
}

__attribute__((weak)) size_t cc_workload_total(const cc_workload *w)
{
    return w->total;
}
