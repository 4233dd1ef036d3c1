/* cc_workload_zset.c - the workload's sorted sets and geo commands (ch12).
 *
 * ZADD's flags follow Redis 7.0's t_zset.c: NX or XX, GT or LT (never with
 * NX), CH, INCR (with one pair only).  Scores include integers, fractions
 * and the infinities; increments are always finite, so no sum is NaN.
 * Sorted sets cross zset-max-listpack-entries (128) and
 * zset-max-listpack-value (64 bytes) to become skiplists.  Geo keys ("g:")
 * are sorted sets written only by GEOADD and the geo STORE commands, and
 * searched from fixed points, so GEORADIUSBYMEMBER is sent right after a
 * GEOADD of its member.
 */
#include "cc_workload_private.h"

#include <stdio.h>

static const char *const scores[] = {
    "0", "1", "-1", "2.5", "-3.75", "100", "1e10", "-0", "0.1",
    "123456789.125", "7", "42", "+inf", "-inf",
};

static void zmember(ccw *w)
{
    if (ccw_one_in(w, 12))
        ccw_value(w, 120); /* binary, or over 64 bytes: skiplist */
    else
        ccw_fmt(w, "m%d", (int)ccw_below(w, 30));
}

static void finite_score(ccw *w)
{
    ccw_fmt(w, "%d.%d", (int)ccw_range(w, -50, 50), (int)ccw_below(w, 10));
}

static void gen_zadd(ccw *w, int i, ccw_key *k)
{
    ccw_str(w, "ZADD");
    ccw_key_arg(w, CCW_ZSET, i);
    int nx = 0, xx = 0, incr = 0;
    uint64_t f = ccw_below(w, 8);
    if (f == 0) {
        ccw_str(w, "NX");
        nx = 1;
    } else if (f == 1) {
        ccw_str(w, "XX");
        xx = 1;
    }
    if (!nx && ccw_one_in(w, 4))
        ccw_str(w, ccw_one_in(w, 2) ? "GT" : "LT");
    if (ccw_one_in(w, 4))
        ccw_str(w, "CH");
    if (ccw_one_in(w, 6)) {
        ccw_str(w, "INCR");
        incr = 1;
    }
    uint32_t n = 1;
    if (incr) {
        finite_score(w);
        zmember(w);
    } else if (ccw_one_in(w, 12)) { /* over 128 entries */
        n = ccw_grow(w, 100, 200);
        for (uint32_t j = 0; j < n; j++) {
            ccw_int(w, (int64_t)j);
            ccw_fmt(w, "m%u", j);
        }
    } else {
        int m = (int)ccw_range(w, 1, 4);
        for (int j = 0; j < m; j++) {
            ccw_str(w, CCW_PICK(w, scores));
            zmember(w);
        }
    }
    ccw_end(w, 0);
    if (!xx)
        ccw_added(k, n, n);
}

static void zstore(ccw *w, int i, ccw_key *k)
{
    static const char *const c[] = {"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"};
    uint64_t which = ccw_below(w, 3);
    ccw_str(w, c[which]);
    ccw_key_arg(w, CCW_ZSET, i);
    int n = (int)ccw_range(w, 1, 3);
    ccw_int(w, n);
    uint32_t lo = 0;
    for (int j = 0; j < n; j++) {
        int t = ccw_one_in(w, 4) ? CCW_SET : CCW_ZSET; /* sets count too */
        int s = ccw_pick(w, t);
        ccw_key_arg(w, t, s);
        const ccw_key *sk = ccw_k(w, t, s);
        if (ccw_nonempty(sk) && sk->lo > lo)
            lo = sk->lo;
    }
    if (which != 2 && ccw_one_in(w, 3)) {
        ccw_str(w, "WEIGHTS");
        for (int j = 0; j < n; j++)
            ccw_str(w, ccw_one_in(w, 2) ? "2" : "0.5");
    }
    if (which != 2 && ccw_one_in(w, 3)) {
        static const char *const agg[] = {"SUM", "MIN", "MAX"};
        ccw_str(w, "AGGREGATE");
        ccw_str(w, CCW_PICK(w, agg));
    }
    ccw_end(w, 0);
    if (which == 0 && lo > 0)
        ccw_replaced(k, lo);
    else
        k->st = CCW_UNKNOWN;
}

static void zrangestore(ccw *w, int i, ccw_key *k)
{
    int s = ccw_pick(w, CCW_ZSET);
    ccw_str(w, "ZRANGESTORE");
    ccw_key_arg(w, CCW_ZSET, i);
    ccw_key_arg(w, CCW_ZSET, s);
    int rev = ccw_one_in(w, 3);
    uint64_t by = ccw_below(w, 3);
    if (by == 0) {
        ccw_int(w, ccw_range(w, -5, 3));
        ccw_int(w, ccw_range(w, -1, 20));
    } else if (by == 1) {
        ccw_str(w, rev ? "+inf" : "(-1");
        ccw_str(w, rev ? "(-1" : "+inf");
        ccw_str(w, "BYSCORE");
    } else {
        ccw_str(w, rev ? "+" : "[m1");
        ccw_str(w, rev ? "[m1" : "+");
        ccw_str(w, "BYLEX");
    }
    if (rev)
        ccw_str(w, "REV");
    if (by != 0 && ccw_one_in(w, 2)) {
        ccw_str(w, "LIMIT");
        ccw_int(w, (int64_t)ccw_below(w, 3));
        ccw_int(w, ccw_range(w, -1, 10));
    }
    ccw_end(w, 0);
    k->st = CCW_UNKNOWN;
}

void ccw_gen_zset(ccw *w)
{
    uint64_t r = ccw_below(w, 30);
    /* The pops (blocking ones only on a non-empty key) like a full one. */
    int i = r >= 17 && r < 22 ? ccw_pick_present(w, CCW_ZSET, 1) : ccw_pick(w, CCW_ZSET);
    ccw_key *k = ccw_k(w, CCW_ZSET, i);
    ccw_begin(w, CCF_ZSET);
    if (r < 10) {
        gen_zadd(w, i, k);
    } else if (r < 12) {
        ccw_str(w, "ZINCRBY");
        ccw_key_arg(w, CCW_ZSET, i);
        finite_score(w);
        zmember(w);
        ccw_end(w, 0);
        ccw_added(k, 1, 1);
    } else if (r < 14) {
        ccw_str(w, "ZREM");
        ccw_key_arg(w, CCW_ZSET, i);
        uint32_t n = (uint32_t)ccw_range(w, 1, 3);
        for (uint32_t j = 0; j < n; j++)
            zmember(w);
        ccw_end(w, 0);
        ccw_removed(k, n);
    } else if (r < 17) {
        uint64_t by = r - 14;
        ccw_str(w, by == 0 ? "ZREMRANGEBYSCORE" : by == 1 ? "ZREMRANGEBYRANK"
                                                          : "ZREMRANGEBYLEX");
        ccw_key_arg(w, CCW_ZSET, i);
        if (by == 0) {
            ccw_str(w, ccw_one_in(w, 2) ? "(1" : "-inf");
            ccw_str(w, ccw_one_in(w, 2) ? "5" : "(2.5");
        } else if (by == 1) {
            ccw_int(w, ccw_range(w, 0, 3));
            ccw_int(w, ccw_range(w, -3, 5));
        } else {
            ccw_str(w, ccw_one_in(w, 2) ? "[m1" : "-");
            ccw_str(w, ccw_one_in(w, 2) ? "(m3" : "[m15");
        }
        ccw_end(w, 0);
        ccw_removed(k, UINT32_MAX);
    } else if (r < 20) {
        uint64_t c = ccw_below(w, 2);
        int block = c == 1 && ccw_nonempty(k);
        if (!block) {
            ccw_str(w, ccw_one_in(w, 2) ? "ZPOPMIN" : "ZPOPMAX");
            ccw_key_arg(w, CCW_ZSET, i);
            uint32_t n = 1;
            if (ccw_one_in(w, 2)) {
                n = (uint32_t)ccw_range(w, 1, 4);
                ccw_int(w, n);
            }
            ccw_end(w, 0);
            ccw_removed(k, n);
        } else {
            ccw_str(w, ccw_one_in(w, 2) ? "BZPOPMIN" : "BZPOPMAX");
            ccw_key_arg(w, CCW_ZSET, i);
            ccw_str(w, "0.1");
            ccw_end(w, 0);
            ccw_removed(k, 1);
        }
    } else if (r < 22) {
        int block = ccw_nonempty(k) && ccw_one_in(w, 2);
        ccw_str(w, block ? "BZMPOP" : "ZMPOP");
        if (block)
            ccw_str(w, "0.1");
        int n = (int)ccw_range(w, 1, 2), j2 = ccw_pick(w, CCW_ZSET);
        ccw_int(w, n);
        ccw_key_arg(w, CCW_ZSET, i);
        if (n == 2)
            ccw_key_arg(w, CCW_ZSET, j2);
        ccw_str(w, ccw_one_in(w, 2) ? "MIN" : "MAX");
        uint32_t c = 1;
        if (ccw_one_in(w, 2)) {
            c = (uint32_t)ccw_range(w, 1, 4);
            ccw_str(w, "COUNT");
            ccw_int(w, c);
        }
        ccw_end(w, 0);
        int first = ccw_nonempty(k);
        ccw_removed(k, c);
        if (!first && n == 2)
            ccw_removed(ccw_k(w, CCW_ZSET, j2), c);
    } else if (r < 27) {
        zstore(w, i, k);
    } else {
        zrangestore(w, i, k);
    }
}

/* --- geo ------------------------------------------------------------------- */

static void lonlat(ccw *w)
{
    ccw_fmt(w, "%d.%04d", (int)ccw_range(w, -179, 179), (int)ccw_below(w, 10000));
    ccw_fmt(w, "%d.%04d", (int)ccw_range(w, -84, 84), (int)ccw_below(w, 10000));
}

void ccw_gen_geo(ccw *w)
{
    int i = ccw_pick(w, CCW_GEO);
    ccw_key *k = ccw_k(w, CCW_GEO, i);
    int d = ccw_pick(w, CCW_GEO);
    uint64_t r = ccw_below(w, 10);
    if (r < 5) {
        ccw_begin(w, CCF_GEO);
        ccw_str(w, "GEOADD");
        ccw_key_arg(w, CCW_GEO, i);
        int xx = 0;
        if (ccw_one_in(w, 6))
            ccw_str(w, ccw_one_in(w, 2) ? "NX" : (xx = 1, "XX"));
        if (ccw_one_in(w, 5))
            ccw_str(w, "CH");
        int n = (int)ccw_range(w, 1, 4);
        for (int j = 0; j < n; j++) {
            lonlat(w);
            ccw_fmt(w, "p%d", (int)ccw_below(w, 20));
        }
        ccw_end(w, 0);
        if (!xx)
            ccw_added(k, 1, (uint32_t)n);
        return;
    }
    if (r < 8) {
        ccw_begin(w, CCF_GEO);
        ccw_str(w, "GEOSEARCHSTORE");
        ccw_key_arg(w, CCW_GEO, d);
        ccw_key_arg(w, CCW_GEO, i);
        ccw_str(w, "FROMLONLAT");
        lonlat(w);
        if (ccw_one_in(w, 2)) {
            ccw_str(w, "BYRADIUS");
            ccw_int(w, ccw_range(w, 100, 20000));
            ccw_str(w, "km");
        } else {
            ccw_str(w, "BYBOX");
            ccw_int(w, ccw_range(w, 100, 20000));
            ccw_int(w, ccw_range(w, 100, 20000));
            ccw_str(w, "km");
        }
        ccw_str(w, ccw_one_in(w, 2) ? "ASC" : "DESC");
        if (ccw_one_in(w, 2)) {
            ccw_str(w, "COUNT");
            ccw_int(w, ccw_range(w, 1, 10));
            if (ccw_one_in(w, 2))
                ccw_str(w, "ANY");
        }
        if (ccw_one_in(w, 3))
            ccw_str(w, "STOREDIST");
        ccw_end(w, 0);
        ccw_k(w, CCW_GEO, d)->st = CCW_UNKNOWN;
        return;
    }
    /* GEORADIUS / GEORADIUSBYMEMBER with STORE or STOREDIST; the member
     * is added first so that it exists. */
    int bymember = r == 9;
    unsigned flags = 0;
    if (bymember) {
        /* A short TTL could end between the two commands. */
        flags = k->st == CCW_UNKNOWN ? CC_OP_MAY_FAIL : 0;
        ccw_begin(w, CCF_GEO);
        ccw_str(w, "GEOADD");
        ccw_key_arg(w, CCW_GEO, i);
        lonlat(w);
        ccw_str(w, "p0");
        ccw_end(w, 0);
        ccw_added(k, 1, 1);
    }
    ccw_begin(w, CCF_GEO);
    ccw_str(w, bymember ? "GEORADIUSBYMEMBER" : "GEORADIUS");
    ccw_key_arg(w, CCW_GEO, i);
    if (bymember)
        ccw_str(w, "p0");
    else
        lonlat(w);
    ccw_int(w, ccw_range(w, 100, 20000));
    ccw_str(w, "km");
    if (ccw_one_in(w, 2)) {
        ccw_str(w, "COUNT");
        ccw_int(w, ccw_range(w, 1, 10));
    }
    ccw_str(w, ccw_one_in(w, 3) ? "STOREDIST" : "STORE");
    ccw_key_arg(w, CCW_GEO, d);
    ccw_end(w, flags);
    ccw_k(w, CCW_GEO, d)->st = CCW_UNKNOWN;
}
