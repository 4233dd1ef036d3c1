/* cmd_args.c - reading a command's arguments the way Redis reads them.
 * Chapter 9.
 *
 * The applier must refuse exactly what Redis refuses, with the same
 * text, or a master's error reply and ours disagree.  So numbers are
 * parsed with Redis's own rules rather than with strtoll() and
 * strtod() as they come: an integer is string2ll()'s (redis/redis
 * src/util.c: an optional '-', then digits with no leading zero, nothing
 * else, within 64 bits, so " 1", "+1", "01" and "-0" are all refused),
 * and a double is getDoubleFromObject()'s in Redis 7.0 (src/object.c:
 * strtod() over the whole argument, no leading space, no NaN, and an
 * overflow or an underflow to zero refused).
 */
#include "cmd.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

bool cmd_arg_is(const cmd_ctx *c, size_t i, const char *kw)
{
    size_t n = strlen(kw);
    return i < c->argc && c->argv[i].len == n &&
           strncasecmp(c->argv[i].str, kw, n) == 0;
}

/* string2ll(): the whole of s is a decimal long long. */
static bool parse_ll(const char *s, size_t len, long long *out)
{
    if (len == 0 || len > 20)
        return false;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return true;
    }
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-') {
        neg = true;
        i = 1;
        if (len == 1)
            return false;
    }
    if (s[i] < '1' || s[i] > '9')
        return false;
    unsigned long long v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1)
            return false;
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN
                                                      : -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX)
            return false;
        *out = (long long)v;
    }
    return true;
}

int cmd_arg_int(cmd_ctx *c, size_t i, long long *out)
{
    if (i >= c->argc || !parse_ll(c->argv[i].str, c->argv[i].len, out))
        return cmd_error_arg(c, (int)i, CMD_ERR_NOTINT);
    return 0;
}

int cmd_arg_double(cmd_ctx *c, size_t i, double *out)
{
    if (i >= c->argc)
        return cmd_error_arg(c, (int)i, CMD_ERR_NOTFLOAT);
    const char *s = c->argv[i].str;
    size_t len = c->argv[i].len;
    if (len == 0 || isspace((unsigned char)s[0]))
        return cmd_error_arg(c, (int)i, CMD_ERR_NOTFLOAT);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if ((size_t)(end - s) != len ||
        (errno == ERANGE &&
         (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)) ||
        isnan(v))
        return cmd_error_arg(c, (int)i, CMD_ERR_NOTFLOAT);
    errno = 0;
    *out = v;
    return 0;
}

int cmd_lookup_type(cmd_ctx *c, size_t i, value_type type,
                    const value **out)
{
    const value *v = keyspace_lookup(c->ks, c->db, c->argv[i].str,
                                     c->argv[i].len);
    if (v != NULL && v->type != (uint8_t)type) {
        *out = NULL;
        return cmd_error(c, CMD_ERR_WRONGTYPE);
    }
    *out = v;
    return 0;
}
