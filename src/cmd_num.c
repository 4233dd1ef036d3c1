/* cmd_num.c - numbers as Redis reads and writes them (see cmd_num.h).
 * Chapter 9.
 *
 * Each function restates one rule of redis/redis src/util.c (7.0.15) in
 * its own words; cmd_num.h lists the accepted and refused texts.  The
 * floating-point parsers copy the text into a NUL-terminated buffer
 * because strtold() and strtod() need one and a command argument need not
 * end where the number does.
 */
#include "cmd_num.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cmd_num_string2ll(const char *s, size_t len, long long *out)
{
    /* Empty, or longer than any long long can be written: refused. */
    if (len == 0 || len >= CMD_NUM_LL_SIZE)
        return false;
    if (len == 1 && s[0] == '0') {
        if (out)
            *out = 0;
        return true;
    }
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-') {
        neg = true;
        i = 1;
        if (i == len)
            return false;
    }
    /* The first digit is 1-9: no leading zeros, so "-0" and "01" fail. */
    if (s[i] < '1' || s[i] > '9')
        return false;
    unsigned long long v = (unsigned long long)(s[i] - '0');
    for (i++; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg) {
        /* -LLONG_MIN is LLONG_MAX + 1 as an unsigned number. */
        if (v > (unsigned long long)LLONG_MAX + 1)
            return false;
        if (out)
            *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN
                                                          : -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX)
            return false;
        if (out)
            *out = (long long)v;
    }
    return true;
}

size_t cmd_num_ll2string(char *buf, size_t sz, long long v)
{
    char tmp[CMD_NUM_LL_SIZE];
    /* Work on the magnitude as unsigned so LLONG_MIN needs no care. */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
                                 : (unsigned long long)v;
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[n++] = '-';
    if (n + 1 > sz) {
        if (sz)
            buf[0] = '\0';
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

bool cmd_num_string2ld(const char *s, size_t len, long double *out)
{
    char buf[CMD_NUM_LD_SIZE];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    /* An embedded NUL ends strtold() early, so the end test refuses it. */
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || end != buf + len || isnan(v))
        return false;
    if (errno == ERANGE &&
        (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO))
        return false;
    if (errno == EINVAL)
        return false;
    if (out)
        *out = v;
    return true;
}

bool cmd_num_string2d(const char *s, size_t len, double *out)
{
    char buf[CMD_NUM_LD_SIZE];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (isspace((unsigned char)buf[0]) || end != buf + len || isnan(v))
        return false;
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0))
        return false;
    if (out)
        *out = v;
    return true;
}

size_t cmd_num_ld2string(char *buf, size_t sz, long double v,
                         cmd_num_ld_mode mode)
{
    int n;
    if (isinf(v)) {
        n = snprintf(buf, sz, "%s", v > 0 ? "inf" : "-inf");
        if (n < 0 || (size_t)n + 1 > sz)
            goto room;
        return (size_t)n;
    }
    if (mode == CMD_NUM_LD_AUTO) {
        n = snprintf(buf, sz, "%.17Lg", v);
        if (n < 0 || (size_t)n + 1 > sz)
            goto room;
        return (size_t)n;
    }
    n = snprintf(buf, sz, "%.17Lf", v);
    if (n < 0 || (size_t)n + 1 > sz)
        goto room;
    size_t l = (size_t)n;
    /* Human form: no trailing zeros after the point, no bare point. */
    if (memchr(buf, '.', l)) {
        while (l > 0 && buf[l - 1] == '0')
            l--;
        if (l > 0 && buf[l - 1] == '.')
            l--;
    }
    /* A negative number that rounds to zero prints "-0": Redis says "0". */
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    buf[l] = '\0';
    return l;
room:
    if (sz)
        buf[0] = '\0';
    return 0;
}

size_t cmd_num_d2string(char *buf, size_t sz, double v)
{
    int n;
    if (isnan(v))
        n = snprintf(buf, sz, "nan");
    else if (isinf(v))
        n = snprintf(buf, sz, "%s", v < 0 ? "-inf" : "inf");
    else if (v == 0)
        n = snprintf(buf, sz, "%s", signbit(v) ? "-0" : "0");
    else if (v >= (double)(-LLONG_MAX / 2) && v <= (double)(LLONG_MAX / 2) &&
             v == (double)(long long)v)
        /* Integral and well inside long long range (double2ll()). */
        return cmd_num_ll2string(buf, sz, (long long)v);
    else
        n = snprintf(buf, sz, "%.17g", v);
    if (n < 0 || (size_t)n + 1 > sz) {
        if (sz)
            buf[0] = '\0';
        return 0;
    }
    return (size_t)n;
}
