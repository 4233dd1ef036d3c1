/* bits_parse.c - the arguments of the bitmap commands (bits_parse.h).
 * Chapter 11.
 *
 * Redis checks BITFIELD's operations one by one, left to right, and each
 * one's parts in order (keyword, type, offset, value); the first problem
 * found is the one reported, so the parser stops there.
 */
#include "bits_parse.h"

#include "alloc.h"
#include "cmd_num.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool bits_parse_offset(const char *s, size_t len, unsigned bits,
                       uint64_t *out)
{
    bool hash = bits > 0 && len > 0 && s[0] == '#';
    long long off;
    if (!cmd_num_string2ll(s + hash, len - hash, &off))
        return false;
    if (hash) {
        /* Redis multiplies without a check; a product that overflows is
         * refused here (it could never be a valid offset). */
        if (off > LLONG_MAX / (long long)bits ||
            off < LLONG_MIN / (long long)bits)
            return false;
        off *= (long long)bits;
    }
    if (off < 0 || (off >> 3) >= BITS_MAX_BYTES)
        return false;
    *out = (uint64_t)off;
    return true;
}

/* Redis reads the width with strlen(), so a NUL ends it, as here. */
bool bits_parse_type(const char *s, size_t len, bool *is_signed,
                     unsigned *bits)
{
    long long n;
    if (len < 1 || (s[0] != 'i' && s[0] != 'u') ||
        !cmd_num_string2ll(s + 1, strlen(s + 1), &n) || n < 1 ||
        n > (s[0] == 'i' ? 64 : 63))
        return false;
    *is_signed = s[0] == 'i';
    *bits = (unsigned)n;
    return true;
}

static bool kw(const resp_value *a, const char *w)
{
    return strcasecmp(a->str, w) == 0;
}

int bits_parse_bitfield(size_t argc, const resp_value *argv, bits_op **ops,
                        size_t *nops, int64_t *highest,
                        bits_parse_error *err)
{
    bits_op *v = xmalloc((argc / 3 + 1) * sizeof *v);
    if (v == NULL)
        return -1;
    size_t n = 0;
    pstring_overflow ov = PSTRING_OVERFLOW_WRAP;
    int64_t hi = -1;
    for (size_t j = 2; j < argc; j++) {
        size_t rem = argc - j - 1;
        bits_op op = {0};
        if (kw(&argv[j], "GET") && rem >= 2) {
            op.code = BITS_GET;
        } else if (kw(&argv[j], "SET") && rem >= 3) {
            op.code = BITS_SET;
        } else if (kw(&argv[j], "INCRBY") && rem >= 3) {
            op.code = BITS_INCRBY;
        } else if (kw(&argv[j], "OVERFLOW") && rem >= 1) {
            j++;
            if (kw(&argv[j], "WRAP"))
                ov = PSTRING_OVERFLOW_WRAP;
            else if (kw(&argv[j], "SAT"))
                ov = PSTRING_OVERFLOW_SAT;
            else if (kw(&argv[j], "FAIL"))
                ov = PSTRING_OVERFLOW_FAIL;
            else {
                *err = (bits_parse_error){j, BITS_ERR_OVERFLOW};
                goto fail;
            }
            continue;
        } else {
            *err = (bits_parse_error){j, "ERR syntax error"};
            goto fail;
        }
        if (!bits_parse_type(argv[j + 1].str, argv[j + 1].len, &op.is_signed,
                             &op.bits)) {
            *err = (bits_parse_error){j + 1, BITS_ERR_TYPE};
            goto fail;
        }
        if (!bits_parse_offset(argv[j + 2].str, argv[j + 2].len, op.bits,
                               &op.off)) {
            *err = (bits_parse_error){j + 2, BITS_ERR_OFFSET};
            goto fail;
        }
        if (op.code != BITS_GET) {
            int64_t last = (int64_t)(op.off + op.bits - 1);
            if (last > hi)
                hi = last;
            if (argv[j + 3].len == 0 ||
                !cmd_num_string2ll(argv[j + 3].str, argv[j + 3].len,
                                   &op.arg)) {
                *err = (bits_parse_error){
                    j + 3, "ERR value is not an integer or out of range"};
                goto fail;
            }
        }
        op.ov = ov;
        v[n++] = op;
        j += op.code == BITS_GET ? 2 : 3;
    }
    *ops = v;
    *nops = n;
    *highest = hi;
    return 0;
fail:
    free(v);
    return 1;
}
