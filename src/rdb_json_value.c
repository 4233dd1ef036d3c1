/* rdb_json_value.c - one decoded value as JSON, per type (for rdb-dump).
 * Chapter 7.
 *
 * A value's JSON follows its type: a string is a JSON string, a list or
 * set an array, a sorted set an array of [member, "score"] pairs, a hash
 * an object, a stream an object with its entries and consumer groups, and
 * a module value the ops its rdb_save callback wrote.  Scores are quoted
 * strings so that inf and nan survive.  Stream metadata that only newer
 * files carry (first_id, entries_read, active_time_ms) is written only
 * when the value's RDB type has it, matching the corpus's expected files.
 */
#include "rdb_json_internal.h"

#include "alloc.h"

#include <inttypes.h>
#include <stdlib.h>

static void elem(FILE *out, const value_elem *e)
{
    rdb_json_bytes(out, e->bytes, e->len);
}

static void stream_id(FILE *out, pstream_id id)
{
    fprintf(out, "\"%" PRIu64 "-%" PRIu64 "\"", id.ms, id.seq);
}

void rdb_json_module_ops(FILE *out, const value_module *m)
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
            rdb_json_float(out, (float)o->d);
            fputc(']', out);
            break;
        case VALUE_MOD_DOUBLE:
            fputs("[\"double\", ", out);
            rdb_json_score(out, o->d);
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

/* Groups and consumers come out in name order, pstream's order, which is
 * the order Redis saves them in (a radix tree of names, walked in byte
 * order: redis/redis src/rdb.c, rdbSaveObject), so for every file Redis
 * wrote it is also file order. */
static void stream_value(FILE *out, const pstream *s, int rdb_type)
{
    pstream_iter it;
    const pstream_entry *e;
    size_t i = 0;
    fputs("{\"entries\": [", out);
    pstream_range(&it, s, (pstream_id){0, 0},
                  (pstream_id){UINT64_MAX, UINT64_MAX}, false);
    while ((e = pstream_range_next(&it)) != NULL) {
        fputs(i++ ? ", [" : "[", out);
        stream_id(out, pstream_entry_id(e));
        fputs(", [", out);
        for (size_t f = 0; f < pstream_entry_nfields(e); f++) {
            size_t fl, vl;
            const unsigned char *fp = pstream_entry_field(e, f, &fl);
            const unsigned char *vp = pstream_entry_value(e, f, &vl);
            fputs(f ? ", [" : "[", out);
            rdb_json_bytes(out, fp, fl);
            fputs(", ", out);
            rdb_json_bytes(out, vp, vl);
            fputc(']', out);
        }
        fputs("]]", out);
    }
    fprintf(out, "], \"length\": %zu, \"last_id\": ", pstream_len(s));
    stream_id(out, pstream_last_id(s));
    if (rdb_type >= 19) {
        fputs(", \"first_id\": ", out);
        stream_id(out, pstream_first_id(s));
        fputs(", \"max_deleted_id\": ", out);
        stream_id(out, pstream_max_deleted_id(s));
        fprintf(out, ", \"entries_added\": %" PRIu64,
                pstream_entries_added(s));
    }
    fputs(", \"groups\": [", out);
    pstream_iter gt;
    const pstream_group *grp;
    size_t g = 0;
    for (pstream_groups(&gt, s); (grp = pstream_groups_next(&gt)) != NULL;) {
        fputs(g++ ? ", {\"name\": " : "{\"name\": ", out);
        rdb_json_bytes(out, grp->name, grp->name_len);
        fputs(", \"last_id\": ", out);
        stream_id(out, grp->last_id);
        if (rdb_type >= 19)
            fprintf(out, ", \"entries_read\": %" PRIu64, grp->entries_read);
        fputs(", \"pel\": [", out);
        pstream_iter pt;
        const pstream_nack *n;
        i = 0;
        pstream_pel_range(&pt, grp, (pstream_id){0, 0},
                          (pstream_id){UINT64_MAX, UINT64_MAX}, false);
        while ((n = pstream_pel_next(&pt)) != NULL) {
            fputs(i++ ? ", [" : "[", out);
            stream_id(out, n->id);
            fprintf(out, ", %" PRId64 ", %" PRIu64 "]", n->delivery_time_ms,
                    n->delivery_count);
        }
        fputs("], \"consumers\": [", out);
        pstream_iter ct;
        const pstream_consumer *cs;
        size_t c = 0;
        for (pstream_consumers(&ct, grp);
             (cs = pstream_consumers_next(&ct)) != NULL;) {
            fputs(c++ ? ", {\"name\": " : "{\"name\": ", out);
            rdb_json_bytes(out, cs->name, cs->name_len);
            fprintf(out, ", \"seen_time_ms\": %" PRId64, cs->seen_time_ms);
            if (rdb_type >= 21)
                fprintf(out, ", \"active_time_ms\": %" PRId64,
                        cs->active_time_ms);
            fputs(", \"pel\": [", out);
            i = 0;
            pstream_consumer_pel_range(&pt, cs, (pstream_id){0, 0},
                                       (pstream_id){UINT64_MAX, UINT64_MAX},
                                       false);
            while ((n = pstream_pel_next(&pt)) != NULL) {
                fputs(i++ ? ", " : "", out);
                stream_id(out, n->id);
            }
            fputs("]}", out);
        }
        fputs("]}", out);
    }
    fputs("]}", out);
}

/* Out of memory while writing a value: say so, and write null. */
static void oom_null(FILE *out)
{
    fputs("rdb-dump: out of memory writing a value; written as null\n",
          stderr);
    fputs("null", out);
}

/* A string value: its bytes in place, or, for a long string kept in
 * chunks, a contiguous copy (UTF-8 validity is a property of the whole). */
static void string_value(FILE *out, const value *v)
{
    size_t n = value_str_len(v);
    const unsigned char *p = value_str_bytes(v);
    if (p != NULL) {
        rdb_json_bytes(out, p, n);
        return;
    }
    unsigned char *copy = xmalloc(n);
    if (copy == NULL) {
        oom_null(out);
        return;
    }
    value_str_read(v, 0, copy, n);
    rdb_json_bytes(out, copy, n);
    free(copy);
}

void rdb_json_value(FILE *out, const value *v, int rdb_type)
{
    size_t i;
    switch (v->type) {
    case VALUE_STRING:
        string_value(out, v);
        break;
    case VALUE_LIST: {
        plist_iter it;
        fputc('[', out);
        for (plist_iter_seek(&it, value_as_list(v), 0); plist_iter_valid(&it);
             plist_iter_next(&it)) {
            const velem *e = plist_iter_elem(&it);
            fputs(plist_iter_pos(&it) ? ", " : "", out);
            rdb_json_bytes(out, e->bytes, e->len);
        }
        fputc(']', out);
        break;
    }
    case VALUE_SET: {
        const velem **m = rdb_json_set_members(value_as_set(v));
        if (m == NULL) {
            oom_null(out);
            break;
        }
        fputc('[', out);
        for (i = 0; i < value_count(v); i++) {
            fputs(i ? ", " : "", out);
            rdb_json_bytes(out, m[i]->bytes, m[i]->len);
        }
        fputc(']', out);
        free(m);
        break;
    }
    case VALUE_ZSET: {
        pzset_iter it;
        fputc('[', out);
        for (pzset_iter_seek(&it, value_as_zset(v), 0); pzset_iter_valid(&it);
             pzset_iter_next(&it)) {
            const pzset_entry *e = pzset_iter_entry(&it);
            size_t len;
            const void *p = pzset_entry_member(e, &len);
            fputs(pzset_iter_rank(&it) ? ", [" : "[", out);
            rdb_json_bytes(out, p, len);
            fputs(", ", out);
            rdb_json_score(out, pzset_entry_score(e));
            fputc(']', out);
        }
        fputc(']', out);
        break;
    }
    case VALUE_HASH: {
        const phash_field **f = rdb_json_hash_fields(value_as_hash(v));
        if (f == NULL) {
            oom_null(out);
            break;
        }
        fputc('{', out);
        for (i = 0; i < value_count(v); i++) {
            size_t nl, vl;
            const unsigned char *name = phash_field_name(f[i], &nl);
            const unsigned char *val = phash_field_value(f[i], &vl);
            fputs(i ? ", " : "", out);
            rdb_json_key(out, name, nl);
            fputs(": ", out);
            rdb_json_bytes(out, val, vl);
        }
        fputc('}', out);
        free(f);
        break;
    }
    case VALUE_STREAM:
        stream_value(out, value_as_stream(v), rdb_type);
        break;
    case VALUE_MODULE:
        fprintf(out, "{\"module\": \"%s\", \"encver\": %u, \"ops\": ",
                value_as_module(v)->name, value_as_module(v)->encver);
        rdb_json_module_ops(out, value_as_module(v));
        fputc('}', out);
        break;
    }
}
