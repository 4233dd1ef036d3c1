/* check_shrink.c - delta debugging: a failing sequence cut down to a 1-minimal one.
 * Chapter 12.
 *
 * ddmin (Zeller and Hildebrandt, IEEE TSE 28(2), 2002) keeps the current
 * failing sequence and a granularity g, starting at 2.  It cuts the
 * sequence into g chunks of (nearly) equal size and tries, in turn, each
 * chunk alone and then each complement (the sequence less one chunk).
 * A chunk that fails on its own becomes the sequence, with g back to 2:
 * the cause sat in one part, and the search has just gone g times
 * smaller.  A complement that fails becomes the sequence with g - 1
 * chunks (the same cuts, one fewer), so the chunks already known to be
 * needed are not cut again at once.  When nothing fails, the chunks are
 * cut in half (g doubles, up to the sequence's length); once g equals
 * the length, every complement is the sequence less one element, and a
 * pass in which none of them fails ends the search: the result is
 * 1-minimal.  At g = 2 a complement is the other chunk, which was just
 * tried, so complements are skipped there.
 *
 * A cause of one element in n costs about 2 log2(n) tries (15 to 22 for
 * n = 2000); a cause of two costs more, since once they sit in different
 * chunks the search goes on by complements, one chunk at a time (41 to
 * 140, mean 122, over 200 random pairs in 2000): far fewer than n either
 * way, and never more than about n^2 (the paper's worst case).  A last pass removes each remaining element once more:
 * with a flaky test, an answer given early in the search need not hold
 * at its end, and the pass repeats until no single element can go, so
 * what is returned is 1-minimal for the answers the test gives now.
 *
 * Two arrays of n indices are all the memory used: the current sequence
 * and the scratch space a complement is built in.  A chunk is a
 * contiguous run of the current sequence, so trying it alone needs no
 * copy.
 */
#include "check_shrink.h"

#include "alloc.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/** The search's state. */
typedef struct shrink {
    check_fails_fn fails; /**< the caller's test */
    void *arg;            /**< its argument */
    size_t tries;         /**< calls made */
    size_t *cur;          /**< the current failing sequence */
    size_t n;             /**< its length */
    size_t *tmp;          /**< scratch: a complement */
} shrink;

/* Run the test on idx[0..n): 1 fails, 0 passes, -1 error (errno set). */
static int try_seq(shrink *s, const size_t *idx, size_t n)
{
    s->tries++;
    int r = s->fails(idx, n, s->arg);
    if (r == 0 || r == 1)
        return r;
    if (r != -1)
        errno = EINVAL; /* not an answer the contract allows */
    return -1;
}

/* Chunk i of g over a sequence of n: [*from, *to). */
static void chunk(size_t n, size_t g, size_t i, size_t *from, size_t *to)
{
    /* the first r chunks get one element more; i * q <= n, no overflow */
    size_t q = n / g, r = n % g;
    *from = i * q + (i < r ? i : r);
    *to = *from + q + (i < r ? 1 : 0);
}

/* Build cur less [from, to) in tmp and try it; on failure make it cur. */
static int try_complement(shrink *s, size_t from, size_t to)
{
    size_t m = from;
    memcpy(s->tmp, s->cur, from * sizeof *s->cur);
    memcpy(s->tmp + m, s->cur + to, (s->n - to) * sizeof *s->cur);
    m += s->n - to;
    int r = try_seq(s, s->tmp, m);
    if (r == 1) {
        size_t *t = s->cur;
        s->cur = s->tmp;
        s->tmp = t;
        s->n = m;
    }
    return r;
}

/* [ch12-shrink] */
/* ddmin proper. \return 0 or -1. */
static int ddmin(shrink *s)
{
    /* learn: ch12 ddmin "Shrinking a failure" */
    size_t g = 2;
    while (s->n >= 2) {
        if (g > s->n)
            g = s->n;
        int reduced = 0;
        for (size_t i = 0; i < g && !reduced; i++) {
            size_t from, to;
            chunk(s->n, g, i, &from, &to);
            int r = try_seq(s, s->cur + from, to - from);
            if (r < 0)
                return -1;
            if (r == 1) {
                memmove(s->cur, s->cur + from, (to - from) * sizeof *s->cur);
                s->n = to - from;
                g = 2;
                reduced = 1;
            }
        }
        for (size_t i = 0; g > 2 && i < g && !reduced; i++) {
            size_t from, to;
            chunk(s->n, g, i, &from, &to);
            int r = try_complement(s, from, to);
            if (r < 0)
                return -1;
            if (r == 1) {
                g = g - 1;
                reduced = 1;
            }
        }
        if (!reduced) {
            if (g >= s->n)
                break;
            g = g > s->n / 2 ? s->n : 2 * g;
        }
    }
    return 0;
    /* learn: end */
}
/* [ch12-shrink] */

/* Remove single elements until none can go. \return 0 or -1. */
static int one_minimal(shrink *s)
{
    for (size_t i = 0; i < s->n;) {
        int r = try_complement(s, i, i + 1);
        if (r < 0)
            return -1;
        if (r == 1)
            i = 0; /* an element went: every other one gets another chance */
        else
            i++;
    }
    return 0;
}

int check_shrink(size_t n, check_fails_fn fails, void *arg, size_t **out,
                 size_t *outn, size_t *tries)
{
    shrink s = {.fails = fails, .arg = arg};
    int rc = -1;
    *out = NULL;
    *outn = 0;
    if (n > SIZE_MAX / sizeof(size_t) - 1) {
        errno = ENOMEM;
        goto done;
    }
    /* n + 1: never a zero-sized request, so an empty result is an array
     * too and the caller frees whatever it gets */
    s.cur = xmalloc((n + 1) * sizeof *s.cur);
    s.tmp = xmalloc((n + 1) * sizeof *s.tmp);
    if (s.cur == NULL || s.tmp == NULL)
        goto done;
    for (size_t i = 0; i < n; i++)
        s.cur[i] = i;
    s.n = n;
    int r = try_seq(&s, s.cur, s.n);
    if (r != 1) {
        rc = r == 0 ? 1 : -1;
        goto done;
    }
    if (ddmin(&s) < 0 || one_minimal(&s) < 0)
        goto done;
    *out = s.cur;
    *outn = s.n;
    s.cur = NULL;
    rc = 0;
done:
    free(s.cur);
    free(s.tmp);
    if (tries != NULL)
        *tries = s.tries;
    return rc;
}
