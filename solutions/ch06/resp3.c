/* resp3.c - exercise 6.1, solved: decode one RESP3 header line.
 *
 * One switch on the type byte.  Integers and counts reuse resp_parse_int()
 * so they follow exactly the rules of RESP2 headers; doubles go through
 * strtod() on a NUL-terminated copy, which must consume every byte (so
 * ",1.5x" and "," are errors, while "inf", "-inf" and "nan" are accepted as
 * RESP3 spells them).
 */
#include "resp3.h"

#include "resp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A count for an aggregate: a non-negative integer. */
static int count_of(const char *s, size_t n, uint64_t *out)
{
    int64_t v;
    if (resp_parse_int(s, n, &v) != 0 || v < 0) return -1;
    *out = (uint64_t)v;
    return 0;
}

int resp3_decode_line(const char *line, size_t len, resp3_item *out,
                      char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (len == 0) {
        snprintf(err, errlen, "empty line: expected a type byte");
        return -1;
    }
    const char *s = line + 1;
    size_t n = len - 1;
    char c = line[0];
    switch (c) {
    case '+':
        out->kind = R3_SIMPLE;
        out->text = s;
        out->text_len = n;
        return 0;
    case ':':
        out->kind = R3_INTEGER;
        if (resp_parse_int(s, n, &out->integer) == 0) return 0;
        snprintf(err, errlen, "':' must be followed by a 64-bit integer");
        return -1;
    case '_':
        out->kind = R3_NULL;
        if (n == 0) return 0;
        snprintf(err, errlen, "nothing may follow '_'");
        return -1;
    case '#':
        out->kind = R3_BOOLEAN;
        if (n == 1 && (s[0] == 't' || s[0] == 'f')) {
            out->boolean = s[0] == 't';
            return 0;
        }
        snprintf(err, errlen, "expected 't' or 'f' after '#'");
        return -1;
    case ',': {
        char tmp[64];
        char *end;
        out->kind = R3_DOUBLE;
        if (n == 0 || n >= sizeof tmp) {
            snprintf(err, errlen, "',' must be followed by a double");
            return -1;
        }
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        out->dbl = strtod(tmp, &end);
        if (end == tmp + n) return 0;
        snprintf(err, errlen, "',' must be followed by a double; byte %zu "
                 "is not part of one", (size_t)(end - tmp) + 1);
        return -1;
    }
    case '(': {
        size_t i = n > 0 && s[0] == '-' ? 1 : 0;
        out->kind = R3_BIGNUM;
        out->text = s;
        out->text_len = n;
        if (i == n) {
            snprintf(err, errlen, "'(' must be followed by digits");
            return -1;
        }
        for (; i < n; i++)
            if (s[i] < '0' || s[i] > '9') {
                snprintf(err, errlen, "byte %zu of a big number is not a digit",
                         i + 1);
                return -1;
            }
        return 0;
    }
    case '*': case '%': case '~': case '>':
        out->kind = c == '*' ? R3_ARRAY : c == '%' ? R3_MAP
                  : c == '~' ? R3_SET : R3_PUSH;
        if (count_of(s, n, &out->count) != 0) {
            snprintf(err, errlen, "'%c' must be followed by a count >= 0", c);
            return -1;
        }
        if (c == '%') {
            if (out->count > UINT64_MAX / 2) {
                snprintf(err, errlen, "map count too large");
                return -1;
            }
            out->count *= 2;                 /* pairs: a key and a value */
        }
        return 0;
    }
    snprintf(err, errlen, "unknown RESP3 type byte 0x%02x", (unsigned char)c);
    return -1;
}
