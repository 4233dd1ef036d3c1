/* cc_workload_string.c - the workload's strings, bitmaps and HyperLogLogs (ch12).
 *
 * Three kinds of string keys keep every command valid without knowing
 * values: "s:" keys hold anything (APPEND, SETRANGE, binary, empty), "n:"
 * keys only integers (INCR, DECRBY: increments stay small, so no overflow
 * in any run this workload could make), "f:" keys only decimals
 * (INCRBYFLOAT).  Options follow Redis 7.0's t_string.c: SET takes NX|XX,
 * GET, and one of EX|PX|EXAT|PXAT|KEEPTTL; GETEX takes one of
 * EX|PX|EXAT|PXAT|PERSIST.  Absolute times are fixed far-future instants
 * (the stream must not depend on the clock).
 */
#include "cc_workload_private.h"

#include <stdio.h>
#include <string.h>

/* A value for a string key of type t; returns its length. */
static size_t typed_value(ccw *w, int t, size_t max)
{
    if (t == CCW_NUM) {
        ccw_int(w, ccw_range(w, -1000000000, 1000000000));
        return 20;
    }
    if (t == CCW_FLT) {
        static const char *const f[] = {"0", "1.5", "-3", "1e3", "2.25",
                                        "-0.125", "100"};
        ccw_str(w, CCW_PICK(w, f));
        return 8;
    }
    return ccw_value(w, max);
}

static int string_type(ccw *w)
{
    uint64_t r = ccw_below(w, 10);
    return r < 6 ? CCW_STR : r < 9 ? CCW_NUM : CCW_FLT;
}

/* An expiry for SET/GETEX: 0 none, 1 short (the key may vanish), 2 long. */
static int expiry_opt(ccw *w, int allow_keepttl, int allow_persist)
{
    switch (ccw_below(w, 12)) {
    case 0: ccw_str(w, "PX"); ccw_int(w, ccw_range(w, 50, 1500)); return 1;
    case 1: ccw_str(w, "EX"); ccw_int(w, ccw_range(w, 1200, 7200)); return 2;
    case 2: ccw_str(w, "PX"); ccw_int(w, ccw_range(w, 1200000, 7200000)); return 2;
    case 3: ccw_str(w, "EXAT"); ccw_int(w, 4102444800 + ccw_range(w, 0, 99999)); return 2;
    case 4: ccw_str(w, "PXAT"); ccw_int(w, 4102444800000 + ccw_range(w, 0, 99999)); return 2;
    case 5:
        if (allow_keepttl) {
            ccw_str(w, "KEEPTTL");
            return 3;
        }
        if (allow_persist) {
            ccw_str(w, "PERSIST");
            return 3;
        }
        return 0;
    default: return 0;
    }
}

/* The state after writing a value (ex: expiry_opt's result). */
static ccw_key written(const ccw_key *old, int ex, uint32_t len)
{
    ccw_key k = {.st = CCW_PRESENT, .lo = len, .hi = len};
    if (ex == 1)
        k.st = CCW_UNKNOWN;
    if (ex == 3 && old->st == CCW_UNKNOWN) /* KEEPTTL keeps a short TTL */
        k.st = CCW_UNKNOWN;
    return k;
}

/* Whether a conditional write happens: 1 yes, 0 no, 2 maybe. */
static int applies(const ccw_key *k, int nx, int xx)
{
    if (k->st == CCW_UNKNOWN && (nx || xx))
        return 2;
    if (nx)
        return k->st == CCW_ABSENT;
    if (xx)
        return k->st == CCW_PRESENT;
    return 1;
}

static void apply(ccw_key *k, int how, ccw_key now)
{
    if (how == 1)
        *k = now;
    else if (how == 2)
        *k = ccw_merge(*k, now);
}

static void gen_set(ccw *w)
{
    int t = string_type(w), i = ccw_pick(w, t);
    ccw_key *k = ccw_k(w, t, i);
    ccw_begin(w, CCF_STRING);
    ccw_str(w, "SET");
    ccw_key_arg(w, t, i);
    uint32_t len = (uint32_t)typed_value(w, t, ccw_max_value(w));
    int nx = 0, xx = 0;
    switch (ccw_below(w, 6)) {
    case 0: ccw_str(w, "NX"); nx = 1; break;
    case 1: ccw_str(w, "XX"); xx = 1; break;
    default: break;
    }
    if (ccw_one_in(w, 4))
        ccw_str(w, "GET");
    int ex = expiry_opt(w, 1, 0);
    ccw_end(w, 0);
    apply(k, applies(k, nx, xx), written(k, ex, len));
}

/* APPEND or SETRANGE on an "s:" key, within the size limit. */
static void gen_grow(ccw *w)
{
    int i = ccw_pick(w, CCW_STR);
    ccw_key *k = ccw_k(w, CCW_STR, i);
    size_t room = ccw_max_value(w) > k->hi ? ccw_max_value(w) - k->hi : 0;
    if (room < 2100) { /* full: start over */
        ccw_begin(w, CCF_STRING);
        ccw_str(w, "SET");
        ccw_key_arg(w, CCW_STR, i);
        ccw_replaced(k, (uint32_t)ccw_value(w, 2000));
        ccw_end(w, 0);
        return;
    }
    ccw_begin(w, CCF_STRING);
    if (ccw_one_in(w, 2)) {
        ccw_str(w, "APPEND");
        ccw_key_arg(w, CCW_STR, i);
        size_t n = ccw_value(w, 2000);
        ccw_end(w, 0);
        ccw_added(k, (uint32_t)n, (uint32_t)n);
    } else {
        ccw_str(w, "SETRANGE");
        ccw_key_arg(w, CCW_STR, i);
        uint32_t off = (uint32_t)ccw_below(w, 100);
        ccw_int(w, off);
        size_t n = ccw_value(w, 2000);
        ccw_end(w, 0);
        if (n > 0) { /* an empty value creates nothing */
            uint32_t end = off + (uint32_t)n;
            uint32_t hi = k->hi > end ? k->hi : end;
            ccw_added(k, end, 0);
            k->hi = hi;
        }
    }
}

static void gen_counter(ccw *w)
{
    ccw_begin(w, CCF_STRING);
    if (ccw_one_in(w, 4)) {
        int i = ccw_pick(w, CCW_FLT);
        ccw_str(w, "INCRBYFLOAT");
        ccw_key_arg(w, CCW_FLT, i);
        ccw_fmt(w, "%d.%02d", (int)ccw_range(w, -500, 500), (int)ccw_below(w, 100));
        ccw_end(w, 0);
        ccw_added(ccw_k(w, CCW_FLT, i), 1, 0);
        return;
    }
    int i = ccw_pick(w, CCW_NUM);
    static const char *const cmds[] = {"INCR", "DECR", "INCRBY", "DECRBY"};
    const char *c = CCW_PICK(w, cmds);
    ccw_str(w, c);
    ccw_key_arg(w, CCW_NUM, i);
    if (strlen(c) > 4)
        ccw_int(w, ccw_range(w, -1000000, 1000000));
    ccw_end(w, 0);
    ccw_added(ccw_k(w, CCW_NUM, i), 1, 0);
    ccw_k(w, CCW_NUM, i)->hi = 20;
}

static void gen_mset(ccw *w, int nx)
{
    int n = (int)ccw_range(w, 1, 4), t[4], i[4];
    ccw_begin(w, CCF_STRING);
    ccw_str(w, nx ? "MSETNX" : "MSET");
    uint32_t len[4];
    int how = 1;
    for (int j = 0; j < n; j++) {
        t[j] = string_type(w);
        i[j] = ccw_pick(w, t[j]);
        ccw_key_arg(w, t[j], i[j]);
        len[j] = (uint32_t)typed_value(w, t[j], 4000);
        const ccw_key *k = ccw_k(w, t[j], i[j]);
        if (k->st == CCW_PRESENT)
            how = 0;
        else if (k->st == CCW_UNKNOWN && how == 1)
            how = 2;
    }
    ccw_end(w, 0);
    if (!nx)
        how = 1;
    for (int j = 0; j < n; j++) {
        ccw_key now = {.st = CCW_PRESENT, .lo = len[j], .hi = len[j]};
        apply(ccw_k(w, t[j], i[j]), how, now);
    }
}

void ccw_gen_string(ccw *w)
{
    uint64_t r = ccw_below(w, 20);
    if (r < 5) {
        gen_set(w);
    } else if (r < 8) {
        gen_counter(w);
    } else if (r < 10) {
        gen_grow(w);
    } else if (r == 10) {
        gen_mset(w, 0);
    } else if (r == 11) {
        gen_mset(w, 1);
    } else if (r == 12 || r == 13) { /* SETNX, SETEX, PSETEX */
        int t = string_type(w), i = ccw_pick(w, t);
        ccw_key *k = ccw_k(w, t, i);
        ccw_begin(w, CCF_STRING);
        uint64_t which = ccw_below(w, 3);
        int ex = 2;
        if (which == 0) {
            ccw_str(w, "SETNX");
            ccw_key_arg(w, t, i);
        } else if (which == 1) {
            ccw_str(w, "SETEX");
            ccw_key_arg(w, t, i);
            ccw_int(w, ccw_range(w, 1200, 7200));
        } else {
            ccw_str(w, "PSETEX");
            ccw_key_arg(w, t, i);
            ex = ccw_one_in(w, 2) ? 1 : 2;
            ccw_int(w, ex == 1 ? ccw_range(w, 50, 1500) : ccw_range(w, 1200000, 7200000));
        }
        uint32_t len = (uint32_t)typed_value(w, t, 4000);
        ccw_end(w, 0);
        apply(k, which == 0 ? applies(k, 1, 0) : 1, written(k, ex, len));
    } else if (r == 14) { /* GETSET */
        int t = string_type(w), i = ccw_pick(w, t);
        ccw_begin(w, CCF_STRING);
        ccw_str(w, "GETSET");
        ccw_key_arg(w, t, i);
        ccw_replaced(ccw_k(w, t, i), (uint32_t)typed_value(w, t, 4000));
        ccw_end(w, 0);
    } else if (r == 15) { /* GETDEL */
        int t = string_type(w), i = ccw_pick(w, t);
        ccw_begin(w, CCF_STRING);
        ccw_str(w, "GETDEL");
        ccw_key_arg(w, t, i);
        ccw_end(w, 0);
        ccw_k(w, t, i)->st = CCW_ABSENT;
        ccw_k(w, t, i)->hi = 0;
    } else { /* GETEX */
        int t = string_type(w), i = ccw_pick(w, t);
        ccw_begin(w, CCF_STRING);
        ccw_str(w, "GETEX");
        ccw_key_arg(w, t, i);
        int ex = expiry_opt(w, 0, 1);
        ccw_end(w, 0);
        if (ex == 1)
            ccw_maybe(ccw_k(w, t, i));
    }
}

/* --- bitmaps ------------------------------------------------------------ */

void ccw_gen_bits(ccw *w)
{
    int i = ccw_pick(w, CCW_BIT);
    ccw_key *k = ccw_k(w, CCW_BIT, i);
    uint64_t r = ccw_below(w, 10);
    ccw_begin(w, CCF_BITS);
    if (r < 5) {
        uint32_t bytes = w->o.big && ccw_one_in(w, 20) ? 200000 : 4096;
        uint32_t off = (uint32_t)ccw_below(w, (uint64_t)bytes * 8);
        ccw_str(w, "SETBIT");
        ccw_key_arg(w, CCW_BIT, i);
        ccw_int(w, off);
        ccw_int(w, (int64_t)ccw_below(w, 2));
        ccw_end(w, 0);
        uint32_t hi = k->hi > off / 8 + 1 ? k->hi : off / 8 + 1;
        ccw_added(k, 1, 0);
        k->hi = hi;
    } else if (r < 8) {
        static const char *const types[] = {"u8", "i16", "u1", "i5", "i64", "u63"};
        static const char *const ovf[] = {"WRAP", "SAT", "FAIL"};
        ccw_str(w, "BITFIELD");
        ccw_key_arg(w, CCW_BIT, i);
        int n = (int)ccw_range(w, 1, 3);
        for (int j = 0; j < n; j++) {
            uint64_t s = ccw_below(w, 4);
            if (s == 0) {
                ccw_str(w, "OVERFLOW");
                ccw_str(w, CCW_PICK(w, ovf));
            }
            ccw_str(w, s == 1 ? "GET" : s == 2 ? "SET" : "INCRBY");
            ccw_str(w, CCW_PICK(w, types));
            if (ccw_one_in(w, 2))
                ccw_fmt(w, "#%d", (int)ccw_below(w, 100));
            else
                ccw_int(w, (int64_t)ccw_below(w, 4000));
            if (s != 1)
                ccw_int(w, ccw_range(w, -300, 300));
        }
        ccw_end(w, 0);
        /* Even GET alone extends nothing; any SET/INCRBY creates the key
         * (up to 1 KiB long).  Conservatively: it may exist now. */
        if (k->st == CCW_ABSENT)
            k->st = CCW_UNKNOWN;
        k->hi = k->hi > 1100 ? k->hi : 1100;
    } else {
        static const char *const ops[] = {"AND", "OR", "XOR", "NOT"};
        const char *op = CCW_PICK(w, ops);
        int n = op[0] == 'N' ? 1 : (int)ccw_range(w, 1, 3);
        ccw_str(w, "BITOP");
        ccw_str(w, op);
        ccw_key_arg(w, CCW_BIT, i);
        ccw_key src[3];
        int any = 0;
        uint32_t hi = 0;
        for (int j = 0; j < n; j++) {
            int si = ccw_pick(w, CCW_BIT);
            ccw_key_arg(w, CCW_BIT, si);
            src[j] = *ccw_k(w, CCW_BIT, si);
            any |= src[j].st == CCW_PRESENT;
            hi = hi > src[j].hi ? hi : src[j].hi;
        }
        ccw_end(w, 0);
        if (any)
            ccw_replaced(k, 1);
        else
            k->st = CCW_UNKNOWN;
        k->hi = hi;
    }
}

/* --- HyperLogLog --------------------------------------------------------- */

void ccw_gen_hll(ccw *w)
{
    int i = ccw_pick(w, CCW_HLL);
    uint64_t r = ccw_below(w, 10);
    ccw_begin(w, CCF_HLL);
    if (r < 6) {
        ccw_str(w, "PFADD");
        ccw_key_arg(w, CCW_HLL, i);
        /* Sometimes many elements: the sparse form turns dense. */
        int n = ccw_one_in(w, 10) ? 3000 : (int)ccw_below(w, 6);
        for (int j = 0; j < n; j++)
            ccw_fmt(w, "e%llu", (unsigned long long)ccw_below(w, 100000));
        ccw_end(w, 0);
        ccw_added(ccw_k(w, CCW_HLL, i), 1, 0);
    } else if (r < 9) {
        ccw_str(w, "PFMERGE");
        ccw_key_arg(w, CCW_HLL, i);
        int n = (int)ccw_range(w, 0, 3);
        for (int j = 0; j < n; j++)
            ccw_key_arg(w, CCW_HLL, ccw_pick(w, CCW_HLL));
        ccw_end(w, 0);
        ccw_added(ccw_k(w, CCW_HLL, i), 1, 0);
    } else {
        ccw_str(w, "PFCOUNT");
        ccw_key_arg(w, CCW_HLL, i);
        if (ccw_one_in(w, 2))
            ccw_key_arg(w, CCW_HLL, ccw_pick(w, CCW_HLL));
        ccw_end(w, 0);
    }
}
