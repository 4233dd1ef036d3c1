/* cc_workload_stream.c - the workload's streams and consumer groups (ch12).
 *
 * Entry IDs are chosen by the generator: one counter of milliseconds for
 * all streams, starting far in the future (cc_workload.c), so every
 * explicit ID is above every ID any stream holds, and "*" (the server's
 * clock, which is behind the counter) gets the top ID's milliseconds with
 * the next sequence number instead.  XDEL, XCLAIM and trimming by MINID
 * aim at recent counter values.  Groups "g0".."g2" are tracked per key
 * (certainly there / maybe there), because XGROUP CREATE fails on a group
 * that exists and most group commands fail on one that does not: those
 * are sent when the tracking is sure, and flagged otherwise.  Streams
 * stay when emptied, unlike other types.
 */
#include "cc_workload_private.h"

#include <stdio.h>

static void next_id(ccw *w)
{
    uint64_t r = ccw_below(w, 10);
    if (r < 6)
        ccw_fmt(w, "%llu-%d", (unsigned long long)w->stream_ms++, (int)ccw_below(w, 3));
    else if (r < 8)
        ccw_str(w, "*");
    else
        ccw_fmt(w, "%llu-*", (unsigned long long)w->stream_ms++);
}

/* An ID near the counter's recent values (may or may not exist). */
static void recent_id(ccw *w)
{
    ccw_fmt(w, "%llu-%d", (unsigned long long)(w->stream_ms - 1 - ccw_below(w, 40)),
            (int)ccw_below(w, 3));
}

static void trim_args(ccw *w)
{
    int approx = ccw_one_in(w, 2);
    if (ccw_one_in(w, 2)) {
        ccw_str(w, "MAXLEN");
        ccw_str(w, approx ? "~" : "=");
        ccw_int(w, ccw_range(w, 0, 30));
    } else {
        ccw_str(w, "MINID");
        ccw_str(w, approx ? "~" : "=");
        ccw_fmt(w, "%llu", (unsigned long long)(w->stream_ms - ccw_below(w, 60)));
    }
    if (approx && ccw_one_in(w, 2)) {
        ccw_str(w, "LIMIT");
        ccw_int(w, ccw_range(w, 1, 100));
    }
}

static int may_have(const ccw_key *k, int g)
{
    return k->st != CCW_ABSENT && ((k->gmaybe | k->groups) >> g & 1);
}

static int has(const ccw_key *k, int g)
{
    return k->st == CCW_PRESENT && (k->groups >> g & 1);
}

/* Make group g of stream i exist when that is certainly possible (a
 * command that needs the group follows), by XGROUP CREATE ... MKSTREAM. */
static void ensure_group(ccw *w, int i, int g)
{
    ccw_key *k = ccw_k(w, CCW_STREAM, i);
    if (has(k, g) || k->st == CCW_UNKNOWN || may_have(k, g))
        return;
    ccw_begin(w, CCF_STREAM);
    ccw_str(w, "XGROUP");
    ccw_str(w, "CREATE");
    ccw_key_arg(w, CCW_STREAM, i);
    ccw_fmt(w, "g%d", g);
    ccw_str(w, "0");
    ccw_str(w, "MKSTREAM");
    ccw_end(w, 0);
    if (k->st == CCW_ABSENT)
        *k = (ccw_key){.st = CCW_PRESENT};
    k->groups |= (uint8_t)(1u << g);
    k->gmaybe |= (uint8_t)(1u << g);
}

static void gen_xgroup(ccw *w, int i, int g, ccw_key *k)
{
    uint64_t r = ccw_below(w, 20);
    if (r >= 10 && ccw_one_in(w, 4) == 0) {
        ensure_group(w, i, g);
        ccw_begin(w, CCF_STREAM);
    }
    ccw_str(w, "XGROUP");
    if (r < 10) {
        for (int h = 0; h < CCW_GROUPS && may_have(k, g); h++)
            g = (g + 1) % CCW_GROUPS; /* a group that is not there */
        int mk = k->st != CCW_PRESENT || ccw_one_in(w, 3);
        ccw_str(w, "CREATE");
        ccw_key_arg(w, CCW_STREAM, i);
        ccw_fmt(w, "g%d", g);
        uint64_t from = ccw_below(w, 3);
        if (from == 0)
            ccw_str(w, "$");
        else if (from == 1)
            ccw_str(w, "0");
        else
            recent_id(w);
        if (mk)
            ccw_str(w, "MKSTREAM");
        if (ccw_one_in(w, 4)) {
            ccw_str(w, "ENTRIESREAD");
            ccw_int(w, ccw_range(w, 0, 5));
        }
        int ok = !may_have(k, g);
        ccw_end(w, ok ? 0 : CC_OP_MAY_FAIL);
        if (k->st == CCW_ABSENT) {
            k->st = CCW_PRESENT;
            k->lo = 0;
            k->groups = k->gmaybe = 0;
        }
        if (ok)
            k->groups |= (uint8_t)(1u << g);
        k->gmaybe |= (uint8_t)(1u << g);
        return;
    }
    unsigned flags = has(k, g) ? 0 : CC_OP_MAY_FAIL;
    if (r < 12) {
        ccw_str(w, "SETID");
        ccw_key_arg(w, CCW_STREAM, i);
        ccw_fmt(w, "g%d", g);
        if (ccw_one_in(w, 2))
            ccw_str(w, "$");
        else
            recent_id(w);
    } else if (r < 18) {
        ccw_str(w, r < 15 ? "CREATECONSUMER" : "DELCONSUMER");
        ccw_key_arg(w, CCW_STREAM, i);
        ccw_fmt(w, "g%d", g);
        ccw_fmt(w, "c%d", (int)ccw_below(w, 4));
    } else {
        ccw_str(w, "DESTROY");
        ccw_key_arg(w, CCW_STREAM, i);
        ccw_fmt(w, "g%d", g);
        flags = k->st == CCW_PRESENT ? 0 : CC_OP_MAY_FAIL;
        k->groups &= (uint8_t)~(1u << g);
        k->gmaybe &= (uint8_t)~(1u << g);
    }
    ccw_end(w, flags);
}

/* Mostly a stream with a group that certainly exists, when there is one. */
static void pick_grouped(ccw *w, int *i, int *g)
{
    int cand[CCW_POOL * CCW_GROUPS], n = 0;
    for (int j = 0; j < CCW_POOL; j++)
        for (int h = 0; h < CCW_GROUPS; h++)
            if (has(ccw_k(w, CCW_STREAM, j), h))
                cand[n++] = j * CCW_GROUPS + h;
    if (n == 0 || ccw_one_in(w, 10)) {
        *i = ccw_pick(w, CCW_STREAM);
        *g = (int)ccw_below(w, CCW_GROUPS);
        return;
    }
    int c = cand[ccw_below(w, (uint64_t)n)];
    *i = c / CCW_GROUPS;
    *g = c % CCW_GROUPS;
}

void ccw_gen_stream(ccw *w)
{
    uint64_t r = ccw_below(w, 40);
    int i, g;
    if (r >= 18 && !(r >= 30 && r < 33))
        pick_grouped(w, &i, &g);
    else {
        i = ccw_pick(w, CCW_STREAM);
        g = (int)ccw_below(w, CCW_GROUPS);
    }
    ccw_key *k = ccw_k(w, CCW_STREAM, i);
    if (r >= 25 && !(r >= 30 && r < 33) && !ccw_one_in(w, 4))
        ensure_group(w, i, g); /* XREADGROUP, XCLAIM, XAUTOCLAIM */
    ccw_begin(w, CCF_STREAM);
    if (r < 14) {
        ccw_str(w, "XADD");
        ccw_key_arg(w, CCW_STREAM, i);
        int nomk = ccw_one_in(w, 10);
        if (nomk)
            ccw_str(w, "NOMKSTREAM");
        if (ccw_one_in(w, 3))
            trim_args(w);
        next_id(w);
        int n = ccw_one_in(w, 20) ? 60 : (int)ccw_range(w, 1, 3);
        for (int j = 0; j < n; j++) {
            ccw_fmt(w, "f%d", j);
            ccw_value(w, 500);
        }
        ccw_end(w, 0);
        if (!nomk && k->st == CCW_ABSENT) {
            k->st = CCW_PRESENT;
            k->lo = 0;
            k->groups = k->gmaybe = 0;
        }
    } else if (r < 16) {
        ccw_str(w, "XDEL");
        ccw_key_arg(w, CCW_STREAM, i);
        int n = (int)ccw_range(w, 1, 3);
        for (int j = 0; j < n; j++)
            recent_id(w);
        ccw_end(w, 0);
    } else if (r < 18) {
        ccw_str(w, "XTRIM");
        ccw_key_arg(w, CCW_STREAM, i);
        trim_args(w);
        ccw_end(w, 0);
    } else if (r < 25) {
        gen_xgroup(w, i, g, k);
    } else if (r < 30) {
        ccw_str(w, "XREADGROUP");
        ccw_str(w, "GROUP");
        ccw_fmt(w, "g%d", g);
        ccw_fmt(w, "c%d", (int)ccw_below(w, 4));
        if (ccw_one_in(w, 2)) {
            ccw_str(w, "COUNT");
            ccw_int(w, ccw_range(w, 1, 10));
        }
        if (ccw_one_in(w, 5))
            ccw_str(w, "NOACK");
        ccw_str(w, "STREAMS");
        ccw_key_arg(w, CCW_STREAM, i);
        ccw_str(w, ccw_one_in(w, 5) ? "0" : ">");
        ccw_end(w, has(k, g) ? 0 : CC_OP_MAY_FAIL);
    } else if (r < 33) {
        ccw_str(w, "XACK");
        ccw_key_arg(w, CCW_STREAM, i);
        ccw_fmt(w, "g%d", g);
        int n = (int)ccw_range(w, 1, 3);
        for (int j = 0; j < n; j++)
            recent_id(w);
        ccw_end(w, 0);
    } else if (r < 35) {
        ccw_str(w, "XCLAIM");
        ccw_key_arg(w, CCW_STREAM, i);
        ccw_fmt(w, "g%d", g);
        ccw_fmt(w, "c%d", (int)ccw_below(w, 4));
        ccw_int(w, 0);
        int n = (int)ccw_range(w, 1, 3);
        for (int j = 0; j < n; j++)
            recent_id(w);
        if (ccw_one_in(w, 3))
            ccw_str(w, "JUSTID");
        if (ccw_one_in(w, 4))
            ccw_str(w, "FORCE");
        ccw_end(w, has(k, g) ? 0 : CC_OP_MAY_FAIL);
    } else if (r < 38) {
        ccw_str(w, "XAUTOCLAIM");
        ccw_key_arg(w, CCW_STREAM, i);
        ccw_fmt(w, "g%d", g);
        ccw_fmt(w, "c%d", (int)ccw_below(w, 4));
        ccw_int(w, 0);
        ccw_str(w, "0-0");
        if (ccw_one_in(w, 2)) {
            ccw_str(w, "COUNT");
            ccw_int(w, ccw_range(w, 1, 20));
        }
        if (ccw_one_in(w, 3))
            ccw_str(w, "JUSTID");
        ccw_end(w, has(k, g) ? 0 : CC_OP_MAY_FAIL);
    } else {
        ccw_str(w, "XSETID");
        ccw_key_arg(w, CCW_STREAM, i);
        w->stream_ms += 5;
        ccw_fmt(w, "%llu-0", (unsigned long long)w->stream_ms++);
        ccw_end(w, k->st == CCW_PRESENT ? 0 : CC_OP_MAY_FAIL);
    }
}
