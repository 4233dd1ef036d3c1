/* rdb_json.c - the JSON rendering behind rdb-dump (shape: see rdb_json.h). */
#include "rdb_json.h"

#include <inttypes.h>
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
static void json_key(FILE *out, const unsigned char *p, size_t n)
{
    bool ok = valid_utf8(p, n);
    quoted(out, ok ? "" : "hex:", p, n, !ok);
}

static void elem(FILE *out, const value_elem *e)
{
    rdb_json_bytes(out, e->bytes, e->len);
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

static void score(FILE *out, double d)
{
    fputc('"', out);
    rdb_json_double(out, d);
    fputc('"', out);
}

static void float_text(FILE *out, float f)
{
    char buf[40];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
        if ((float)strtod(buf, NULL) == f)
            break;
    }
    fprintf(out, "\"%s\"", buf);
}

static void stream_id(FILE *out, value_stream_id id)
{
    fprintf(out, "\"%" PRIu64 "-%" PRIu64 "\"", id.ms, id.seq);
}

static void module_ops(FILE *out, const value_module *m)
{
    fputc('[', out);
    for (size_t i = 0; i < m->nops; i++) {
        const value_module_op *o = &m->ops[i];
        fputs(i ? ", " : "", out);
        switch (o->kind) {
        case VALUE_MOD_SINT:
            fprintf(out, "[\"sint\", %" PRId64 "]", (int64_t)o->u);
            break;
        case VALUE_MOD_UINT:
            fprintf(out, "[\"uint\", %" PRIu64 "]", o->u);
            break;
        case VALUE_MOD_FLOAT:
            fputs("[\"float\", ", out);
            float_text(out, (float)o->d);
            fputc(']', out);
            break;
        case VALUE_MOD_DOUBLE:
            fputs("[\"double\", ", out);
            score(out, o->d);
            fputc(']', out);
            break;
        case VALUE_MOD_STRING:
            fputs("[\"string\", ", out);
            elem(out, &o->str);
            fputc(']', out);
            break;
        }
    }
    fputc(']', out);
}

static void stream_value(FILE *out, const value_stream *s, int rdb_type)
{
    fputs("{\"entries\": [", out);
    for (size_t i = 0; i < s->nentries; i++) {
        const value_stream_entry *e = &s->entries[i];
        fputs(i ? ", [" : "[", out);
        stream_id(out, e->id);
        fputs(", [", out);
        for (size_t f = 0; f < e->nfields; f++) {
            fputs(f ? ", [" : "[", out);
            elem(out, &e->fv[2 * f]);
            fputs(", ", out);
            elem(out, &e->fv[2 * f + 1]);
            fputc(']', out);
        }
        fputs("]]", out);
    }
    fprintf(out, "], \"length\": %" PRIu64 ", \"last_id\": ", s->length);
    stream_id(out, s->last_id);
    if (rdb_type >= 19) {
        fputs(", \"first_id\": ", out);
        stream_id(out, s->first_id);
        fputs(", \"max_deleted_id\": ", out);
        stream_id(out, s->max_deleted_id);
        fprintf(out, ", \"entries_added\": %" PRIu64, s->entries_added);
    }
    fputs(", \"groups\": [", out);
    for (size_t g = 0; g < s->ngroups; g++) {
        const value_stream_group *grp = &s->groups[g];
        fputs(g ? ", {\"name\": " : "{\"name\": ", out);
        elem(out, &grp->name);
        fputs(", \"last_id\": ", out);
        stream_id(out, grp->last_id);
        if (rdb_type >= 19)
            fprintf(out, ", \"entries_read\": %" PRIu64, grp->entries_read);
        fputs(", \"pel\": [", out);
        for (size_t i = 0; i < grp->npel; i++) {
            fputs(i ? ", [" : "[", out);
            stream_id(out, grp->pel[i].id);
            fprintf(out, ", %" PRId64 ", %" PRIu64 "]",
                    grp->pel[i].delivery_time_ms, grp->pel[i].delivery_count);
        }
        fputs("], \"consumers\": [", out);
        for (size_t c = 0; c < grp->nconsumers; c++) {
            const value_stream_consumer *cs = &grp->consumers[c];
            fputs(c ? ", {\"name\": " : "{\"name\": ", out);
            elem(out, &cs->name);
            fprintf(out, ", \"seen_time_ms\": %" PRId64, cs->seen_time_ms);
            if (rdb_type >= 21)
                fprintf(out, ", \"active_time_ms\": %" PRId64,
                        cs->active_time_ms);
            fputs(", \"pel\": [", out);
            for (size_t i = 0; i < cs->npel; i++) {
                fputs(i ? ", " : "", out);
                stream_id(out, cs->pel[i]);
            }
            fputs("]}", out);
        }
        fputs("]}", out);
    }
    fputs("]}", out);
}

static void value_json(FILE *out, const value *v, int rdb_type)
{
    size_t i;
    switch (v->type) {
    case VALUE_STRING:
        rdb_json_bytes(out, v->u.str.bytes, v->u.str.len);
        break;
    case VALUE_LIST:
    case VALUE_SET: {
        const value_elem *a = v->type == VALUE_LIST ? v->u.list.items
                                                    : v->u.set.members;
        fputc('[', out);
        for (i = 0; i < value_count(v); i++) {
            fputs(i ? ", " : "", out);
            elem(out, &a[i]);
        }
        fputc(']', out);
        break;
    }
    case VALUE_ZSET:
        fputc('[', out);
        for (i = 0; i < v->u.zset.count; i++) {
            fputs(i ? ", [" : "[", out);
            elem(out, &v->u.zset.entries[i].member);
            fputs(", ", out);
            score(out, v->u.zset.entries[i].score);
            fputc(']', out);
        }
        fputc(']', out);
        break;
    case VALUE_HASH:
        fputc('{', out);
        for (i = 0; i < v->u.hash.count; i++) {
            fputs(i ? ", " : "", out);
            json_key(out, v->u.hash.fv[2 * i].bytes, v->u.hash.fv[2 * i].len);
            fputs(": ", out);
            elem(out, &v->u.hash.fv[2 * i + 1]);
        }
        fputc('}', out);
        break;
    case VALUE_STREAM:
        stream_value(out, v->u.stream, rdb_type);
        break;
    case VALUE_MODULE:
        fprintf(out, "{\"module\": \"%s\", \"encver\": %u, \"ops\": ",
                v->u.module->name, v->u.module->encver);
        module_ops(out, v->u.module);
        fputc('}', out);
        break;
    }
}

/* --- the handler ------------------------------------------------------- */

typedef struct json_ctx {
    FILE *out;
    bool quiet, db_open;
    uint64_t cur_db;
    size_t keys_in_db;
    /* Small sections, collected and written after "dbs". */
    char *sec[7];
    size_t seclen[7];
    FILE *secf[7];
    size_t seccount[7];
} json_ctx;

enum { S_AUX, S_RESIZE, S_FUNC, S_MODAUX, S_SLOT, S_ENT, S_NSEC };
static const char *const sec_name[] = {"aux", "resizedb", "functions",
                                       "module_aux", "slot_info",
                                       "enterprise_opcodes"};

/* Start one more item of a section; returns its stream. */
static FILE *item(json_ctx *j, int s)
{
    fputs(j->seccount[s]++ ? ",\n  " : "\n  ", j->secf[s]);
    return j->secf[s];
}

static int on_aux(void *arg, const rdb_buf *k, const rdb_buf *v)
{
    FILE *f = item(arg, S_AUX);
    json_key(f, k->p, k->len);
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
            ", \"ops\": ", m->u.module->name, m->u.module->encver, when);
    module_ops(f, m->u.module);
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

static int on_key(void *arg, const rdb_buf *key, value *v,
                  const rdb_key_info *in)
{
    json_ctx *j = arg;
    FILE *out = j->out;
    static const char *const enc[] = {"raw", "int8", "int16", "int32", "lzf"};
    open_db(j, in->db);
    fputs(j->keys_in_db++ ? ",\n   " : "\n   ", out);
    json_key(out, key->p, key->len);
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
    if (v->type == VALUE_HASH && v->u.hash.field_expire_ms != NULL) {
        size_t n = 0;
        fputs(", \"field_expiry_ms\": {", out);
        for (size_t i = 0; i < v->u.hash.count; i++) {
            if (v->u.hash.field_expire_ms[i] == VALUE_NO_EXPIRY)
                continue;
            fputs(n++ ? ", " : "", out);
            json_key(out, v->u.hash.fv[2 * i].bytes, v->u.hash.fv[2 * i].len);
            fprintf(out, ": %" PRId64, v->u.hash.field_expire_ms[i]);
        }
        fputc('}', out);
    }
    fputs(", \"value\": ", out);
    value_json(out, v, in->rdb_type);
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
    rdb_handler h = {.aux = on_aux, .selectdb = on_selectdb, .resizedb = on_resize, .key = on_key,
                     .module_aux = on_module_aux, .function = on_function,
                     .slot_info = on_slot, .opaque = on_opaque,
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
