/* debug_object_ex.c - exercise 11.1, solved: DEBUG OBJECT (see
 * debug_object_ex.h). */
#include "debug_object_ex.h"

#include "dump_payload.h"
#include "server_object.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Is s[0..n) a decimal integer that prints back the same (no '+', no
 * leading zero, no "-0"), as Redis's string2ll() requires?  *out gets it. */
static bool canonical_ll(const char *s, size_t n, long long *out)
{
    if (n == 0 || n > 20)
        return false;
    char buf[24];
    memcpy(buf, s, n);
    buf[n] = '\0';
    size_t i = buf[0] == '-';
    if (i == n || (buf[i] == '0' && (n > i + 1 || i == 1)))
        return false;
    for (size_t j = i; j < n; j++)
        if (buf[j] < '0' || buf[j] > '9')
            return false;
    errno = 0;
    long long ll = strtoll(buf, NULL, 10);
    if (errno == ERANGE)
        return false;
    *out = ll;
    return true;
}

/* rdbSaveLen(): the bytes of an RDB length prefix. */
static size_t rdb_len_bytes(uint64_t len)
{
    if (len < (1u << 6))
        return 1;
    if (len < (1u << 14))
        return 2;
    return len <= UINT32_MAX ? 5 : 9;
}

/* A string's RDB form with compression off (chapter 7): an integer
 * encoding when the bytes are a decimal that fits 32 bits (Redis tries
 * at most 11 bytes, the longest such decimal), else length and bytes. */
static size_t string_serialized_len(const value *v)
{
    size_t n = value_str_len(v);
    long long ll;
    char buf[24];
    if (n <= 11) {
        value_str_read(v, 0, buf, n);
        if (canonical_ll(buf, n, &ll)) {
            if (ll >= -(1 << 7) && ll < (1 << 7))
                return 2;
            if (ll >= -(1 << 15) && ll < (1 << 15))
                return 3;
            if (ll >= INT32_MIN && ll <= INT32_MAX)
                return 5;
        }
    }
    return rdb_len_bytes(n) + n;
}

/* The serialized length of any value (debug_object_ex.h); -1 when out of
 * memory. */
static long long serialized_len(const value *v)
{
    if (v->type == VALUE_STRING)
        return (long long)string_serialized_len(v);
    unsigned char *p;
    size_t n;
    dump_payload_status st = dump_payload_encode(v, &p, &n);
    if (st == DUMP_PAYLOAD_NOMEM)
        return -1;
    if (st != DUMP_PAYLOAD_OK)
        return 0; /* a stream: no payload written */
    free(p);
    /* less the type byte, the 2-byte RDB version and the 8-byte CRC */
    return n >= 11 ? (long long)(n - 11) : 0;
}

/* Redis shares the integers 0..9999 (OBJ_SHARED_INTEGERS) among keys. */
static int refcount_of(const value *v)
{
    long long ll;
    char buf[24];
    size_t n = value_str_len(v);
    if (v->type != VALUE_STRING || n > 20)
        return 1;
    value_str_read(v, 0, buf, n);
    return canonical_ll(buf, n, &ll) && ll >= 0 && ll < 10000 ? INT_MAX : 1;
}

int ex_debug_object(server_ctx *x)
{
    if (x->argc != 3) /* named as the client spelled it, as Redis does */
        return server_error(x, "ERR unknown subcommand or wrong number of "
                            "arguments for '%s'. Try DEBUG HELP.",
                            x->argv[1].str) == SERVER_REPLIED ? 0 : -1;
    /* dictFind(): expired keys are found too */
    const value *v = keyspace_get(x->ks, x->db, x->argv[2].str,
                                  x->argv[2].len);
    if (v == NULL)
        return server_error(x, "ERR no such key") == SERVER_REPLIED ? 0 : -1;
    long long len = serialized_len(v);
    if (len < 0)
        return -1;
    char line[200];
    snprintf(line, sizeof line, "Value at:%p refcount:%d encoding:%s "
             "serializedlength:%lld lru:0 lru_seconds_idle:0",
             (const void *)v, refcount_of(v), server_object_encoding(v), len);
    return reply_simple(x->out, line);
}
