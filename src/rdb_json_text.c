/* rdb_json_text.c - JSON text for byte strings and numbers (for rdb-dump).
 * Chapter 7.
 *
 * Everything rdb-dump prints bottoms out in two kinds of leaf: byte
 * strings and numbers.  Bytes that are valid UTF-8 (checked strictly: no
 * overlong forms, no surrogates) become an escaped JSON string; anything
 * else becomes hex, so that no input byte is ever lost or mangled.
 * Numbers are written in the shortest form that reads back to the same
 * value, so the output is both stable and exact.  Keeping these leaves
 * here lets rdb_json_value.c and rdb_json.c speak only about structure.
 */
#include "rdb_json_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (strict: no overlongs, no
 * surrogates, at most U+10FFFF), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; min = 0x10000; }
    else return 0;
    if (n < len)
        return 0;
    unsigned cp = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static bool valid_utf8(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

static void hex(FILE *out, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%02x", p[i]);
}

static void quoted(FILE *out, const char *prefix, const unsigned char *p,
                   size_t n, bool as_hex)
{
    fputc('"', out);
    fputs(prefix, out);
    if (as_hex) {
        hex(out, p, n);
    } else {
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = p[i];
            if (ch == '"' || ch == '\\')
                fprintf(out, "\\%c", ch);
            else if (ch == '\n')
                fputs("\\n", out);
            else if (ch == '\t')
                fputs("\\t", out);
            else if (ch == '\r')
                fputs("\\r", out);
            else if (ch < 0x20 || ch == 0x7f)
                fprintf(out, "\\u%04x", ch);
            else
                fputc(ch, out);
        }
    }
    fputc('"', out);
}

void rdb_json_bytes(FILE *out, const unsigned char *p, size_t n)
{
    if (valid_utf8(p, n)) {
        quoted(out, "", p, n, false);
    } else {
        fputs("{\"hex\": ", out);
        quoted(out, "", p, n, true);
        fputc('}', out);
    }
}

/* An object key: the string itself, or "hex:..." */
void rdb_json_key(FILE *out, const unsigned char *p, size_t n)
{
    bool ok = valid_utf8(p, n);
    quoted(out, ok ? "" : "hex:", p, n, !ok);
}

/* The shortest decimal digits that read back as d, laid out like a
 * calculator would: plain notation for exponents -4..15, else 1.5e+20. */
void rdb_json_double(FILE *out, double d)
{
    char buf[40], digits[24];
    if (isnan(d)) {
        fputs("nan", out);
        return;
    }
    if (isinf(d)) {
        fputs(d > 0 ? "inf" : "-inf", out);
        return;
    }
    int prec;
    for (prec = 0; prec < 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* buf is [-]D[.DDD]e[+-]XX: split digits and exponent. */
    const char *p = buf;
    size_t nd = 0;
    if (*p == '-') {
        fputc('-', out);
        p++;
    }
    for (; *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    int e = atoi(p + 1);
    if (e >= -4 && e < 16) {
        if (e < 0) {
            fputs("0.", out);
            for (int i = -1; i > e; i--)
                fputc('0', out);
            fputs(digits, out);
        } else {
            for (int i = 0; i <= e; i++)
                fputc((size_t)i < nd ? digits[i] : '0', out);
            if ((size_t)e + 1 < nd)
                fprintf(out, ".%s", digits + e + 1);
        }
    } else {
        fputc(digits[0], out);
        if (nd > 1)
            fprintf(out, ".%s", digits + 1);
        fprintf(out, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    }
}

void rdb_json_score(FILE *out, double d)
{
    fputc('"', out);
    rdb_json_double(out, d);
    fputc('"', out);
}

void rdb_json_float(FILE *out, float f)
{
    char buf[40];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
        if ((float)strtod(buf, NULL) == f)
            break;
    }
    fprintf(out, "\"%s\"", buf);
}
