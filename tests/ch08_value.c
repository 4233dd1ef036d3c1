/* ch08_value.c - chapter 8: the value header, its sharing and its edits.
 *
 * What the value API promises at the value level, whatever the payload:
 * an edit returns a new version and the old one reads exactly as before;
 * a new expiry is a new 24-byte header over the same payload (pointer
 * equality); COPY shares one value; an embedded copy lives in a caller's
 * buffer; string edits move an inline string into a pstring when it
 * outgrows PSTRING_THRESHOLD; and an allocation failure at any point of
 * any edit leaves the old version intact and leaks nothing (valgrind and
 * ASan check the leaks, pstring_bytes_live() the string chunks).
 */
#include "value.h"
#include "alloc.h"
#include "corpus.h"
#include "rdb.h"
#include "rdb_json_internal.h"
#include "store.h"
#include "store_naive.h"
#include "test_util.h"

#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The bytes of a string value, whatever its encoding, in a fresh buffer. */
static unsigned char *flat_copy(const value *v)
{
    size_t n = value_str_len(v);
    unsigned char *b = malloc(n + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(value_str_read(v, 0, b, n), n);
    b[n] = '\0';
    return b;
}

static void assert_str(const value *v, const void *want, size_t n)
{
    ck_assert_int_eq(v->type, VALUE_STRING);
    ck_assert_uint_eq(value_str_len(v), n);
    unsigned char *b = flat_copy(v);
    ck_assert_mem_eq(b, want, n);
    free(b);
}

START_TEST(header_layout_and_inline_strings)
{
    ck_assert_uint_eq(sizeof(value), 24);
    value *v = value_new_string("value:123456", 12, 1234);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(v->enc, VALUE_ENC_INLINE);
    ck_assert_uint_eq(v->refs, 1);
    ck_assert_int_eq(v->expire_ms, 1234);
    ck_assert_uint_eq(value_bytes(v), 37); /* 24 + 12 + NUL */
    ck_assert_uint_eq(value_embed_size(v), 37);
    ck_assert_str_eq((const char *)value_str_bytes(v), "value:123456");
    char part[8];
    ck_assert_uint_eq(value_str_read(v, 6, part, sizeof part), 6);
    ck_assert_mem_eq(part, "123456", 6);
    ck_assert_uint_eq(value_str_read(v, 12, part, 1), 0);
    ck_assert_uint_eq(value_count(v), 1);
    value_free(v);

    /* The threshold itself is inline, one byte more is a pstring. */
    size_t n = PSTRING_THRESHOLD + 1;
    char *big = malloc(n);
    ck_assert_ptr_nonnull(big);
    memset(big, 'x', n);
    value *a = value_new_string(big, n - 1, VALUE_NO_EXPIRY);
    value *b = value_new_string(big, n, VALUE_NO_EXPIRY);
    ck_assert_int_eq(a->enc, VALUE_ENC_INLINE);
    ck_assert_int_eq(b->enc, VALUE_ENC_PAYLOAD);
    ck_assert_uint_eq(value_embed_size(b), 0);
    ck_assert_ptr_null(value_str_bytes(b)); /* chunked: no contiguous bytes */
    assert_str(b, big, n);
    value_free(a);
    value_free(b);
    free(big);
}
END_TEST

START_TEST(string_edits_return_new_versions)
{
    value *v = value_new_string("hello", 5, 77);
    value *w, *x, *y;
    ck_assert_int_eq(value_str_append(v, " world", 6, &w), 0);
    assert_str(w, "hello world", 11);
    ck_assert_int_eq(w->expire_ms, 77);
    assert_str(v, "hello", 5); /* old version intact */

    ck_assert_int_eq(value_str_setrange(w, 8, "XYZW", 4, &x), 0);
    assert_str(x, "hello woXYZW", 12);
    ck_assert_int_eq(value_str_setrange(v, 7, "!", 1, &y), 0);
    assert_str(y, "hello\0\0!", 8); /* zero padding */
    assert_str(w, "hello world", 11);
    value_free(y);

    int old = -1;
    ck_assert_int_eq(value_str_setbit(v, 7, 0, &y, &old), 0); /* 'h' = 0x68 */
    ck_assert_int_eq(old, 0);
    value_free(y);
    ck_assert_int_eq(value_str_setbit(v, 1, 0, &y, &old), 0);
    ck_assert_int_eq(old, 1);
    assert_str(y, "(ello", 5); /* 0x68 with bit 1 cleared = 0x28 */
    value_free(y);
    ck_assert_int_eq(value_str_setbit(v, 8 * 9 + 7, 1, &y, &old), 0);
    ck_assert_int_eq(old, 0);
    assert_str(y, "hello\0\0\0\0\x01", 10);
    value_free(y);
    assert_str(v, "hello", 5);

    /* Strings only. */
    value *l = value_new_collection(VALUE_LIST, VALUE_NO_EXPIRY);
    ck_assert_int_eq(value_seal(l), 0);
    errno = 0;
    ck_assert_int_eq(value_str_append(l, "x", 1, &y), -1);
    ck_assert_int_eq(errno, EINVAL);
    value_free(l);
    value_free(x);
    value_free(w);
    value_free(v);
}
END_TEST

START_TEST(string_edits_cross_into_pstring)
{
    size_t live0 = pstring_bytes_live();
    size_t n = PSTRING_THRESHOLD - 10;
    char *b = malloc(n + 40);
    ck_assert_ptr_nonnull(b);
    for (size_t i = 0; i < n + 40; i++)
        b[i] = (char)('a' + i % 26);
    value *v = value_new_string(b, n, VALUE_NO_EXPIRY);
    value *w, *x, *y;
    ck_assert_int_eq(value_str_append(v, b + n, 10, &w), 0); /* exactly 4096 */
    ck_assert_int_eq(w->enc, VALUE_ENC_INLINE);
    ck_assert_int_eq(value_str_append(w, b + n + 10, 30, &x), 0);
    ck_assert_int_eq(x->enc, VALUE_ENC_PAYLOAD); /* outgrew the threshold */
    assert_str(x, b, n + 40);
    assert_str(w, b, n + 10);
    assert_str(v, b, n);
    /* SETRANGE and SETBIT past the threshold too. */
    ck_assert_int_eq(value_str_setrange(v, PSTRING_THRESHOLD, "Q", 1, &y), 0);
    ck_assert_int_eq(y->enc, VALUE_ENC_PAYLOAD);
    ck_assert_uint_eq(value_str_len(y), PSTRING_THRESHOLD + 1);
    value_free(y);
    ck_assert_int_eq(value_str_setbit(v, 8 * (uint64_t)PSTRING_THRESHOLD, 1,
                                      &y, NULL), 0);
    ck_assert_int_eq(y->enc, VALUE_ENC_PAYLOAD);
    ck_assert_uint_eq(value_str_len(y), PSTRING_THRESHOLD + 1);
    value_free(y);
    /* An edit of a pstring version leaves it as it was. */
    ck_assert_int_eq(value_str_setrange(x, 0, "ZZ", 2, &y), 0);
    unsigned char head[3] = {0};
    value_str_read(y, 0, head, 3);
    ck_assert_mem_eq(head, "ZZc", 3);
    assert_str(x, b, n + 40);
    value_free(y);
    value_free(x);
    value_free(w);
    value_free(v);
    free(b);
    ck_assert_uint_eq(pstring_bytes_live(), live0);
}
END_TEST

/* A small collection of each type, sealed. */
static value *make(value_type t, int n)
{
    value *v = value_new_collection(t, VALUE_NO_EXPIRY);
    ck_assert_ptr_nonnull(v);
    ck_assert(value_is_transient(v));
    for (int i = 0; i < n; i++) {
        char k[16];
        int len = snprintf(k, sizeof k, "e%d", i);
        switch (t) {
        case VALUE_LIST:
            ck_assert_int_eq(value_list_push(v, k, (size_t)len), 0);
            break;
        case VALUE_SET:
            ck_assert_int_eq(value_set_add(v, k, (size_t)len), 1);
            break;
        case VALUE_HASH:
            ck_assert_int_eq(value_hash_add(v, k, (size_t)len, "v", 1,
                                            VALUE_NO_EXPIRY), 1);
            break;
        case VALUE_ZSET:
            ck_assert_int_eq(value_zset_add(v, k, (size_t)len, -i), 1);
            break;
        default:
            ck_abort();
        }
    }
    ck_assert_int_eq(value_seal(v), 0);
    ck_assert(!value_is_transient(v));
    return v;
}

/* The type module's object under a header. */
static const void *payload(const value *v)
{
    switch (v->type) {
    case VALUE_STRING: return v->u.str;
    case VALUE_LIST: return value_as_list(v);
    case VALUE_HASH: return value_as_hash(v);
    case VALUE_SET: return value_as_set(v);
    case VALUE_ZSET: return value_as_zset(v);
    }
    return NULL;
}

START_TEST(expiry_lives_outside_the_payload)
{
    value *s = value_new_string("x", 1, 5);
    value *big = value_new_string(NULL, 0, 5);
    value_free(big);
    char *p = calloc(1, 10000);
    big = value_new_string(p, 10000, 5);
    free(p);
    value *l = make(VALUE_LIST, 10);
    value *h = make(VALUE_HASH, 10);
    value *all[] = {s, big, l, h};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        value *v = all[i], *e, *persist;
        int64_t was = v->expire_ms;
        ck_assert_int_eq(value_with_expire(v, 99, &e), 0);
        ck_assert_ptr_ne(e, v);
        ck_assert_int_eq(e->expire_ms, 99);
        ck_assert_int_eq(v->expire_ms, was); /* old header untouched */
        ck_assert_uint_eq(value_count(e), value_count(v));
        if (v->enc == VALUE_ENC_PAYLOAD) /* the payload shared */
            ck_assert_ptr_eq(payload(e), payload(v));
        /* PERSIST: another header over the same payload. */
        ck_assert_int_eq(value_with_expire(e, VALUE_NO_EXPIRY, &persist), 0);
        ck_assert_int_eq(persist->expire_ms, VALUE_NO_EXPIRY);
        ck_assert(!value_is_expired(persist, INT64_MAX));
        ck_assert(value_is_expired(e, 99));
        if (v->enc == VALUE_ENC_PAYLOAD)
            ck_assert_ptr_eq(payload(persist), payload(v));
        /* Freed in any order: the payload goes with the last header. */
        value_free(v);
        if (persist->type == VALUE_STRING)
            ck_assert_uint_eq(value_str_len(persist), value_str_len(e));
        value_free(e);
        ck_assert_uint_eq(value_count(persist), i < 2 ? 1 : 10);
        value_free(persist);
    }
}
END_TEST

START_TEST(retain_shares_and_embed_copies)
{
    value *v = value_new_string("abc", 3, 42);
    ck_assert_ptr_eq(value_retain(v), v); /* COPY: one value, two keys */
    ck_assert_uint_eq(v->refs, 2);
    value_free(v);
    ck_assert_uint_eq(v->refs, 1);
    ck_assert_str_eq((const char *)value_str_bytes(v), "abc");

    alignas(value) unsigned char slot[64];
    ck_assert_uint_le(value_embed_size(v), sizeof slot);
    value *e = value_embed(v, slot);
    ck_assert_ptr_eq(e, (value *)slot);
    ck_assert(e->flags & VALUE_F_EMBEDDED);
    ck_assert_uint_eq(e->refs, 0);
    ck_assert_int_eq(e->expire_ms, 42);
    ck_assert_str_eq((const char *)value_str_bytes(e), "abc");
    ck_assert_uint_eq(value_bytes(e), 0);
    value_free(e); /* does nothing */
    value *r = value_retain(e); /* a standalone copy */
    ck_assert_ptr_ne(r, e);
    ck_assert(!(r->flags & VALUE_F_EMBEDDED));
    ck_assert_uint_eq(r->refs, 1);
    assert_str(r, "abc", 3);
    value_free(r);
    value_free(v);

    /* Only inline strings embed; transients cannot be shared. */
    value *l = make(VALUE_LIST, 3);
    ck_assert_uint_eq(value_embed_size(l), 0);
    ck_assert_ptr_eq(value_retain(l), l);
    value_free(l);
    value_free(l);
    value *t = value_new_collection(VALUE_SET, VALUE_NO_EXPIRY);
    errno = 0;
    ck_assert_ptr_null(value_retain(t));
    ck_assert_int_eq(errno, EINVAL);
    value *out;
    ck_assert_int_eq(value_with_expire(t, 1, &out), -1);
    value_free(t);
}
END_TEST

/* Contents of a collection, in iteration order, as one comparable
 * string. */
static void describe(const value *v, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "%s/%zu:", value_type_name(v->type),
                                value_count(v));
    for (size_t i = 0; i < value_count(v) && k < n; i++) {
        switch (v->type) {
        case VALUE_LIST:
            k += (size_t)snprintf(buf + k, n - k, " %s",
                                  plist_get(value_as_list(v), i)->bytes);
            break;
        case VALUE_SET:
            k += (size_t)snprintf(buf + k, n - k, " %s",
                                  pset_nth(value_as_set(v), i)->bytes);
            break;
        case VALUE_HASH: {
            const phash_field *f = phash_nth(value_as_hash(v), i);
            size_t l;
            k += (size_t)snprintf(buf + k, n - k, " %s=%s@%lld",
                                  phash_field_name(f, &l),
                                  phash_field_value(f, &l),
                                  (long long)phash_field_expire(f));
            break;
        }
        case VALUE_ZSET: {
            const pzset_entry *e = pzset_at(value_as_zset(v), i);
            size_t l;
            k += (size_t)snprintf(buf + k, n - k, " %s:%g",
                                  (const char *)pzset_entry_member(e, &l),
                                  pzset_entry_score(e));
            break;
        }
        }
    }
}

/* One edit of a transient of type t: add the element "new". */
static int edit_one(value *t)
{
    switch (t->type) {
    case VALUE_LIST: return value_list_push(t, "new", 3);
    case VALUE_SET: return value_set_add(t, "new", 3);
    case VALUE_HASH:
        return value_hash_add(t, "new", 3, "nv", 2, VALUE_NO_EXPIRY);
    case VALUE_ZSET: return value_zset_add(t, "new", 3, 0.5);
    }
    return -1;
}

static const value_type collections[] = {VALUE_LIST, VALUE_SET, VALUE_HASH,
                                         VALUE_ZSET};

START_TEST(edit_returns_new_version_old_intact)
{
    for (size_t c = 0; c < 4; c++) {
        value *v = make(collections[c], 20);
        char before[2048], after[2048];
        describe(v, before, sizeof before);
        value *t = value_edit(v);
        ck_assert_ptr_nonnull(t);
        ck_assert(value_is_transient(t));
        ck_assert_int_eq(t->type, v->type);
        ck_assert_int_ge(edit_one(t), 0);
        ck_assert_int_eq(value_seal(t), 0);
        ck_assert_uint_eq(value_count(t), 21);
        describe(v, after, sizeof after);
        ck_assert_str_eq(before, after); /* the old version reads the same */
        ck_assert_uint_eq(value_count(v), 20);
        /* Editing a version directly is refused. */
        errno = 0;
        ck_assert_int_eq(edit_one(v), -1);
        ck_assert_int_eq(errno, EINVAL);
        /* A second edit of the new version leaves the first intact. */
        value *t2 = value_edit(t);
        ck_assert_ptr_nonnull(t2);
        ck_assert_int_eq(value_seal(t2), 0);
        ck_assert_uint_eq(value_count(t2), 21);
        value_free(t2);
        value_free(t);
        value_free(v);
    }
    value *s = value_new_string("x", 1, VALUE_NO_EXPIRY);
    errno = 0;
    ck_assert_ptr_null(value_edit(s)); /* strings: value_str_* */
    ck_assert_int_eq(errno, EINVAL);
    value_free(s);
    value *z = make(VALUE_ZSET, 5);
    errno = 0;
    ck_assert_int_eq(value_seal(z), -1); /* already a version */
    ck_assert_int_eq(errno, EINVAL);
    value_free(z);
}
END_TEST

START_TEST(builder_path)
{
    ck_assert_ptr_null(value_new_collection(VALUE_STRING, VALUE_NO_EXPIRY));
    value *h = value_new_collection(VALUE_HASH, 1000);
    ck_assert_int_eq(h->expire_ms, 1000);
    ck_assert_int_eq(value_hash_add(h, "f", 1, "v", 1, 5), 1);
    ck_assert_int_eq(value_hash_add(h, "f", 1, "w", 1, 5), 0); /* exists */
    ck_assert_int_eq(value_set_add(h, "m", 1), -1); /* wrong type */
    ck_assert_int_eq(value_seal(h), 0);
    ck_assert_uint_eq(value_count(h), 1);
    const phash_field *f = phash_get(value_as_hash(h), "f", 1);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(phash_field_expire(f), 5);
    size_t vl;
    ck_assert_str_eq((const char *)phash_field_value(f, &vl), "v");
    value_free(h);

    value *z = value_new_collection(VALUE_ZSET, VALUE_NO_EXPIRY);
    ck_assert_int_eq(value_zset_add(z, "b", 1, 2), 1);
    ck_assert_int_eq(value_zset_add(z, "a", 1, 2), 1);
    ck_assert_int_eq(value_zset_add(z, "c", 1, 1), 1);
    ck_assert_int_eq(value_zset_add(z, "c", 1, 7), 0); /* first score stays */
    ck_assert_int_eq(value_seal(z), 0); /* sorted by (score, member) */
    const pzset *zs = value_as_zset(z);
    size_t ml;
    ck_assert_mem_eq(pzset_entry_member(pzset_at(zs, 0), &ml), "c", 1);
    ck_assert_mem_eq(pzset_entry_member(pzset_at(zs, 1), &ml), "a", 1);
    ck_assert_mem_eq(pzset_entry_member(pzset_at(zs, 2), &ml), "b", 1);
    double sc;
    ck_assert(pzset_score(zs, "a", 1, &sc));
    ck_assert(sc == 2);
    value_free(z);

    value *st = value_new_collection(VALUE_STREAM, VALUE_NO_EXPIRY);
    ck_assert_ptr_nonnull(value_edit_stream(st));
    ck_assert_int_eq(value_seal(st), 0);
    ck_assert_ptr_null(value_edit_stream(st)); /* sealed */
    ck_assert_uint_eq(value_count(st), 0);
    value_free(st);

    value *m = value_new_collection(VALUE_MODULE, VALUE_NO_EXPIRY);
    value_elem e;
    ck_assert_int_eq(value_intern(m, "abc", 3, &e), 0);
    ck_assert_str_eq((const char *)e.bytes, "abc");
    ck_assert_ptr_nonnull(value_edit_module(m));
    ck_assert_int_eq(value_seal(m), 0);
    ck_assert_int_eq(value_intern(m, "abc", 3, &e), -1);
    value_free(m);
}
END_TEST

/* A stream's JSON (rdb-dump's, type 21: every field), in a fresh buffer. */
static char *stream_json(const value *v)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    rdb_json_value(f, v, 21);
    ck_assert_int_eq(fclose(f), 0);
    return buf;
}

/* A stream loaded from an RDB file is a version like the others:
 * value_edit() gives a transient, pstream_add() on its object adds in
 * place, value_seal() makes a new version; the loaded one reads as it
 * did, and the two share the consumer groups nobody edited. */
START_TEST(stream_edit_of_a_loaded_stream)
{
    char path[1024];
    store *s = store_create(&store_naive_ops);
    rdb_result res;
    rdb_options opt = {.quiet = true};
    ck_assert_msg(rdb_load_file(corpus_path(path, sizeof path,
                                            "librdb/stream_v11.rdb"),
                                s, 0, &opt, &res) == 0, "%s", res.error);
    store_reader *rd = store_reader_open(s);
    store_read_begin(rd);
    const value *v = store_get(rd, "mystream", 8);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(v->type, VALUE_STREAM);
    ck_assert_uint_eq(value_count(v), 6);
    char *before = stream_json(v);

    value *t = value_edit(v);
    ck_assert_ptr_nonnull(t);
    ck_assert(value_is_transient(t));
    pstream *ps = value_edit_stream(t), *out;
    ck_assert_ptr_nonnull(ps);
    pstream_id last = pstream_last_id(value_as_stream(v));
    pstream_id id = {last.ms + 1, 0};
    const pstream_str fv[2] = {{"f", 1}, {"added", 5}};
    ck_assert_int_eq(pstream_add(ps, id, fv, 1, &out), 0);
    ck_assert_ptr_eq(out, ps); /* a transient changes in place */
    ck_assert_int_eq(value_seal(t), 0);
    ck_assert(!value_is_transient(t));
    char err[256];
    ck_assert_msg(pstream_check(value_as_stream(t), err, sizeof err) == 0,
                  "%s", err);

    /* The new version: one more entry, the new last ID. */
    ck_assert_uint_eq(value_count(t), 7);
    ck_assert_int_eq(pstream_id_cmp(pstream_last_id(value_as_stream(t)), id),
                     0);
    const pstream_entry *e = pstream_get(value_as_stream(t), id);
    ck_assert_ptr_nonnull(e);
    size_t len;
    const unsigned char *val = pstream_entry_value(e, 0, &len);
    ck_assert_bytes_str(val, len, "added");
    ck_assert_uint_eq(pstream_entries_added(value_as_stream(t)), 7);
    /* The old one: exactly as loaded. */
    ck_assert_uint_eq(value_count(v), 6);
    ck_assert_ptr_null(pstream_get(value_as_stream(v), id));
    char *after = stream_json(v);
    ck_assert_str_eq(before, after);
    /* Untouched groups are shared, not copied. */
    ck_assert_ptr_eq(pstream_group_get(value_as_stream(v), "groupA", 6),
                     pstream_group_get(value_as_stream(t), "groupA", 6));
    free(before);
    free(after);
    value_free(t);
    store_read_end(rd);
    store_reader_close(rd);
    store_destroy(s);
}
END_TEST

/* The module edits on a transient's object: in place (out is the object
 * itself), across the flat/tree threshold both ways, the version the
 * transient came from untouched. */
START_TEST(module_edits_on_transients)
{
    static char before[16384], after[16384];
    for (size_t c = 0; c < 4; c++) {
        value_type type = collections[c];
        value *v = make(type, 300); /* tree form at the default limits */
        if (type == VALUE_SET)
            ck_assert_str_eq(pset_encoding(value_as_set(v)), "hashtable");
        if (type == VALUE_HASH)
            ck_assert_str_eq(phash_encoding(value_as_hash(v)), "hashtable");
        if (type == VALUE_ZSET)
            ck_assert_str_eq(pzset_encoding(value_as_zset(v)), "skiplist");
        describe(v, before, sizeof before);
        value *t = value_edit(v);
        ck_assert_ptr_nonnull(t);
        for (int i = 0; i < 280; i++) { /* down to 20: the flat form again */
            char k[16];
            int len = snprintf(k, sizeof k, "e%d", i);
            int rc = -1;
            switch (type) {
            case VALUE_LIST: {
                plist *l = value_edit_list(t), *out;
                velem *popped;
                rc = plist_pop_front(l, &popped, &out);
                ck_assert_ptr_eq(out, l);
                ck_assert_mem_eq(popped->bytes, k, (size_t)len);
                velem_release(popped);
                break;
            }
            case VALUE_SET: {
                pset *st = value_edit_set(t), *out;
                rc = pset_remove(st, k, (size_t)len, &out) == 1 ? 0 : -1;
                ck_assert_ptr_eq(out, st);
                break;
            }
            case VALUE_HASH: {
                phash *h = value_edit_hash(t), *out;
                rc = phash_del(h, k, (size_t)len, &out) == 1 ? 0 : -1;
                ck_assert_ptr_eq(out, h);
                break;
            }
            case VALUE_ZSET: {
                pzset *z = value_edit_zset(t), *out;
                rc = pzset_remove(z, k, (size_t)len, &out) == 1 ? 0 : -1;
                ck_assert_ptr_eq(out, z);
                break;
            }
            default:
                break;
            }
            ck_assert_int_eq(rc, 0);
        }
        ck_assert_int_eq(value_seal(t), 0);
        ck_assert_uint_eq(value_count(t), 20);
        ck_assert_uint_eq(value_count(v), 300);
        describe(v, after, sizeof after);
        ck_assert_str_eq(before, after);
        ck_assert_uint_gt(value_bytes(v), value_bytes(t));
        /* Editing a version's object is refused at the value level. */
        errno = 0;
        switch (type) {
        case VALUE_LIST: ck_assert_ptr_null(value_edit_list(v)); break;
        case VALUE_SET: ck_assert_ptr_null(value_edit_set(v)); break;
        case VALUE_HASH: ck_assert_ptr_null(value_edit_hash(v)); break;
        case VALUE_ZSET: ck_assert_ptr_null(value_edit_zset(v)); break;
        default: break;
        }
        ck_assert_int_eq(errno, EINVAL);
        value_free(t);
        value_free(v);
    }
}
END_TEST

/* Run op with allocation n failing, for n = 1, 2, ... until op succeeds
 * without reaching its armed failure; each failure must return -1 with
 * ENOMEM and leave old reading as before (check()). */
#define EVERY_FAILURE(old, check, op_ok)                                    \
    do {                                                                    \
        for (unsigned long n_ = 1;; n_++) {                                 \
            alloc_fail_nth(n_);                                             \
            errno = 0;                                                      \
            bool ok_ = (op_ok);                                             \
            unsigned long fired_ = alloc_fail_fired();                      \
            alloc_fail_off();                                               \
            check(old);                                                     \
            if (fired_ == 0) {                                              \
                ck_assert_msg(ok_, "failed without an injected failure");   \
                break;                                                      \
            }                                                               \
            ck_assert_msg(!ok_, "allocation %lu failed unnoticed", n_);     \
            ck_assert_int_eq(errno, ENOMEM);                                \
        }                                                                   \
    } while (0)

static value *g_out;
static char g_before[2048];

static void check_hello(const value *v)
{
    assert_str(v, "hello", 5);
}

static void check_big(const value *v)
{
    ck_assert_uint_eq(value_str_len(v), PSTRING_THRESHOLD + 100);
    unsigned char c;
    value_str_read(v, 4000, &c, 1);
    ck_assert_int_eq(c, 'b');
}

static void check_same(const value *v)
{
    char now[2048];
    describe(v, now, sizeof now);
    ck_assert_str_eq(now, g_before);
}

/* A whole value-level edit of a collection: edit, one change, seal. */
static bool edit_batch(const value *v)
{
    value *t = value_edit(v);
    if (t == NULL)
        return false;
    if (edit_one(t) < 0 || value_seal(t) != 0) {
        value_free(t);
        return false;
    }
    g_out = t;
    return true;
}

static bool build(value_type type)
{
    value *t = value_new_collection(type, VALUE_NO_EXPIRY);
    if (t == NULL)
        return false;
    for (int i = 0; i < 40; i++) {
        char k[8];
        int len = snprintf(k, sizeof k, "m%d", i);
        int rc = type == VALUE_LIST ? value_list_push(t, k, (size_t)len)
                 : type == VALUE_SET ? value_set_add(t, k, (size_t)len)
                 : type == VALUE_HASH
                     ? value_hash_add(t, k, (size_t)len, k, (size_t)len, i)
                     : value_zset_add(t, k, (size_t)len, i);
        if (rc < 0) {
            value_free(t);
            return false;
        }
    }
    value_seal(t);
    g_out = t;
    return true;
}

static void check_nothing(const value *v)
{
    (void)v;
}

START_TEST(allocation_failure_in_every_edit)
{
    size_t live0 = pstring_bytes_live();
    value *v = value_new_string("hello", 5, 3);
    char *p = malloc(PSTRING_THRESHOLD + 100);
    memset(p, 'b', PSTRING_THRESHOLD + 100);
    value *big = value_new_string(p, PSTRING_THRESHOLD + 100, 3);
    free(p);

    EVERY_FAILURE(v, check_hello, value_str_append(v, "!", 1, &g_out) == 0);
    value_free(g_out);
    EVERY_FAILURE(v, check_hello,
                  value_str_setrange(v, PSTRING_THRESHOLD, "!", 1, &g_out) == 0);
    value_free(g_out);
    EVERY_FAILURE(v, check_hello,
                  value_str_setbit(v, 8 * 5000, 1, &g_out, NULL) == 0);
    value_free(g_out);
    EVERY_FAILURE(big, check_big, value_str_append(big, "z", 1, &g_out) == 0);
    value_free(g_out);
    EVERY_FAILURE(big, check_big,
                  value_str_setrange(big, 10, "zz", 2, &g_out) == 0);
    value_free(g_out);
    EVERY_FAILURE(big, check_big,
                  value_str_setbit(big, 3, 1, &g_out, NULL) == 0);
    value_free(g_out);
    EVERY_FAILURE(big, check_big, value_with_expire(big, 9, &g_out) == 0);
    value_free(g_out);
    EVERY_FAILURE(v, check_hello, value_with_expire(v, 9, &g_out) == 0);
    value_free(g_out);
    alignas(value) unsigned char slot[64];
    value *e = value_embed(v, slot);
    EVERY_FAILURE(e, check_hello, (g_out = value_retain(e)) != NULL);
    value_free(g_out);
    value_free(big);
    value_free(v);
    ck_assert_uint_eq(pstring_bytes_live(), live0);

    for (size_t c = 0; c < 4; c++) {
        value *col = make(collections[c], 30);
        describe(col, g_before, sizeof g_before);
        EVERY_FAILURE(col, check_same, edit_batch(col));
        ck_assert_uint_eq(value_count(g_out), 31);
        value_free(g_out);
        value_free(col);
        EVERY_FAILURE(NULL, check_nothing, build(collections[c]));
        ck_assert_uint_eq(value_count(g_out), 40);
        value_free(g_out);
    }
}
END_TEST

/* A sealed list of n items "item:<i>". */
static value *list_of(long n)
{
    value *v = value_new_collection(VALUE_LIST, VALUE_NO_EXPIRY);
    ck_assert_ptr_nonnull(v);
    char item[32];
    for (long i = 0; i < n; i++) {
        int len = snprintf(item, sizeof item, "item:%ld", i);
        ck_assert_int_eq(value_list_push(v, item, (size_t)len), 0);
    }
    ck_assert_int_eq(value_seal(v), 0);
    return v;
}

static size_t store_bytes(store *s)
{
    store_stats st;
    store_stats_get(s, &st);
    return st.bytes;
}

/* Every store counts a value at its charge, so storing a new version of
 * a big collection costs the same accounting as a small one: the store's
 * bytes move by exactly the charges on replace and delete. */
START_TEST(stores_count_collections_at_their_charge)
{
    long n = test_scale(100000, 20000);
    value *small = list_of(10), *big = list_of(n);
    /* O(1): the charge does not grow with the list, though its bytes do. */
    ck_assert_uint_eq(value_charge(big), value_charge(small));
    ck_assert_uint_gt(value_bytes(big), (size_t)n * 6);
    ck_assert_uint_ge(value_charge(big), sizeof(value));
    ck_assert_uint_lt(value_charge(big), 256);
    ck_assert_uint_eq(value_charge(big), value_charge(big)); /* sealed */
    /* Strings: an inline one is charged its exact bytes, a chunked one
     * its length in whole chunks, the same for every version of that
     * length. */
    value *inl = value_new_string("abc", 3, VALUE_NO_EXPIRY);
    ck_assert_uint_eq(value_charge(inl), value_bytes(inl));
    size_t len = 64 * PSTRING_CHUNK + 1;
    char *b = calloc(1, len);
    ck_assert_ptr_nonnull(b);
    value *chunked = value_new_string(b, len, VALUE_NO_EXPIRY), *edited;
    free(b);
    ck_assert(pstring_is_chunked(chunked->u.str));
    ck_assert_uint_ge(value_charge(chunked), sizeof(value) + 65 * PSTRING_CHUNK);
    ck_assert_uint_le(value_charge(chunked),
                      sizeof(value) + 65 * (PSTRING_CHUNK + 64) + 256);
    ck_assert_int_eq(value_str_setrange(chunked, 5, "x", 1, &edited), 0);
    ck_assert_uint_eq(value_charge(edited), value_charge(chunked));
    value_free(edited);
    value_free(chunked);
    value_free(inl);
    for (size_t i = 0; store_variants[i] != NULL; i++) {
        store *s = store_create(store_variants[i]);
        ck_assert_ptr_nonnull(s);
        /* One set and delete first, so later figures are steady. */
        ck_assert_int_eq(store_set(s, "k", 1, value_retain(small)), 0);
        ck_assert_int_eq(store_del(s, "k", 1), 1);
        size_t empty = store_bytes(s);
        ck_assert_int_eq(store_set(s, "k", 1, value_retain(small)), 0);
        size_t with_small = store_bytes(s);
        ck_assert_int_eq(store_set(s, "k", 1, value_retain(big)), 0);
        size_t with_big = store_bytes(s);
        ck_assert_msg(with_big - with_small == value_charge(big) - value_charge(small),
                      "%s: replacing a 10-item list by a %ld-item one "
                      "moved bytes from %zu to %zu", store_variants[i]->name,
                      n, with_small, with_big);
        ck_assert_int_eq(store_del(s, "k", 1), 1);
        ck_assert_msg(store_bytes(s) == empty,
                      "%s: bytes %zu after deleting the key, %zu before "
                      "setting it", store_variants[i]->name, store_bytes(s),
                      empty);
        store_destroy(s);
    }
    value_free(big);
    value_free(small);
}
END_TEST

Suite *ch08_value_suite(void)
{
    Suite *s = suite_create("ch08_value");
    TCase *tc = test_tcase("value", 60);
    tcase_add_test(tc, header_layout_and_inline_strings);
    tcase_add_test(tc, string_edits_return_new_versions);
    tcase_add_test(tc, string_edits_cross_into_pstring);
    tcase_add_test(tc, expiry_lives_outside_the_payload);
    tcase_add_test(tc, retain_shares_and_embed_copies);
    tcase_add_test(tc, edit_returns_new_version_old_intact);
    tcase_add_test(tc, builder_path);
    tcase_add_test(tc, module_edits_on_transients);
    tcase_add_test(tc, stream_edit_of_a_loaded_stream);
    tcase_add_test(tc, allocation_failure_in_every_edit);
    tcase_add_test(tc, stores_count_collections_at_their_charge);
    suite_add_tcase(s, tc);
    return s;
}
