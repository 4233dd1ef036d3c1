/* rdb_load.c - the RDB opcode loop, and loading a database into a store.
 * Chapter 7.
 *
 * After the 9-byte magic ("REDIS0011"), an RDB file is a sequence of
 * records, each introduced by one byte.  Bytes 0xF4-0xFF are opcodes:
 *   0xFF EOF (then, from RDB 5, an 8-byte CRC-64)   0xFE SELECTDB db
 *   0xFD EXPIRETIME s (4 bytes)   0xFC EXPIRETIME_MS ms (8 bytes)
 *   0xFB RESIZEDB size expires    0xFA AUX key value
 *   0xF9 FREQ (1 byte)            0xF8 IDLE seconds
 *   0xF7 MODULE_AUX id when data  0xF6 FUNCTION (7.0 rc, refused)
 *   0xF5 FUNCTION2 code           0xF4 SLOT_INFO slot size expires
 *   0xF3 SLOT_IMPORT name ranges (Valkey 9, under its magic only)
 * and any other byte is the value type of a key record: type, key string,
 * value.  EXPIRETIME, IDLE and FREQ qualify the key record that follows.
 *
 * The loop reads a record, hands it to the handler and forgets it: memory
 * use is one key and one value at a time whatever the file size, which is
 * what lets a replica load a snapshot while it streams off the socket.
 */
#include "rdb_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    OP_SLOT_IMPORT = 0xF3, /* under the VALKEY magic only */
    OP_SLOT_INFO = 0xF4, OP_FUNCTION2 = 0xF5, OP_FUNCTION_PRE_GA = 0xF6,
    OP_MODULE_AUX = 0xF7, OP_IDLE = 0xF8, OP_FREQ = 0xF9, OP_AUX = 0xFA,
    OP_RESIZEDB = 0xFB, OP_EXPIRETIME_MS = 0xFC, OP_EXPIRETIME = 0xFD,
    OP_SELECTDB = 0xFE, OP_EOF = 0xFF,
    /* Written by Redis Enterprise before keys (RAM LRU); one length. */
    OP_ENTERPRISE_RAM_LRU = 107,
};

void rdb_warn(rdb_ctx *c, const char *fmt, ...)
{
    char msg[512];
    int n = snprintf(msg, sizeof msg, "offset %" PRIu64 ": ",
                     rdb_offset(c->r));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    c->res->warnings++;
    if (c->h != NULL && c->h->warning != NULL)
        c->h->warning(c->h->arg, msg);
}

/* Append " (key "...")" to the reader's error, escaping odd bytes. */
static void blame_key(rdb_reader *r, const rdb_buf *key)
{
    size_t n = strlen(r->err);
    char *o = r->err + n, *end = r->err + sizeof r->err - 16;
    o += snprintf(o, (size_t)(end - o), " (key \"");
    for (size_t i = 0; i < key->len && i < 64 && o < end - 5; i++) {
        unsigned char ch = key->p[i];
        if (ch >= 32 && ch < 127 && ch != '"' && ch != '\\')
            *o++ = (char)ch;
        else
            o += snprintf(o, 5, "\\x%02x", ch);
    }
    snprintf(o, (size_t)(r->err + sizeof r->err - o), "%s\")",
             key->len > 64 ? "..." : "");
}

static int read_header(rdb_ctx *c)
{
    rdb_result *res = c->res;
    unsigned char m[9];
    if (rdb_read(c->r, m, 9) != 0)
        return -1;
    memcpy(res->magic, m, 9);
    res->magic[9] = '\0';
    for (int i = 0; i < 9; i++)
        if (m[i] < 32 || m[i] > 126)
            res->magic[i] = '?';
    int digits;
    if (memcmp(m, "REDIS", 5) == 0) {
        digits = 4;
    } else if (memcmp(m, "VALKEY", 6) == 0) {
        digits = 3;
        res->valkey = true;
    } else {
        return rdb_fail_at(c->r, 0, "not an RDB file (magic \"%s\", expected "
                           "\"REDIS\" or \"VALKEY\" and a version)",
                           res->magic);
    }
    int v = 0;
    for (int i = 9 - digits; i < 9; i++) {
        if (m[i] < '0' || m[i] > '9')
            return rdb_fail_at(c->r, 0, "bad version digits in magic \"%s\"",
                               res->magic);
        v = v * 10 + (m[i] - '0');
    }
    res->version = c->version = v;
    c->valkey = res->valkey;
    if (!res->valkey && (v < 1 || v > RDB_VERSION_MAX))
        return rdb_fail_at(c->r, 5, "unsupported RDB version %d (this reader "
                           "knows versions 1 to %d)", v, RDB_VERSION_MAX);
    /* Valkey numbers its own formats from 80 and never puts a lower number
     * after its magic (valkey-io/valkey src/rdb.c, rdbIsVersionAccepted);
     * 81 (Valkey 9.2) adds encodings this reader does not know. */
    if (res->valkey && v < 80)
        return rdb_fail_at(c->r, 6, "VALKEY magic with version %d (Valkey "
                           "writes its own formats from 80; 12 to 79 are "
                           "reserved for other forks)", v);
    if (res->valkey && v > RDB_VALKEY_VERSION_MAX)
        return rdb_fail_at(c->r, 6, "unsupported Valkey RDB version %d (this "
                           "reader knows 80, Valkey 9.0 and 9.1)", v);
    if (c->h != NULL && c->h->header != NULL &&
        c->h->header(c->h->arg, res->magic, v) != 0)
        return rdb_fail(c->r, "stopped by the handler");
    return 0;
}

/* The per-key qualifiers that precede a key record. */
typedef struct pending {
    int64_t expire_ms;
    int64_t idle;
    int freq;
} pending;

static int read_key(rdb_ctx *c, int type, uint64_t db, pending *p,
                    rdb_buf *key)
{
    rdb_key_info info = {.db = db, .offset = rdb_offset(c->r) - 1,
                         .nodes = -1, .listpacks = -1,
                         .lru_idle_s = p->idle, .lfu_freq = p->freq,
                         .min_expire_ms = -1};
    value *v;
    if (rdb_read_string(c->r, key, NULL) != 0)
        return -1;
    if (rdb_read_object(c, type, &v, &info) != 0) {
        blame_key(c->r, key);
        return -1;
    }
    v->expire_ms = p->expire_ms;
    *p = (pending){VALUE_NO_EXPIRY, -1, -1};
    c->res->keys++;
    if (c->h == NULL || c->h->key == NULL) {
        value_free(v);
        return 0;
    }
    if (c->h->key(c->h->arg, key, v, &info) != 0) {
        rdb_fail(c->r, "stopped by the handler");
        blame_key(c->r, key);
        return -1;
    }
    return 0;
}

static int read_module_aux(rdb_ctx *c)
{
    uint64_t at = rdb_offset(c->r) - 1, id, when_op, when;
    if (rdb_read_len(c->r, &id, NULL) != 0 ||
        rdb_read_len(c->r, &when_op, NULL) != 0)
        return -1;
    if (when_op != 2)
        return rdb_fail_at(c->r, at, "MODULE_AUX: expected an unsigned "
                           "'when' (opcode 2), found opcode %" PRIu64,
                           when_op);
    if (rdb_read_len(c->r, &when, NULL) != 0)
        return -1;
    value *v = value_new_collection(VALUE_MODULE, VALUE_NO_EXPIRY);
    if (v == NULL)
        return rdb_fail(c->r, "out of memory");
    if (rdb_read_module_ops(c, id, v) != 0) {
        value_free(v);
        return -1;
    }
    value_seal(v);
    rdb_warn(c, "MODULE_AUX data of module %s (encver %u) skipped",
             value_as_module(v)->name, value_as_module(v)->encver);
    if (c->h != NULL && c->h->module_aux != NULL) {
        if (c->h->module_aux(c->h->arg, v, when) != 0)
            return rdb_fail(c->r, "stopped by the handler");
    } else {
        value_free(v);
    }
    return 0;
}

/* [ch07-trailer] */
static int read_trailer(rdb_ctx *c, const rdb_options *opt)
{
    rdb_result *res = c->res;
    if (c->version < 5) {
        res->crc = RDB_CRC_NONE;
    } else {
        uint64_t at = rdb_offset(c->r);
        res->crc_calc = rdb_crc(c->r);
        if (rdb_read_uint_le(c->r, 8, &res->crc_stored) != 0)
            return -1;
        if (res->crc_stored == 0) {
            res->crc = RDB_CRC_ZERO;
        } else if (res->crc_stored == res->crc_calc) {
            res->crc = RDB_CRC_OK;
        } else {
            res->crc = RDB_CRC_MISMATCH;
            if (opt == NULL || !opt->no_crc)
                return rdb_fail_at(c->r, at, "checksum mismatch: stored %016"
                                   PRIx64 ", computed %016" PRIx64,
                                   res->crc_stored, res->crc_calc);
        }
    }
    res->end_offset = rdb_offset(c->r);
    return 0;
}
/* [ch07-trailer] */

static int parse_body(rdb_ctx *c, const rdb_options *opt)
{
    const rdb_handler *h = c->h;
    void *arg = h != NULL ? h->arg : NULL;
    rdb_reader *r = c->r;
    uint64_t db = 0;
    pending p = {VALUE_NO_EXPIRY, -1, -1};
    rdb_buf key = {0};
    int rc = -1;
    if (read_header(c) != 0)
        goto out;
    for (;;) {
        uint64_t at = rdb_offset(r), a, b, s;
        uint8_t op;
        if (rdb_read_u8(r, &op) != 0)
            goto out;
        if (h != NULL && h->record != NULL && h->record(arg, at, op))
            goto stopped;
        switch (op) {
        case OP_EOF:
            rc = read_trailer(c, opt);
            goto out;
        case OP_EXPIRETIME_MS:
            if (rdb_read_uint_le(r, 8, &a) != 0)
                goto out;
            p.expire_ms = (int64_t)a;
            break;
        case OP_EXPIRETIME:
            if (rdb_read_uint_le(r, 4, &a) != 0)
                goto out;
            p.expire_ms = (int64_t)(int32_t)(uint32_t)a * 1000;
            break;
        case OP_IDLE:
            if (rdb_read_len(r, &a, NULL) != 0)
                goto out;
            p.idle = (int64_t)a;
            break;
        case OP_FREQ: {
            uint8_t f;
            if (rdb_read_u8(r, &f) != 0)
                goto out;
            p.freq = f;
            break;
        }
        case OP_SELECTDB:
            if (rdb_read_len(r, &db, NULL) != 0)
                goto out;
            if (h != NULL && h->selectdb != NULL && h->selectdb(arg, db))
                goto stopped;
            break;
        case OP_RESIZEDB:
            if (rdb_read_len(r, &a, NULL) != 0 ||
                rdb_read_len(r, &b, NULL) != 0)
                goto out;
            if (h != NULL && h->resizedb != NULL && h->resizedb(arg, db, a, b))
                goto stopped;
            break;
        case OP_AUX:
            if (rdb_read_string(r, &key, NULL) != 0 ||
                rdb_read_string(r, &c->s2, NULL) != 0)
                goto out;
            if (h != NULL && h->aux != NULL && h->aux(arg, &key, &c->s2))
                goto stopped;
            break;
        case OP_MODULE_AUX:
            if (read_module_aux(c) != 0)
                goto out;
            break;
        case OP_FUNCTION_PRE_GA:
            rdb_fail_at(r, at, "FUNCTION opcode 0xf6 of the Redis 7.0 release "
                        "candidates is not supported (Redis 7.0 GA refuses "
                        "it too)");
            goto out;
        case OP_FUNCTION2:
            if (rdb_read_string(r, &c->s2, NULL) != 0)
                goto out;
            if (h != NULL && h->function != NULL && h->function(arg, op, &c->s2))
                goto stopped;
            break;
        case OP_SLOT_INFO:
            if (rdb_read_len(r, &a, NULL) != 0 ||
                rdb_read_len(r, &b, NULL) != 0 ||
                rdb_read_len(r, &s, NULL) != 0)
                goto out;
            if (h != NULL && h->slot_info != NULL && h->slot_info(arg, a, b, s))
                goto stopped;
            break;
        case OP_SLOT_IMPORT:
            if (!c->valkey) {
                rdb_fail_at(r, at, "unknown opcode 0xf3 (Redis 8 KEY_META: "
                            "newer than this reader; Valkey's SLOT_IMPORT "
                            "needs the VALKEY magic)");
                goto out;
            }
            if (rdb_read_slot_import(c) != 0)
                goto out;
            break;
        case OP_ENTERPRISE_RAM_LRU:
            if (rdb_read_len(r, &a, NULL) != 0)
                goto out;
            rdb_warn(c, "Redis Enterprise opcode %d (value %" PRIu64
                     ") skipped", op, a);
            if (h != NULL && h->opaque != NULL && h->opaque(arg, op, a))
                goto stopped;
            break;
        /* [ch07-dispatch] */
        default:
            if (op >= 0xF0) {
                rdb_fail_at(r, at, "unknown opcode 0x%02x%s", op,
                            op == 0xF2 && c->valkey
                                ? " (Valkey 9.2 UPDATE: newer than this "
                                  "reader)" : "");
                goto out;
            }
            if (rdb_type_name(op) == NULL || op == 8) {
                rdb_fail_at(r, at, "unknown opcode or value type 0x%02x (%d)",
                            op, op);
                goto out;
            }
            if (read_key(c, op, db, &p, &key) != 0)
                goto out;
        /* [ch07-dispatch] */
        }
    }
stopped:
    rdb_fail(r, "stopped by the handler");
out:
    rdb_buf_free(&key);
    return rc;
}

int rdb_parse(rdb_reader *r, const rdb_handler *h, const rdb_options *opt,
              rdb_result *res)
{
    rdb_ctx c;
    memset(res, 0, sizeof *res);
    memset(&c, 0, sizeof c);
    c.r = r;
    c.h = h;
    c.res = res;
    int rc = parse_body(&c, opt);
    if (rc != 0 || r->failed) {
        if (!r->failed)
            rdb_fail(r, "parse failed");
        snprintf(res->error, sizeof res->error, "%s", r->err);
        rc = -1;
    }
    rdb_buf_free(&c.blob);
    rdb_buf_free(&c.s1);
    rdb_buf_free(&c.s2);
    rdb_buf_free(&c.kinds);
    return rc;
}

/* --- loading into a store ---------------------------------------------- */

typedef struct load_ctx {
    bool quiet;
    store *s;
    uint64_t db;
    rdb_result *res;
} load_ctx;

static void load_warning(void *arg, const char *msg)
{
    const load_ctx *l = arg;
    if (!l->quiet)
        fprintf(stderr, "rdb: warning: %s\n", msg);
}

/* [ch07-load-key] */
static int load_key(void *arg, const rdb_buf *key, value *v,
                    const rdb_key_info *info)
{
    load_ctx *l = arg;
    if (info->db != l->db) {
        value_free(v);
        return 0;
    }
    if (v->type == VALUE_MODULE) {
        if (!l->quiet)
            fprintf(stderr, "rdb: warning: offset %" PRIu64 ": key \"%.*s\": "
                "value of module type %s (id 0x%016" PRIx64 ", encver %u) "
                "skipped: modules are not supported\n", info->offset,
                (int)(key->len > 64 ? 64 : key->len), (const char *)key->p,
                value_as_module(v)->name, value_as_module(v)->module_id,
                value_as_module(v)->encver);
        l->res->warnings++;
        value_free(v);
        return 0;
    }
    if (v->type != VALUE_STRING && v->type != VALUE_STREAM &&
        value_count(v) == 0) { /* Redis drops empty collections at load */
        value_free(v);
        return 0;
    }
    if (store_set(l->s, key->p, key->len, v) != 0)
        return -1;
    l->res->keys_stored++;
    return 0;
}
/* [ch07-load-key] */

int rdb_load_store(rdb_reader *r, store *s, uint64_t db,
                   const rdb_options *opt, rdb_result *res)
{
    load_ctx l = {opt != NULL && opt->quiet, s, db, res};
    rdb_handler h = {.key = load_key, .warning = load_warning, .arg = &l};
    uint64_t stored = 0;
    /* rdb_parse() clears res; keep the count in a local meanwhile. */
    rdb_result tmp;
    l.res = &tmp;
    memset(&tmp, 0, sizeof tmp);
    int rc = rdb_parse(r, &h, opt, res);
    stored = tmp.keys_stored;
    res->keys_stored = stored;
    res->warnings += tmp.warnings;
    return rc;
}

int rdb_load_file(const char *path, store *s, uint64_t db,
                  const rdb_options *opt, rdb_result *res)
{
    rdb_reader r;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        memset(res, 0, sizeof *res);
        snprintf(res->error, sizeof res->error, "%s: %s", path,
                 strerror(errno));
        return -1;
    }
    if (rdb_reader_init(&r, rdb_source_fd, (void *)(intptr_t)fd) != 0) {
        close(fd);
        memset(res, 0, sizeof *res);
        snprintf(res->error, sizeof res->error, "out of memory");
        return -1;
    }
    int rc = rdb_load_store(&r, s, db, opt, res);
    rdb_reader_free(&r);
    close(fd);
    return rc;
}
