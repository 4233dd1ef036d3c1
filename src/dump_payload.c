/* dump_payload.c - a DUMP payload decoded with chapter 7's RDB reader.
 * Chapter 9.
 *
 * The footer is checked first, as Redis's verifyDumpPayload() does: at
 * least 10 bytes, an RDB version no newer than Redis 7.0's, a CRC-64 of
 * everything before the CRC.  Then the object is read from an in-memory
 * rdb_reader by rdb_read_object(), with an rdb_ctx set up as
 * rdb_parse() sets up its own, the payload's version standing in for the
 * file header's.  Like Redis, the reader runs over the whole payload, so
 * an object whose last string runs into the footer reads the footer's
 * bytes (and may then be accepted, as Redis accepts it), and bytes left
 * between the object and the footer are not looked at.  Every refusal says what is wrong and at which
 * offset of the payload, which Redis's two reply texts do not.
 */
#include "dump_payload.h"

#include "crc64.h"
#include "rdb_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* printf into why, when there is one. */
static void say(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t whysz, const char *fmt, ...)
{
    if (why == NULL || whysz == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whysz, fmt, ap);
    va_end(ap);
}

/* The object types Redis 7.0 knows (src/rdb.h rdbIsObjectType(): 0 to 7
 * and 9 to 19); 6 and 7 are module values, which need their module. */
static bool known_type(int t)
{
    return (t >= 0 && t <= 7) || (t >= 9 && t <= 19);
}

dump_payload_status dump_payload_decode(const void *p, size_t len, value **out,
                                      char *why, size_t whysz)
{
    const unsigned char *b = p;
    *out = NULL;
    if (len < 10) {
        say(why, whysz, "payload of %zu bytes is shorter than its 10-byte "
            "footer (RDB version and CRC-64)", len);
        return DUMP_PAYLOAD_FOOTER;
    }
    const unsigned char *foot = b + len - 10;
    unsigned version = (unsigned)foot[0] | (unsigned)foot[1] << 8;
    if (version > DUMP_PAYLOAD_RDB_VERSION) {
        say(why, whysz, "RDB version %u of the payload is newer than %d "
            "(Redis 7.0)", version, DUMP_PAYLOAD_RDB_VERSION);
        return DUMP_PAYLOAD_FOOTER;
    }
    uint64_t stored = 0;
    for (int i = 7; i >= 0; i--)
        stored = stored << 8 | foot[2 + i];
    uint64_t calc = crc64_update(0, b, len - 8);
    if (stored != calc) {
        say(why, whysz, "CRC-64 mismatch: the footer says %016llx, the %zu "
            "bytes before it give %016llx", (unsigned long long)stored,
            len - 8, (unsigned long long)calc);
        return DUMP_PAYLOAD_FOOTER;
    }

    rdb_reader r;
    /* Over the whole payload, footer included, as Redis's rio over the
     * argument: an object that runs into the footer reads its bytes. */
    rdb_reader_init_mem(&r, b, len);
    rdb_result res;
    memset(&res, 0, sizeof res);
    rdb_ctx c;
    memset(&c, 0, sizeof c);
    c.r = &r;
    c.version = (int)version;
    c.res = &res;
    rdb_key_info info = {.nodes = -1, .listpacks = -1, .lru_idle_s = -1,
                         .lfu_freq = -1, .min_expire_ms = -1};
    uint8_t type;
    value *v = NULL;
    dump_payload_status st = DUMP_PAYLOAD_DATA;
    if (rdb_read_u8(&r, &type) != 0) {
        say(why, whysz, "object: %s", r.err);
    } else if (!known_type(type)) {
        say(why, whysz, "object: offset 0: value type %u is not one Redis "
            "7.0 knows (0 to 7, 9 to 19)", type);
    } else if (rdb_read_object(&c, type, &v, &info) != 0) {
        bool oom = strstr(r.err, "out of memory") != NULL;
        say(why, whysz, "object: %s", r.err);
        st = oom ? DUMP_PAYLOAD_NOMEM : DUMP_PAYLOAD_DATA;
    } else if (v->type == VALUE_MODULE) {
        say(why, whysz, "object: a value of module type %s, which needs its "
            "module", value_as_module(v)->name);
    } else if (v->type != VALUE_STRING && v->type != VALUE_STREAM &&
               value_count(v) == 0) {
        /* Redis's rdbLoadObject() refuses an empty collection. */
        say(why, whysz, "object: an empty %s (Redis keeps no empty "
            "collection)", value_type_name((value_type)v->type));
    } else {
        *out = v;
        v = NULL;
        st = DUMP_PAYLOAD_OK;
    }
    value_free(v);
    rdb_buf_free(&c.blob);
    rdb_buf_free(&c.s1);
    rdb_buf_free(&c.s2);
    rdb_buf_free(&c.kinds);
    rdb_reader_free(&r);
    if (st == DUMP_PAYLOAD_NOMEM)
        errno = ENOMEM;
    return st;
}

