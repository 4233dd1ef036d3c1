/* cmd_restore.c - RESTORE: a value from a DUMP payload.
 * Chapter 9.
 *
 * A master propagates RESTORE as it received it, except that a relative
 * TTL becomes an absolute one followed by ABSTTL; MIGRATE arrives as
 * RESTORE too.  The payload is one RDB object, the writer's RDB version
 * and a CRC-64 (cmd_restore.h), so the decoding is chapter 7's reader
 * over the payload's bytes in memory, with the payload's version where
 * the file header would have given one.
 *
 * The order of the checks is Redis's and decides which error a bad
 * command gets: the options first, then BUSYKEY (before the TTL is even
 * parsed), then the TTL, then the footer (version and checksum), then the
 * object.  IDLETIME and FREQ are parsed and validated like Redis, then
 * ignored: they set the LRU clock or LFU counter of the new key, which
 * serve eviction on the master, and a replica keeps neither.
 *
 * A TTL already past (with ABSTTL, or 0 + now overflowing) stores
 * nothing and still replies OK, deleting the old key when REPLACE was
 * given: what a Redis master does (it then propagates DEL).  Redis as a
 * replica would store the key with its past expiry; see cmd_expire.c for
 * why the two agree for readers.
 *
 * Semantics and reply texts: redis/redis 7.0.15 src/cluster.c
 * (restoreCommand, verifyDumpPayload).
 */
#include "cmd_restore.h"

#include "cmd.h"
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

cmd_restore_status cmd_restore_decode(const void *p, size_t len, value **out,
                                      char *why, size_t whysz)
{
    const unsigned char *b = p;
    *out = NULL;
    if (len < 10) {
        say(why, whysz, "payload of %zu bytes is shorter than its 10-byte "
            "footer (RDB version and CRC-64)", len);
        return CMD_RESTORE_FOOTER;
    }
    const unsigned char *foot = b + len - 10;
    unsigned version = (unsigned)foot[0] | (unsigned)foot[1] << 8;
    if (version > CMD_RESTORE_RDB_VERSION) {
        say(why, whysz, "RDB version %u of the payload is newer than %d "
            "(Redis 7.0)", version, CMD_RESTORE_RDB_VERSION);
        return CMD_RESTORE_FOOTER;
    }
    uint64_t stored = 0;
    for (int i = 7; i >= 0; i--)
        stored = stored << 8 | foot[2 + i];
    uint64_t calc = crc64_update(0, b, len - 8);
    if (stored != calc) {
        say(why, whysz, "CRC-64 mismatch: the footer says %016llx, the %zu "
            "bytes before it give %016llx", (unsigned long long)stored,
            len - 8, (unsigned long long)calc);
        return CMD_RESTORE_FOOTER;
    }

    rdb_reader r;
    rdb_reader_init_mem(&r, b, len - 10);
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
    cmd_restore_status st = CMD_RESTORE_DATA;
    if (rdb_read_u8(&r, &type) != 0) {
        say(why, whysz, "object: %s", r.err);
    } else if (!known_type(type)) {
        say(why, whysz, "object: offset 0: value type %u is not one Redis "
            "7.0 knows (0 to 7, 9 to 19)", type);
    } else if (rdb_read_object(&c, type, &v, &info) != 0) {
        bool oom = strstr(r.err, "out of memory") != NULL;
        say(why, whysz, "object: %s", r.err);
        st = oom ? CMD_RESTORE_NOMEM : CMD_RESTORE_DATA;
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
        st = CMD_RESTORE_OK;
    }
    value_free(v);
    rdb_buf_free(&c.blob);
    rdb_buf_free(&c.s1);
    rdb_buf_free(&c.s2);
    rdb_buf_free(&c.kinds);
    rdb_reader_free(&r);
    if (st == CMD_RESTORE_NOMEM)
        errno = ENOMEM;
    return st;
}

/* RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f] */
static int cmd_restore(cmd_ctx *c)
{
    bool replace = false, absttl = false;
    long long idle = -1, freq = -1, ttl;
    for (size_t j = 4; j < c->argc; j++) {
        bool more = j + 1 < c->argc;
        if (cmd_arg_is(c, j, "replace")) {
            replace = true;
        } else if (cmd_arg_is(c, j, "absttl")) {
            absttl = true;
        } else if (cmd_arg_is(c, j, "idletime") && more && freq == -1) {
            if (cmd_arg_int(c, j + 1, &idle) != 0)
                return -1;
            if (idle < 0)
                return cmd_error_arg(c, (int)j + 1, "ERR Invalid IDLETIME "
                                     "value, must be >= 0");
            j++;
        } else if (cmd_arg_is(c, j, "freq") && more && idle == -1) {
            if (cmd_arg_int(c, j + 1, &freq) != 0)
                return -1;
            if (freq < 0 || freq > 255)
                return cmd_error_arg(c, (int)j + 1, "ERR Invalid FREQ value, "
                                     "must be >= 0 and <= 255");
            j++;
        } else {
            return cmd_error_arg(c, (int)j, CMD_ERR_SYNTAX);
        }
    }
    /* IDLETIME and FREQ only feed eviction (see the file comment). */
    const resp_value *key = &c->argv[1];
    if (!replace && keyspace_lookup(c->ks, c->db, key->str, key->len) != NULL)
        return cmd_error_arg(c, 1, "BUSYKEY Target key name already exists.");
    if (cmd_arg_int(c, 2, &ttl) != 0)
        return -1;
    if (ttl < 0)
        return cmd_error_arg(c, 2, "ERR Invalid TTL value, must be >= 0");

    value *v;
    char why[256];
    switch (cmd_restore_decode(c->argv[3].str, c->argv[3].len, &v, why,
                               sizeof why)) {
    case CMD_RESTORE_OK: break;
    case CMD_RESTORE_FOOTER:
        return cmd_error_arg(c, 3, "ERR DUMP payload version or checksum "
                             "are wrong");
    case CMD_RESTORE_DATA:
        return cmd_error_arg(c, 3, "ERR Bad data format");
    default:
        return -1; /* ENOMEM */
    }

    if (ttl != 0 && !absttl) /* wraps as Redis's long long addition does */
        ttl = (long long)((unsigned long long)ttl +
                          (unsigned long long)c->now_ms);
    if (ttl != 0 && ttl <= c->now_ms) {
        value_free(v);
        if (replace &&
            keyspace_delete(c->ks, c->db, key->str, key->len) < 0)
            return -1;
        return 0;
    }
    v->expire_ms = ttl != 0 ? ttl : VALUE_NO_EXPIRY;
    return keyspace_put(c->ks, c->db, key->str, key->len, v);
}

const cmd_spec cmd_restore_table[] = {
    {"restore", -4, CMD_WRITE, cmd_restore},
    {0},
};
