/* cc_workload_coll.c - the workload's hashes, lists and sets (ch12).
 *
 * Elements come from small ranges so that commands often hit existing ones
 * (HDEL, SREM, LREM find what they remove), with occasional "grow" commands
 * that add a few hundred elements at once: over Redis 7.0's thresholds
 * (hash-max-listpack-entries 128, hash-max-listpack-value 64,
 * set-max-intset-entries 512; list nodes of list-max-listpack-size -2,
 * 8 KiB), so the run crosses from listpack/intset to hashtable and grows
 * quicklists of several nodes.  Counters live in their own hash fields
 * ("i0".. for HINCRBY, "x0".. for HINCRBYFLOAT) so they always parse.
 * Blocking pops are sent only when the key is certainly non-empty, so
 * they never wait; their timeout is short in case the tracking is wrong.
 */
#include "cc_workload_private.h"

#include <stdio.h>

/* --- hashes ------------------------------------------------------------------ */

static void field(ccw *w) { ccw_fmt(w, "f%d", (int)ccw_below(w, 24)); }

void ccw_gen_hash(ccw *w)
{
    int i = ccw_pick(w, CCW_HASH);
    ccw_key *k = ccw_k(w, CCW_HASH, i);
    uint64_t r = ccw_below(w, 20);
    ccw_begin(w, CCF_HASH);
    if (r < 7 || r == 19) {
        ccw_str(w, r == 19 ? "HMSET" : "HSET");
        ccw_key_arg(w, CCW_HASH, i);
        uint32_t n = 1;
        if (ccw_one_in(w, 12)) { /* over 128 entries: hashtable */
            n = ccw_grow(w, 100, 200);
            for (uint32_t j = 0; j < n; j++) {
                ccw_fmt(w, "f%u", j);
                ccw_int(w, (int64_t)ccw_below(w, 1000));
            }
        } else {
            int pairs = (int)ccw_range(w, 1, 4);
            for (int j = 0; j < pairs; j++) {
                field(w);
                ccw_value(w, 3000); /* over 64 bytes: hashtable */
            }
        }
        ccw_end(w, 0);
        ccw_added(k, n, n);
    } else if (r < 9) {
        ccw_str(w, "HSETNX");
        ccw_key_arg(w, CCW_HASH, i);
        field(w);
        ccw_value(w, 200);
        ccw_end(w, 0);
        ccw_added(k, 1, 1);
    } else if (r < 12) {
        ccw_str(w, "HDEL");
        ccw_key_arg(w, CCW_HASH, i);
        uint32_t n = (uint32_t)ccw_range(w, 1, 3);
        for (uint32_t j = 0; j < n; j++)
            field(w);
        ccw_end(w, 0);
        ccw_removed(k, n);
    } else if (r < 16) {
        ccw_str(w, "HINCRBY");
        ccw_key_arg(w, CCW_HASH, i);
        ccw_fmt(w, "i%d", (int)ccw_below(w, 4));
        ccw_int(w, ccw_range(w, -100000, 100000));
        ccw_end(w, 0);
        ccw_added(k, 1, 1);
    } else {
        ccw_str(w, "HINCRBYFLOAT");
        ccw_key_arg(w, CCW_HASH, i);
        ccw_fmt(w, "x%d", (int)ccw_below(w, 4));
        ccw_fmt(w, "%d.%d", (int)ccw_range(w, -99, 99), (int)ccw_below(w, 1000));
        ccw_end(w, 0);
        ccw_added(k, 1, 1);
    }
}

/* --- lists ------------------------------------------------------------------- */

static void elem(ccw *w)
{
    if (ccw_one_in(w, 3))
        ccw_fmt(w, "e%d", (int)ccw_below(w, 8));
    else
        ccw_value(w, 1500);
}

static const char *side(ccw *w) { return ccw_one_in(w, 2) ? "LEFT" : "RIGHT"; }

/* Move one element src -> dst (RPOPLPUSH, LMOVE and their blocking forms). */
static void list_move(ccw *w, int si, int di)
{
    ccw_key *s = ccw_k(w, CCW_LIST, si);
    int block = ccw_nonempty(s) && ccw_one_in(w, 2);
    int lmove = ccw_one_in(w, 2);
    if (lmove)
        ccw_str(w, block ? "BLMOVE" : "LMOVE");
    else
        ccw_str(w, block ? "BRPOPLPUSH" : "RPOPLPUSH");
    ccw_key_arg(w, CCW_LIST, si);
    ccw_key_arg(w, CCW_LIST, di);
    if (lmove) {
        ccw_str(w, side(w));
        ccw_str(w, side(w));
    }
    if (block)
        ccw_str(w, "0.1");
    ccw_end(w, 0);
    int moved = ccw_nonempty(s);
    int maybe = s->st == CCW_UNKNOWN;
    ccw_removed(s, 1);
    ccw_key *d = ccw_k(w, CCW_LIST, di);
    if (moved)
        ccw_added(d, 1, 1);
    else if (maybe && d->st == CCW_ABSENT)
        d->st = CCW_UNKNOWN;
}

void ccw_gen_list(ccw *w)
{
    uint64_t r = ccw_below(w, 30);
    /* LSET, the moves and the blocking pops want a non-empty list. */
    int i = (r >= 11 && r < 13) || r >= 20 ? ccw_pick_present(w, CCW_LIST, 1)
                                           : ccw_pick(w, CCW_LIST);
    ccw_key *k = ccw_k(w, CCW_LIST, i);
    ccw_begin(w, CCF_LIST);
    if (r < 9) {
        static const char *const push[] = {"LPUSH", "RPUSH", "LPUSHX", "RPUSHX"};
        const char *c = push[r < 7 ? r % 2 : 2 + r % 2];
        ccw_str(w, c);
        ccw_key_arg(w, CCW_LIST, i);
        uint32_t n = ccw_one_in(w, 15) ? ccw_grow(w, 200, 400) : (uint32_t)ccw_range(w, 1, 5);
        for (uint32_t j = 0; j < n; j++)
            elem(w);
        ccw_end(w, 0);
        if (c[5] != 'X' || k->st == CCW_PRESENT)
            ccw_added(k, n, n);
    } else if (r < 11) {
        ccw_str(w, "LINSERT");
        ccw_key_arg(w, CCW_LIST, i);
        ccw_str(w, ccw_one_in(w, 2) ? "BEFORE" : "AFTER");
        ccw_fmt(w, "e%d", (int)ccw_below(w, 8));
        elem(w);
        ccw_end(w, 0);
        k->hi++;
    } else if (r < 13) {
        ccw_str(w, "LSET");
        ccw_key_arg(w, CCW_LIST, i);
        int ok = ccw_nonempty(k);
        int64_t lo = ok ? (int64_t)k->lo : 3;
        ccw_int(w, ccw_range(w, -lo, lo - 1));
        elem(w);
        ccw_end(w, ok ? 0 : CC_OP_MAY_FAIL);
    } else if (r < 15) {
        ccw_str(w, "LREM");
        ccw_key_arg(w, CCW_LIST, i);
        int64_t c = ccw_range(w, -2, 2);
        ccw_int(w, c);
        ccw_fmt(w, "e%d", (int)ccw_below(w, 8));
        ccw_end(w, 0);
        ccw_removed(k, c == 0 ? UINT32_MAX : (uint32_t)(c < 0 ? -c : c));
    } else if (r < 17) {
        ccw_str(w, "LTRIM");
        ccw_key_arg(w, CCW_LIST, i);
        uint32_t n = (uint32_t)ccw_range(w, 1, 400);
        if (ccw_one_in(w, 2)) {
            ccw_int(w, 0);
            ccw_int(w, n - 1);
        } else {
            ccw_int(w, -(int64_t)n);
            ccw_int(w, -1);
        }
        ccw_end(w, 0);
        if (k->lo > n) /* keeps min(len, n) >= 1 */
            k->lo = n;
        if (k->hi > n)
            k->hi = n;
    } else if (r < 20) {
        ccw_str(w, ccw_one_in(w, 2) ? "LPOP" : "RPOP");
        ccw_key_arg(w, CCW_LIST, i);
        uint32_t n = 1;
        if (ccw_one_in(w, 2)) {
            n = (uint32_t)ccw_range(w, 0, 4);
            ccw_int(w, n);
        }
        ccw_end(w, 0);
        ccw_removed(k, n);
    } else if (r < 24) {
        list_move(w, i, ccw_one_in(w, 5) ? i : ccw_pick(w, CCW_LIST));
    } else if (r < 26) { /* LMPOP, or BLMPOP when it cannot block */
        int block = ccw_nonempty(k) && ccw_one_in(w, 2);
        ccw_str(w, block ? "BLMPOP" : "LMPOP");
        if (block)
            ccw_str(w, "0.1");
        int n = (int)ccw_range(w, 1, 2), j2 = ccw_pick(w, CCW_LIST);
        ccw_int(w, n);
        ccw_key_arg(w, CCW_LIST, i);
        if (n == 2)
            ccw_key_arg(w, CCW_LIST, j2);
        ccw_str(w, side(w));
        uint32_t c = 1;
        if (ccw_one_in(w, 2)) {
            c = (uint32_t)ccw_range(w, 1, 5);
            ccw_str(w, "COUNT");
            ccw_int(w, c);
        }
        ccw_end(w, 0);
        int first = ccw_nonempty(k);
        ccw_removed(k, c);
        if (!first && n == 2)
            ccw_removed(ccw_k(w, CCW_LIST, j2), c);
    } else { /* BLPOP / BRPOP on a non-empty list, else a plain pop */
        if (!ccw_nonempty(k)) {
            ccw_str(w, "RPOP");
            ccw_key_arg(w, CCW_LIST, i);
            ccw_end(w, 0);
            ccw_removed(k, 1);
            return;
        }
        ccw_str(w, ccw_one_in(w, 2) ? "BLPOP" : "BRPOP");
        ccw_key_arg(w, CCW_LIST, i);
        if (ccw_one_in(w, 2))
            ccw_key_arg(w, CCW_LIST, ccw_pick(w, CCW_LIST));
        ccw_str(w, "0.1");
        ccw_end(w, 0);
        ccw_removed(k, 1);
    }
}

/* --- sets -------------------------------------------------------------------- */

static void member(ccw *w)
{
    uint64_t r = ccw_below(w, 10);
    if (r < 6)
        ccw_int(w, (int64_t)ccw_below(w, 700));
    else if (r < 9)
        ccw_fmt(w, "m%d", (int)ccw_below(w, 40));
    else
        ccw_value(w, 100);
}

void ccw_gen_set(ccw *w)
{
    int i = ccw_pick(w, CCW_SET);
    ccw_key *k = ccw_k(w, CCW_SET, i);
    uint64_t r = ccw_below(w, 20);
    ccw_begin(w, CCF_SET);
    if (r < 8) {
        ccw_str(w, "SADD");
        ccw_key_arg(w, CCW_SET, i);
        uint32_t n = 1;
        if (ccw_one_in(w, 12)) { /* intset over 512 entries: hashtable */
            n = ccw_grow(w, 400, 600);
            int64_t base = ccw_one_in(w, 4) ? 100000 : 0; /* int16 -> int32 */
            for (uint32_t j = 0; j < n; j++)
                ccw_int(w, base + (int64_t)j);
        } else {
            int m = (int)ccw_range(w, 1, 5);
            for (int j = 0; j < m; j++)
                member(w);
        }
        ccw_end(w, 0);
        ccw_added(k, n, n);
    } else if (r < 11) {
        ccw_str(w, "SREM");
        ccw_key_arg(w, CCW_SET, i);
        uint32_t n = (uint32_t)ccw_range(w, 1, 3);
        for (uint32_t j = 0; j < n; j++)
            member(w);
        ccw_end(w, 0);
        ccw_removed(k, n);
    } else if (r < 13) {
        int d = ccw_pick(w, CCW_SET);
        ccw_str(w, "SMOVE");
        ccw_key_arg(w, CCW_SET, i);
        ccw_key_arg(w, CCW_SET, d);
        member(w);
        ccw_end(w, 0);
        ccw_removed(k, 1);
        ccw_key *dk = ccw_k(w, CCW_SET, d);
        if (dk->st == CCW_ABSENT)
            dk->st = CCW_UNKNOWN;
    } else if (r < 15) {
        ccw_str(w, "SPOP");
        ccw_key_arg(w, CCW_SET, i);
        uint32_t n = 1;
        if (ccw_one_in(w, 2)) {
            n = (uint32_t)ccw_range(w, 1, 6);
            ccw_int(w, n);
        }
        ccw_end(w, 0);
        ccw_removed(k, n);
    } else {
        static const char *const c[] = {"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"};
        uint64_t which = ccw_below(w, 3);
        ccw_str(w, c[which]);
        ccw_key_arg(w, CCW_SET, i);
        int n = (int)ccw_range(w, 1, 3);
        uint32_t lo = 0;
        for (int j = 0; j < n; j++) {
            int s = ccw_pick(w, CCW_SET);
            ccw_key_arg(w, CCW_SET, s);
            const ccw_key *sk = ccw_k(w, CCW_SET, s);
            if (ccw_nonempty(sk) && sk->lo > lo)
                lo = sk->lo;
        }
        ccw_end(w, 0);
        if (which == 1 && lo > 0)
            ccw_replaced(k, lo);
        else
            k->st = CCW_UNKNOWN;
    }
}
