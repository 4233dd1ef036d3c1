/* counter_ex.c - exercise 9.2 solved: INCR, DECR, INCRBY, DECRBY (see counter_ex.h). */
#include "counter_ex.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

/* A stored string as Redis's string2ll() reads it: optional '-', then
 * digits with no leading zero (except "0" itself), within int64_t. */
static bool parse_strict(const unsigned char *p, size_t n, long long *out)
{
    if (n == 0 || n > 20)
        return false;
    if (n == 1 && p[0] == '0') {
        *out = 0;
        return true;
    }
    bool neg = p[0] == '-';
    size_t i = neg;
    if (i == n || p[i] < '1' || p[i] > '9')
        return false;
    unsigned long long v = 0;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        unsigned d = p[i] - '0';
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg ? v > (unsigned long long)INT64_MAX + 1 : v > INT64_MAX)
        return false;
    *out = neg ? (long long)(0 - v) : (long long)v;
    return true;
}

/* Add delta to the integer stored at argument 1. */
static int add(cmd_ctx *c, long long delta)
{
    const value *v;
    long long old = 0;
    if (cmd_lookup_type(c, 1, VALUE_STRING, &v) < 0)
        return -1;
    if (v != NULL) {
        unsigned char buf[21];
        size_t n = value_str_len(v);
        if (n > sizeof buf)
            return cmd_error(c, CMD_ERR_NOTINT);
        value_str_read(v, 0, buf, n);
        if (!parse_strict(buf, n, &old))
            return cmd_error(c, CMD_ERR_NOTINT);
    }
    if ((delta > 0 && old > INT64_MAX - delta) ||
        (delta < 0 && old < INT64_MIN - delta))
        return cmd_error(c, "ERR increment or decrement would overflow");
    char text[24];
    int len = snprintf(text, sizeof text, "%lld", old + delta);
    value *nv = value_new_string(text, (size_t)len,
                                 v != NULL ? v->expire_ms : VALUE_NO_EXPIRY);
    if (nv == NULL)
        return -1; /* errno ENOMEM: the applier aborts the batch */
    return keyspace_put(c->ks, c->db, c->argv[1].str, c->argv[1].len, nv);
}

static int incr(cmd_ctx *c)
{
    return add(c, 1);
}

static int decr(cmd_ctx *c)
{
    return add(c, -1);
}

static int incrby(cmd_ctx *c)
{
    long long d;
    if (cmd_arg_int(c, 2, &d) < 0)
        return -1;
    return add(c, d);
}

static int decrby(cmd_ctx *c)
{
    long long d;
    if (cmd_arg_int(c, 2, &d) < 0)
        return -1;
    if (d == INT64_MIN) /* -d would overflow */
        return cmd_error(c, "ERR decrement would overflow");
    return add(c, -d);
}

const cmd_spec ex_counter_table[] = {
    { "incr", 2, CMD_WRITE, incr },
    { "decr", 2, CMD_WRITE, decr },
    { "incrby", 3, CMD_WRITE, incrby },
    { "decrby", 3, CMD_WRITE, decrby },
    { 0 },
};
