/* rdb_json.c - the JSON rendering behind rdb-dump (shape: see rdb_json.h).
 * Chapter 7.
 *
 * This file is the rdb_handler that rdb_parse() calls back: it opens one
 * JSON object per database and writes each key as it arrives, so a large
 * file is rendered in constant memory.  The small sections (aux,
 * resizedb, functions, ...) arrive interleaved with keys but are printed
 * after "dbs", so each is collected in its own memory stream and appended
 * at the end, followed by the file's magic, version and checksum.  The
 * leaves come from rdb_json_text.c and the values from rdb_json_value.c.
 */
#include "rdb_json.h"
#include "rdb_json_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct json_ctx {
    FILE *out;
    bool quiet, db_open;
    uint64_t cur_db;
    size_t keys_in_db;
    /* Small sections, collected and written after "dbs". */
    char *sec[8];
    size_t seclen[8];
    FILE *secf[8];
    size_t seccount[8];
} json_ctx;

enum { S_AUX, S_RESIZE, S_FUNC, S_MODAUX, S_SLOT, S_IMPORT, S_ENT, S_NSEC };
static const char *const sec_name[] = {"aux", "resizedb", "functions",
                                       "module_aux", "slot_info",
                                       "slot_imports", "enterprise_opcodes"};

/* Start one more item of a section; returns its stream. */
static FILE *item(json_ctx *j, int s)
{
    fputs(j->seccount[s]++ ? ",\n  " : "\n  ", j->secf[s]);
    return j->secf[s];
}

static int on_aux(void *arg, const rdb_buf *k, const rdb_buf *v)
{
    FILE *f = item(arg, S_AUX);
    rdb_json_key(f, k->p, k->len);
    fputs(": ", f);
    rdb_json_bytes(f, v->p, v->len);
    return 0;
}

static int on_resize(void *arg, uint64_t db, uint64_t size, uint64_t exp)
{
    fprintf(item(arg, S_RESIZE), "{\"db\": %" PRIu64 ", \"size\": %" PRIu64
            ", \"expires\": %" PRIu64 "}", db, size, exp);
    return 0;
}

static int on_function(void *arg, int opcode, const rdb_buf *code)
{
    FILE *f = item(arg, S_FUNC);
    fprintf(f, "{\"opcode\": %d, \"code\": ", opcode);
    rdb_json_bytes(f, code->p, code->len);
    fputc('}', f);
    return 0;
}

static int on_module_aux(void *arg, value *m, uint64_t when)
{
    FILE *f = item(arg, S_MODAUX);
    fprintf(f, "{\"module\": \"%s\", \"encver\": %u, \"when\": %" PRIu64
            ", \"ops\": ", value_as_module(m)->name, value_as_module(m)->encver, when);
    rdb_json_module_ops(f, value_as_module(m));
    fputc('}', f);
    value_free(m);
    return 0;
}

static int on_slot(void *arg, uint64_t slot, uint64_t size, uint64_t exp)
{
    fprintf(item(arg, S_SLOT), "{\"slot_id\": %" PRIu64 ", \"slot_size\": %"
            PRIu64 ", \"expires_slot_size\": %" PRIu64 "}", slot, size, exp);
    return 0;
}

static int on_import(void *arg, const rdb_buf *name,
                     const rdb_slot_range *r, size_t n)
{
    FILE *f = item(arg, S_IMPORT);
    fputs("{\"name\": ", f);
    rdb_json_bytes(f, name->p, name->len);
    fputs(", \"ranges\": [", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s[%u, %u]", i ? ", " : "", r[i].start, r[i].end);
    fputs("]}", f);
    return 0;
}

static int on_opaque(void *arg, int opcode, uint64_t val)
{
    fprintf(item(arg, S_ENT), "{\"opcode\": %d, \"value\": %" PRIu64 "}",
            opcode, val);
    return 0;
}

static void on_warning(void *arg, const char *msg)
{
    json_ctx *j = arg;
    if (!j->quiet)
        fprintf(stderr, "rdb-dump: warning: %s\n", msg);
}

/* Open the JSON object of database db unless it is the open one. */
static void open_db(json_ctx *j, uint64_t db)
{
    if (j->db_open && db == j->cur_db)
        return;
    if (j->db_open)
        fputs("\n  }", j->out);
    fprintf(j->out, "%s\n  \"%" PRIu64 "\": {", j->db_open ? "," : "", db);
    j->db_open = true;
    j->cur_db = db;
    j->keys_in_db = 0;
}

static int on_selectdb(void *arg, uint64_t db)
{
    open_db(arg, db);
    return 0;
}

/* A hash's per-field expiries, in the order its fields are written. */
static void field_expiries(FILE *out, const phash *h)
{
    const phash_field **f = rdb_json_hash_fields(h);
    if (f == NULL) {
        fputs("rdb-dump: out of memory writing field expiries\n", stderr);
        return;
    }
    size_t n = 0;
    fputs(", \"field_expiry_ms\": {", out);
    for (size_t i = 0; i < phash_len(h); i++) {
        int64_t at = phash_field_expire(f[i]);
        if (at == PHASH_NO_EXPIRE)
            continue;
        size_t len;
        const unsigned char *name = phash_field_name(f[i], &len);
        fputs(n++ ? ", " : "", out);
        rdb_json_key(out, name, len);
        fprintf(out, ": %" PRId64, at);
    }
    fputc('}', out);
    free(f);
}

static int on_key(void *arg, const rdb_buf *key, value *v,
                  const rdb_key_info *in)
{
    json_ctx *j = arg;
    FILE *out = j->out;
    static const char *const enc[] = {"raw", "int8", "int16", "int32", "lzf"};
    open_db(j, in->db);
    fputs(j->keys_in_db++ ? ",\n   " : "\n   ", out);
    rdb_json_key(out, key->p, key->len);
    fprintf(out, ": {\"type\": \"%s\", \"rdb_type\": %d, \"encoding\": "
            "\"%s\"", value_type_name(v->type), in->rdb_type, in->encoding);
    if (v->expire_ms != VALUE_NO_EXPIRY)
        fprintf(out, ", \"expiry_ms\": %" PRId64, v->expire_ms);
    if (in->lru_idle_s >= 0)
        fprintf(out, ", \"lru_idle_s\": %" PRId64, in->lru_idle_s);
    if (in->lfu_freq >= 0)
        fprintf(out, ", \"lfu_freq\": %d", in->lfu_freq);
    if (v->type == VALUE_STRING)
        fprintf(out, ", \"string_enc\": \"%s\"", enc[in->string_enc]);
    if (in->intset_width > 0)
        fprintf(out, ", \"intset_width\": %d", in->intset_width);
    if (in->node_kinds != NULL) {
        fputs(", \"nodes\": [", out);
        for (const char *k = in->node_kinds; *k; k++)
            fprintf(out, "%s\"%s\"", k == in->node_kinds ? "" : ", ",
                    *k == 'L' ? "plain" : "packed");
        fputc(']', out);
    } else if (in->nodes >= 0) {
        fprintf(out, ", \"nodes\": %ld", in->nodes);
    }
    if (in->listpacks >= 0)
        fprintf(out, ", \"listpacks\": %ld", in->listpacks);
    if (in->min_expire_ms >= 0)
        fprintf(out, ", \"min_expire_ms\": %" PRId64, in->min_expire_ms);
    if (v->type == VALUE_HASH && phash_expiring_len(value_as_hash(v)) > 0)
        field_expiries(out, value_as_hash(v));
    fputs(", \"value\": ", out);
    rdb_json_value(out, v, in->rdb_type);
    fputc('}', out);
    value_free(v);
    return 0;
}

int rdb_dump_json(rdb_reader *r, FILE *out, const rdb_options *opt,
                  bool count_trailing, rdb_result *res)
{
    json_ctx j;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.quiet = opt != NULL && opt->quiet;
    for (int s = 0; s < S_NSEC; s++) {
        j.secf[s] = open_memstream(&j.sec[s], &j.seclen[s]);
        if (j.secf[s] == NULL) {
            for (int t = 0; t < s; t++) {
                fclose(j.secf[t]);
                free(j.sec[t]);
            }
            memset(res, 0, sizeof *res);
            snprintf(res->error, sizeof res->error, "out of memory");
            return -1;
        }
    }
    rdb_handler h = {.aux = on_aux, .selectdb = on_selectdb,
                     .resizedb = on_resize, .key = on_key,
                     .module_aux = on_module_aux, .function = on_function,
                     .slot_info = on_slot, .slot_import = on_import,
                     .opaque = on_opaque,
                     .warning = on_warning, .arg = &j};
    fputs("{\n \"dbs\": {", out);
    int rc = rdb_parse(r, &h, opt, res);
    fputs(j.db_open ? "\n  }\n }" : "}", out);
    for (int s = 0; s < S_NSEC; s++) {
        fclose(j.secf[s]);
        if (s == S_AUX)
            fprintf(out, ",\n \"aux\": {%s\n }", j.sec[s]);
        else if (j.seccount[s] > 0)
            fprintf(out, ",\n \"%s\": [%s\n ]", sec_name[s], j.sec[s]);
        free(j.sec[s]);
    }
    fprintf(out, ",\n \"magic\": \"%s\", \"rdb_version\": %d", res->magic,
            res->version);
    if (rc == 0) {
        static const char *const crc[] = {"none (version < 5)",
                                          "zero (disabled)", "ok", NULL};
        if (res->crc == RDB_CRC_MISMATCH)
            fprintf(out, ",\n \"checksum\": \"MISMATCH stored=%016" PRIx64
                    " calc=%016" PRIx64 "\"", res->crc_stored, res->crc_calc);
        else
            fprintf(out, ",\n \"checksum\": \"%s\"", crc[res->crc]);
        uint64_t rest = 0;
        if (count_trailing && rdb_count_rest(r, &rest) == 0 && rest > 0)
            fprintf(out, ",\n \"trailing_bytes\": %" PRIu64, rest);
    } else {
        fputs(",\n \"error\": ", out);
        rdb_json_bytes(out, (const unsigned char *)res->error,
                       strlen(res->error));
    }
    fputs("\n}\n", out);
    return rc;
}
