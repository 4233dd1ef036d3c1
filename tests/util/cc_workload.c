/* cc_workload.c - the seeded workload's core: random numbers, ops, batches (ch12).
 *
 * The stream is a pure function of the seed: the generator draws from its
 * own xoshiro256** (seeded through splitmix64), never from rand() or the
 * clock, and it produces whole units (one command, or a MULTI...EXEC
 * group, or SCRIPT LOAD + EVALSHA) one after the other; a batch takes
 * whole units until it has at least n ops.  So the ops are the same for
 * every batch size, and a group never straddles two batches.
 *
 * The families' generators live in cc_workload_<group>.c, key names and
 * values in cc_workload_value.c (see cc_workload_private.h).  Each unit
 * may first delete a key whose existence the tracking lost (below), so
 * that commands needing an existing key can still be sent unflagged.
 *
 * Ops live in the batch: every argument is malloc'ed and freed when the
 * next batch starts.  An allocation failure sets a flag that the batch
 * reports (-1); the generators never check it themselves.
 */
#include "cc_workload_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const family_names[CCF_COUNT] = {
    "bits", "db", "expire", "geo", "hash", "hll", "keys", "list", "multi",
    "script", "server", "set", "sort", "stream", "string", "zset",
};


/* --- random numbers ---------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ccw_rnd(ccw *w)
{
    uint64_t *s = w->s;
    uint64_t r = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

uint64_t ccw_below(ccw *w, uint64_t n)
{
    /* Lemire's reduction would be faster; modulo bias at n << 2^64 is
     * irrelevant for a workload. */
    return ccw_rnd(w) % n;
}

int64_t ccw_range(ccw *w, int64_t lo, int64_t hi)
{
    return lo + (int64_t)ccw_below(w, (uint64_t)(hi - lo) + 1);
}

int ccw_one_in(ccw *w, unsigned n) { return ccw_below(w, n) == 0; }

/* --- building ops ------------------------------------------------------ */

void ccw_begin(ccw *w, int family)
{
    w->ac = 0;
    w->fam = family;
}

void ccw_arg(ccw *w, const void *p, size_t len)
{
    if (w->ac == w->acap) {
        size_t cap = w->acap ? w->acap * 2 : 64;
        char **av = realloc(w->av, cap * sizeof *av);
        if (av != NULL)
            w->av = av;
        size_t *al = realloc(w->al, cap * sizeof *al);
        if (al != NULL)
            w->al = al;
        if (av == NULL || al == NULL) {
            w->oom = 1;
            return;
        }
        w->acap = cap;
    }
    char *c = malloc(len + 1);
    if (c == NULL) {
        w->oom = 1;
        return;
    }
    if (len > 0)
        memcpy(c, p, len);
    c[len] = '\0';
    w->av[w->ac] = c;
    w->al[w->ac] = len;
    w->ac++;
}

void ccw_str(ccw *w, const char *s) { ccw_arg(w, s, strlen(s)); }

void ccw_fmt(ccw *w, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    ccw_arg(w, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void ccw_int(ccw *w, int64_t v) { ccw_fmt(w, "%lld", (long long)v); }

void ccw_end(ccw *w, unsigned flags)
{
    if (w->nops == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        cc_op *ops = realloc(w->ops, cap * sizeof *ops);
        if (ops == NULL) {
            w->oom = 1;
            goto drop;
        }
        w->ops = ops;
        w->cap = cap;
    }
    cc_op *op = &w->ops[w->nops];
    op->argc = w->ac;
    op->argv = malloc((w->ac ? w->ac : 1) * sizeof *op->argv);
    op->lens = malloc((w->ac ? w->ac : 1) * sizeof *op->lens);
    if (op->argv == NULL || op->lens == NULL) {
        free(op->argv);
        free(op->lens);
        w->oom = 1;
        goto drop;
    }
    memcpy(op->argv, w->av, w->ac * sizeof *op->argv);
    memcpy(op->lens, w->al, w->ac * sizeof *op->lens);
    op->family = family_names[w->fam];
    op->flags = flags;
    w->nops++;
    w->fam_count[w->fam]++;
    w->total++;
    w->ac = 0;
    return;
drop:
    for (size_t i = 0; i < w->ac; i++)
        free(w->av[i]);
    w->ac = 0;
}

/* --- tracking helpers -------------------------------------------------- */

void ccw_added(ccw_key *k, uint32_t n, uint32_t hi_add)
{
    if (k->st == CCW_ABSENT) {
        k->st = CCW_PRESENT;
        k->lo = n;
        k->hi = hi_add;
        k->groups = k->gmaybe = 0;
        return;
    }
    if (k->lo < n)
        k->lo = n;
    k->hi += hi_add;
}

void ccw_removed(ccw_key *k, uint32_t n)
{
    if (k->st == CCW_PRESENT && k->lo > n) {
        k->lo -= n;
        return;
    }
    if (k->st == CCW_PRESENT)
        k->st = CCW_UNKNOWN;
    k->lo = 0;
}

void ccw_replaced(ccw_key *k, uint32_t n)
{
    k->st = CCW_PRESENT;
    k->lo = k->hi = n;
    k->groups = k->gmaybe = 0;
}

void ccw_maybe(ccw_key *k)
{
    if (k->st == CCW_PRESENT)
        k->st = CCW_UNKNOWN;
}

ccw_key ccw_merge(ccw_key a, ccw_key b)
{
    ccw_key m;
    if (a.st == b.st && a.st != CCW_UNKNOWN)
        m.st = a.st;
    else
        m.st = CCW_UNKNOWN;
    m.lo = a.lo < b.lo ? a.lo : b.lo;
    m.hi = a.hi > b.hi ? a.hi : b.hi;
    uint8_t ga = a.st == CCW_PRESENT ? a.groups : 0;
    uint8_t gb = b.st == CCW_PRESENT ? b.groups : 0;
    m.groups = m.st == CCW_PRESENT ? (uint8_t)(ga & gb) : 0;
    m.gmaybe = (uint8_t)(a.gmaybe | b.gmaybe | a.groups | b.groups);
    return m;
}

int ccw_nonempty(const ccw_key *k) { return k->st == CCW_PRESENT && k->lo > 0; }

/* --- the unit loop ----------------------------------------------------- */

typedef void (*gen_fn)(ccw *w);

/* Families and their weights (per 1000 units). */
static const struct {
    gen_fn fn;
    unsigned weight;
} families[] = {
    {ccw_gen_string, 150}, {ccw_gen_bits, 30},   {ccw_gen_hll, 20},
    {ccw_gen_hash, 90},    {ccw_gen_list, 110},  {ccw_gen_set, 80},
    {ccw_gen_zset, 100},   {ccw_gen_geo, 25},    {ccw_gen_stream, 90},
    {ccw_gen_keys, 60},    {ccw_gen_expire, 55}, {ccw_gen_sort, 15},
    {ccw_gen_db, 25},      {ccw_gen_script, 25}, {ccw_gen_server, 5},
    {ccw_gen_wrongtype, 10},
};

void ccw_gen_simple(ccw *w)
{
    unsigned sum = 0;
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        sum += families[i].weight;
    uint64_t r = ccw_below(w, sum);
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        if (r < families[i].weight) {
            families[i].fn(w);
            return;
        }
        r -= families[i].weight;
    }
}

/* Keys that might have vanished stay "unknown" for good; now and then
 * delete one, so that the pool keeps keys whose existence is certain
 * (the commands that need one, such as XREADGROUP's group, get sent
 * unflagged more often). */
static void forget_unknown(ccw *w)
{
    int t = (int)ccw_below(w, CCW_TYPES), cand[CCW_POOL + 1], n = 0;
    for (int i = 0; i <= CCW_POOL; i++)
        if ((i < CCW_POOL || t == CCW_STR) && w->dbs[w->db].k[t][i].st == CCW_UNKNOWN)
            cand[n++] = i;
    if (n == 0)
        return;
    int i = cand[ccw_below(w, (uint64_t)n)];
    ccw_begin(w, CCF_KEYS);
    ccw_str(w, ccw_one_in(w, 2) ? "DEL" : "UNLINK");
    ccw_key_arg(w, t, i);
    ccw_end(w, 0);
    *ccw_k(w, t, i) = (ccw_key){0};
}

static void gen_unit(ccw *w)
{
    if (ccw_one_in(w, 6))
        forget_unknown(w);
    if (ccw_one_in(w, 25))
        ccw_gen_multi(w);
    else
        ccw_gen_simple(w);
}

/* --- the public interface ---------------------------------------------- */

void cc_workload_opts_default(cc_workload_opts *o)
{
    o->databases = 4;
    o->big = 1;
}

cc_workload *cc_workload_new(uint64_t seed, const cc_workload_opts *o)
{
    cc_workload *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    if (o != NULL)
        w->o = *o;
    else
        cc_workload_opts_default(&w->o);
    if (w->o.databases < 1)
        w->o.databases = 1;
    if (w->o.databases > CCW_MAX_DB)
        w->o.databases = CCW_MAX_DB;
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        w->s[i] = splitmix64(&x);
    /* Explicit stream IDs start far in the future (year 2128), so that an
     * XADD with "*" never gets an ID below one we chose. */
    w->stream_ms = UINT64_C(5000000000000);
    return w;
}

static void drop_batch(cc_workload *w)
{
    for (size_t i = 0; i < w->nops; i++) {
        for (size_t j = 0; j < w->ops[i].argc; j++)
            free(w->ops[i].argv[j]);
        free(w->ops[i].argv);
        free(w->ops[i].lens);
    }
    w->nops = 0;
}

void cc_workload_free(cc_workload *w)
{
    if (w == NULL)
        return;
    drop_batch(w);
    free(w->ops);
    free(w->av);
    free(w->al);
    free(w);
}

int cc_workload_batch(cc_workload *w, size_t n, const cc_op **ops, size_t *nops)
{
    drop_batch(w);
    if (n == 0)
        n = 1;
    while (w->nops < n && !w->oom)
        gen_unit(w);
    if (w->oom)
        return -1;
    *ops = w->ops;
    *nops = w->nops;
    return 0;
}

int cc_workload_db(const cc_workload *w) { return w->db; }

void cc_workload_print_stats(const cc_workload *w, FILE *out)
{
    for (int i = 0; i < CCF_COUNT; i++)
        fprintf(out, "%s %zu\n", family_names[i], w->fam_count[i]);
}

size_t cc_workload_total(const cc_workload *w) { return w->total; }
