/* value_equal.c - two values compared as a Redis client would compare them.
 * Chapter 9.
 *
 * One function per type, each walking both values once and stopping at
 * the first difference, which it describes in `why` (what differs, where,
 * and both sides, escaped and cut to a few dozen bytes).  Ordered
 * contents (list items, sorted-set entries by rank, stream entries, PELs,
 * groups and consumers, which pstream keeps in name order as Redis does)
 * are walked side by side; unordered ones (set members, hash fields) are
 * walked on one side and looked up on the other, after the lengths
 * agreed, which proves the same membership.  Nothing is allocated, so a
 * comparison cannot fail for want of memory.
 */
#include "value_equal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Record a difference; returns false, so callers can `return differ(...)`. */
__attribute__((format(printf, 3, 4)))
static bool differ(char *why, size_t whysz, const char *fmt, ...)
{
    if (why != NULL && whysz > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whysz, fmt, ap);
        va_end(ap);
    }
    return false;
}

/** Bytes escaped for a message: at most 40, then "...". */
typedef struct esc {
    char s[4 * 40 + 8];
} esc;

static const char *escape(esc *e, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t o = 0;
    for (size_t i = 0; i < n && i < 40; i++) {
        if (b[i] >= 32 && b[i] < 127 && b[i] != '"' && b[i] != '\\')
            e->s[o++] = (char)b[i];
        else
            o += (size_t)snprintf(e->s + o, sizeof e->s - o, "\\x%02x", b[i]);
    }
    snprintf(e->s + o, sizeof e->s - o, "%s", n > 40 ? "..." : "");
    return e->s;
}

static bool bytes_eq(const void *a, size_t alen, const void *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static bool time_eq(int64_t a, int64_t b, int64_t slack)
{
    if (a == b)
        return true;
    if (a < 0 || b < 0) /* "none" matches only "none" */
        return false;
    return (a > b ? a - b : b - a) <= slack;
}

/* An expiry for a message: "none" or the number. */
static const char *exp_text(char *buf, size_t n, int64_t ms)
{
    if (ms == VALUE_NO_EXPIRY)
        snprintf(buf, n, "none");
    else
        snprintf(buf, n, "%" PRId64, ms);
    return buf;
}

static bool string_eq(const value *a, const value *b, char *why, size_t wsz)
{
    size_t n = value_str_len(a), m = value_str_len(b);
    if (n != m)
        return differ(why, wsz, "string length: %zu vs %zu", n, m);
    unsigned char x[512], y[512];
    for (size_t off = 0; off < n; off += sizeof x) {
        size_t k = value_str_read(a, off, x, sizeof x);
        value_str_read(b, off, y, sizeof y);
        if (memcmp(x, y, k) == 0)
            continue;
        size_t i = 0;
        while (x[i] == y[i])
            i++;
        return differ(why, wsz, "string byte %zu: 0x%02x vs 0x%02x",
                      off + i, x[i], y[i]);
    }
    return true;
}

static bool list_eq(const plist *a, const plist *b, char *why, size_t wsz)
{
    if (plist_len(a) != plist_len(b))
        return differ(why, wsz, "list length: %zu vs %zu", plist_len(a),
                      plist_len(b));
    plist_iter i, j;
    plist_iter_seek(&i, a, 0);
    plist_iter_seek(&j, b, 0);
    for (; plist_iter_valid(&i); plist_iter_next(&i), plist_iter_next(&j)) {
        const velem *x = plist_iter_elem(&i), *y = plist_iter_elem(&j);
        if (!bytes_eq(x->bytes, x->len, y->bytes, y->len)) {
            esc ex, ey;
            return differ(why, wsz, "list item %zu: \"%s\" vs \"%s\"",
                          plist_iter_pos(&i), escape(&ex, x->bytes, x->len),
                          escape(&ey, y->bytes, y->len));
        }
    }
    return true;
}

static bool set_eq(const pset *a, const pset *b, char *why, size_t wsz)
{
    if (pset_len(a) != pset_len(b))
        return differ(why, wsz, "set size: %zu vs %zu", pset_len(a),
                      pset_len(b));
    pset_iter it;
    const velem *m;
    for (pset_iter_init(&it, a); (m = pset_iter_next(&it)) != NULL;)
        if (!pset_has(b, m->bytes, m->len)) {
            esc e;
            return differ(why, wsz, "set member \"%s\": only in the first",
                          escape(&e, m->bytes, m->len));
        }
    return true;
}

static bool hash_eq(const phash *a, const phash *b, int64_t slack, char *why,
                    size_t wsz)
{
    if (phash_len(a) != phash_len(b))
        return differ(why, wsz, "hash size: %zu vs %zu", phash_len(a),
                      phash_len(b));
    phash_iter it;
    const phash_field *f;
    for (phash_iter_init(&it, a); (f = phash_iter_next(&it)) != NULL;) {
        size_t nl, vl, wl;
        const unsigned char *name = phash_field_name(f, &nl);
        const unsigned char *val = phash_field_value(f, &vl);
        const phash_field *g = phash_get(b, name, nl);
        esc en, ev, ew;
        if (g == NULL)
            return differ(why, wsz, "hash field \"%s\": only in the first",
                          escape(&en, name, nl));
        const unsigned char *wal = phash_field_value(g, &wl);
        if (!bytes_eq(val, vl, wal, wl))
            return differ(why, wsz, "hash field \"%s\": value \"%s\" vs "
                          "\"%s\"", escape(&en, name, nl),
                          escape(&ev, val, vl), escape(&ew, wal, wl));
        int64_t x = phash_field_expire(f), y = phash_field_expire(g);
        if (!time_eq(x, y, slack)) {
            char bx[24], by[24];
            return differ(why, wsz, "hash field \"%s\": expiry %s vs %s",
                          escape(&en, name, nl), exp_text(bx, 24, x),
                          exp_text(by, 24, y));
        }
    }
    return true;
}

static bool zset_eq(const pzset *a, const pzset *b, char *why, size_t wsz)
{
    if (pzset_len(a) != pzset_len(b))
        return differ(why, wsz, "zset size: %zu vs %zu", pzset_len(a),
                      pzset_len(b));
    pzset_iter i, j;
    pzset_iter_seek(&i, a, 0);
    pzset_iter_seek(&j, b, 0);
    for (; pzset_iter_valid(&i); pzset_iter_next(&i), pzset_iter_next(&j)) {
        const pzset_entry *x = pzset_iter_entry(&i), *y = pzset_iter_entry(&j);
        size_t xl, yl;
        const void *xm = pzset_entry_member(x, &xl);
        const void *ym = pzset_entry_member(y, &yl);
        double xs = pzset_entry_score(x), ys = pzset_entry_score(y);
        esc ex, ey;
        if (!bytes_eq(xm, xl, ym, yl))
            return differ(why, wsz, "zset rank %zu: member \"%s\" vs \"%s\"",
                          pzset_iter_rank(&i), escape(&ex, xm, xl),
                          escape(&ey, ym, yl));
        if (memcmp(&xs, &ys, sizeof xs) != 0) /* bit for bit: -0, NaN */
            return differ(why, wsz, "zset member \"%s\": score %.17g vs "
                          "%.17g", escape(&ex, xm, xl), xs, ys);
    }
    return true;
}

#define ID_FMT "%" PRIu64 "-%" PRIu64
#define ID_ARG(id) (id).ms, (id).seq

static bool id_eq(pstream_id a, pstream_id b)
{
    return pstream_id_cmp(a, b) == 0;
}

static const pstream_id id_lo = {0, 0}, id_hi = {UINT64_MAX, UINT64_MAX};

static bool entries_eq(const pstream *a, const pstream *b, char *why,
                       size_t wsz)
{
    pstream_iter i, j;
    const pstream_entry *x, *y;
    pstream_range(&i, a, id_lo, id_hi, false);
    pstream_range(&j, b, id_lo, id_hi, false);
    while ((x = pstream_range_next(&i)) != NULL) {
        y = pstream_range_next(&j); /* same length: never NULL here */
        pstream_id xi = pstream_entry_id(x), yi = pstream_entry_id(y);
        if (!id_eq(xi, yi))
            return differ(why, wsz, "stream entry ID " ID_FMT " vs " ID_FMT,
                          ID_ARG(xi), ID_ARG(yi));
        size_t nf = pstream_entry_nfields(x);
        if (nf != pstream_entry_nfields(y))
            return differ(why, wsz, "stream entry " ID_FMT ": %zu fields vs "
                          "%zu", ID_ARG(xi), nf, pstream_entry_nfields(y));
        for (size_t f = 0; f < nf; f++) {
            size_t l1, l2, l3, l4;
            const unsigned char *f1 = pstream_entry_field(x, f, &l1);
            const unsigned char *f2 = pstream_entry_field(y, f, &l2);
            const unsigned char *v1 = pstream_entry_value(x, f, &l3);
            const unsigned char *v2 = pstream_entry_value(y, f, &l4);
            esc e1, e2;
            if (!bytes_eq(f1, l1, f2, l2))
                return differ(why, wsz, "stream entry " ID_FMT " field %zu: "
                              "\"%s\" vs \"%s\"", ID_ARG(xi), f,
                              escape(&e1, f1, l1), escape(&e2, f2, l2));
            if (!bytes_eq(v1, l3, v2, l4))
                return differ(why, wsz, "stream entry " ID_FMT " value %zu: "
                              "\"%s\" vs \"%s\"", ID_ARG(xi), f,
                              escape(&e1, v1, l3), escape(&e2, v2, l4));
        }
    }
    return true;
}

/* Two PELs walked side by side (a group's, with times and owners, or a
 * consumer's, whose records are the group's: IDs suffice there). */
static bool pel_eq(pstream_iter *i, pstream_iter *j, bool full, int64_t slack,
                   const char *where, char *why, size_t wsz)
{
    const pstream_nack *x, *y;
    while ((x = pstream_pel_next(i)) != NULL) {
        y = pstream_pel_next(j);
        if (!id_eq(x->id, y->id))
            return differ(why, wsz, "%s: pending ID " ID_FMT " vs " ID_FMT,
                          where, ID_ARG(x->id), ID_ARG(y->id));
        if (!full)
            continue;
        if (!time_eq(x->delivery_time_ms, y->delivery_time_ms, slack))
            return differ(why, wsz, "%s: pending " ID_FMT ": delivery time %"
                          PRId64 " vs %" PRId64, where, ID_ARG(x->id),
                          x->delivery_time_ms, y->delivery_time_ms);
        if (x->delivery_count != y->delivery_count)
            return differ(why, wsz, "%s: pending " ID_FMT ": delivery count %"
                          PRIu64 " vs %" PRIu64, where, ID_ARG(x->id),
                          x->delivery_count, y->delivery_count);
        if (!bytes_eq(x->owner->bytes, x->owner->len, y->owner->bytes,
                      y->owner->len)) {
            esc e1, e2;
            return differ(why, wsz, "%s: pending " ID_FMT ": owner \"%s\" vs "
                          "\"%s\"", where, ID_ARG(x->id),
                          escape(&e1, x->owner->bytes, x->owner->len),
                          escape(&e2, y->owner->bytes, y->owner->len));
        }
    }
    return true;
}

static bool consumers_eq(const pstream_group *a, const pstream_group *b,
                         const char *gname, unsigned flags, int64_t slack,
                         char *why, size_t wsz)
{
    pstream_iter i, j;
    const pstream_consumer *x, *y;
    pstream_consumers(&i, a);
    pstream_consumers(&j, b);
    while ((x = pstream_consumers_next(&i)) != NULL) {
        y = pstream_consumers_next(&j);
        esc ex, ey;
        if (!bytes_eq(x->name, x->name_len, y->name, y->name_len))
            return differ(why, wsz, "group \"%s\": consumer \"%s\" vs \"%s\"",
                          gname, escape(&ex, x->name, x->name_len),
                          escape(&ey, y->name, y->name_len));
        const char *cn = escape(&ex, x->name, x->name_len);
        if (!(flags & VALUE_EQ_IGNORE_SEEN)) {
            if (!time_eq(x->seen_time_ms, y->seen_time_ms, slack))
                return differ(why, wsz, "group \"%s\" consumer \"%s\": seen "
                              "time %" PRId64 " vs %" PRId64, gname, cn,
                              x->seen_time_ms, y->seen_time_ms);
            if (!time_eq(x->active_time_ms, y->active_time_ms, slack))
                return differ(why, wsz, "group \"%s\" consumer \"%s\": active "
                              "time %" PRId64 " vs %" PRId64, gname, cn,
                              x->active_time_ms, y->active_time_ms);
        }
        size_t n = pstream_consumer_pel_len(x), m = pstream_consumer_pel_len(y);
        if (n != m)
            return differ(why, wsz, "group \"%s\" consumer \"%s\": %zu pending "
                          "vs %zu", gname, cn, n, m);
        char where[200];
        snprintf(where, sizeof where, "group \"%s\" consumer \"%s\"", gname, cn);
        pstream_iter p, q;
        pstream_consumer_pel_range(&p, x, id_lo, id_hi, false);
        pstream_consumer_pel_range(&q, y, id_lo, id_hi, false);
        if (!pel_eq(&p, &q, false, slack, where, why, wsz))
            return false;
    }
    return true;
}

static bool groups_eq(const pstream *a, const pstream *b, unsigned flags,
                      int64_t slack, char *why, size_t wsz)
{
    if (pstream_groups_len(a) != pstream_groups_len(b))
        return differ(why, wsz, "stream groups: %zu vs %zu",
                      pstream_groups_len(a), pstream_groups_len(b));
    pstream_iter i, j;
    const pstream_group *x, *y;
    pstream_groups(&i, a);
    pstream_groups(&j, b);
    while ((x = pstream_groups_next(&i)) != NULL) {
        y = pstream_groups_next(&j);
        esc ex, ey;
        if (!bytes_eq(x->name, x->name_len, y->name, y->name_len))
            return differ(why, wsz, "stream group \"%s\" vs \"%s\"",
                          escape(&ex, x->name, x->name_len),
                          escape(&ey, y->name, y->name_len));
        const char *gn = escape(&ex, x->name, x->name_len);
        if (!id_eq(x->last_id, y->last_id))
            return differ(why, wsz, "group \"%s\": last ID " ID_FMT " vs "
                          ID_FMT, gn, ID_ARG(x->last_id), ID_ARG(y->last_id));
        if (x->entries_read != y->entries_read)
            return differ(why, wsz, "group \"%s\": entries read %" PRIu64
                          " vs %" PRIu64, gn, x->entries_read,
                          y->entries_read);
        size_t n = pstream_group_pel_len(x), m = pstream_group_pel_len(y);
        if (n != m)
            return differ(why, wsz, "group \"%s\": %zu pending vs %zu", gn, n,
                          m);
        n = pstream_group_consumers_len(x);
        m = pstream_group_consumers_len(y);
        if (n != m)
            return differ(why, wsz, "group \"%s\": %zu consumers vs %zu", gn,
                          n, m);
        char where[120];
        snprintf(where, sizeof where, "group \"%s\"", gn);
        pstream_iter p, q;
        pstream_pel_range(&p, x, id_lo, id_hi, false);
        pstream_pel_range(&q, y, id_lo, id_hi, false);
        if (!pel_eq(&p, &q, true, slack, where, why, wsz) ||
            !consumers_eq(x, y, gn, flags, slack, why, wsz))
            return false;
    }
    return true;
}

static bool stream_eq(const pstream *a, const pstream *b, unsigned flags,
                      int64_t slack, char *why, size_t wsz)
{
    if (pstream_len(a) != pstream_len(b))
        return differ(why, wsz, "stream length: %zu vs %zu", pstream_len(a),
                      pstream_len(b));
    static const char *const what[] = {"last ID", "first ID",
                                       "max deleted entry ID"};
    pstream_id x[3] = {pstream_last_id(a), pstream_first_id(a),
                       pstream_max_deleted_id(a)};
    pstream_id y[3] = {pstream_last_id(b), pstream_first_id(b),
                       pstream_max_deleted_id(b)};
    for (int k = 0; k < 3; k++)
        if (!id_eq(x[k], y[k]))
            return differ(why, wsz, "stream %s: " ID_FMT " vs " ID_FMT,
                          what[k], ID_ARG(x[k]), ID_ARG(y[k]));
    if (pstream_entries_added(a) != pstream_entries_added(b))
        return differ(why, wsz, "stream entries added: %" PRIu64 " vs %"
                      PRIu64, pstream_entries_added(a),
                      pstream_entries_added(b));
    return entries_eq(a, b, why, wsz) &&
           groups_eq(a, b, flags, slack, why, wsz);
}

static bool module_eq(const value_module *a, const value_module *b,
                      char *why, size_t wsz)
{
    if (a->module_id != b->module_id || a->encver != b->encver)
        return differ(why, wsz, "module type %s (encver %u) vs %s (encver "
                      "%u)", a->name, a->encver, b->name, b->encver);
    if (a->nops != b->nops)
        return differ(why, wsz, "module value: %zu steps vs %zu", a->nops,
                      b->nops);
    for (size_t i = 0; i < a->nops; i++) {
        const value_module_op *x = &a->ops[i], *y = &b->ops[i];
        bool same = x->kind == y->kind;
        if (same && (x->kind == VALUE_MOD_SINT || x->kind == VALUE_MOD_UINT))
            same = x->u == y->u;
        else if (same && x->kind == VALUE_MOD_STRING)
            same = bytes_eq(x->str.bytes, x->str.len, y->str.bytes,
                            y->str.len);
        else if (same)
            same = memcmp(&x->d, &y->d, sizeof x->d) == 0;
        if (!same)
            return differ(why, wsz, "module value step %zu differs", i);
    }
    return true;
}

bool value_equal(const value *a, const value *b, unsigned flags,
                 int64_t expiry_slack_ms, char *why, size_t whysz)
{
    if (why != NULL && whysz > 0)
        why[0] = '\0';
    if (a->type != b->type)
        return differ(why, whysz, "type: %s vs %s", value_type_name(a->type),
                      value_type_name(b->type));
    if (!time_eq(a->expire_ms, b->expire_ms, expiry_slack_ms)) {
        char x[24], y[24];
        return differ(why, whysz, "expiry: %s vs %s",
                      exp_text(x, 24, a->expire_ms),
                      exp_text(y, 24, b->expire_ms));
    }
    switch (a->type) {
    case VALUE_STRING:
        return string_eq(a, b, why, whysz);
    case VALUE_LIST:
        return list_eq(value_as_list(a), value_as_list(b), why, whysz);
    case VALUE_SET:
        return set_eq(value_as_set(a), value_as_set(b), why, whysz);
    case VALUE_HASH:
        return hash_eq(value_as_hash(a), value_as_hash(b), expiry_slack_ms,
                       why, whysz);
    case VALUE_ZSET:
        return zset_eq(value_as_zset(a), value_as_zset(b), why, whysz);
    case VALUE_STREAM:
        return stream_eq(value_as_stream(a), value_as_stream(b), flags,
                         expiry_slack_ms, why, whysz);
    case VALUE_MODULE:
        return module_eq(value_as_module(a), value_as_module(b), why, whysz);
    }
    return differ(why, whysz, "unknown type %d", a->type);
}
