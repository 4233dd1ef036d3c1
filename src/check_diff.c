/* check_diff.c - what counts as a difference between two keyspaces, and what it says.
 * Chapter 12.
 *
 * The checker reads the master first and the replica a moment later, so
 * the two lists agree on everything but time: a TTL is a little smaller
 * on the second read, and a key whose time ran out in between is on the
 * first list only (or, when the master's read came after its expiry and
 * the replica had not yet heard the DEL, on the second only).  Both are
 * forgiven up to a tolerance, and nothing else is: a type, a value, or a
 * TTL present on one side and absent on the other is a difference
 * whatever the clock says.
 *
 * Every verdict comes with one line a person can act on: the database,
 * the key (escaped, since keys are bytes), and the evidence, which for a
 * value is the first byte where the two canonical forms part and a few
 * bytes of each around it, and for a TTL the two numbers.  The walk over
 * two sorted lists is a plain merge, so a diff of a million keys costs
 * one pass and no allocation.
 */
#include "check_diff.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/** Escaped bytes at most this long (then "..."). */
#define KEY_SHOW 60
/** Value bytes shown on each side of a difference. */
#define EXCERPT_BEFORE 8
#define EXCERPT_AFTER 16

/* printf into why, when there is one (truncated to fit). */
static void say(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t whysz, const char *fmt, ...)
{
    if (why == NULL || whysz == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whysz, fmt, ap);
    va_end(ap);
}

/*
 * Escape p[0..len) into out: printable ASCII as is, except '\\' and '"'
 * (written \\ and \", so the rendering inside quotes is unambiguous),
 * every other byte as \xHH.  At most max characters of escapes are
 * written (never half an escape); when bytes are left over, "..." follows.
 * out must hold max + 4 bytes.  p may be NULL when len is 0.
 * \return 1 if bytes were left over, else 0.
 */
static int escape(char *out, const char *p, size_t len, size_t max)
{
    size_t o = 0, i = 0;
    for (; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        char tmp[5];
        size_t w;
        if (c == '\\' || c == '"') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            w = 2;
        } else if (c >= 0x20 && c < 0x7f) {
            tmp[0] = (char)c;
            w = 1;
        } else {
            snprintf(tmp, sizeof tmp, "\\x%02x", c);
            w = 4;
        }
        if (o + w > max)
            break;
        memcpy(out + o, tmp, w);
        o += w;
    }
    if (i < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return i < len;
}

/* "db N key \"...\"" (with the key's length when it was cut) into out. */
static void name_key(char *out, size_t outsz, const check_key *k)
{
    char esc[KEY_SHOW + 4];
    if (escape(esc, k->key, k->keylen, KEY_SHOW))
        snprintf(out, outsz, "db %d key \"%s\" (%zu bytes)", k->db, esc,
                 k->keylen);
    else
        snprintf(out, outsz, "db %d key \"%s\"", k->db, esc);
}

/* A TTL as words: "none" for -1, else "N ms". */
static void name_ttl(char *out, size_t outsz, long long pttl)
{
    if (pttl < 0)
        snprintf(out, outsz, "none (%lld)", pttl);
    else
        snprintf(out, outsz, "%lld ms", pttl);
}

/* An excerpt of v[0..len) around offset off: "\"...\"" with "..." at either
 * end when bytes were left out. */
static void excerpt(char *out, size_t outsz, const char *v, size_t len,
                    size_t off)
{
    size_t from = off > EXCERPT_BEFORE ? off - EXCERPT_BEFORE : 0;
    size_t to = len - off > EXCERPT_AFTER ? off + EXCERPT_AFTER : len;
    char esc[4 * (EXCERPT_BEFORE + EXCERPT_AFTER) + 4];
    escape(esc, to > from ? v + from : NULL, to - from, sizeof esc - 4);
    snprintf(out, outsz, "%s\"%s\"%s", from > 0 ? "..." : "", esc,
             to < len ? "..." : "");
}

/* Whether a key with this TTL may have expired between the two reads. */
static int may_have_expired(long long pttl, long long tol_ms)
{
    return pttl >= 0 && pttl <= tol_ms;
}

/* [ch12-compare] */
check_verdict check_key_compare(const check_key *master, const check_key *replica,
                                long long tol_ms, char *why, size_t whysz)
{
    /* learn: ch12 check_key_compare "Comparing two keyspaces" */
    char name[KEY_SHOW + 64], ttl_m[40], ttl_r[40];
    if (tol_ms < 0)
        tol_ms = 0;
    if (master == NULL && replica == NULL)
        return CHECK_SAME;
    if (replica == NULL) {
        if (may_have_expired(master->pttl_ms, tol_ms))
            return CHECK_SAME;
        name_key(name, sizeof name, master);
        name_ttl(ttl_m, sizeof ttl_m, master->pttl_ms);
        say(why, whysz, "%s: missing on the replica (master: %s, TTL %s)",
            name, master->type ? master->type : "?", ttl_m);
        return CHECK_MISSING;
    }
    if (master == NULL) {
        if (may_have_expired(replica->pttl_ms, tol_ms))
            return CHECK_SAME;
        name_key(name, sizeof name, replica);
        name_ttl(ttl_r, sizeof ttl_r, replica->pttl_ms);
        say(why, whysz, "%s: extra on the replica (replica: %s, TTL %s)",
            name, replica->type ? replica->type : "?", ttl_r);
        return CHECK_EXTRA;
    }
    name_key(name, sizeof name, master);
    const char *tm = master->type ? master->type : "";
    const char *tr = replica->type ? replica->type : "";
    if (strcmp(tm, tr) != 0) {
        say(why, whysz, "%s: type %s on the master, %s on the replica", name,
            tm, tr);
        return CHECK_TYPE;
    }
    size_t lm = master->valuelen, lr = replica->valuelen;
    size_t common = lm < lr ? lm : lr, off = 0;
    while (off < common && master->value[off] == replica->value[off])
        off++;
    if (off < common || lm != lr) {
        char em[4 * (EXCERPT_BEFORE + EXCERPT_AFTER) + 16];
        char er[sizeof em];
        excerpt(em, sizeof em, master->value, lm, off);
        excerpt(er, sizeof er, replica->value, lr, off);
        say(why, whysz,
            "%s (%s): values differ at byte %zu (master %zu bytes %s, "
            "replica %zu bytes %s)", name, tm, off, lm, em, lr, er);
        return CHECK_VALUE;
    }
    long long pm = master->pttl_ms, pr = replica->pttl_ms;
    int same;
    if (pm < 0 || pr < 0)
        same = pm < 0 && pr < 0;
    else
        same = (pm > pr ? pm - pr : pr - pm) <= tol_ms;
    if (same)
        return CHECK_SAME;
    name_ttl(ttl_m, sizeof ttl_m, pm);
    name_ttl(ttl_r, sizeof ttl_r, pr);
    say(why, whysz, "%s (%s): TTL %s on the master, %s on the replica "
        "(tolerance %lld ms)", name, tm, ttl_m, ttl_r, tol_ms);
    return CHECK_TTL;
    /* learn: end */
}
/* [ch12-compare] */

int check_key_order(const void *a, const void *b)
{
    const check_key *x = a, *y = b;
    if (x->db != y->db)
        return x->db < y->db ? -1 : 1;
    size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
    int c = n > 0 ? memcmp(x->key, y->key, n) : 0;
    if (c != 0)
        return c;
    return x->keylen < y->keylen ? -1 : x->keylen > y->keylen;
}

/* Compare one pair (either may be NULL) and report it; 1 if it differed. */
static size_t one(const check_key *m, const check_key *r, long long tol_ms,
                  check_diff_fn fn, void *arg)
{
    char why[512];
    check_verdict v = check_key_compare(m, r, tol_ms, why, sizeof why);
    if (v == CHECK_SAME)
        return 0;
    if (fn != NULL)
        fn(m, r, v, why, arg);
    return 1;
}

/* [ch12-diff] */
size_t check_keys_diff(const check_key *m, size_t nm, const check_key *r, size_t nr,
                       long long tol_ms, check_diff_fn fn, void *arg)
{
    /* learn: ch12 check_keys_diff "Comparing two keyspaces" */
    size_t i = 0, j = 0, diffs = 0;
    while (i < nm || j < nr) {
        int c = i == nm ? 1 : j == nr ? -1 : check_key_order(&m[i], &r[j]);
        if (c < 0)
            diffs += one(&m[i++], NULL, tol_ms, fn, arg);
        else if (c > 0)
            diffs += one(NULL, &r[j++], tol_ms, fn, arg);
        else
            diffs += one(&m[i++], &r[j++], tol_ms, fn, arg);
    }
    return diffs;
    /* learn: end */
}
/* [ch12-diff] */
