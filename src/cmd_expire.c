/* cmd_expire.c - key expiry: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, PERSIST.
 * Chapter 9.
 *
 * A master propagates every expiry as PEXPIREAT with an absolute time in
 * milliseconds, so on a live link only that form arrives; the client forms
 * (relative seconds or milliseconds, absolute seconds) are applied against
 * the applier's clock, c->now_ms, exactly as the master applied them
 * against its own.  All four share one function, as in Redis: parse the
 * NX/XX/GT/LT flags and refuse the combinations that make no sense, parse
 * the time and refuse one that overflows when converted to absolute
 * milliseconds, then compare with the key's current expiry.
 *
 * A time already past deletes the key, as a Redis master does (it then
 * propagates DEL instead).  Redis as a replica sets the past expiry
 * instead and waits for the master's DEL (checkAlreadyExpired() is false
 * there), and so does an applier created with cmd_options.replica.  That
 * is not a detail: a master never propagates a PEXPIREAT it knows to be
 * past, but a replica that lags applies it after its time, and the
 * master's next commands (RENAME, INCR, LPUSH ...) still find the key
 * alive; a replica that had deleted it would refuse them, or create a
 * fresh key where the master extends the old one.  A reader treats a key
 * with a past expiry as missing either way.
 *
 * Semantics and reply texts: redis/redis 7.0.15 src/expire.c
 * (parseExtendedExpireArgumentsOrReply, expireGenericCommand,
 * checkAlreadyExpired, persistCommand).
 */
#include "cmd.h"
#include "cmd_private.h" /* the applier's options */

#include <limits.h>
#include <stdbool.h>

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

/* The NX/XX/GT/LT options from argument 3 on. */
static int parse_flags(cmd_ctx *c, unsigned *flags)
{
    for (size_t j = 3; j < c->argc; j++) {
        if (cmd_arg_is(c, j, "nx"))
            *flags |= EXP_NX;
        else if (cmd_arg_is(c, j, "xx"))
            *flags |= EXP_XX;
        else if (cmd_arg_is(c, j, "gt"))
            *flags |= EXP_GT;
        else if (cmd_arg_is(c, j, "lt"))
            *flags |= EXP_LT;
        else
            return cmd_error_arg(c, (int)j, "ERR Unsupported option %s",
                                 c->argv[j].str);
    }
    if ((*flags & EXP_NX) && (*flags & (EXP_XX | EXP_GT | EXP_LT)))
        return cmd_error(c, "ERR NX and XX, GT or LT options at the same "
                            "time are not compatible");
    if ((*flags & EXP_GT) && (*flags & EXP_LT))
        return cmd_error(c, "ERR GT and LT options at the same time are not "
                            "compatible");
    return 0;
}

/* The four commands: basetime 0 for the *AT forms, seconds when the time
 * argument is in seconds. */
static int expire_generic(cmd_ctx *c, long long basetime, bool seconds)
{
    unsigned flags = 0;
    long long when;
    if (parse_flags(c, &flags) != 0 || cmd_arg_int(c, 2, &when) != 0)
        return -1;
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000)
            return cmd_error_arg(c, 2, "ERR invalid expire time in '%s' "
                                 "command", c->spec->name);
        when *= 1000;
    }
    if (when > LLONG_MAX - basetime)
        return cmd_error_arg(c, 2, "ERR invalid expire time in '%s' command",
                             c->spec->name);
    when += basetime;

    const resp_value *key = &c->argv[1];
    const value *v = keyspace_lookup(c->ks, c->db, key->str, key->len);
    if (v == NULL)
        return 0; /* 0: no such key */
    int64_t cur = v->expire_ms; /* VALUE_NO_EXPIRY is -1, as Redis's */
    if ((flags & EXP_NX) && cur != VALUE_NO_EXPIRY)
        return 0;
    if ((flags & EXP_XX) && cur == VALUE_NO_EXPIRY)
        return 0;
    /* No expiry counts as an infinite one: GT never beats it, LT always
     * does. */
    if ((flags & EXP_GT) && (cur == VALUE_NO_EXPIRY || when <= cur))
        return 0;
    if ((flags & EXP_LT) && cur != VALUE_NO_EXPIRY && when >= cur)
        return 0;
    /* [ch12-past-expiry] */
    /* A master deletes a key whose new expiry is already past; a replica
     * (cmd_options.replica) keeps it until the master's DEL. */
    if (when <= c->now_ms && !c->app->opt.replica)
        return keyspace_delete(c->ks, c->db, key->str, key->len) < 0 ? -1 : 0;
    return keyspace_set_expire(c->ks, c->db, key->str, key->len, when) < 0
               ? -1 : 0;
    /* [ch12-past-expiry] */
}

static int cmd_expire(cmd_ctx *c) { return expire_generic(c, c->now_ms, true); }
static int cmd_pexpire(cmd_ctx *c)
{
    return expire_generic(c, c->now_ms, false);
}
static int cmd_expireat(cmd_ctx *c) { return expire_generic(c, 0, true); }
static int cmd_pexpireat(cmd_ctx *c) { return expire_generic(c, 0, false); }

/* PERSIST key */
static int cmd_persist(cmd_ctx *c)
{
    const resp_value *key = &c->argv[1];
    const value *v = keyspace_lookup(c->ks, c->db, key->str, key->len);
    if (v == NULL || v->expire_ms == VALUE_NO_EXPIRY)
        return 0; /* 0: nothing to remove */
    return keyspace_set_expire(c->ks, c->db, key->str, key->len,
                               VALUE_NO_EXPIRY) < 0 ? -1 : 0;
}

const cmd_spec cmd_expire_table[] = {
    {"expire", -3, CMD_WRITE, cmd_expire},
    {"pexpire", -3, CMD_WRITE, cmd_pexpire},
    {"expireat", -3, CMD_WRITE, cmd_expireat},
    {"pexpireat", -3, CMD_WRITE, cmd_pexpireat},
    {"persist", 2, CMD_WRITE, cmd_persist},
    {0},
};
