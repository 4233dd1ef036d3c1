/* cmd_string.c - the string commands: SET and its variants, INCR, APPEND, SETRANGE, MSET.
 * Chapter 9.
 *
 * Every handler follows Redis 7.0.15 (redis/redis src/t_string.c): the
 * same options, the same checks in the same order, so that the first
 * error Redis would reply is the one the applier reports, and the same
 * effect on the value and its time to live.  Two forms reach a handler.
 * The master propagates SET with EX/PX/EXAT, SETEX and PSETEX as
 * `SET k v PXAT ms`, GETSET as `SET k v`, INCRBYFLOAT as
 * `SET k v KEEPTTL` (the result as text, so no replica computes in
 * floating point), GETEX as PEXPIREAT/PERSIST/DEL and GETDEL as DEL; a
 * client (a test talking to the applier directly, an AOF written by
 * hand) may send any of the originals, whose relative times count from
 * c->now_ms.
 *
 * Strings have no transients: a handler reads the current version with
 * cmd_lookup_type(), makes the new one (value_new_string(), or
 * value_str_append()/value_str_setrange(), which keep the old expiry) and
 * stores it with keyspace_put().  The expiry rule is Redis's: whatever
 * replaces a string (SET, GETSET, MSET) drops its TTL unless KEEPTTL;
 * whatever edits it (APPEND, SETRANGE, INCR and its siblings,
 * INCRBYFLOAT) keeps it.
 *
 * Limits.  Redis refuses a client's APPEND or SETRANGE whose result would
 * pass proto-max-bulk-len (512 MB by default) and, as a replica, skips
 * that check for its master; the applier cannot tell the two apart and
 * always checks, which a master running with the default never violates.
 */
#include "cmd.h"
#include "cmd_num.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>

/** Redis's default proto-max-bulk-len: the longest string, 512 MB. */
#define STR_MAX_LEN (512LL * 1024 * 1024)

/* ---- shared pieces --------------------------------------------------------- */

/* Store bytes as a new string value under argument keyi's key. */
static int put_bytes(cmd_ctx *c, size_t keyi, const void *p, size_t n,
                     int64_t expire_ms)
{
    value *v = value_new_string(p, n, expire_ms);
    if (v == NULL)
        return -1; /* errno ENOMEM */
    const resp_value *k = &c->argv[keyi];
    return keyspace_put(c->ks, c->db, k->str, k->len, v);
}

/* The options SET and GETEX share (redis/redis src/t_string.c,
 * parseExtendedStringArgumentsOrReply()). */
enum {
    OPT_NX = 1u << 0,
    OPT_XX = 1u << 1,
    OPT_GET = 1u << 2,
    OPT_KEEPTTL = 1u << 3,
    OPT_PERSIST = 1u << 4,
    OPT_EX = 1u << 5,
    OPT_PX = 1u << 6,
    OPT_EXAT = 1u << 7,
    OPT_PXAT = 1u << 8,
};
#define OPT_ANY_EXPIRE (OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT)

/* Parse SET's (is_set) or GETEX's options from argument `from` on.  Each
 * option is refused with a syntax error when it is not the command's or
 * conflicts with one already seen: NX with XX, KEEPTTL or PERSIST with an
 * expiry, two different expiries, and an expiry keyword with nothing
 * after it.  A repeated option is accepted (its last argument wins). */
static int parse_options(cmd_ctx *c, size_t from, bool is_set,
                         unsigned *flags, size_t *expire_arg)
{
    unsigned f = 0;
    for (size_t j = from; j < c->argc; j++) {
        bool next = j + 1 < c->argc;
        unsigned other_expiries;
        if (is_set && cmd_arg_is(c, j, "NX") && !(f & OPT_XX)) {
            f |= OPT_NX;
        } else if (is_set && cmd_arg_is(c, j, "XX") && !(f & OPT_NX)) {
            f |= OPT_XX;
        } else if (is_set && cmd_arg_is(c, j, "GET")) {
            f |= OPT_GET;
        } else if (is_set && cmd_arg_is(c, j, "KEEPTTL") &&
                   !(f & (OPT_PERSIST | OPT_ANY_EXPIRE))) {
            f |= OPT_KEEPTTL;
        } else if (!is_set && cmd_arg_is(c, j, "PERSIST") &&
                   !(f & (OPT_KEEPTTL | OPT_ANY_EXPIRE))) {
            f |= OPT_PERSIST;
        } else {
            static const struct {
                const char *kw;
                unsigned flag;
            } expiries[] = {{"EX", OPT_EX},
                            {"PX", OPT_PX},
                            {"EXAT", OPT_EXAT},
                            {"PXAT", OPT_PXAT}};
            size_t e = 0;
            while (e < 4 && !cmd_arg_is(c, j, expiries[e].kw))
                e++;
            if (e == 4)
                return cmd_error_arg(c, (int)j, CMD_ERR_SYNTAX);
            other_expiries = OPT_ANY_EXPIRE & ~expiries[e].flag;
            if (!next || (f & (OPT_KEEPTTL | OPT_PERSIST | other_expiries)))
                return cmd_error_arg(c, (int)j, CMD_ERR_SYNTAX);
            f |= expiries[e].flag;
            *expire_arg = ++j;
        }
    }
    *flags = f;
    return 0;
}

/* The absolute expiry, in Unix ms, that argument i gives with the unit and
 * base of `flags` (getExpireMillisecondsOrReply()): not positive, or
 * overflowing once in milliseconds or once added to now, is refused. */
static int expire_ms_arg(cmd_ctx *c, size_t i, unsigned flags,
                         long long *out)
{
    long long t;
    if (cmd_arg_int(c, i, &t) != 0)
        return -1;
    bool seconds = (flags & (OPT_EX | OPT_EXAT)) != 0;
    if (t <= 0 || (seconds && t > LLONG_MAX / 1000))
        goto bad;
    if (seconds)
        t *= 1000;
    if (flags & (OPT_EX | OPT_PX)) {
        if (c->now_ms > 0 && t > LLONG_MAX - c->now_ms)
            goto bad;
        t += c->now_ms;
    }
    if (t <= 0)
        goto bad;
    *out = t;
    return 0;
bad:
    return cmd_error_arg(c, (int)i, "ERR invalid expire time in '%s' command",
                         c->spec->name);
}

/* ---- SET and its variants --------------------------------------------------- */

/* SET's effect (setGenericCommand()): the expiry is checked first, then
 * GET's type check, then NX/XX decide.  keyi, vali: the key and value
 * arguments; expi: the expiry argument or 0. */
static int set_generic(cmd_ctx *c, unsigned flags, size_t keyi, size_t vali,
                       size_t expi)
{
    long long when = 0;
    if (expi && expire_ms_arg(c, expi, flags, &when) != 0)
        return -1;
    const value *old;
    if (flags & OPT_GET) {
        if (cmd_lookup_type(c, keyi, VALUE_STRING, &old) != 0)
            return -1;
    } else {
        old = keyspace_lookup(c->ks, c->db, c->argv[keyi].str,
                              c->argv[keyi].len);
    }
    if (((flags & OPT_NX) && old) || ((flags & OPT_XX) && !old))
        return 0; /* not set: Redis replies nil (or 0), changes nothing */
    int64_t expire = VALUE_NO_EXPIRY;
    if (expi)
        expire = when;
    else if ((flags & OPT_KEEPTTL) && old)
        expire = old->expire_ms;
    return put_bytes(c, keyi, c->argv[vali].str, c->argv[vali].len, expire);
}

/* SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL] */
static int cmd_set(cmd_ctx *c)
{
    unsigned flags;
    size_t expi = 0;
    if (parse_options(c, 3, true, &flags, &expi) != 0)
        return -1;
    return set_generic(c, flags, 1, 2, expi);
}

/* SETNX key value */
static int cmd_setnx(cmd_ctx *c)
{
    return set_generic(c, OPT_NX, 1, 2, 0);
}

/* SETEX key seconds value */
static int cmd_setex(cmd_ctx *c)
{
    return set_generic(c, OPT_EX, 1, 3, 2);
}

/* PSETEX key milliseconds value */
static int cmd_psetex(cmd_ctx *c)
{
    return set_generic(c, OPT_PX, 1, 3, 2);
}

/* GETSET key value: SET that drops the TTL, after GET's type check. */
static int cmd_getset(cmd_ctx *c)
{
    const value *old;
    if (cmd_lookup_type(c, 1, VALUE_STRING, &old) != 0)
        return -1;
    return put_bytes(c, 1, c->argv[2].str, c->argv[2].len, VALUE_NO_EXPIRY);
}

/* GETDEL key */
static int cmd_getdel(cmd_ctx *c)
{
    const value *old;
    if (cmd_lookup_type(c, 1, VALUE_STRING, &old) != 0)
        return -1;
    if (old == NULL)
        return 0;
    return keyspace_delete(c->ks, c->db, c->argv[1].str, c->argv[1].len) < 0
               ? -1
               : 0;
}

/* GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST].  The key is looked up
 * before the expiry is read (a missing key ignores a bad one); an
 * absolute time already past deletes the key, as getexCommand() does. */
static int cmd_getex(cmd_ctx *c)
{
    unsigned flags;
    size_t expi = 0;
    if (parse_options(c, 2, false, &flags, &expi) != 0)
        return -1;
    const value *old;
    if (cmd_lookup_type(c, 1, VALUE_STRING, &old) != 0)
        return -1;
    if (old == NULL)
        return 0;
    long long when = 0;
    if (expi && expire_ms_arg(c, expi, flags, &when) != 0)
        return -1;
    const char *k = c->argv[1].str;
    size_t klen = c->argv[1].len;
    if ((flags & (OPT_EXAT | OPT_PXAT)) && when <= c->now_ms)
        return keyspace_delete(c->ks, c->db, k, klen) < 0 ? -1 : 0;
    if (expi)
        return keyspace_set_expire(c->ks, c->db, k, klen, when) < 0 ? -1 : 0;
    if ((flags & OPT_PERSIST) && old->expire_ms != VALUE_NO_EXPIRY)
        return keyspace_set_expire(c->ks, c->db, k, klen, VALUE_NO_EXPIRY) < 0
                   ? -1
                   : 0;
    return 0;
}

/* MSET key value [key value ...] and MSETNX: every TTL dropped; MSETNX
 * sets nothing when any key exists. */
static int mset_generic(cmd_ctx *c, bool nx)
{
    if (c->argc % 2 == 0)
        return cmd_error(c, "ERR wrong number of arguments for '%s' command",
                         c->spec->name);
    if (nx) {
        for (size_t j = 1; j < c->argc; j += 2)
            if (keyspace_lookup(c->ks, c->db, c->argv[j].str, c->argv[j].len))
                return 0;
    }
    for (size_t j = 1; j < c->argc; j += 2)
        if (put_bytes(c, j, c->argv[j + 1].str, c->argv[j + 1].len,
                      VALUE_NO_EXPIRY) != 0)
            return -1;
    return 0;
}

static int cmd_mset(cmd_ctx *c)
{
    return mset_generic(c, false);
}

static int cmd_msetnx(cmd_ctx *c)
{
    return mset_generic(c, true);
}

/* ---- APPEND and SETRANGE ------------------------------------------------------ */

/* Redis's checkStringLength(): the result may not pass 512 MB. */
static int check_length(cmd_ctx *c, unsigned long long size,
                        unsigned long long add)
{
    if (size + add > (unsigned long long)STR_MAX_LEN || size + add < size)
        return cmd_error(c, "ERR string exceeds maximum allowed size "
                            "(proto-max-bulk-len)");
    return 0;
}

/* APPEND key value: creates the key (no TTL) or extends it (TTL kept). */
static int cmd_append(cmd_ctx *c)
{
    const value *old;
    if (cmd_lookup_type(c, 1, VALUE_STRING, &old) != 0)
        return -1;
    const resp_value *a = &c->argv[2];
    if (old == NULL)
        return put_bytes(c, 1, a->str, a->len, VALUE_NO_EXPIRY);
    if (check_length(c, value_str_len(old), a->len) != 0)
        return -1;
    value *nv;
    if (value_str_append(old, a->str, a->len, &nv) != 0)
        return -1;
    return keyspace_put(c->ks, c->db, c->argv[1].str, c->argv[1].len, nv);
}

/* SETRANGE key offset value: the offset is read first, then the key;
 * an empty value changes nothing (and creates nothing). */
static int cmd_setrange(cmd_ctx *c)
{
    long long off;
    if (cmd_arg_int(c, 2, &off) != 0)
        return -1;
    if (off < 0)
        return cmd_error_arg(c, 2, "ERR offset is out of range");
    const value *old;
    if (cmd_lookup_type(c, 1, VALUE_STRING, &old) != 0)
        return -1;
    const resp_value *s = &c->argv[3];
    if (s->len == 0)
        return 0;
    if (check_length(c, (unsigned long long)off, s->len) != 0)
        return -1;
    value *empty = NULL;
    if (old == NULL) {
        empty = value_new_string(NULL, 0, VALUE_NO_EXPIRY);
        if (empty == NULL)
            return -1;
        old = empty;
    }
    value *nv;
    int rc = value_str_setrange(old, (size_t)off, s->str, s->len, &nv);
    value_free(empty);
    if (rc != 0)
        return -1;
    return keyspace_put(c->ks, c->db, c->argv[1].str, c->argv[1].len, nv);
}

/* ---- INCR and its siblings ------------------------------------------------------ */

/* The current text of a string value when it is short enough to be a
 * number (a long double's text is at most CMD_NUM_LD_SIZE - 1 bytes; a
 * longer value is no number, and *len says so). */
static void read_number_text(const value *v, char *buf, size_t sz,
                             size_t *len)
{
    size_t n = value_str_len(v);
    *len = n;
    if (n < sz)
        buf[value_str_read(v, 0, buf, n)] = '\0';
}

/* INCR, DECR, INCRBY, DECRBY: add incr to the key's integer
 * (incrDecrCommand()): a missing key counts as 0; the TTL stays. */
static int incr_generic(cmd_ctx *c, long long incr)
{
    const value *old;
    if (cmd_lookup_type(c, 1, VALUE_STRING, &old) != 0)
        return -1;
    long long cur = 0;
    if (old) {
        char buf[CMD_NUM_LL_SIZE];
        size_t n;
        read_number_text(old, buf, sizeof buf, &n);
        if (n >= sizeof buf || !cmd_num_string2ll(buf, n, &cur))
            return cmd_error(c, CMD_ERR_NOTINT);
    }
    if ((incr < 0 && cur < 0 && incr < LLONG_MIN - cur) ||
        (incr > 0 && cur > 0 && incr > LLONG_MAX - cur))
        return cmd_error(c, "ERR increment or decrement would overflow");
    char out[CMD_NUM_LL_SIZE];
    size_t len = cmd_num_ll2string(out, sizeof out, cur + incr);
    return put_bytes(c, 1, out, len, old ? old->expire_ms : VALUE_NO_EXPIRY);
}

static int cmd_incr(cmd_ctx *c)
{
    return incr_generic(c, 1);
}

static int cmd_decr(cmd_ctx *c)
{
    return incr_generic(c, -1);
}

static int cmd_incrby(cmd_ctx *c)
{
    long long incr;
    if (cmd_arg_int(c, 2, &incr) != 0)
        return -1;
    return incr_generic(c, incr);
}

static int cmd_decrby(cmd_ctx *c)
{
    long long decr;
    if (cmd_arg_int(c, 2, &decr) != 0)
        return -1;
    if (decr == LLONG_MIN) /* its negation does not exist */
        return cmd_error_arg(c, 2, "ERR decrement would overflow");
    return incr_generic(c, -decr);
}

/* INCRBYFLOAT key increment: in long double, stored as ld2string()'s
 * human text; the key's value is checked before the increment. */
static int cmd_incrbyfloat(cmd_ctx *c)
{
    const value *old;
    if (cmd_lookup_type(c, 1, VALUE_STRING, &old) != 0)
        return -1;
    long double cur = 0, incr;
    if (old) {
        char buf[CMD_NUM_LD_SIZE];
        size_t n;
        read_number_text(old, buf, sizeof buf, &n);
        if (n >= sizeof buf || !cmd_num_string2ld(buf, n, &cur))
            return cmd_error(c, CMD_ERR_NOTFLOAT);
    }
    if (!cmd_num_string2ld(c->argv[2].str, c->argv[2].len, &incr))
        return cmd_error_arg(c, 2, CMD_ERR_NOTFLOAT);
    cur += incr;
    if (isnan(cur) || isinf(cur))
        return cmd_error_arg(c, 2,
                             "ERR increment would produce NaN or Infinity");
    char out[CMD_NUM_LD_SIZE];
    size_t len = cmd_num_ld2string(out, sizeof out, cur, CMD_NUM_LD_HUMAN);
    return put_bytes(c, 1, out, len, old ? old->expire_ms : VALUE_NO_EXPIRY);
}

/* ---- the table ------------------------------------------------------------------ */

/** The string family (arities as Redis 7.0.15's COMMAND INFO). */
const cmd_spec cmd_string_table[] = {
    {"set", -3, CMD_WRITE, cmd_set},
    {"setnx", 3, CMD_WRITE, cmd_setnx},
    {"setex", 4, CMD_WRITE, cmd_setex},
    {"psetex", 4, CMD_WRITE, cmd_psetex},
    {"getset", 3, CMD_WRITE, cmd_getset},
    {"getdel", 2, CMD_WRITE, cmd_getdel},
    {"getex", -2, CMD_WRITE, cmd_getex},
    {"mset", -3, CMD_WRITE, cmd_mset},
    {"msetnx", -3, CMD_WRITE, cmd_msetnx},
    {"append", 3, CMD_WRITE, cmd_append},
    {"setrange", 4, CMD_WRITE, cmd_setrange},
    {"incr", 2, CMD_WRITE, cmd_incr},
    {"decr", 2, CMD_WRITE, cmd_decr},
    {"incrby", 3, CMD_WRITE, cmd_incrby},
    {"decrby", 3, CMD_WRITE, cmd_decrby},
    {"incrbyfloat", 3, CMD_WRITE, cmd_incrbyfloat},
    {0},
};
