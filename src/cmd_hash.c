/* cmd_hash.c - the hash commands: HSET and friends, HINCRBY[FLOAT], and Redis 7.4's field expiry.
 * Chapter 9.
 *
 * Redis 7.0.15's hash writes (redis/redis src/t_hash.c at 7.0.15): HSET,
 * HMSET, HSETNX and HDEL are propagated as typed, HINCRBY too, and
 * HINCRBYFLOAT as HSET with the value it computed, formatted as Redis
 * formats a long double (ld2string(LD_STR_HUMAN): "%.17Lf", then the
 * trailing zeros and a bare '.' removed), so that no replica redoes the
 * floating-point sum.  Both forms apply here.
 *
 * Redis 7.4 gave every field its own expiry (redis/redis src/t_hash.c at
 * 7.4): HEXPIRE, HPEXPIRE, HEXPIREAT and HPEXPIREAT take
 * [NX|XX|GT|LT] FIELDS numfields field..., and HPERSIST FIELDS numfields
 * field... removes expiries.  A 7.4 master propagates the first four as
 * HPEXPIREAT with an absolute time in milliseconds and only the fields
 * whose expiry it changed, and sends HDEL for a field it deleted because
 * the time given had already passed.  So the propagated form never needs
 * a clock, and HPEXPIREAT here never reads one: a time in the past is
 * stored as it is, as a 7.4 replica or AOF loader stores it (expire.c,
 * checkAlreadyExpired() is false for them), until the master's HDEL.  The
 * client forms with a relative or second-based time (HEXPIRE, HPEXPIRE,
 * HEXPIREAT), which only a client sends, act as a master does: a time
 * at or before c->now_ms deletes the field (and the hash, when it was the
 * last).  HINCRBY and HINCRBYFLOAT keep a field's expiry, HSET and HMSET
 * clear it (7.4's HASH_SET_KEEP_TTL rules).  Writes see a field whose
 * expiry has passed as present: a replica expires nothing by itself.
 */
#include "cmd.h"
#include "cmd_num.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#define ARG(c, i) ((c)->argv[(i)].str)
#define ARGLEN(c, i) ((c)->argv[(i)].len)

/* The hash transient of key argument i, made empty when absent.  Call
 * after every check passed.  NULL with errno ENOMEM. */
static phash *hash_open(cmd_ctx *c, size_t i)
{
    const void *k = ARG(c, i);
    size_t kl = ARGLEN(c, i);
    if (keyspace_lookup(c->ks, c->db, k, kl) == NULL) {
        value *nv = value_new_collection(VALUE_HASH, VALUE_NO_EXPIRY);
        if (nv == NULL || keyspace_put(c->ks, c->db, k, kl, nv) != 0)
            return NULL;
    }
    value *v = keyspace_edit(c->ks, c->db, k, kl);
    if (v == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    return value_edit_hash(v);
}

/* Delete key argument i when its hash h has no field left. */
static int hash_drop_if_empty(cmd_ctx *c, size_t i, const phash *h)
{
    if (phash_len(h) > 0)
        return 0;
    return keyspace_delete(c->ks, c->db, ARG(c, i), ARGLEN(c, i)) < 0 ? -1
                                                                      : 0;
}

/* ---- HSET, HMSET, HSETNX, HDEL ------------------------------------------------ */

/* HSET/HMSET key field value [field value ...] */
static int cmd_hset(cmd_ctx *c)
{
    if (c->argc % 2 == 1)
        return cmd_error(c, "ERR wrong number of arguments for '%s' command",
                         c->spec->name);
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_HASH, &cur) != 0)
        return -1;
    phash *h = hash_open(c, 1);
    if (h == NULL)
        return -1;
    for (size_t j = 2; j < c->argc; j += 2)
        if (phash_set(h, ARG(c, j), ARGLEN(c, j), ARG(c, j + 1),
                      ARGLEN(c, j + 1), PHASH_NO_EXPIRE, &h) < 0)
            return -1;
    return 0;
}

/* HSETNX key field value */
static int cmd_hsetnx(cmd_ctx *c)
{
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_HASH, &cur) != 0)
        return -1;
    if (cur != NULL &&
        phash_get(value_as_hash(cur), ARG(c, 2), ARGLEN(c, 2)) != NULL)
        return 0;
    phash *h = hash_open(c, 1);
    if (h == NULL)
        return -1;
    return phash_set(h, ARG(c, 2), ARGLEN(c, 2), ARG(c, 3), ARGLEN(c, 3),
                     PHASH_NO_EXPIRE, &h) < 0
               ? -1
               : 0;
}

/* HDEL key field [field ...] */
static int cmd_hdel(cmd_ctx *c)
{
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_HASH, &cur) != 0)
        return -1;
    if (cur == NULL)
        return 0;
    const phash *ro = value_as_hash(cur);
    size_t j;
    for (j = 2; j < c->argc; j++)
        if (phash_get(ro, ARG(c, j), ARGLEN(c, j)) != NULL)
            break;
    if (j == c->argc)
        return 0; /* none of them there: no edit */
    phash *h = hash_open(c, 1);
    if (h == NULL)
        return -1;
    for (; j < c->argc; j++)
        if (phash_del(h, ARG(c, j), ARGLEN(c, j), &h) < 0)
            return -1;
    return hash_drop_if_empty(c, 1, h);
}

/* ---- increments ------------------------------------------------------------------- */

/* HINCRBY key field increment */
static int cmd_hincrby(cmd_ctx *c)
{
    long long incr, old = 0;
    if (cmd_arg_int(c, 3, &incr) != 0)
        return -1;
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_HASH, &cur) != 0)
        return -1;
    int64_t exp = PHASH_NO_EXPIRE;
    const phash_field *f =
        cur ? phash_get(value_as_hash(cur), ARG(c, 2), ARGLEN(c, 2)) : NULL;
    if (f != NULL) {
        size_t vl;
        const unsigned char *vb = phash_field_value(f, &vl);
        if (!cmd_num_string2ll((const char *)vb, vl, &old))
            return cmd_error(c, "ERR hash value is not an integer");
        exp = phash_field_expire(f);
    }
    if ((incr < 0 && old < 0 && incr < LLONG_MIN - old) ||
        (incr > 0 && old > 0 && incr > LLONG_MAX - old))
        return cmd_error(c, "ERR increment or decrement would overflow");
    char buf[CMD_NUM_LL_SIZE];
    size_t n = cmd_num_ll2string(buf, sizeof buf, old + incr);
    phash *h = hash_open(c, 1);
    if (h == NULL)
        return -1;
    return phash_set(h, ARG(c, 2), ARGLEN(c, 2), buf, n, exp, &h) <
                   0
               ? -1
               : 0;
}

/* HINCRBYFLOAT key field increment (propagated by Redis as HSET key field
 * <the result>) */
static int cmd_hincrbyfloat(cmd_ctx *c)
{
    long double incr, old = 0;
    if (!cmd_num_string2ld(ARG(c, 3), ARGLEN(c, 3), &incr))
        return cmd_error_arg(c, 3, CMD_ERR_NOTFLOAT);
    if (isnan(incr) || isinf(incr))
        return cmd_error_arg(c, 3, "ERR value is NaN or Infinity");
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_HASH, &cur) != 0)
        return -1;
    int64_t exp = PHASH_NO_EXPIRE;
    const phash_field *f =
        cur ? phash_get(value_as_hash(cur), ARG(c, 2), ARGLEN(c, 2)) : NULL;
    if (f != NULL) {
        size_t vl;
        const unsigned char *vb = phash_field_value(f, &vl);
        if (!cmd_num_string2ld((const char *)vb, vl, &old))
            return cmd_error(c, "ERR hash value is not a float");
        exp = phash_field_expire(f);
    }
    long double sum = old + incr;
    if (isnan(sum) || isinf(sum))
        return cmd_error(c, "ERR increment would produce NaN or Infinity");
    char buf[CMD_NUM_LD_SIZE];
    size_t n = cmd_num_ld2string(buf, sizeof buf, sum, CMD_NUM_LD_HUMAN);
    phash *h = hash_open(c, 1);
    if (h == NULL)
        return -1;
    return phash_set(h, ARG(c, 2), ARGLEN(c, 2), buf, n, exp, &h) < 0 ? -1
                                                                       : 0;
}

/* ---- Redis 7.4: field expiry ------------------------------------------------------- */

/* Latest absolute expiry 7.4 accepts (HFE_MAX_ABS_TIME_MSEC: ebuckets'
 *  48-bit EB_EXPIRE_TIME_MAX shifted right by 2). */
#define HASH_MAX_ABS_MS ((long long)(((1ull << 48) - 1) >> 2))

enum { HFE_NONE, HFE_NX, HFE_XX, HFE_GT, HFE_LT };

/* Check "FIELDS numfields field..." with FIELDS at argv[at - 1] and
 * numfields at argv[at]; msg is the command's text for a bad count. */
static int hash_fields_arg(cmd_ctx *c, size_t at, const char *msg)
{
    if (!cmd_arg_is(c, at - 1, "fields"))
        return cmd_error_arg(c, (int)(at - 1),
                             "ERR Mandatory argument FIELDS is missing or "
                             "not at the right position");
    long long n;
    if (cmd_arg_int(c, at, &n) != 0 || n < 1)
        return cmd_error_arg(c, (int)at, "%s", msg);
    if ((unsigned long long)n != c->argc - at - 1)
        return cmd_error_arg(c, (int)at,
                             "ERR The `numfields` parameter must match the "
                             "number of arguments");
    return 0;
}

/* HEXPIRE/HPEXPIRE/HEXPIREAT/HPEXPIREAT key time [NX|XX|GT|LT] FIELDS
 * numfields field... (redis/redis 7.4 hexpireGenericCommand()).
 * relative: time counts from c->now_ms; seconds: time is in seconds;
 * clock: a time already passed deletes the field (client forms). */
static int hash_expire(cmd_ctx *c, bool relative, bool seconds, bool clock)
{
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_HASH, &cur) != 0)
        return -1;
    long long when;
    if (cmd_arg_int(c, 2, &when) != 0)
        return -1;
    if (when < 0)
        return cmd_error_arg(c, 2, "ERR invalid expire time, must be >= 0");
    long long base = relative ? (long long)c->now_ms : 0;
    if (seconds) {
        if (when > HASH_MAX_ABS_MS / 1000)
            return cmd_error_arg(c, 2,
                                 "ERR invalid expire time in '%s' command",
                                 c->spec->name);
        when *= 1000;
    }
    if (when > HASH_MAX_ABS_MS - base)
        return cmd_error_arg(c, 2, "ERR invalid expire time in '%s' command",
                             c->spec->name);
    when += base;
    int cond = HFE_NONE;
    size_t at = 4;
    if (cmd_arg_is(c, 3, "nx"))
        cond = HFE_NX;
    else if (cmd_arg_is(c, 3, "xx"))
        cond = HFE_XX;
    else if (cmd_arg_is(c, 3, "gt"))
        cond = HFE_GT;
    else if (cmd_arg_is(c, 3, "lt"))
        cond = HFE_LT;
    if (cond != HFE_NONE)
        at++;
    if (hash_fields_arg(c, at,
                        "ERR Parameter `numFields` should be greater than 0") !=
        0)
        return -1;
    if (cur == NULL)
        return 0; /* every field answers -2: no such field */
    bool past = clock && when <= c->now_ms;
    phash *h = NULL;
    for (size_t j = at + 1; j < c->argc; j++) {
        const phash *ro = h ? h : value_as_hash(cur);
        const phash_field *f = phash_get(ro, ARG(c, j), ARGLEN(c, j));
        if (f == NULL)
            continue; /* -2 */
        int64_t prev = phash_field_expire(f);
        if (prev == PHASH_NO_EXPIRE) {
            /* no expiry: LT holds, XX and GT do not */
            if (cond == HFE_XX || cond == HFE_GT)
                continue; /* 0 */
        } else if ((cond == HFE_GT && prev >= when) ||
                   (cond == HFE_LT && prev <= when) || cond == HFE_NX) {
            continue; /* 0 */
        }
        if (h == NULL && (h = hash_open(c, 1)) == NULL)
            return -1;
        int rc = past ? phash_del(h, ARG(c, j), ARGLEN(c, j), &h)
                      : phash_set_expire(h, ARG(c, j), ARGLEN(c, j),
                                         (int64_t)when, &h);
        if (rc < 0)
            return -1;
    }
    return h ? hash_drop_if_empty(c, 1, h) : 0;
}

static int cmd_hexpire(cmd_ctx *c) { return hash_expire(c, true, true, true); }
static int cmd_hpexpire(cmd_ctx *c)
{
    return hash_expire(c, true, false, true);
}
static int cmd_hexpireat(cmd_ctx *c)
{
    return hash_expire(c, false, true, true);
}
static int cmd_hpexpireat(cmd_ctx *c)
{
    return hash_expire(c, false, false, false);
}

/* HPERSIST key FIELDS numfields field... */
static int cmd_hpersist(cmd_ctx *c)
{
    const value *cur;
    if (cmd_lookup_type(c, 1, VALUE_HASH, &cur) != 0)
        return -1;
    if (hash_fields_arg(c, 3,
                        "ERR Number of fields must be a positive integer") !=
        0)
        return -1;
    if (cur == NULL)
        return 0;
    phash *h = NULL;
    for (size_t j = 4; j < c->argc; j++) {
        const phash *ro = h ? h : value_as_hash(cur);
        const phash_field *f = phash_get(ro, ARG(c, j), ARGLEN(c, j));
        if (f == NULL || phash_field_expire(f) == PHASH_NO_EXPIRE)
            continue; /* -2 or -1 */
        if (h == NULL && (h = hash_open(c, 1)) == NULL)
            return -1;
        if (phash_set_expire(h, ARG(c, j), ARGLEN(c, j), PHASH_NO_EXPIRE,
                             &h) < 0)
            return -1;
    }
    return 0;
}

/* The hash commands (arities as COMMAND INFO reports them: 7.0.15, and
 *  7.4 for the field-expiry ones). */
const cmd_spec cmd_hash_table[] = {
    {"hset", -4, CMD_WRITE, cmd_hset},
    {"hmset", -4, CMD_WRITE, cmd_hset},
    {"hsetnx", 4, CMD_WRITE, cmd_hsetnx},
    {"hdel", -3, CMD_WRITE, cmd_hdel},
    {"hincrby", 4, CMD_WRITE, cmd_hincrby},
    {"hincrbyfloat", 4, CMD_WRITE, cmd_hincrbyfloat},
    {"hexpire", -6, CMD_WRITE, cmd_hexpire},
    {"hpexpire", -6, CMD_WRITE, cmd_hpexpire},
    {"hexpireat", -6, CMD_WRITE, cmd_hexpireat},
    {"hpexpireat", -6, CMD_WRITE, cmd_hpexpireat},
    {"hpersist", -5, CMD_WRITE, cmd_hpersist},
    {NULL, 0, 0, NULL},
};
