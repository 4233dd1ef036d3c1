/* values_hash.c - HSET (new field, update) and HGET, three ways: phash versions, a flat copy, in place.
 * Chapter 8.
 *
 * The hash holds fields "field:<i>" with values "value:<i>".  HSET new
 * adds fields "new:<j>" that no build has; HSET update gives a random
 * existing field a new value; HGET reads a random existing field and
 * touches its value.  Persistent: phash's edits of the published version,
 * the old version released.  Flat: chapter 7's field/value array and
 * arena, copied whole per write, the index table (map.h) rebuilt; a write
 * looks the field up first, as HSET must to know whether it is new.  In
 * place: a phash transient built from an empty hash (it owns every trie
 * node, so an edit changes nodes in place); a round of new fields deletes
 * them again, untimed.
 */
#include "values_bench.h"

#include "phash.h"
#include "values_flat.h"

static volatile size_t sink; /* what the reads saw, so they are not elided */

static phash *fill(long n)
{
    phash *e = phash_new();
    phash *t = e == NULL ? NULL : phash_edit_begin(e);
    phash_release(e);
    if (t == NULL)
        vb_die("hash build");
    for (long i = 0; i < n; i++) {
        char f[VB_ARG_LEN], v[VB_ARG_LEN];
        uint8_t fl = vb_name(f, "field:", i), vl = vb_name(v, "value:", i);
        phash *out;
        if (phash_set(t, f, fl, v, vl, PHASH_NO_EXPIRE, &out) != 1)
            vb_die("hash build");
    }
    return t;
}

static void *build_p(long n) { return phash_edit_end(fill(n)); }
static void *build_i(long n) { return fill(n); }
static void drop_p(void *b) { phash_release(b); }
static size_t bytes_p(void *b) { return phash_bytes(b); }

static void *build_f(long n)
{
    vb_flat *f = vb_flat_new(2, false, false, n);
    for (long i = 0; i < n; i++) {
        char a[VB_ARG_LEN], b[VB_ARG_LEN];
        size_t len[2] = { vb_name(a, "field:", i), vb_name(b, "value:", i) };
        const char *s[2] = { a, b };
        vb_flat_push(f, s, len, 0, NULL);
    }
    vb_flat_index(f);
    return f;
}

static void drop_f(void *b) { vb_flat_free(b); }

/* The values a round writes: "value:new:<j>". */
static void values(long k)
{
    for (long j = 0; j < k; j++)
        vb_arg.vlen[j] = vb_name(vb_arg.v[j], "value:new:", j);
}

/* ---- persistent --------------------------------------------------------- */

static double hset_p(void *base, long k, int expect)
{
    phash *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        phash *nv;
        if (phash_set(v, vb_arg.s[j], vb_arg.len[j], vb_arg.v[j],
                      vb_arg.vlen[j], PHASH_NO_EXPIRE, &nv) != expect)
            vb_die("HSET");
        if (v != base)
            phash_release(v);
        v = nv;
    }
    if (v != base)
        phash_release(v);
    return (double)(vb_cpu_ns() - t0);
}

static double hset_new_p(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    vb_args_names("new:", 0, k);
    values(k);
    return hset_p(base, k, 1);
}

static double hset_upd_p(void *base, long n, long k, vb_rng *r)
{
    vb_args_existing(r, "field:", n, k);
    values(k);
    return hset_p(base, k, 0);
}

/* HGET is the same call on a version and on a transient. */
static double hget_pi(void *base, long n, long k, vb_rng *r)
{
    vb_args_existing(r, "field:", n, k);
    size_t s = 0;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        size_t len;
        const unsigned char *p =
            phash_field_value(phash_get(base, vb_arg.s[j], vb_arg.len[j]),
                              &len);
        s += len + p[0];
    }
    double ns = (double)(vb_cpu_ns() - t0);
    sink += s;
    return ns;
}

/* ---- flat --------------------------------------------------------------- */

static double hset_f(void *base, long k, int expect)
{
    vb_flat *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        const char *s[2] = { vb_arg.s[j], vb_arg.v[j] };
        size_t len[2] = { vb_arg.len[j], vb_arg.vlen[j] };
        long pos = vb_flat_find(v, s[0], len[0]);
        if ((pos < 0) != expect)
            vb_die("HSET (flat)");
        vb_flat *nv = pos < 0 ? vb_flat_edit(v, -1, v->count, s, len, 0, NULL)
                              : vb_flat_edit(v, pos, pos, s, len, 0, NULL);
        if (v != base)
            vb_flat_free(v);
        v = nv;
    }
    double ns = (double)(vb_cpu_ns() - t0);
    vb_flat_finish(v, base);
    return ns;
}

static double hset_new_f(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    vb_args_names("new:", 0, k);
    values(k);
    return hset_f(base, k, 1);
}

static double hset_upd_f(void *base, long n, long k, vb_rng *r)
{
    vb_args_existing(r, "field:", n, k);
    values(k);
    return hset_f(base, k, 0);
}

static double hget_f(void *base, long n, long k, vb_rng *r)
{
    vb_args_existing(r, "field:", n, k);
    const vb_flat *f = base;
    size_t s = 0;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        long pos = vb_flat_find(f, vb_arg.s[j], vb_arg.len[j]);
        const vb_felem *val = &f->e[2 * pos + 1];
        s += val->len + val->bytes[0];
    }
    double ns = (double)(vb_cpu_ns() - t0);
    sink += s;
    return ns;
}

/* ---- in place ----------------------------------------------------------- */

static double hset_i(void *base, long k, int expect)
{
    phash *out;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        if (phash_set(base, vb_arg.s[j], vb_arg.len[j], vb_arg.v[j],
                      vb_arg.vlen[j], PHASH_NO_EXPIRE, &out) != expect)
            vb_die("HSET");
    return (double)(vb_cpu_ns() - t0);
}

static double hset_new_i(void *base, long n, long k, vb_rng *r)
{
    (void)n, (void)r;
    vb_args_names("new:", 0, k);
    values(k);
    double ns = hset_i(base, k, 1);
    phash *out;
    for (long j = 0; j < k; j++) /* untimed: back to n fields */
        if (phash_del(base, vb_arg.s[j], vb_arg.len[j], &out) != 1)
            vb_die("HSET undo");
    return ns;
}

static double hset_upd_i(void *base, long n, long k, vb_rng *r)
{
    vb_args_existing(r, "field:", n, k);
    values(k);
    return hset_i(base, k, 0);
}

static const vb_op hash_ops[] = {
    { "HSET new", false, { hset_new_p, hset_new_f, hset_new_i } },
    { "HSET update", false, { hset_upd_p, hset_upd_f, hset_upd_i } },
    { "HGET", true, { hget_pi, hget_f, hget_pi } },
};

/** The hash's writes and its read. */
const vb_type vb_hash_type = {
    "hash", "phash", { build_p, build_f, build_i },
    { drop_p, drop_f, drop_p }, hash_ops, 3, bytes_p
};
