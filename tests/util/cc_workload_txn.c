/* cc_workload_txn.c - the workload's MULTI blocks, scripts, functions, wrong-type ops (ch12).
 *
 * A MULTI block holds 2-8 ordinary units; since EXEC runs them in order
 * the tracking simply follows them, and a block that ends in DISCARD
 * (one in eight) restores the tracked state saved at MULTI.  Sometimes a
 * block holds a wrong-type command: Redis queues it, and EXEC runs it to
 * an error and still runs the others (t_multi.c: only errors found while
 * queueing abort the block).  Scripts write several keys of several types
 * through redis.call; one fails half-way (HSET on the string it has just
 * set), so its first writes stay and the op is flagged.  EVALSHA always
 * follows a SCRIPT LOAD of its script in the same batch (a master restart
 * forgets scripts), and FCALL a FUNCTION LOAD REPLACE of its library.
 */
#include "cc_workload_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The scripts, their SHA-1 digests (sha1sum of the text), their keys'
 * types, and whether the script fails (on purpose). */
static const struct {
    const char *text, *sha;
    int nkeys, types[5];
    int fails;
} scripts[] = {
    {"redis.call('SET',KEYS[1],ARGV[1]) redis.call('HSET',KEYS[2],'f1',ARGV[1]) "
     "redis.call('RPUSH',KEYS[3],ARGV[1]) redis.call('ZADD',KEYS[4],1,ARGV[1]) "
     "redis.call('SADD',KEYS[5],ARGV[1]) return 5",
     "cba74c962eea2791738fcbc01e8ea2111c92de34", 5,
     {CCW_STR, CCW_HASH, CCW_LIST, CCW_ZSET, CCW_SET}, 0},
    {"for i,k in ipairs(KEYS) do redis.call('INCRBY',k,ARGV[1]) end return #KEYS",
     "7c683b0fad7d77e0bd4ad87c10515ab3c1c3c7f6", 3, {CCW_NUM, CCW_NUM, CCW_NUM}, 0},
    {"redis.call('SET',KEYS[1],ARGV[1]) redis.call('RPUSH',KEYS[2],ARGV[1]) "
     "return redis.call('HSET',KEYS[1],'f','v')",
     "3d602b24889672a5e814937a22cbb42b02e6ff12", 2, {CCW_STR, CCW_LIST}, 1},
    {"redis.call('DEL',KEYS[1]) return redis.call('PEXPIRE',KEYS[2],ARGV[1])",
     "a975ef9266092a0a6dbf56d78af65fe716c028ce", 2, {-1, -1}, 0},
    {"return redis.call('SPOP',KEYS[1])",
     "ccb63594299c691d213b8dee84e85cd60631711b", 1, {CCW_SET}, 0},
};
#define NSCRIPTS (sizeof scripts / sizeof scripts[0])

/* A read-only script for EVAL_RO / EVALSHA_RO. */
static const char ro_text[] = "return redis.call('GET',KEYS[1])";
static const char ro_sha[] = "620cd258c2c9c88c9d10db67812ccf663d96bdc6";

/* A function library: a writing function and a read-only one. */
static const char lib_text[] =
    "#!lua name=cclib\n"
    "redis.register_function('cc_set2', function(keys, args) "
    "redis.call('SET', keys[1], args[1]) redis.call('SET', keys[2], args[1]) "
    "return 2 end)\n"
    "redis.register_function{function_name='cc_get', callback=function(keys, args) "
    "return redis.call('GET', keys[1]) end, flags={'no-writes'}}\n";

/* The keys and arguments of script s, and their effect on the tracking. */
static void script_args(ccw *w, size_t s)
{
    int t[5], k[5];
    ccw_int(w, scripts[s].nkeys);
    for (int j = 0; j < scripts[s].nkeys; j++) {
        t[j] = scripts[s].types[j] >= 0 ? scripts[s].types[j] : (int)ccw_below(w, CCW_TYPES);
        k[j] = ccw_pick(w, t[j]);
        ccw_key_arg(w, t[j], k[j]);
    }
    int shortttl = 0;
    uint32_t len = 0;
    if (s == 1)
        ccw_int(w, ccw_range(w, -1000, 1000));
    else if (s == 3)
        ccw_int(w, (shortttl = ccw_one_in(w, 2)) ? ccw_range(w, 50, 1500)
                                                  : ccw_range(w, 1200000, 7200000));
    else
        len = (uint32_t)ccw_value(w, 500);
    ccw_end(w, scripts[s].fails ? CC_OP_MAY_FAIL : 0);
    switch (s) {
    case 0:
        ccw_replaced(ccw_k(w, t[0], k[0]), len);
        for (int j = 1; j < 5; j++)
            ccw_added(ccw_k(w, t[j], k[j]), 1, 1);
        break;
    case 1:
        for (int j = 0; j < 3; j++)
            ccw_added(ccw_k(w, t[j], k[j]), 1, 0);
        break;
    case 2:
        ccw_replaced(ccw_k(w, t[0], k[0]), len);
        ccw_added(ccw_k(w, t[1], k[1]), 1, 1);
        break;
    case 3:
        *ccw_k(w, t[0], k[0]) = (ccw_key){0};
        if (shortttl)
            ccw_maybe(ccw_k(w, t[1], k[1]));
        break;
    default:
        ccw_removed(ccw_k(w, t[0], k[0]), 1);
        break;
    }
}

void ccw_gen_script(ccw *w)
{
    uint64_t r = ccw_below(w, 22);
    size_t s = (size_t)ccw_below(w, NSCRIPTS);
    if (r < 9 || w->in_multi) {
        ccw_begin(w, CCF_SCRIPT);
        ccw_str(w, "EVAL");
        ccw_str(w, scripts[s].text);
        script_args(w, s);
    } else if (r < 13) {
        ccw_begin(w, CCF_SCRIPT);
        ccw_str(w, "SCRIPT");
        ccw_str(w, "LOAD");
        ccw_str(w, scripts[s].text);
        ccw_end(w, 0);
        ccw_begin(w, CCF_SCRIPT);
        ccw_str(w, "EVALSHA");
        ccw_str(w, scripts[s].sha);
        script_args(w, s);
    } else if (r < 15) {
        int sha = ccw_one_in(w, 2);
        if (sha) {
            ccw_begin(w, CCF_SCRIPT);
            ccw_str(w, "SCRIPT");
            ccw_str(w, "LOAD");
            ccw_str(w, ro_text);
            ccw_end(w, 0);
        }
        ccw_begin(w, CCF_SCRIPT);
        ccw_str(w, sha ? "EVALSHA_RO" : "EVAL_RO");
        ccw_str(w, sha ? ro_sha : ro_text);
        ccw_int(w, 1);
        ccw_key_arg(w, CCW_STR, ccw_pick(w, CCW_STR));
        ccw_end(w, 0);
    } else if (r < 19) {
        ccw_begin(w, CCF_SCRIPT);
        ccw_str(w, "FUNCTION");
        ccw_str(w, "LOAD");
        ccw_str(w, "REPLACE");
        ccw_str(w, lib_text);
        ccw_end(w, 0);
        ccw_begin(w, CCF_SCRIPT);
        if (r < 17) {
            int a = ccw_pick(w, CCW_STR), b = ccw_pick(w, CCW_STR);
            ccw_str(w, "FCALL");
            ccw_str(w, "cc_set2");
            ccw_int(w, 2);
            ccw_key_arg(w, CCW_STR, a);
            ccw_key_arg(w, CCW_STR, b);
            uint32_t len = (uint32_t)ccw_value(w, 500);
            ccw_end(w, 0);
            ccw_replaced(ccw_k(w, CCW_STR, a), len);
            ccw_replaced(ccw_k(w, CCW_STR, b), len);
        } else {
            ccw_str(w, "FCALL_RO");
            ccw_str(w, "cc_get");
            ccw_int(w, 1);
            ccw_key_arg(w, CCW_STR, ccw_pick(w, CCW_STR));
            ccw_end(w, 0);
        }
    } else { /* rarely: forget scripts or functions */
        ccw_begin(w, CCF_SCRIPT);
        uint64_t f = ccw_below(w, 3);
        if (f == 0) {
            ccw_str(w, "SCRIPT");
            ccw_str(w, "FLUSH");
            if (ccw_one_in(w, 2))
                ccw_str(w, ccw_one_in(w, 2) ? "ASYNC" : "SYNC");
            ccw_end(w, 0);
        } else if (f == 1) {
            ccw_str(w, "FUNCTION");
            ccw_str(w, "FLUSH");
            ccw_end(w, 0);
        } else { /* load first, so that DELETE finds the library */
            ccw_str(w, "FUNCTION");
            ccw_str(w, "LOAD");
            ccw_str(w, "REPLACE");
            ccw_str(w, lib_text);
            ccw_end(w, 0);
            ccw_begin(w, CCF_SCRIPT);
            ccw_str(w, "FUNCTION");
            ccw_str(w, "DELETE");
            ccw_str(w, "cclib");
            ccw_end(w, 0);
        }
    }
}

void ccw_gen_server(ccw *w)
{
    ccw_begin(w, CCF_SERVER);
    ccw_str(w, "PUBLISH");
    ccw_fmt(w, "chan%d", (int)ccw_below(w, 3));
    ccw_value(w, 200);
    ccw_end(w, 0);
}

/* A command against a key of the wrong type, or with a bad argument. */
void ccw_gen_wrongtype(ccw *w)
{
    for (int tries = 0; tries < 8; tries++) {
        int t = (int)ccw_below(w, CCW_TYPES), i = ccw_pick(w, t);
        if (ccw_k(w, t, i)->st != CCW_PRESENT)
            continue;
        int fam;
        const char *cmd;
        switch (t) {
        case CCW_HASH: fam = CCF_STRING; cmd = "INCR"; break;
        case CCW_LIST: fam = CCF_SET; cmd = "SADD"; break;
        case CCW_SET: fam = CCF_HASH; cmd = "HSET"; break;
        case CCW_ZSET: case CCW_GEO: fam = CCF_LIST; cmd = "RPUSH"; break;
        case CCW_STREAM: fam = CCF_ZSET; cmd = "ZADD"; break;
        case CCW_HLL: fam = CCF_LIST; cmd = "LPUSH"; break;
        default: fam = t == CCW_STR && ccw_one_in(w, 2) ? CCF_HLL : CCF_LIST;
                 cmd = fam == CCF_HLL ? "PFADD" : "LPUSH"; break;
        }
        ccw_begin(w, fam);
        ccw_str(w, cmd);
        ccw_key_arg(w, t, i);
        if (!strcmp(cmd, "HSET") || !strcmp(cmd, "ZADD"))
            ccw_str(w, "1");
        if (strcmp(cmd, "INCR") != 0)
            ccw_str(w, "x");
        ccw_end(w, CC_OP_MAY_FAIL);
        return;
    }
    /* Nothing certainly there: a bad argument instead (no write). */
    ccw_begin(w, CCF_STRING);
    if (ccw_one_in(w, 2)) {
        ccw_str(w, "SET");
        ccw_key_arg(w, CCW_STR, ccw_pick(w, CCW_STR));
        ccw_str(w, "v");
        ccw_str(w, "EX");
        ccw_str(w, "0");
    } else {
        ccw_str(w, "INCRBY");
        ccw_key_arg(w, CCW_NUM, ccw_pick(w, CCW_NUM));
        ccw_str(w, "not-a-number");
    }
    ccw_end(w, CC_OP_MAY_FAIL);
}

void ccw_gen_multi(ccw *w)
{
    ccw_db *saved = NULL;
    int db = w->db;
    int discard = ccw_one_in(w, 8);
    if (discard) {
        saved = malloc(sizeof w->dbs);
        if (saved == NULL) {
            w->oom = 1;
            return;
        }
        memcpy(saved, w->dbs, sizeof w->dbs);
    }
    ccw_begin(w, CCF_MULTI);
    ccw_str(w, "MULTI");
    ccw_end(w, 0);
    w->in_multi = 1;
    int n = (int)ccw_range(w, 2, 8), bad = ccw_one_in(w, 4) ? (int)ccw_below(w, (uint64_t)n) : -1;
    for (int j = 0; j < n; j++) {
        if (j == bad)
            ccw_gen_wrongtype(w);
        else
            ccw_gen_simple(w);
    }
    w->in_multi = 0;
    ccw_begin(w, CCF_MULTI);
    ccw_str(w, discard ? "DISCARD" : "EXEC");
    ccw_end(w, 0);
    if (discard) {
        memcpy(w->dbs, saved, sizeof w->dbs);
        w->db = db;
        free(saved);
    }
}
