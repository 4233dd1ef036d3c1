/* load_gen.c - a generator of well-formed calls for every read command the
 * replica serves.  Chapter 12.
 *
 * The readers must send EVERY read command, and the list of read commands
 * is the server's own: every entry of server_cmd_tables() flagged
 * SERVER_CMD_READ, at top level or as a subcommand (OBJECT ENCODING,
 * XINFO STREAM, MEMORY USAGE).  load_gen_check_coverage() walks those
 * tables at startup and refuses to run when one has no generator here, so
 * a command added to the server without a generator fails the load test
 * instead of going untested.  A few commands that read no key (PING,
 * TIME, COMMAND COUNT, ...) are sent too, as clients send them.
 *
 * Each generator draws its keys with pick(): mostly a key of the right
 * kind, sometimes a missing key, sometimes a key of another type.  The
 * pick records which errors the request may then get (WRONGTYPE only
 * after a wrong-type pick; XINFO's "no such key" only after a missing
 * key...), so an error that its arguments cannot explain fails the run.
 * Options are drawn too (LIMIT, WITHSCORES, BYLEX, COUNT, cursors), but
 * only in combinations Redis accepts.
 */
#include "load.h"

#include "server_cmd.h"

#include <stdio.h>
#include <string.h>

/* How a key was picked. */
enum { P_RIGHT, P_MISSING, P_WRONG };

typedef struct pick {
    load_kind kind; /* of the key named (the wanted kind when missing) */
    int i;          /* its index, -1 when missing */
    int how;
    int size;       /* members it has (about), for drawing members */
} pick;

#define ALLOW(r, e) ((r)->allowed |= 1u << (e))

static pick pick_key(load_req *r, const load_shape *sh, uint64_t *rng,
                     load_kind k)
{
    pick p = {.kind = k, .i = (int)load_below(rng, (uint64_t)sh->keys),
              .how = P_RIGHT};
    unsigned d = (unsigned)load_below(rng, 100);
    if (d < 8) {
        p.how = P_MISSING;
        p.i = -1;
        /* "vol:N" strings exist or not; for other kinds a name never
         * written */
        if (load_kind_type(k) == 0 && k != LK_HLL && d < 4)
            load_arg(r, "vol:%d", (int)load_below(rng, (uint64_t)sh->keys));
        else
            load_arg(r, "nokey:%d", (int)load_below(rng, 1000));
        p.size = 8;
        return p;
    }
    if (d < 18) {
        load_kind w;
        do
            w = (load_kind)load_below(rng, LK_COUNT);
        while (load_kind_type(w) == load_kind_type(k));
        p.kind = w;
        p.how = P_WRONG;
        ALLOW(r, LOAD_ERR_WRONGTYPE);
        ALLOW(r, LOAD_ERR_LCSTYPE);
    }
    p.size = load_kind_size(sh, p.kind, p.i);
    load_arg(r, "%s:%d", load_kind_name(p.kind), p.i);
    return p;
}

/* A member index of p: mostly present, sometimes past the end. */
static int mem(const pick *p, uint64_t *rng)
{
    return (int)load_below(rng, (uint64_t)p->size + p->size / 8 + 1);
}

static int num(uint64_t *rng, int lo, int hi)
{
    return lo + (int)load_below(rng, (uint64_t)(hi - lo + 1));
}

static int coin(uint64_t *rng)
{
    return (int)(load_rand(rng) & 1);
}

#define GEN(name) static void name(load_req *r, const load_shape *sh,      \
                                   uint64_t *rng)
#define UNUSED_SH (void)sh

/* ---- strings, bits, HyperLogLog ------------------------------------------ */

GEN(g_get) { load_arg(r, "GET"), pick_key(r, sh, rng, LK_STR); }
GEN(g_mget)
{
    load_arg(r, "MGET");
    for (int n = num(rng, 1, 5); n > 0; n--)
        pick_key(r, sh, rng, coin(rng) ? LK_STR : LK_INT);
    r->allowed &= ~(1u << LOAD_ERR_WRONGTYPE); /* MGET: nil, never an error */
}
GEN(g_strlen) { load_arg(r, "STRLEN"), pick_key(r, sh, rng, LK_STR); }
static void range_cmd(load_req *r, const load_shape *sh, uint64_t *rng,
                      const char *name)
{
    load_arg(r, "%s", name), pick_key(r, sh, rng, LK_STR);
    load_arg(r, "%d", num(rng, -30, 2000)), load_arg(r, "%d", num(rng, -30, 2100));
}
GEN(g_getrange) { range_cmd(r, sh, rng, "GETRANGE"); }
GEN(g_substr) { range_cmd(r, sh, rng, "SUBSTR"); }
GEN(g_lcs)
{
    load_arg(r, "LCS");
    for (int n = 0; n < 2; n++) {
        /* small strings: LCS is quadratic */
        pick p = pick_key(r, sh, rng, LK_STR);
        if (p.how == P_RIGHT && p.i < sh->large) {
            r->argc--; /* replace a big string by a small one */
            load_arg(r, "str:%d", sh->large + (int)load_below(
                                      rng, (uint64_t)(sh->keys - sh->large)));
        }
    }
    switch (load_below(rng, 4)) {
    case 0: load_arg(r, "LEN"); break;
    case 1:
        load_arg(r, "IDX");
        if (coin(rng))
            load_arg(r, "MINMATCHLEN"), load_arg(r, "%d", num(rng, 0, 4));
        if (coin(rng))
            load_arg(r, "WITHMATCHLEN");
        break;
    default: break;
    }
}
GEN(g_getbit)
{
    load_arg(r, "GETBIT"), pick_key(r, sh, rng, LK_BITS);
    load_arg(r, "%d", num(rng, 0, 90000));
}
GEN(g_bitcount)
{
    load_arg(r, "BITCOUNT"), pick_key(r, sh, rng, LK_BITS);
    if (coin(rng)) {
        load_arg(r, "%d", num(rng, -100, 100)), load_arg(r, "%d", num(rng, -100, 12000));
        if (coin(rng))
            load_arg(r, coin(rng) ? "BIT" : "BYTE");
    }
}
GEN(g_bitpos)
{
    load_arg(r, "BITPOS"), pick_key(r, sh, rng, LK_BITS);
    load_arg(r, "%d", coin(rng));
    if (coin(rng)) {
        load_arg(r, "%d", num(rng, -50, 50));
        if (coin(rng)) {
            load_arg(r, "%d", num(rng, -50, 12000));
            if (coin(rng))
                load_arg(r, coin(rng) ? "BIT" : "BYTE");
        }
    }
}
GEN(g_bitfield_ro)
{
    static const char *const types[] = {"u8", "i5", "u1", "i16", "u63", "i64"};
    load_arg(r, "BITFIELD_RO"), pick_key(r, sh, rng, LK_BITS);
    for (int n = num(rng, 1, 3); n > 0; n--) {
        load_arg(r, "GET"), load_arg(r, "%s", types[load_below(rng, 6)]);
        if (coin(rng))
            load_arg(r, "#%d", num(rng, 0, 100));
        else
            load_arg(r, "%d", num(rng, 0, 80000));
    }
}
GEN(g_pfcount)
{
    load_arg(r, "PFCOUNT");
    for (int n = num(rng, 1, 3); n > 0; n--)
        pick_key(r, sh, rng, LK_HLL);
}

/* ---- keys ------------------------------------------------------------------ */

static load_kind any_kind(uint64_t *rng)
{
    return (load_kind)load_below(rng, LK_COUNT);
}
static void one_key(load_req *r, const load_shape *sh, uint64_t *rng,
                    const char *name)
{
    load_arg(r, "%s", name), pick_key(r, sh, rng, any_kind(rng));
    r->allowed &= ~(1u << LOAD_ERR_WRONGTYPE);
}
GEN(g_exists)
{
    load_arg(r, "EXISTS");
    for (int n = num(rng, 1, 4); n > 0; n--)
        pick_key(r, sh, rng, any_kind(rng));
    r->allowed &= ~(1u << LOAD_ERR_WRONGTYPE);
}
GEN(g_touch)
{
    load_arg(r, "TOUCH");
    for (int n = num(rng, 1, 4); n > 0; n--)
        pick_key(r, sh, rng, any_kind(rng));
    r->allowed &= ~(1u << LOAD_ERR_WRONGTYPE);
}
GEN(g_type) { one_key(r, sh, rng, "TYPE"); }
GEN(g_ttl) { one_key(r, sh, rng, "TTL"); }
GEN(g_pttl) { one_key(r, sh, rng, "PTTL"); }
GEN(g_expiretime) { one_key(r, sh, rng, "EXPIRETIME"); }
GEN(g_pexpiretime) { one_key(r, sh, rng, "PEXPIRETIME"); }
GEN(g_dbsize) { UNUSED_SH, (void)rng; load_arg(r, "DBSIZE"); }
GEN(g_randomkey) { UNUSED_SH, (void)rng; load_arg(r, "RANDOMKEY"); }
GEN(g_keys)
{
    UNUSED_SH;
    static const char *const pats[] = {"*", "str:*", "h?sh:1*", "*:[0-3]",
                                       "vol:*", "nokey*", "stream:\\*"};
    load_arg(r, "KEYS"), load_arg(r, "%s", pats[load_below(rng, 7)]);
}
GEN(g_scan)
{
    UNUSED_SH;
    static const char *const types[] = {"string", "hash", "list", "set",
                                        "zset", "stream", "nosuchtype"};
    load_arg(r, "SCAN"), load_arg(r, "%d", coin(rng) ? 0 : num(rng, 0, 1000));
    if (coin(rng))
        load_arg(r, "MATCH"), load_arg(r, coin(rng) ? "*:1*" : "zset:*");
    if (coin(rng))
        load_arg(r, "COUNT"), load_arg(r, "%d", num(rng, 1, 50));
    if (coin(rng))
        load_arg(r, "TYPE"), load_arg(r, "%s", types[load_below(rng, 7)]);
}
GEN(g_dump)
{
    load_arg(r, "DUMP");
    pick p = pick_key(r, sh, rng, any_kind(rng));
    r->allowed &= ~(1u << LOAD_ERR_WRONGTYPE);
    if (p.kind == LK_STREAM && p.how != P_MISSING)
        ALLOW(r, LOAD_ERR_DUMPSTREAM);
}
static void object_cmd(load_req *r, const load_shape *sh, uint64_t *rng,
                       const char *sub)
{
    load_arg(r, "OBJECT"), load_arg(r, "%s", sub);
    pick_key(r, sh, rng, any_kind(rng));
    r->allowed &= ~(1u << LOAD_ERR_WRONGTYPE);
}
GEN(g_object_encoding) { object_cmd(r, sh, rng, "ENCODING"); }
GEN(g_object_freq)
{
    object_cmd(r, sh, rng, "FREQ");
    ALLOW(r, LOAD_ERR_LFU);
}
GEN(g_object_idletime) { object_cmd(r, sh, rng, "IDLETIME"); }
GEN(g_object_refcount) { object_cmd(r, sh, rng, "REFCOUNT"); }
GEN(g_object_help) { UNUSED_SH, (void)rng; load_arg(r, "OBJECT"), load_arg(r, "HELP"); }
GEN(g_memory_usage)
{
    load_arg(r, "MEMORY"), load_arg(r, "USAGE");
    pick_key(r, sh, rng, any_kind(rng));
    r->allowed &= ~(1u << LOAD_ERR_WRONGTYPE);
    if (coin(rng))
        load_arg(r, "SAMPLES"), load_arg(r, "%d", num(rng, 0, 10));
}

/* ---- hashes ----------------------------------------------------------------- */

GEN(g_hget)
{
    load_arg(r, "HGET");
    pick p = pick_key(r, sh, rng, LK_HASH);
    load_arg(r, "f%d", mem(&p, rng));
}
GEN(g_hmget)
{
    load_arg(r, "HMGET");
    pick p = pick_key(r, sh, rng, LK_HASH);
    for (int n = num(rng, 1, 5); n > 0; n--)
        load_arg(r, "f%d", mem(&p, rng));
}
GEN(g_hgetall) { load_arg(r, "HGETALL"), pick_key(r, sh, rng, LK_HASH); }
GEN(g_hkeys) { load_arg(r, "HKEYS"), pick_key(r, sh, rng, LK_HASH); }
GEN(g_hvals) { load_arg(r, "HVALS"), pick_key(r, sh, rng, LK_HASH); }
GEN(g_hlen) { load_arg(r, "HLEN"), pick_key(r, sh, rng, LK_HASH); }
GEN(g_hexists)
{
    load_arg(r, "HEXISTS");
    pick p = pick_key(r, sh, rng, LK_HASH);
    load_arg(r, "f%d", mem(&p, rng));
}
GEN(g_hstrlen)
{
    load_arg(r, "HSTRLEN");
    pick p = pick_key(r, sh, rng, LK_HASH);
    load_arg(r, "f%d", mem(&p, rng));
}
GEN(g_hrandfield)
{
    load_arg(r, "HRANDFIELD"), pick_key(r, sh, rng, LK_HASH);
    if (coin(rng)) {
        load_arg(r, "%d", num(rng, -20, 20));
        if (coin(rng))
            load_arg(r, "WITHVALUES");
    }
}
/* HSCAN SSCAN ZSCAN: a cursor, MATCH, COUNT. */
static void cscan(load_req *r, const load_shape *sh, uint64_t *rng,
                  const char *name, load_kind k, const char *match)
{
    load_arg(r, "%s", name), pick_key(r, sh, rng, k);
    load_arg(r, "%d", coin(rng) ? 0 : num(rng, 0, 700));
    if (coin(rng))
        load_arg(r, "MATCH"), load_arg(r, "%s", match);
    if (coin(rng))
        load_arg(r, "COUNT"), load_arg(r, "%d", num(rng, 1, 100));
}
GEN(g_hscan) { cscan(r, sh, rng, "HSCAN", LK_HASH, "f1*"); }

/* ---- lists ------------------------------------------------------------------ */

GEN(g_lrange)
{
    load_arg(r, "LRANGE"), pick_key(r, sh, rng, LK_LIST);
    load_arg(r, "%d", num(rng, -450, 450)), load_arg(r, "%d", num(rng, -450, 450));
}
GEN(g_llen) { load_arg(r, "LLEN"), pick_key(r, sh, rng, LK_LIST); }
GEN(g_lindex)
{
    load_arg(r, "LINDEX"), pick_key(r, sh, rng, LK_LIST);
    load_arg(r, "%d", num(rng, -450, 450));
}
GEN(g_lpos)
{
    load_arg(r, "LPOS");
    pick p = pick_key(r, sh, rng, LK_LIST);
    int m = mem(&p, rng);
    load_arg(r, "e%d-element-padding-to-forty-bytes-%04d", m, m);
    if (coin(rng)) {
        int rank = num(rng, -3, 3);
        load_arg(r, "RANK"), load_arg(r, "%d", rank == 0 ? 1 : rank);
    }
    if (coin(rng))
        load_arg(r, "COUNT"), load_arg(r, "%d", num(rng, 0, 5));
    if (coin(rng))
        load_arg(r, "MAXLEN"), load_arg(r, "%d", num(rng, 0, 500));
}

/* ---- sets ------------------------------------------------------------------- */

static load_kind set_kind(uint64_t *rng)
{
    return coin(rng) ? LK_SET : LK_ISET;
}
static void set_member(load_req *r, const pick *p, uint64_t *rng)
{
    int m = mem(p, rng);
    if (p->kind == LK_ISET)
        load_arg(r, "%d", m * 7 - 100);
    else
        load_arg(r, "m%d", m);
}
GEN(g_smembers) { load_arg(r, "SMEMBERS"), pick_key(r, sh, rng, set_kind(rng)); }
GEN(g_sismember)
{
    load_arg(r, "SISMEMBER");
    pick p = pick_key(r, sh, rng, set_kind(rng));
    set_member(r, &p, rng);
}
GEN(g_smismember)
{
    load_arg(r, "SMISMEMBER");
    pick p = pick_key(r, sh, rng, set_kind(rng));
    for (int n = num(rng, 1, 4); n > 0; n--)
        set_member(r, &p, rng);
}
GEN(g_scard) { load_arg(r, "SCARD"), pick_key(r, sh, rng, set_kind(rng)); }
GEN(g_srandmember)
{
    load_arg(r, "SRANDMEMBER"), pick_key(r, sh, rng, set_kind(rng));
    if (coin(rng))
        load_arg(r, "%d", num(rng, -20, 20));
}
GEN(g_sscan) { cscan(r, sh, rng, "SSCAN", set_kind(rng), "*1*"); }
static void set_op(load_req *r, const load_shape *sh, uint64_t *rng,
                   const char *name)
{
    load_arg(r, "%s", name);
    for (int n = num(rng, 1, 3); n > 0; n--)
        pick_key(r, sh, rng, set_kind(rng));
}
GEN(g_sinter) { set_op(r, sh, rng, "SINTER"); }
GEN(g_sunion) { set_op(r, sh, rng, "SUNION"); }
GEN(g_sdiff) { set_op(r, sh, rng, "SDIFF"); }
GEN(g_sintercard)
{
    int n = num(rng, 1, 3);
    load_arg(r, "SINTERCARD"), load_arg(r, "%d", n);
    for (; n > 0; n--)
        pick_key(r, sh, rng, set_kind(rng));
    if (coin(rng))
        load_arg(r, "LIMIT"), load_arg(r, "%d", num(rng, 0, 10));
}

/* ---- sorted sets ------------------------------------------------------------- */

static void score_arg(load_req *r, uint64_t *rng)
{
    static const char *const special[] = {"-inf", "+inf", "(0", "(10.5"};
    if (load_below(rng, 5) == 0)
        load_arg(r, "%s", special[load_below(rng, 4)]);
    else
        load_arg(r, "%s%d", coin(rng) ? "(" : "", num(rng, -100, 100));
}
static void lex_arg(load_req *r, uint64_t *rng)
{
    switch (load_below(rng, 4)) {
    case 0: load_arg(r, "-"); break;
    case 1: load_arg(r, "+"); break;
    default: load_arg(r, "%cm%d", coin(rng) ? '[' : '(', num(rng, 0, 300)); break;
    }
}
static void limit(load_req *r, uint64_t *rng)
{
    load_arg(r, "LIMIT"), load_arg(r, "%d", num(rng, 0, 20));
    load_arg(r, "%d", num(rng, -1, 20));
}
static load_kind z_kind(uint64_t *rng)
{
    return load_below(rng, 4) == 0 ? LK_GEO : LK_ZSET;
}
GEN(g_zrange)
{
    load_arg(r, "ZRANGE"), pick_key(r, sh, rng, z_kind(rng));
    unsigned by = (unsigned)load_below(rng, 3); /* rank, score, lex */
    bool rev = coin(rng);
    if (by == 0) {
        load_arg(r, "%d", num(rng, -350, 350)), load_arg(r, "%d", num(rng, -350, 350));
    } else if (by == 1) {
        score_arg(r, rng), score_arg(r, rng), load_arg(r, "BYSCORE");
    } else {
        lex_arg(r, rng), lex_arg(r, rng), load_arg(r, "BYLEX");
    }
    if (rev)
        load_arg(r, "REV");
    if (by != 0 && coin(rng))
        limit(r, rng);
    if (by != 2 && coin(rng))
        load_arg(r, "WITHSCORES");
}
GEN(g_zrevrange)
{
    load_arg(r, "ZREVRANGE"), pick_key(r, sh, rng, z_kind(rng));
    load_arg(r, "%d", num(rng, -350, 350)), load_arg(r, "%d", num(rng, -350, 350));
    if (coin(rng))
        load_arg(r, "WITHSCORES");
}
static void by_score(load_req *r, const load_shape *sh, uint64_t *rng,
                     const char *name)
{
    load_arg(r, "%s", name), pick_key(r, sh, rng, z_kind(rng));
    score_arg(r, rng), score_arg(r, rng);
    if (coin(rng))
        load_arg(r, "WITHSCORES");
    if (coin(rng))
        limit(r, rng);
}
GEN(g_zrangebyscore) { by_score(r, sh, rng, "ZRANGEBYSCORE"); }
GEN(g_zrevrangebyscore) { by_score(r, sh, rng, "ZREVRANGEBYSCORE"); }
static void by_lex(load_req *r, const load_shape *sh, uint64_t *rng,
                   const char *name)
{
    load_arg(r, "%s", name), pick_key(r, sh, rng, LK_ZSET);
    lex_arg(r, rng), lex_arg(r, rng);
    if (coin(rng))
        limit(r, rng);
}
GEN(g_zrangebylex) { by_lex(r, sh, rng, "ZRANGEBYLEX"); }
GEN(g_zrevrangebylex) { by_lex(r, sh, rng, "ZREVRANGEBYLEX"); }
GEN(g_zcount)
{
    load_arg(r, "ZCOUNT"), pick_key(r, sh, rng, z_kind(rng));
    score_arg(r, rng), score_arg(r, rng);
}
GEN(g_zlexcount)
{
    load_arg(r, "ZLEXCOUNT"), pick_key(r, sh, rng, LK_ZSET);
    lex_arg(r, rng), lex_arg(r, rng);
}
GEN(g_zcard) { load_arg(r, "ZCARD"), pick_key(r, sh, rng, z_kind(rng)); }
static void z_member_cmd(load_req *r, const load_shape *sh, uint64_t *rng,
                         const char *name, int count)
{
    load_arg(r, "%s", name);
    pick p = pick_key(r, sh, rng, LK_ZSET);
    for (int n = count; n > 0; n--)
        load_arg(r, "m%d", mem(&p, rng));
}
GEN(g_zscore) { z_member_cmd(r, sh, rng, "ZSCORE", 1); }
GEN(g_zmscore) { z_member_cmd(r, sh, rng, "ZMSCORE", num(rng, 1, 4)); }
GEN(g_zrank) { z_member_cmd(r, sh, rng, "ZRANK", 1); }
GEN(g_zrevrank) { z_member_cmd(r, sh, rng, "ZREVRANK", 1); }
GEN(g_zrandmember)
{
    load_arg(r, "ZRANDMEMBER"), pick_key(r, sh, rng, z_kind(rng));
    if (coin(rng)) {
        load_arg(r, "%d", num(rng, -20, 20));
        if (coin(rng))
            load_arg(r, "WITHSCORES");
    }
}
GEN(g_zscan) { cscan(r, sh, rng, "ZSCAN", z_kind(rng), "m2*"); }
/* ZUNION ZINTER: numkeys, keys, WEIGHTS, AGGREGATE, WITHSCORES. */
static void z_setop(load_req *r, const load_shape *sh, uint64_t *rng,
                    const char *name, bool weights)
{
    int n = num(rng, 1, 3);
    load_arg(r, "%s", name), load_arg(r, "%d", n);
    for (int j = 0; j < n; j++)
        pick_key(r, sh, rng, load_below(rng, 4) == 0 ? LK_SET : LK_ZSET);
    if (weights && coin(rng)) {
        load_arg(r, "WEIGHTS");
        for (int j = 0; j < n; j++)
            load_arg(r, "%d", num(rng, -3, 3));
    }
    if (weights && coin(rng)) {
        static const char *const ag[] = {"SUM", "MIN", "MAX"};
        load_arg(r, "AGGREGATE"), load_arg(r, "%s", ag[load_below(rng, 3)]);
    }
    if (coin(rng))
        load_arg(r, "WITHSCORES");
}
GEN(g_zunion) { z_setop(r, sh, rng, "ZUNION", true); }
GEN(g_zinter) { z_setop(r, sh, rng, "ZINTER", true); }
GEN(g_zdiff) { z_setop(r, sh, rng, "ZDIFF", false); }
GEN(g_zintercard)
{
    int n = num(rng, 1, 3);
    load_arg(r, "ZINTERCARD"), load_arg(r, "%d", n);
    for (int j = 0; j < n; j++)
        pick_key(r, sh, rng, LK_ZSET);
    if (coin(rng))
        load_arg(r, "LIMIT"), load_arg(r, "%d", num(rng, 0, 10));
}

/* ---- geo ---------------------------------------------------------------------- */

static void geo_members(load_req *r, const load_shape *sh, uint64_t *rng,
                        const char *name, int count)
{
    load_arg(r, "%s", name);
    pick p = pick_key(r, sh, rng, LK_GEO);
    for (int n = count; n > 0; n--)
        load_arg(r, "p%d", mem(&p, rng));
}
GEN(g_geopos) { geo_members(r, sh, rng, "GEOPOS", num(rng, 1, 4)); }
GEN(g_geodist)
{
    static const char *const units[] = {"m", "km", "mi", "ft"};
    geo_members(r, sh, rng, "GEODIST", 2);
    if (coin(rng))
        load_arg(r, "%s", units[load_below(rng, 4)]);
}
GEN(g_geohash) { geo_members(r, sh, rng, "GEOHASH", num(rng, 1, 4)); }
static void geo_opts(load_req *r, uint64_t *rng)
{
    if (coin(rng))
        load_arg(r, coin(rng) ? "ASC" : "DESC");
    if (coin(rng)) {
        load_arg(r, "COUNT"), load_arg(r, "%d", num(rng, 1, 20));
        if (coin(rng))
            load_arg(r, "ANY");
    }
    if (coin(rng))
        load_arg(r, "WITHCOORD");
    if (coin(rng))
        load_arg(r, "WITHDIST");
    if (coin(rng))
        load_arg(r, "WITHHASH");
}
static void lonlat(load_req *r, uint64_t *rng)
{
    load_arg(r, "%d.%d", num(rng, -179, 179), num(rng, 0, 9));
    load_arg(r, "%d.%d", num(rng, -84, 84), num(rng, 0, 9));
}
GEN(g_geosearch)
{
    load_arg(r, "GEOSEARCH");
    pick p = pick_key(r, sh, rng, LK_GEO);
    if (coin(rng)) {
        load_arg(r, "FROMMEMBER"), load_arg(r, "p%d", mem(&p, rng));
        ALLOW(r, LOAD_ERR_NOMEMBER);
    } else {
        load_arg(r, "FROMLONLAT"), lonlat(r, rng);
    }
    if (coin(rng)) {
        load_arg(r, "BYRADIUS"), load_arg(r, "%d", num(rng, 1, 3000));
    } else {
        load_arg(r, "BYBOX"), load_arg(r, "%d", num(rng, 1, 5000));
        load_arg(r, "%d", num(rng, 1, 5000));
    }
    load_arg(r, "km");
    geo_opts(r, rng);
}
GEN(g_georadius_ro)
{
    load_arg(r, "GEORADIUS_RO"), pick_key(r, sh, rng, LK_GEO);
    lonlat(r, rng);
    load_arg(r, "%d", num(rng, 1, 3000)), load_arg(r, "km");
    geo_opts(r, rng);
}
GEN(g_georadiusbymember_ro)
{
    load_arg(r, "GEORADIUSBYMEMBER_RO");
    pick p = pick_key(r, sh, rng, LK_GEO);
    load_arg(r, "p%d", mem(&p, rng));
    ALLOW(r, LOAD_ERR_NOMEMBER);
    load_arg(r, "%d", num(rng, 1, 3000)), load_arg(r, "km");
    geo_opts(r, rng);
}

/* ---- SORT_RO -------------------------------------------------------------------- */

GEN(g_sort_ro)
{
    static const load_kind kinds[] = {LK_LIST, LK_SET, LK_ISET, LK_ZSET};
    load_arg(r, "SORT_RO");
    pick p = pick_key(r, sh, rng, kinds[load_below(rng, 4)]);
    unsigned by = (unsigned)load_below(rng, 4);
    if (by == 0)
        load_arg(r, "BY"), load_arg(r, "nosort");
    else if (by == 1)
        load_arg(r, "BY"), load_arg(r, "nokey:*");
    if (coin(rng))
        limit(r, rng);
    if (load_below(rng, 4) == 0)
        load_arg(r, "GET"), load_arg(r, "#");
    if (load_below(rng, 4) == 0)
        load_arg(r, "GET"), load_arg(r, "str:*");
    if (coin(rng))
        load_arg(r, coin(rng) ? "ASC" : "DESC");
    /* Only an intset's members are numbers. */
    if (!(p.kind == LK_ISET && p.how == P_RIGHT) || coin(rng))
        load_arg(r, "ALPHA");
}

/* ---- streams ---------------------------------------------------------------------- */

static void stream_id(load_req *r, uint64_t *rng, bool start)
{
    switch (load_below(rng, 4)) {
    case 0: load_arg(r, "%s", start ? "-" : "+"); break;
    case 1: load_arg(r, "%s", start ? "0" : "9999999999999"); break;
    case 2: load_arg(r, "(%d-1", num(rng, 0, 9)); break; /* "(0-0" ends nothing */
    default:
        load_arg(r, "%llu", (unsigned long long)(1700000000000ULL +
                                                 load_below(rng, 200000000000ULL)));
        break;
    }
}
GEN(g_xrange)
{
    load_arg(r, "XRANGE"), pick_key(r, sh, rng, LK_STREAM);
    stream_id(r, rng, true), stream_id(r, rng, false);
    if (coin(rng))
        load_arg(r, "COUNT"), load_arg(r, "%d", num(rng, 0, 30));
}
GEN(g_xrevrange)
{
    load_arg(r, "XREVRANGE"), pick_key(r, sh, rng, LK_STREAM);
    stream_id(r, rng, false), stream_id(r, rng, true);
    if (coin(rng))
        load_arg(r, "COUNT"), load_arg(r, "%d", num(rng, 0, 30));
}
GEN(g_xlen) { load_arg(r, "XLEN"), pick_key(r, sh, rng, LK_STREAM); }
GEN(g_xread)
{
    int n = num(rng, 1, 3);
    bool block = load_below(rng, 8) == 0;
    load_arg(r, "XREAD");
    if (coin(rng))
        load_arg(r, "COUNT"), load_arg(r, "%d", num(rng, 1, 20));
    if (block)
        load_arg(r, "BLOCK"), load_arg(r, "%d", num(rng, 1, 20));
    load_arg(r, "STREAMS");
    for (int j = 0; j < n; j++)
        pick_key(r, sh, rng, LK_STREAM);
    for (int j = 0; j < n; j++)
        load_arg(r, "%s", block ? "$" : coin(rng) ? "0" : "0-1");
}
/* The group: g1 (always there) mostly, g2 (made and destroyed by the
 * writer) or a missing one sometimes; NOGROUP then allowed. */
static void group_arg(load_req *r, const pick *p, uint64_t *rng)
{
    unsigned g = (unsigned)load_below(rng, 8);
    load_arg(r, "%s", g == 0 ? "g2" : g == 1 ? "nogroup" : "g1");
    if (g <= 1 || p->how != P_RIGHT)
        ALLOW(r, LOAD_ERR_NOGROUP);
}
GEN(g_xpending)
{
    load_arg(r, "XPENDING");
    pick p = pick_key(r, sh, rng, LK_STREAM);
    group_arg(r, &p, rng);
    if (coin(rng)) {
        if (coin(rng))
            load_arg(r, "IDLE"), load_arg(r, "%d", num(rng, 0, 1000));
        load_arg(r, "-"), load_arg(r, "+"), load_arg(r, "%d", num(rng, 1, 20));
        if (coin(rng))
            load_arg(r, "c%d", num(rng, 1, 3));
    }
}
GEN(g_xinfo_consumers)
{
    load_arg(r, "XINFO"), load_arg(r, "CONSUMERS");
    pick p = pick_key(r, sh, rng, LK_STREAM);
    group_arg(r, &p, rng);
    if (p.how == P_MISSING)
        ALLOW(r, LOAD_ERR_NOSUCHKEY);
}
GEN(g_xinfo_groups)
{
    load_arg(r, "XINFO"), load_arg(r, "GROUPS");
    pick p = pick_key(r, sh, rng, LK_STREAM);
    if (p.how == P_MISSING)
        ALLOW(r, LOAD_ERR_NOSUCHKEY);
}
GEN(g_xinfo_stream)
{
    load_arg(r, "XINFO"), load_arg(r, "STREAM");
    pick p = pick_key(r, sh, rng, LK_STREAM);
    if (p.how == P_MISSING)
        ALLOW(r, LOAD_ERR_NOSUCHKEY);
    if (coin(rng)) {
        load_arg(r, "FULL");
        if (coin(rng))
            load_arg(r, "COUNT"), load_arg(r, "%d", num(rng, 0, 20));
    }
}
GEN(g_xinfo_help) { UNUSED_SH, (void)rng; load_arg(r, "XINFO"), load_arg(r, "HELP"); }

/* ---- the server ---------------------------------------------------------------------- */

GEN(g_info)
{
    UNUSED_SH;
    static const char *const sec[] = {"", "replication", "keyspace", "stats",
                                      "all", "commandstats", "clients"};
    load_arg(r, "INFO");
    unsigned s = (unsigned)load_below(rng, 7);
    if (s > 0)
        load_arg(r, "%s", sec[s]);
}
GEN(g_ping)
{
    UNUSED_SH;
    load_arg(r, "PING");
    if (coin(rng))
        load_arg(r, "hello");
}
GEN(g_echo) { UNUSED_SH, (void)rng; load_arg(r, "ECHO"), load_arg(r, "a\r\nb"); }
GEN(g_time) { UNUSED_SH, (void)rng; load_arg(r, "TIME"); }
GEN(g_role) { UNUSED_SH, (void)rng; load_arg(r, "ROLE"); }
GEN(g_lastsave) { UNUSED_SH, (void)rng; load_arg(r, "LASTSAVE"); }
GEN(g_command_count)
{
    UNUSED_SH, (void)rng;
    load_arg(r, "COMMAND"), load_arg(r, "COUNT");
}
GEN(g_command_info)
{
    UNUSED_SH;
    load_arg(r, "COMMAND"), load_arg(r, "INFO");
    load_arg(r, "%s", load_read_cmds[load_below(rng, load_read_ncmds)].name);
}
GEN(g_config_get)
{
    UNUSED_SH;
    load_arg(r, "CONFIG"), load_arg(r, "GET");
    load_arg(r, "%s", coin(rng) ? "maxmemory" : "repl*");
}
GEN(g_client_id) { UNUSED_SH, (void)rng; load_arg(r, "CLIENT"), load_arg(r, "ID"); }

/* ---- the table ---------------------------------------------------------------------- */

const load_read_cmd load_read_cmds[] = {
    {"get", "string", g_get, "$"}, {"mget", "string", g_mget, "*"},
    {"strlen", "string", g_strlen, ":"}, {"getrange", "string", g_getrange, "$"},
    {"substr", "string", g_substr, "$"}, {"lcs", "string", g_lcs, "$:*"},
    {"getbit", "bitmap", g_getbit, ":"}, {"bitcount", "bitmap", g_bitcount, ":"},
    {"bitpos", "bitmap", g_bitpos, ":"}, {"bitfield_ro", "bitmap", g_bitfield_ro, "*"},
    {"pfcount", "hyperloglog", g_pfcount, ":"},
    {"exists", "generic", g_exists, ":"}, {"touch", "generic", g_touch, ":"},
    {"type", "generic", g_type, "+"}, {"ttl", "generic", g_ttl, ":"},
    {"pttl", "generic", g_pttl, ":"}, {"expiretime", "generic", g_expiretime, ":"},
    {"pexpiretime", "generic", g_pexpiretime, ":"},
    {"dbsize", "generic", g_dbsize, ":"}, {"keys", "generic", g_keys, "*"},
    {"scan", "generic", g_scan, "*"}, {"dump", "generic", g_dump, "$"},
    {"randomkey", "generic", g_randomkey, "$"},
    {"object|encoding", "generic", g_object_encoding, "$"},
    {"object|freq", "generic", g_object_freq, ":$"},
    {"object|idletime", "generic", g_object_idletime, ":$"},
    {"object|refcount", "generic", g_object_refcount, ":$"},
    {"object|help", "generic", g_object_help, "*"},
    {"memory|usage", "generic", g_memory_usage, ":$"},
    {"hget", "hash", g_hget, "$"}, {"hmget", "hash", g_hmget, "*"},
    {"hgetall", "hash", g_hgetall, "*"}, {"hkeys", "hash", g_hkeys, "*"},
    {"hvals", "hash", g_hvals, "*"}, {"hlen", "hash", g_hlen, ":"},
    {"hexists", "hash", g_hexists, ":"}, {"hstrlen", "hash", g_hstrlen, ":"},
    {"hrandfield", "hash", g_hrandfield, "$*"}, {"hscan", "hash", g_hscan, "*"},
    {"lrange", "list", g_lrange, "*"}, {"llen", "list", g_llen, ":"},
    {"lindex", "list", g_lindex, "$"}, {"lpos", "list", g_lpos, ":*$"},
    {"smembers", "set", g_smembers, "*"}, {"sismember", "set", g_sismember, ":"},
    {"smismember", "set", g_smismember, "*"}, {"scard", "set", g_scard, ":"},
    {"srandmember", "set", g_srandmember, "$*"}, {"sscan", "set", g_sscan, "*"},
    {"sinter", "set", g_sinter, "*"}, {"sunion", "set", g_sunion, "*"},
    {"sdiff", "set", g_sdiff, "*"}, {"sintercard", "set", g_sintercard, ":"},
    {"zrange", "sorted_set", g_zrange, "*"}, {"zrevrange", "sorted_set", g_zrevrange, "*"},
    {"zrangebyscore", "sorted_set", g_zrangebyscore, "*"},
    {"zrevrangebyscore", "sorted_set", g_zrevrangebyscore, "*"},
    {"zrangebylex", "sorted_set", g_zrangebylex, "*"},
    {"zrevrangebylex", "sorted_set", g_zrevrangebylex, "*"},
    {"zcount", "sorted_set", g_zcount, ":"}, {"zlexcount", "sorted_set", g_zlexcount, ":"},
    {"zcard", "sorted_set", g_zcard, ":"}, {"zscore", "sorted_set", g_zscore, "$"},
    {"zmscore", "sorted_set", g_zmscore, "*"}, {"zrank", "sorted_set", g_zrank, ":$"},
    {"zrevrank", "sorted_set", g_zrevrank, ":$"},
    {"zrandmember", "sorted_set", g_zrandmember, "$*"},
    {"zscan", "sorted_set", g_zscan, "*"}, {"zunion", "sorted_set", g_zunion, "*"},
    {"zinter", "sorted_set", g_zinter, "*"}, {"zdiff", "sorted_set", g_zdiff, "*"},
    {"zintercard", "sorted_set", g_zintercard, ":"},
    {"geopos", "geo", g_geopos, "*"}, {"geodist", "geo", g_geodist, "$"},
    {"geohash", "geo", g_geohash, "*"}, {"geosearch", "geo", g_geosearch, "*"},
    {"georadius_ro", "geo", g_georadius_ro, "*"},
    {"georadiusbymember_ro", "geo", g_georadiusbymember_ro, "*"},
    {"sort_ro", "generic", g_sort_ro, "*"},
    {"xrange", "stream", g_xrange, "*"}, {"xrevrange", "stream", g_xrevrange, "*"},
    {"xlen", "stream", g_xlen, ":"}, {"xread", "stream", g_xread, "*"},
    {"xpending", "stream", g_xpending, "*"},
    {"xinfo|consumers", "stream", g_xinfo_consumers, "*"},
    {"xinfo|groups", "stream", g_xinfo_groups, "*"},
    {"xinfo|stream", "stream", g_xinfo_stream, "*"},
    {"xinfo|help", "stream", g_xinfo_help, "*"},
    {"info", "server", g_info, "$"}, {"ping", "connection", g_ping, "+$"},
    {"echo", "connection", g_echo, "$"}, {"time", "server", g_time, "*"},
    {"role", "server", g_role, "*"}, {"lastsave", "server", g_lastsave, ":"},
    {"command|count", "server", g_command_count, ":"},
    {"command|info", "server", g_command_info, "*"},
    {"config|get", "server", g_config_get, "*"},
    {"client|id", "connection", g_client_id, ":"},
    {NULL, NULL, NULL, NULL},
};

const size_t load_read_ncmds =
    sizeof load_read_cmds / sizeof load_read_cmds[0] - 1;

/* Read commands that are an operator's, not a reader's: DEBUG SLEEP holds
 * a thread on purpose (chapter 12's slow-reader fault), and the replica
 * under load runs without enable-debug-command, which refuses it. */
static const char *const not_for_readers[] = {"debug", NULL};

static bool have(const char *name)
{
    for (size_t i = 0; not_for_readers[i] != NULL; i++)
        if (strcmp(not_for_readers[i], name) == 0)
            return true;
    for (size_t i = 0; i < load_read_ncmds; i++)
        if (strcmp(load_read_cmds[i].name, name) == 0)
            return true;
    return false;
}

int load_gen_check_coverage(char *err, size_t errsz)
{
    size_t nt;
    const server_command *const *t = server_cmd_tables(&nt);
    int count = 0, missing = 0;
    size_t used = 0;
    err[0] = '\0';
    for (size_t i = 0; i < nt; i++)
        for (const server_command *c = t[i]; c->name != NULL; c++) {
            const server_command *sub = c->subcommands;
            for (const server_command *s = sub ? sub : c;
                 s->name != NULL; s++) {
                char name[96];
                if (sub != NULL)
                    snprintf(name, sizeof name, "%s|%s", c->name, s->name);
                else
                    snprintf(name, sizeof name, "%s", c->name);
                if (s->flags & SERVER_CMD_READ) {
                    count++;
                    if (!have(name)) {
                        missing++;
                        int w = snprintf(err + used, errsz - used, " %s",
                                         name);
                        if (w > 0 && (size_t)w < errsz - used)
                            used += (size_t)w;
                    }
                }
                if (sub == NULL)
                    break;
            }
        }
    return missing > 0 ? -1 : count;
}
