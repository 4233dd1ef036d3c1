/* cc_workload_keys.c - the workload's generic key commands, expiries, SORT, databases (ch12).
 *
 * RENAME, COPY and MOVE keep a key's type prefix (source and destination
 * are names of the same type), so the by-prefix typing of every other
 * generator survives them; the tracked state moves with the key, to
 * another database for COPY ... DB and MOVE, and SWAPDB swaps whole
 * databases.  Expiries are short (50-1500 ms: the key may vanish during
 * the run, so it becomes "unknown"), long (20 minutes to 2 hours, longer
 * than any run), in the past (the key is deleted at once), or fixed
 * far-future instants for the absolute forms.  RESTORE sends a DUMP
 * payload built here for a string: type 0, the RDB string, RDB version 10
 * (Redis 7.0), CRC-64 (src/crc64.h).
 */
#include "cc_workload_private.h"
#include "crc64.h"

#include <stdio.h>
#include <string.h>

/* --- keys -------------------------------------------------------------------- */

/* A RENAME, RENAMENX or COPY of (t, s) to (t, d) in database dd. */
static void move_state(ccw *w, int t, int s, int d, int dd, int nx, int copy)
{
    ccw_key *sk = ccw_k(w, t, s);
    ccw_key *dk = &w->dbs[dd].k[t][d];
    if (sk == dk)
        return;
    ccw_key src = *sk;
    int how; /* 1 the destination takes the source, 0 nothing, 2 maybe */
    if (src.st == CCW_ABSENT)
        how = 0;
    else if (!nx)
        how = src.st == CCW_PRESENT ? 1 : 2;
    else
        how = dk->st == CCW_PRESENT ? 0 : dk->st == CCW_ABSENT && src.st == CCW_PRESENT ? 1 : 2;
    if (how == 1) {
        *dk = src;
        if (!copy)
            *sk = (ccw_key){0};
    } else if (how == 2) {
        *dk = ccw_merge(*dk, src);
        if (!copy)
            *sk = ccw_merge(*sk, (ccw_key){0});
    }
}

static void gen_restore(ccw *w)
{
    int i = ccw_pick(w, CCW_STR);
    unsigned char p[400];
    char v[300];
    size_t n = (size_t)snprintf(v, sizeof v, "restored-%llu",
                                (unsigned long long)ccw_below(w, 1000));
    if (ccw_one_in(w, 2)) { /* a longer one, over the embstr limit */
        memset(v + n, 'r', 100);
        n += 100;
    }
    size_t o = 0;
    p[o++] = 0; /* RDB_TYPE_STRING */
    if (n < 64) {
        p[o++] = (unsigned char)n;
    } else {
        p[o++] = (unsigned char)(0x40 | (n >> 8));
        p[o++] = (unsigned char)(n & 0xff);
    }
    memcpy(p + o, v, n);
    o += n;
    p[o++] = 10; /* RDB version, little-endian */
    p[o++] = 0;
    uint64_t crc = crc64_update(0, p, o);
    for (int b = 0; b < 8; b++)
        p[o++] = (unsigned char)(crc >> (8 * b));
    ccw_begin(w, CCF_KEYS);
    ccw_str(w, "RESTORE");
    ccw_key_arg(w, CCW_STR, i);
    int ttl = (int)ccw_below(w, 3);
    ccw_int(w, ttl == 0 ? 0 : ttl == 1 ? ccw_range(w, 50, 1500) : ccw_range(w, 1200000, 7200000));
    ccw_arg(w, p, o);
    ccw_str(w, "REPLACE");
    if (ccw_one_in(w, 3)) {
        ccw_str(w, "IDLETIME");
        ccw_int(w, ccw_range(w, 0, 1000));
    }
    ccw_end(w, 0);
    ccw_key *k = ccw_k(w, CCW_STR, i);
    ccw_replaced(k, (uint32_t)n);
    if (ttl == 1)
        k->st = CCW_UNKNOWN;
}

void ccw_gen_keys(ccw *w)
{
    int t = (int)ccw_below(w, CCW_TYPES);
    uint64_t r = ccw_below(w, 20);
    int s = r >= 6 && r < 10 ? ccw_pick_present(w, t, 0) : ccw_pick(w, t);
    int d = ccw_pick(w, t);
    ccw_begin(w, CCF_KEYS);
    if (r < 6) {
        ccw_str(w, r < 3 ? "DEL" : "UNLINK");
        int n = (int)ccw_range(w, 1, 3);
        for (int j = 0; j < n; j++) {
            int tj = j == 0 ? t : (int)ccw_below(w, CCW_TYPES);
            int ij = j == 0 ? s : ccw_pick(w, tj);
            ccw_key_arg(w, tj, ij);
            *ccw_k(w, tj, ij) = (ccw_key){0};
        }
        ccw_end(w, 0);
    } else if (r < 10) {
        int nx = r >= 8;
        ccw_str(w, nx ? "RENAMENX" : "RENAME");
        ccw_key_arg(w, t, s);
        ccw_key_arg(w, t, d);
        ccw_end(w, ccw_k(w, t, s)->st == CCW_PRESENT ? 0 : CC_OP_MAY_FAIL);
        move_state(w, t, s, d, w->db, nx, 0);
    } else if (r < 14) {
        int dd = w->db, replace = ccw_one_in(w, 2);
        if (w->o.databases > 1 && ccw_one_in(w, 2))
            dd = (int)ccw_below(w, (uint64_t)w->o.databases);
        if (dd == w->db && s == d) /* "source and destination are the same" */
            d = s == 0 ? 1 : 0;
        ccw_str(w, "COPY");
        ccw_key_arg(w, t, s);
        ccw_key_arg(w, t, d);
        if (dd != w->db) {
            ccw_str(w, "DB");
            ccw_int(w, dd);
        }
        if (replace)
            ccw_str(w, "REPLACE");
        ccw_end(w, 0);
        move_state(w, t, s, d, dd, !replace, 1);
    } else if (r < 17 && w->o.databases > 1) {
        int dd = (int)ccw_below(w, (uint64_t)w->o.databases - 1);
        if (dd >= w->db)
            dd++;
        ccw_str(w, "MOVE");
        ccw_key_arg(w, t, s);
        ccw_int(w, dd);
        ccw_end(w, 0);
        move_state(w, t, s, s, dd, 1, 0);
    } else {
        w->ac = 0;
        gen_restore(w);
    }
}

/* --- expiries ---------------------------------------------------------------- */

void ccw_gen_expire(ccw *w)
{
    int t = (int)ccw_below(w, CCW_TYPES), i = ccw_pick(w, t);
    ccw_key *k = ccw_k(w, t, i);
    ccw_begin(w, CCF_EXPIRE);
    if (ccw_one_in(w, 8)) {
        ccw_str(w, "PERSIST");
        ccw_key_arg(w, t, i);
        ccw_end(w, 0);
        return;
    }
    static const char *const cmds[] = {"EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"};
    uint64_t c = ccw_below(w, 4);
    int ms = c % 2 == 1, abs = c >= 2;
    ccw_str(w, cmds[c]);
    ccw_key_arg(w, t, i);
    /* kind: 0 short (relative ms only), 1 long, 2 in the past */
    uint64_t kind = ccw_below(w, 10);
    kind = kind < 4 ? 0 : kind < 9 ? 1 : 2;
    if (kind == 0 && (!ms || abs))
        kind = 1;
    int64_t v;
    if (kind == 0)
        v = ccw_range(w, 50, 1500);
    else if (kind == 1)
        v = abs ? 4102444800 + ccw_range(w, 0, 99999) : ccw_range(w, 1200, 7200);
    else
        v = abs ? ccw_range(w, 1, 1000000000) : -ccw_range(w, 0, 100);
    if (kind == 1 && ms)
        v *= 1000;
    ccw_int(w, v);
    int opt = 0;
    if (ccw_one_in(w, 3)) {
        static const char *const opts[] = {"NX", "XX", "GT", "LT"};
        ccw_str(w, CCW_PICK(w, opts));
        opt = 1;
    }
    ccw_end(w, 0);
    if (kind == 0)
        ccw_maybe(k);
    else if (kind == 2 && !opt)
        *k = (ccw_key){0};
    else if (kind == 2)
        ccw_maybe(k);
}

/* --- SORT ... STORE -------------------------------------------------------- */

void ccw_gen_sort(ccw *w)
{
    static const int types[] = {CCW_LIST, CCW_SET, CCW_ZSET};
    int t = CCW_PICK(w, types), s = ccw_pick(w, t), d = ccw_pick(w, CCW_LIST);
    const ccw_key *sk = ccw_k(w, t, s);
    int full = ccw_nonempty(sk);
    uint32_t lo = sk->lo;
    ccw_begin(w, CCF_SORT);
    ccw_str(w, "SORT");
    ccw_key_arg(w, t, s);
    int alpha = 1;
    if (ccw_one_in(w, 3)) {
        ccw_str(w, "BY");
        ccw_str(w, "nosort");
        alpha = ccw_one_in(w, 2);
    }
    if (ccw_one_in(w, 4)) {
        ccw_str(w, "LIMIT");
        ccw_int(w, 0);
        ccw_int(w, ccw_range(w, 1, 20));
        full = 0;
    }
    if (ccw_one_in(w, 4)) {
        ccw_str(w, "GET");
        ccw_str(w, "#");
    }
    if (ccw_one_in(w, 2))
        ccw_str(w, ccw_one_in(w, 2) ? "ASC" : "DESC");
    if (alpha)
        ccw_str(w, "ALPHA");
    ccw_str(w, "STORE");
    ccw_key_arg(w, CCW_LIST, d);
    ccw_end(w, 0);
    ccw_key *dk = ccw_k(w, CCW_LIST, d);
    if (full)
        ccw_replaced(dk, lo);
    else
        dk->st = CCW_UNKNOWN;
}

/* --- databases ------------------------------------------------------------- */

void ccw_gen_db(ccw *w)
{
    uint64_t r = ccw_below(w, 100);
    int n = w->o.databases;
    ccw_begin(w, CCF_DB);
    if (r < 62 || (n == 1 && r < 92)) {
        int d = (int)ccw_below(w, (uint64_t)n);
        ccw_str(w, "SELECT");
        ccw_int(w, d);
        ccw_end(w, 0);
        w->db = d;
        return;
    }
    if (r < 92) {
        int a = (int)ccw_below(w, (uint64_t)n), b = (int)ccw_below(w, (uint64_t)n);
        ccw_str(w, "SWAPDB");
        ccw_int(w, a);
        ccw_int(w, b);
        ccw_end(w, 0);
        ccw_db tmp = w->dbs[a];
        w->dbs[a] = w->dbs[b];
        w->dbs[b] = tmp;
    } else if (r < 98) {
        ccw_str(w, "FLUSHDB");
        if (ccw_one_in(w, 2))
            ccw_str(w, ccw_one_in(w, 2) ? "ASYNC" : "SYNC");
        ccw_end(w, 0);
        memset(&w->dbs[w->db], 0, sizeof w->dbs[w->db]);
    } else {
        ccw_str(w, "FLUSHALL");
        if (ccw_one_in(w, 2))
            ccw_str(w, "SYNC");
        ccw_end(w, 0);
        memset(w->dbs, 0, sizeof w->dbs);
    }
}
