/* values_string.c - SETBIT on a long string, three ways: pstring versions, a flat copy, in place.
 * Chapter 8.
 *
 * The collection is a bitmap of n bytes, all zero, and each operation
 * sets one random bit to 1 (a bit that is 1 already would be a no-op, and
 * a round's bits rarely meet).  Persistent: pstring_setbit() on the
 * published version, the old version released.  Flat: chapter 7's string
 * is one immutable byte array, so a SETBIT copies all n bytes.  In place:
 * a pstring transient that was built by appending, so it owns every chunk
 * and its tree (a transient made from a version would copy each chunk the
 * first time it is touched); the round clears its bits again, untimed.
 */
#include "values_bench.h"

#include "pstring.h"

#include <stdlib.h>
#include <string.h>

/* The flat form: n bytes. */
typedef struct flat_str {
    size_t len;
    unsigned char *b;
} flat_str;

static void *build_p(long n)
{
    unsigned char *z = calloc((size_t)n, 1);
    pstring *s = z == NULL ? NULL : pstring_new(z, (size_t)n);
    if (s == NULL)
        vb_die("string build");
    free(z);
    return s;
}

static void *build_f(long n)
{
    flat_str *f = malloc(sizeof *f);
    if (f == NULL || (f->b = calloc((size_t)n, 1)) == NULL)
        vb_die("string build");
    f->len = (size_t)n;
    return f;
}

static void *build_i(long n)
{
    pstring *e = pstring_new(NULL, 0);
    pstring *t = e == NULL ? NULL : pstring_edit_begin(e);
    pstring_release(e);
    static const unsigned char zero[4096];
    for (long done = 0; t != NULL && done < n;) {
        size_t m = (size_t)(n - done) < sizeof zero ? (size_t)(n - done)
                                                    : sizeof zero;
        pstring *out;
        if (pstring_append(t, zero, m, &out) != 0)
            vb_die("string build");
        done += (long)m;
    }
    if (t == NULL)
        vb_die("string build");
    return t;
}

static void drop_p(void *b) { pstring_release(b); }
static void drop_f(void *b)
{
    flat_str *f = b;
    free(f->b);
    free(f);
}

/* The round's bits. */
static void bits(vb_rng *r, long n, long k)
{
    for (long j = 0; j < k; j++)
        vb_arg.idx[j] = vb_below(r, n * 8);
}

static double setbit_p(void *base, long n, long k, vb_rng *r)
{
    bits(r, n, k);
    pstring *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        pstring *nv;
        if (pstring_setbit(v, (uint64_t)vb_arg.idx[j], 1, &nv, NULL) != 0)
            vb_die("SETBIT");
        if (v != base)
            pstring_release(v);
        v = nv;
    }
    if (v != base)
        pstring_release(v);
    return (double)(vb_cpu_ns() - t0);
}

static double setbit_f(void *base, long n, long k, vb_rng *r)
{
    bits(r, n, k);
    flat_str *v = base;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++) {
        flat_str *nv = malloc(sizeof *nv);
        if (nv == NULL || (nv->b = malloc(v->len)) == NULL)
            vb_die("SETBIT");
        nv->len = v->len;
        memcpy(nv->b, v->b, v->len);
        long bit = vb_arg.idx[j];
        nv->b[bit >> 3] |= (unsigned char)(0x80 >> (bit & 7));
        if (v != base)
            drop_f(v);
        v = nv;
    }
    if (v != base)
        drop_f(v);
    return (double)(vb_cpu_ns() - t0);
}

static double setbit_i(void *base, long n, long k, vb_rng *r)
{
    bits(r, n, k);
    pstring *out;
    uint64_t t0 = vb_cpu_ns();
    for (long j = 0; j < k; j++)
        if (pstring_setbit(base, (uint64_t)vb_arg.idx[j], 1, &out, NULL) != 0)
            vb_die("SETBIT");
    double ns = (double)(vb_cpu_ns() - t0);
    for (long j = 0; j < k; j++) /* back to all zeros, untimed */
        if (pstring_setbit(base, (uint64_t)vb_arg.idx[j], 0, &out, NULL) != 0)
            vb_die("SETBIT undo");
    return ns;
}

static const vb_op string_ops[] = {
    { "SETBIT", false, { setbit_p, setbit_f, setbit_i } },
};

/** SETBIT on an n-byte bitmap. */
const vb_type vb_string_type = {
    "string", "pstring", { build_p, build_f, build_i },
    { drop_p, drop_f, drop_p }, string_ops, 1, NULL
};
