/* ch09_hashes.c - chapter 9: the hash commands, and Redis 7.4's field expiry.
 *
 * HSET, HMSET, HSETNX, HDEL, HINCRBY and HINCRBYFLOAT go through the
 * oracle (tests/util/oracle.h) against redis-server 7.0.15: DIRECT mode
 * compares each command's success or exact error text, AOF mode applies
 * what Redis appended (HINCRBYFLOAT as HSET with Redis's long double
 * text).  Field expiry (HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT,
 * HPERSIST) is Redis 7.4's, which the 7.0 server here refuses, so those
 * tests are hand-built: a command sequence on an applier with a fixed
 * clock, then the expected fields, values and per-field expiries read
 * back through phash, and every refusal with 7.4's text (redis/redis
 * src/t_hash.c at 7.4, hexpireGenericCommand(), hpersistCommand()) and
 * an unchanged keyspace.
 */
#include "alloc.h"
#include "cmd.h"
#include "cmd_oom.h"
#include "keyspace_rdb.h"
#include "oracle.h"
#include "test_util.h"

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define C(o, ...) oracle_cmd((o), __VA_ARGS__, (const char *)NULL)
#define E(o, ...) oracle_expect_error((o), __VA_ARGS__, (const char *)NULL)

static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}
static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }

/* Whether long double is the x87's 80-bit type it is on x86-64 Linux, as
 * Redis's HINCRBYFLOAT has it.  Valgrind computes long doubles in 64
 * bits (and makes strtold("inf") finite), so under it the cases that
 * depend on the extra precision or range cannot match the real server
 * and are left out. */
static bool native_long_double(void)
{
    volatile long double inf = strtold("inf", NULL);
    volatile long double one = 1.0L, tiny = LDBL_EPSILON;
    return isinf(inf) && one + tiny != one && LDBL_MANT_DIG == 64;
}

/* ---- against redis-server 7.0.15 ---------------------------------------------------- */

static void script_hashes(oracle *o)
{
    C(o, "RPUSH", "lst", "x"); /* the wrong type */
    C(o, "HSET", "h", "f1", "v1", "f2", "v2");
    C(o, "HSET", "h", "f1", "v1b", "f3", "v3");
    C(o, "HMSET", "h", "f4", "v4", "f1", "v1c");
    E(o, "HSET", "h", "f1", "v1", "f2");
    E(o, "HMSET", "h", "f1", "v1", "f2");
    E(o, "HSET", "h", "f1");
    E(o, "HSET", "lst", "f", "v");
    C(o, "HSETNX", "h", "f1", "ignored");
    C(o, "HSETNX", "h", "f5", "v5");
    C(o, "HSETNX", "new", "f", "v");
    E(o, "HSETNX", "lst", "f", "v");
    C(o, "HDEL", "h", "f5", "nofield", "f5");
    C(o, "HDEL", "h", "nofield");
    C(o, "HDEL", "nokey", "f");
    E(o, "HDEL", "lst", "f");
    C(o, "HDEL", "new", "f"); /* emptied: deleted */
    /* HINCRBY */
    C(o, "HINCRBY", "n", "i", "5");
    C(o, "HINCRBY", "n", "i", "-12");
    C(o, "HINCRBY", "n", "max", "9223372036854775807");
    C(o, "HINCRBY", "n", "min", "-9223372036854775808");
    E(o, "HINCRBY", "n", "max", "1");
    E(o, "HINCRBY", "n", "min", "-1");
    C(o, "HINCRBY", "n", "max", "-1");
    C(o, "HINCRBY", "n", "max", "1");
    E(o, "HINCRBY", "n", "i", "1.5");
    E(o, "HINCRBY", "n", "i", "9223372036854775808");
    E(o, "HINCRBY", "n", "i", " 1");
    E(o, "HINCRBY", "lst", "i", "1");
    E(o, "HINCRBY", "lst", "i", "x"); /* the number is checked first */
    C(o, "HSET", "n", "s", "abc", "sp", " 1", "z", "007", "fl", "1.5");
    E(o, "HINCRBY", "n", "s", "1");
    E(o, "HINCRBY", "n", "sp", "1");
    E(o, "HINCRBY", "n", "z", "1");
    E(o, "HINCRBY", "n", "fl", "1");
    /* HINCRBYFLOAT and Redis's long double text: sums exact in any
     * binary floating point first */
    C(o, "HINCRBYFLOAT", "n", "f", "10.5");
    C(o, "HINCRBYFLOAT", "n", "f", "0.25");
    C(o, "HINCRBYFLOAT", "n", "f", "-10.75");
    C(o, "HINCRBYFLOAT", "n", "f", "-0.0"); /* "-0" is written "0" */
    C(o, "HINCRBYFLOAT", "n", "f", "5.0e3");
    C(o, "HINCRBYFLOAT", "n", "g", "0x10");
    C(o, "HINCRBYFLOAT", "n", "i", "0.25"); /* an integer field */
    C(o, "HINCRBYFLOAT", "n", "fl", "3");
    C(o, "HINCRBYFLOAT", "n", "z", "1"); /* "007" is a float */
    E(o, "HINCRBYFLOAT", "n", "f", "abc");
    E(o, "HINCRBYFLOAT", "n", "f", "nan");
    E(o, "HINCRBYFLOAT", "n", "f", " 1");
    E(o, "HINCRBYFLOAT", "n", "f", "1 ");
    E(o, "HINCRBYFLOAT", "n", "f", "");
    E(o, "HINCRBYFLOAT", "n", "s", "1");
    E(o, "HINCRBYFLOAT", "n", "sp", "1");
    E(o, "HINCRBYFLOAT", "lst", "f", "1");
    E(o, "HINCRBYFLOAT", "lst", "f", "x");
    E(o, "HINCRBYFLOAT", "n", "f", "1e5000");
    if (!native_long_double())
        return;
    /* Where the 80-bit long double shows: rounding, range, infinities */
    C(o, "HINCRBYFLOAT", "n", "p", "10.5");
    C(o, "HINCRBYFLOAT", "n", "p", "0.1");
    C(o, "HINCRBYFLOAT", "n", "p", "-10.6");
    C(o, "HINCRBYFLOAT", "n", "p", "1e-20");
    C(o, "HINCRBYFLOAT", "n", "big", "1e300");
    C(o, "HINCRBYFLOAT", "n", "big", "1e300");
    C(o, "HINCRBYFLOAT", "n", "huge", "1e4000");
    C(o, "HINCRBYFLOAT", "n", "tiny", "-1.0000000000000000001");
    for (int n = 0; n < 10; n++)
        C(o, "HINCRBYFLOAT", "n", "tenth", "0.1");
    E(o, "HINCRBYFLOAT", "n", "f", "inf");
    E(o, "HINCRBYFLOAT", "n", "f", "-inf");
    C(o, "HSET", "n", "edge", "1e4932");
    E(o, "HINCRBYFLOAT", "n", "edge", "1e4932");
}

/* hash-max-listpack-entries 128 and -value 64, both ways. */
static void script_boundaries(oracle *o)
{
    char f[80], v[80];
    for (int n = 0; n < 140; n++) {
        snprintf(f, sizeof f, "field%d", n);
        snprintf(v, sizeof v, "%d", n * 3);
        C(o, "HSET", "wide", f, v);
        if (n == 127 || n == 128)
            C(o, "HINCRBY", "wide", "field0", "1");
    }
    for (int n = 0; n < 100; n++) {
        snprintf(f, sizeof f, "field%d", n);
        C(o, "HDEL", "wide", f);
    }
    memset(v, 'v', 65);
    v[65] = '\0';
    C(o, "HSET", "long", "a", "1", "b", v);
    v[64] = '\0';
    C(o, "HSET", "long64", "a", "1", "b", v);
    memset(f, 'k', 65);
    f[65] = '\0';
    C(o, "HSETNX", "longname", f, "1");
    C(o, "HINCRBYFLOAT", "longname", f, "1.5");
    C(o, "HDEL", "long", "b");
}

START_TEST(scripted_direct)
{
    oracle *o = oracle_start("cow", ORACLE_DIRECT);
    script_hashes(o);
    oracle_check(o);
    script_boundaries(o);
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

START_TEST(scripted_aof)
{
    oracle *o = oracle_start("hamt", ORACLE_AOF);
    script_hashes(o);
    oracle_check(o);
    script_boundaries(o);
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

static const char *const fields[] = {"a", "b", "c", "n1", "n2", "x"};
static const char *const vals[] = {"1", "2", "-3", "1.5", "v", "100"};
static const char *const incrs[] = {"1", "-1", "7", "0.5", "-2.25", "1e3"};

static void random_run(const char *variant, unsigned flags, uint64_t seed,
                       long steps)
{
    oracle *o = oracle_start(variant, flags);
    rng = seed;
    char k[8];
    for (long i = 0; i < steps; i++) {
        snprintf(k, sizeof k, "h%u", below(4));
        const char *f1 = fields[below(6)], *f2 = fields[below(6)];
        switch (below(8)) {
        case 0:
        case 1: C(o, "HSET", k, f1, vals[below(6)], f2, vals[below(6)]); break;
        case 2: C(o, "HMSET", k, f1, vals[below(6)]); break;
        case 3: C(o, "HSETNX", k, f1, vals[below(6)]); break;
        case 4: C(o, "HDEL", k, f1, f2); break;
        case 5: C(o, "HINCRBY", k, f1, incrs[below(3)]); break;
        default: C(o, "HINCRBYFLOAT", k, f1, incrs[below(6)]); break;
        }
        if (i % 200 == 199)
            oracle_check(o);
    }
    oracle_check(o);
    oracle_stop(o);
}

START_TEST(random_direct)
{
    random_run("cow", ORACLE_DIRECT, 0x4A54ull + (uint64_t)_i,
               test_scale(1500, 100));
}
END_TEST

START_TEST(random_aof)
{
    random_run(_i ? "naive" : "ptrie", ORACLE_AOF, 0x4A0Full + (uint64_t)_i,
               test_scale(600, 60));
}
END_TEST

/* ---- Redis 7.4 field expiry, hand-built ------------------------------------------------ */

#define NOW INT64_C(1700000000000)

static int64_t fixed_clock(void *arg)
{
    (void)arg;
    return NOW;
}

typedef struct fx {
    keyspace *ks;
    cmd_applier *a;
} fx;

static fx fx_open(void)
{
    fx x;
    x.ks = keyspace_create(store_variant("cow"), 16);
    ck_assert_ptr_nonnull(x.ks);
    cmd_options opt = {0};
    opt.clock_ms = fixed_clock;
    x.a = cmd_applier_create(x.ks, &opt);
    ck_assert_ptr_nonnull(x.a);
    return x;
}

static void fx_close(fx *x)
{
    cmd_applier_destroy(x->a);
    keyspace_destroy(x->ks);
}

/* Apply one command (NULL-terminated arguments) and flush. */
static cmd_status run(fx *x, const char *arg0, ...)
{
    const char *argv[64];
    size_t argc = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *s = arg0; s != NULL && argc < 64; s = va_arg(ap, const char *))
        argv[argc++] = s;
    va_end(ap);
    cmd_status st = cmd_apply_argv(x->a, argc, argv, NULL);
    ck_assert_int_eq(cmd_applier_flush(x->a), 0);
    return st;
}

#define OK(x, ...) \
    ck_assert_int_eq(run((x), __VA_ARGS__, (const char *)NULL), CMD_APPLIED)
/* Refused with exactly this text, and nothing changed. */
#define REFUSED(x, text, ...)                                                 \
    do {                                                                      \
        char before_[4096], after_[4096];                                     \
        snapshot((x), before_, sizeof before_);                               \
        ck_assert_int_eq(run((x), __VA_ARGS__, (const char *)NULL),           \
                         CMD_FAILED);                                         \
        ck_assert_str_eq(cmd_applier_reply_error((x)->a), (text));            \
        snapshot((x), after_, sizeof after_);                                 \
        ck_assert_str_eq(before_, after_);                                    \
    } while (0)

/* Database 0's hashes "h" and "g" as text: field=value@expiry, in name
 * order, so that two states compare as strings. */
static void snapshot(fx *x, char *out, size_t cap)
{
    keyspace_reader *r = keyspace_reader_open(x->ks);
    keyspace_read_begin(r);
    size_t len = 0;
    out[0] = '\0';
    const char *keys[] = {"h", "g"};
    for (int k = 0; k < 2; k++) {
        const value *v = keyspace_get(r, 0, keys[k], 1);
        len += (size_t)snprintf(out + len, cap - len, "[%s]", keys[k]);
        if (v == NULL || v->type != VALUE_HASH)
            continue;
        const phash *h = value_as_hash(v);
        /* names sorted: a few fields, so a selection pass is enough */
        const char *last = "";
        for (size_t done = 0; done < phash_len(h); done++) {
            const phash_field *best = NULL;
            phash_iter it;
            phash_iter_init(&it, h);
            const phash_field *f;
            while ((f = phash_iter_next(&it)) != NULL) {
                const char *nm = (const char *)phash_field_name(f, NULL);
                if (strcmp(nm, last) > 0 &&
                    (best == NULL ||
                     strcmp(nm, (const char *)phash_field_name(best, NULL)) <
                         0))
                    best = f;
            }
            last = (const char *)phash_field_name(best, NULL);
            len += (size_t)snprintf(out + len, cap - len, "%s=%s@%lld ", last,
                                    phash_field_value(best, NULL),
                                    (long long)phash_field_expire(best));
        }
    }
    keyspace_read_end(r);
    keyspace_reader_close(r);
}

/* The expiry of a field: -1 none, -2 no such field, -3 no such key. */
static int64_t field_expire(fx *x, const char *key, const char *field)
{
    keyspace_reader *r = keyspace_reader_open(x->ks);
    keyspace_read_begin(r);
    const value *v = keyspace_get(r, 0, key, strlen(key));
    int64_t e = -3;
    if (v != NULL) {
        ck_assert_int_eq(v->type, VALUE_HASH);
        const phash_field *f = phash_get(value_as_hash(v), field, strlen(field));
        e = f ? phash_field_expire(f) : -2;
        char err[200];
        ck_assert_msg(phash_check(value_as_hash(v), err, sizeof err) == 0, "%s",
                      err);
    }
    keyspace_read_end(r);
    keyspace_reader_close(r);
    return e;
}

static void field_value_is(fx *x, const char *key, const char *field,
                           const char *want)
{
    keyspace_reader *r = keyspace_reader_open(x->ks);
    keyspace_read_begin(r);
    const value *v = keyspace_get(r, 0, key, strlen(key));
    ck_assert_ptr_nonnull(v);
    const phash_field *f = phash_get(value_as_hash(v), field, strlen(field));
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq((const char *)phash_field_value(f, NULL), want);
    keyspace_read_end(r);
    keyspace_reader_close(r);
}

START_TEST(field_expiry_conditions)
{
    fx x = fx_open();
    OK(&x, "HSET", "h", "f1", "v1", "f2", "v2", "f3", "v3", "f4", "v4");
    /* absent fields are skipped (-2), present ones get the time */
    OK(&x, "HPEXPIREAT", "h", "1700000010000", "FIELDS", "2", "f1", "nope");
    ck_assert_int_eq(field_expire(&x, "h", "f1"), NOW + 10000);
    ck_assert_int_eq(field_expire(&x, "h", "f2"), -1);
    ck_assert_int_eq(field_expire(&x, "h", "nope"), -2);
    /* NX: only fields without an expiry */
    OK(&x, "HPEXPIREAT", "h", "1700000020000", "NX", "FIELDS", "2", "f1", "f2");
    ck_assert_int_eq(field_expire(&x, "h", "f1"), NOW + 10000);
    ck_assert_int_eq(field_expire(&x, "h", "f2"), NOW + 20000);
    /* XX: only fields with one */
    OK(&x, "HPEXPIREAT", "h", "1700000030000", "xx", "FIELDS", "2", "f2", "f3");
    ck_assert_int_eq(field_expire(&x, "h", "f2"), NOW + 30000);
    ck_assert_int_eq(field_expire(&x, "h", "f3"), -1);
    /* GT: no expiry counts as infinite, so never greater */
    OK(&x, "HPEXPIREAT", "h", "1700000015000", "GT", "FIELDS", "3", "f1", "f2",
       "f3");
    ck_assert_int_eq(field_expire(&x, "h", "f1"), NOW + 15000);
    ck_assert_int_eq(field_expire(&x, "h", "f2"), NOW + 30000);
    ck_assert_int_eq(field_expire(&x, "h", "f3"), -1);
    OK(&x, "HPEXPIREAT", "h", "1700000015000", "GT", "FIELDS", "1", "f1");
    ck_assert_int_eq(field_expire(&x, "h", "f1"), NOW + 15000); /* equal: no */
    /* LT: a field without expiry takes any time */
    OK(&x, "HPEXPIREAT", "h", "1700000012000", "lt", "FIELDS", "3", "f1", "f2",
       "f3");
    ck_assert_int_eq(field_expire(&x, "h", "f1"), NOW + 12000);
    ck_assert_int_eq(field_expire(&x, "h", "f2"), NOW + 12000);
    ck_assert_int_eq(field_expire(&x, "h", "f3"), NOW + 12000);
    OK(&x, "HPEXPIREAT", "h", "1700000012000", "LT", "FIELDS", "1", "f1");
    ck_assert_int_eq(field_expire(&x, "h", "f1"), NOW + 12000);
    /* the relative and second-based forms, from the applier's clock */
    OK(&x, "HEXPIRE", "h", "100", "FIELDS", "1", "f4");
    ck_assert_int_eq(field_expire(&x, "h", "f4"), NOW + 100000);
    OK(&x, "HPEXPIRE", "h", "1500", "FIELDS", "1", "f3");
    ck_assert_int_eq(field_expire(&x, "h", "f3"), NOW + 1500);
    OK(&x, "HEXPIREAT", "h", "1800000000", "FIELDS", "1", "f2");
    ck_assert_int_eq(field_expire(&x, "h", "f2"), INT64_C(1800000000000));
    /* a missing key: applied, nothing made */
    OK(&x, "HEXPIRE", "nokey", "100", "FIELDS", "1", "f");
    ck_assert_int_eq(field_expire(&x, "nokey", "f"), -3);
    fx_close(&x);
}
END_TEST

START_TEST(field_expiry_past_times_and_persist)
{
    fx x = fx_open();
    OK(&x, "HSET", "h", "f1", "v1", "f2", "v2", "f3", "v3");
    /* a client form whose time has passed deletes, as a 7.4 master does */
    OK(&x, "HPEXPIRE", "h", "0", "FIELDS", "1", "f1");
    ck_assert_int_eq(field_expire(&x, "h", "f1"), -2);
    OK(&x, "HEXPIREAT", "h", "1", "FIELDS", "1", "f2");
    ck_assert_int_eq(field_expire(&x, "h", "f2"), -2);
    /* the propagated form stores it: the master's HDEL will follow */
    OK(&x, "HPEXPIREAT", "h", "1000", "FIELDS", "1", "f3");
    ck_assert_int_eq(field_expire(&x, "h", "f3"), 1000);
    OK(&x, "HDEL", "h", "f3");
    ck_assert_int_eq(field_expire(&x, "h", "f3"), -3); /* last: key gone */
    OK(&x, "HSET", "h", "a", "1", "b", "2");
    OK(&x, "HEXPIRE", "h", "0", "FIELDS", "2", "a", "b");
    ck_assert_int_eq(field_expire(&x, "h", "a"), -3);
    /* a condition not met keeps even a past time from deleting */
    OK(&x, "HSET", "h", "a", "1");
    OK(&x, "HPEXPIRE", "h", "0", "XX", "FIELDS", "1", "a");
    ck_assert_int_eq(field_expire(&x, "h", "a"), -1);
    /* HPERSIST */
    OK(&x, "HSET", "h", "p1", "1", "p2", "2");
    OK(&x, "HPEXPIREAT", "h", "1700000050000", "FIELDS", "2", "p1", "p2");
    OK(&x, "HPERSIST", "h", "FIELDS", "3", "p1", "a", "nope");
    ck_assert_int_eq(field_expire(&x, "h", "p1"), -1);
    ck_assert_int_eq(field_expire(&x, "h", "p2"), NOW + 50000);
    OK(&x, "HPERSIST", "nokey", "FIELDS", "1", "p1");
    /* HSET and HMSET clear an expiry, HINCRBY and HINCRBYFLOAT keep it,
     * HSETNX leaves an existing field alone */
    OK(&x, "HPEXPIREAT", "h", "1700000060000", "FIELDS", "2", "p1", "a");
    OK(&x, "HINCRBY", "h", "p1", "5");
    ck_assert_int_eq(field_expire(&x, "h", "p1"), NOW + 60000);
    field_value_is(&x, "h", "p1", "6");
    OK(&x, "HINCRBYFLOAT", "h", "p1", "0.5");
    ck_assert_int_eq(field_expire(&x, "h", "p1"), NOW + 60000);
    field_value_is(&x, "h", "p1", "6.5");
    OK(&x, "HSETNX", "h", "p1", "x");
    ck_assert_int_eq(field_expire(&x, "h", "p1"), NOW + 60000);
    OK(&x, "HSET", "h", "p1", "7");
    ck_assert_int_eq(field_expire(&x, "h", "p1"), -1);
    OK(&x, "HMSET", "h", "a", "8");
    ck_assert_int_eq(field_expire(&x, "h", "a"), -1);
    fx_close(&x);
}
END_TEST

START_TEST(field_expiry_errors_change_nothing)
{
    fx x = fx_open();
    OK(&x, "HSET", "h", "f", "v", "g", "w");
    OK(&x, "HPEXPIREAT", "h", "1700000010000", "FIELDS", "1", "g");
    OK(&x, "RPUSH", "l", "x");
    REFUSED(&x, CMD_ERR_WRONGTYPE, "HEXPIRE", "l", "10", "FIELDS", "1", "f");
    REFUSED(&x, CMD_ERR_WRONGTYPE, "HEXPIRE", "l", "x", "FIELDS", "1", "f");
    REFUSED(&x, CMD_ERR_WRONGTYPE, "HPERSIST", "l", "FIELDS", "1", "f");
    REFUSED(&x, CMD_ERR_NOTINT, "HEXPIRE", "h", "ten", "FIELDS", "1", "f");
    REFUSED(&x, CMD_ERR_NOTINT, "HPEXPIREAT", "h", "1.5", "FIELDS", "1", "f");
    REFUSED(&x, "ERR invalid expire time, must be >= 0", "HPEXPIRE", "h",
            "-1", "FIELDS", "1", "f");
    REFUSED(&x, "ERR invalid expire time in 'hexpire' command", "HEXPIRE",
            "h", "70368744178", "FIELDS", "1", "f");
    REFUSED(&x, "ERR invalid expire time in 'hexpireat' command",
            "HEXPIREAT", "h", "9223372036854775807", "FIELDS", "1", "f");
    REFUSED(&x, "ERR invalid expire time in 'hpexpireat' command",
            "HPEXPIREAT", "h", "70368744177664", "FIELDS", "1", "f");
    REFUSED(&x, "ERR invalid expire time in 'hpexpire' command", "HPEXPIRE",
            "h", "68668744177664", "FIELDS", "1", "f");
    /* the latest time accepted */
    OK(&x, "HPEXPIREAT", "h", "70368744177663", "FIELDS", "1", "f");
    ck_assert_int_eq(field_expire(&x, "h", "f"), INT64_C(70368744177663));
    REFUSED(&x,
            "ERR Mandatory argument FIELDS is missing or not at the right "
            "position",
            "HEXPIRE", "h", "10", "FIELD", "1", "f");
    REFUSED(&x,
            "ERR Mandatory argument FIELDS is missing or not at the right "
            "position",
            "HEXPIRE", "h", "10", "BOTH", "FIELDS", "1", "f");
    REFUSED(&x,
            "ERR Mandatory argument FIELDS is missing or not at the right "
            "position",
            "HPERSIST", "h", "NX", "FIELDS", "1", "f");
    REFUSED(&x, "ERR Parameter `numFields` should be greater than 0",
            "HEXPIRE", "h", "10", "FIELDS", "0", "f");
    REFUSED(&x, "ERR Parameter `numFields` should be greater than 0",
            "HEXPIRE", "h", "10", "NX", "FIELDS", "x", "f");
    REFUSED(&x, "ERR Parameter `numFields` should be greater than 0",
            "HEXPIRE", "nokey", "10", "FIELDS", "-1", "f");
    REFUSED(&x, "ERR The `numfields` parameter must match the number of "
                "arguments",
            "HEXPIRE", "h", "10", "FIELDS", "2", "f");
    REFUSED(&x, "ERR The `numfields` parameter must match the number of "
                "arguments",
            "HPEXPIREAT", "h", "10", "GT", "FIELDS", "1", "f", "g");
    REFUSED(&x, "ERR Number of fields must be a positive integer",
            "HPERSIST", "h", "FIELDS", "0", "f");
    REFUSED(&x, "ERR The `numfields` parameter must match the number of "
                "arguments",
            "HPERSIST", "h", "FIELDS", "3", "f", "g");
    REFUSED(&x, "ERR wrong number of arguments for 'hexpire' command",
            "HEXPIRE", "h", "10", "FIELDS", "1");
    REFUSED(&x, "ERR wrong number of arguments for 'hpersist' command",
            "HPERSIST", "h", "FIELDS", "1");
    fx_close(&x);
}
END_TEST

/* A hash past the flat limits (phash's tree and expiry index), as a 7.4
 * master would propagate expiries and their HDELs. */
START_TEST(field_expiry_big_hash)
{
    fx x = fx_open();
    char f[32], when[32];
    const long n = test_scale(300, 150);
    for (long i = 0; i < n; i++) {
        snprintf(f, sizeof f, "f%ld", i);
        OK(&x, "HSET", "h", f, "v");
    }
    for (long i = 0; i < n; i += 2) {
        snprintf(f, sizeof f, "f%ld", i);
        snprintf(when, sizeof when, "%lld", (long long)(NOW + 1000 * i));
        OK(&x, "HPEXPIREAT", "h", when, "FIELDS", "1", f);
    }
    for (long i = 0; i < n; i += 4) {
        snprintf(f, sizeof f, "f%ld", i);
        OK(&x, "HPERSIST", "h", "FIELDS", "1", f);
    }
    for (long i = 2; i < n; i += 8) {
        snprintf(f, sizeof f, "f%ld", i);
        OK(&x, "HDEL", "h", f);
    }
    keyspace_reader *r = keyspace_reader_open(x.ks);
    keyspace_read_begin(r);
    const phash *h = value_as_hash(keyspace_get(r, 0, "h", 1));
    size_t want_len = 0, want_exp = 0;
    int64_t want_min = PHASH_NO_EXPIRE;
    for (long i = 0; i < n; i++) {
        bool deleted = i % 8 == 2;
        bool expiring = i % 2 == 0 && i % 4 != 0 && !deleted;
        want_len += !deleted;
        want_exp += expiring;
        if (expiring && want_min == PHASH_NO_EXPIRE)
            want_min = NOW + 1000 * i;
    }
    ck_assert_uint_eq(phash_len(h), want_len);
    ck_assert_uint_eq(phash_expiring_len(h), want_exp);
    ck_assert_int_eq(phash_min_expire(h), want_min);
    ck_assert_str_eq(phash_encoding(h), "hashtable");
    char err[200];
    ck_assert_msg(phash_check(h, err, sizeof err) == 0, "%s", err);
    keyspace_read_end(r);
    keyspace_reader_close(r);
    fx_close(&x);
}
END_TEST

/* ---- out of memory ------------------------------------------------------------------- */

static void oom_setup(cmd_applier *a)
{
    apply_many(a, "HSET", "h", "f", 150, 1);
    apply_many(a, "HSET", "s", "f", 3, 1);
    const char *n[] = {"HSET", "h", "f1", "10", "f2", "2.5"};
    ck_assert_int_eq(cmd_apply_argv(a, 6, n, NULL), CMD_APPLIED);
    const char *e[] = {"HPEXPIREAT", "h", "1700000000000", "FIELDS", "2",
                       "f1", "f2"};
    ck_assert_int_eq(cmd_apply_argv(a, 7, e, NULL), CMD_APPLIED);
}

/* Every allocation a hash command makes, failed in turn, leaves the
 * keyspace as it was (the applier drops the batch). */
START_TEST(out_of_memory_changes_nothing)
{
    static const char *const cmds[][9] = {
        {"HSET", "h", "f3", "x", "new", "y", NULL},
        {"HSET", "new", "a", "1", NULL},
        {"HDEL", "s", "f0", "f1", "f2", NULL},
        {"HINCRBY", "h", "f1", "5", NULL},
        {"HINCRBYFLOAT", "h", "f2", "0.5", NULL},
        {"HINCRBYFLOAT", "s", "new", "1e10", NULL},
        {"HPEXPIREAT", "h", "1800000000000", "FIELDS", "3", "f1", "f5", "f6",
         NULL},
        {"HPERSIST", "h", "FIELDS", "2", "f1", "f2", NULL},
        {"HPEXPIRE", "s", "0", "FIELDS", "3", "f0", "f1", "f2", NULL},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        ck_assert_uint_gt(oom_walk(oom_setup, cmds[i]), 0);
}
END_TEST

Suite *ch09_hashes_suite(void)
{
    Suite *s = suite_create("ch09_hashes");
    TCase *tc = test_tcase("hashes", 120);
    tcase_add_checked_fixture(tc, NULL, oracle_teardown);
    tcase_add_test(tc, scripted_direct);
    tcase_add_test(tc, scripted_aof);
    tcase_add_loop_test(tc, random_direct, 0, 2);
    tcase_add_loop_test(tc, random_aof, 0, 2);
    tcase_add_test(tc, field_expiry_conditions);
    tcase_add_test(tc, field_expiry_past_times_and_persist);
    tcase_add_test(tc, field_expiry_errors_change_nothing);
    tcase_add_test(tc, field_expiry_big_hash);
    tcase_add_test(tc, out_of_memory_changes_nothing);
    suite_add_tcase(s, tc);
    return s;
}
