/* test_util.c - escaped byte assertions and run-mode scaling for tests. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *test_escape(char *out, size_t outsz, const void *p, size_t len)
{
    if (outsz < 4) {                /* too small to say anything useful */
        if (outsz > 0) out[0] = '\0';
        return out;
    }
    const unsigned char *b = p;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char tmp[8];
        unsigned char c = b[i];
        switch (c) {
        case '\r': strcpy(tmp, "\\r"); break;
        case '\n': strcpy(tmp, "\\n"); break;
        case '\t': strcpy(tmp, "\\t"); break;
        case '\\': strcpy(tmp, "\\\\"); break;
        case '"':  strcpy(tmp, "\\\""); break;
        default:
            if (c >= 0x20 && c < 0x7f) { tmp[0] = (char)c; tmp[1] = 0; }
            else snprintf(tmp, sizeof tmp, "\\x%02x", c);
        }
        size_t n = strlen(tmp);
        if (o + n + 4 > outsz) {    /* keep room for "..." and NUL */
            memcpy(out + o, "...", 4);
            return out;
        }
        memcpy(out + o, tmp, n);
        o += n;
    }
    out[o] = '\0';
    return out;
}

void test_assert_bytes(const char *file, int line, const char *what,
                       const void *actual, size_t alen,
                       const void *expected, size_t elen)
{
    if (alen == elen && (alen == 0 || memcmp(actual, expected, alen) == 0))
        return;
    char a[512], e[512];
    test_escape(a, sizeof a, actual, alen);
    test_escape(e, sizeof e, expected, elen);
    ck_assert_msg(0, "%s:%d: %s\n  expected (%zu bytes): \"%s\"\n"
                     "  actual   (%zu bytes): \"%s\"",
                  file, line, what, elen, e, alen, a);
}

long test_scale(long n, long min)
{
    const char *s = getenv("TEST_SCALE");
    double f = s ? atof(s) : 1.0;
    if (f <= 0) f = 1.0;
    long r = (long)((double)n * f);
    return r < min ? min : r;
}

TCase *test_tcase(const char *name, double timeout_s)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, timeout_s);
    return tc;
}
