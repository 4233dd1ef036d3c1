/* keyspace_json.c - a keyspace written as rdb-dump's "dbs" JSON.
 * Chapter 9.
 *
 * rdb-dump shows what a file holds; this shows what a keyspace holds, in
 * the same shape, so a test that finds a difference can print both sides
 * and a person can diff them.  An RDB file's encodings (rdb_type,
 * encoding, nodes...) are facts about the file, not the data, so they are
 * left out; what stays is each key's type, expiry, field expiries and
 * value, written by chapter 7's rdb_json_value().  The store's order is a
 * hash order that differs between variants, so keys are sorted by bytes
 * (ks_sorted_keys()), and rdb_json_value() already writes set members and
 * hash fields in an order fixed by their contents.
 */
#include "keyspace_rdb.h"
#include "keyspace_internal.h"
#include "rdb_json_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

/* The stream format with every piece of metadata (RDB_TYPE_STREAM_LISTPACKS_3). */
#define NEWEST_STREAM_TYPE 21

/* A hash's per-field expiries, in rdb_json_value()'s field order. */
static int field_expiries(FILE *out, const phash *h)
{
    const phash_field **f = rdb_json_hash_fields(h);
    if (f == NULL)
        return -1;
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
    return 0;
}

static int dump_key(FILE *out, const ks_key *k)
{
    const value *v = k->v;
    rdb_json_key(out, k->k, k->klen);
    fprintf(out, ": {\"type\": \"%s\"", value_type_name(v->type));
    if (v->expire_ms != VALUE_NO_EXPIRY)
        fprintf(out, ", \"expiry_ms\": %" PRId64, v->expire_ms);
    if (v->type == VALUE_HASH && phash_expiring_len(value_as_hash(v)) > 0 &&
        field_expiries(out, value_as_hash(v)) != 0)
        return -1;
    fputs(", \"value\": ", out);
    rdb_json_value(out, v, NEWEST_STREAM_TYPE);
    fputc('}', out);
    return 0;
}

int keyspace_dump_json(keyspace_reader *r, FILE *out)
{
    bool opened = ks_section_enter(r);
    int rc = 0;
    bool any = false;
    fputs("{\n \"dbs\": {", out);
    for (unsigned db = 0; db < r->ks->ndb && rc == 0; db++) {
        ks_key *keys;
        size_t n;
        if (ks_sorted_keys(r, db, &keys, &n) != 0) {
            rc = -1;
            break;
        }
        if (n == 0)
            continue;
        fprintf(out, "%s\n  \"%u\": {", any ? "," : "", db);
        any = true;
        for (size_t i = 0; i < n && rc == 0; i++) {
            fputs(i ? ",\n   " : "\n   ", out);
            rc = dump_key(out, &keys[i]);
        }
        fputs("\n  }", out);
        free(keys);
    }
    fputs(any ? "\n }\n}\n" : "}\n}\n", out);
    if (opened)
        keyspace_read_end(r);
    if (rc != 0) {
        errno = ENOMEM;
        return -1;
    }
    if (ferror(out)) {
        errno = EIO;
        return -1;
    }
    return 0;
}
