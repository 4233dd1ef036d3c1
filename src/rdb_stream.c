/* rdb_stream.c - decoding streams (RDB types 15, 19 and 21).
 * Chapter 7.
 *
 * A stream is saved as its radix-tree nodes: per node, a 16-byte master ID
 * (ms and seq, big-endian, so IDs sort as bytes) and a listpack.  Each
 * listpack starts with a master entry -- live count, deleted count, the
 * master field names, a 0 terminator -- and then one record per entry:
 *   flags | ms-diff | seq-diff | [num-fields | field value ...] or, when
 *   flags has SAMEFIELDS, just the values of the master fields | lp-count
 * IDs are deltas against the master ID; lp-count is the number of listpack
 * elements of the record (so it can be walked backwards); DELETED marks a
 * tombstone left by XDEL.  After the nodes: length and last ID, then (type
 * 19+) first ID, max deleted ID and entries added, then consumer groups:
 * name, last delivered ID, (19+) entries read, the group's pending entries
 * list (raw ID, delivery time, delivery count), and the consumers, each with
 * seen time, (21) active time and the IDs it owns, which must be in the
 * group's list.  Three versions, because Redis 7.0 added the counters that
 * make XINFO's lag exact and 7.2 added active time; a parser that knew only
 * type 15 broke on the first 7.0 dump with a stream in it.
 */
#include "rdb_internal.h"
#include "alloc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_DELETED 1
#define STREAM_SAMEFIELDS 2

static int oom(rdb_ctx *c)
{
    return rdb_fail(c->r, "out of memory");
}

static value_stream_id id_from_raw(const unsigned char *b)
{
    value_stream_id id = {0, 0};
    for (int i = 0; i < 8; i++) {
        id.ms = id.ms << 8 | b[i];
        id.seq = id.seq << 8 | b[8 + i];
    }
    return id;
}

static int id_cmp(value_stream_id a, value_stream_id b)
{
    if (a.ms != b.ms)
        return a.ms < b.ms ? -1 : 1;
    if (a.seq != b.seq)
        return a.seq < b.seq ? -1 : 1;
    return 0;
}

static int read_id(rdb_ctx *c, value_stream_id *id)
{
    return rdb_read_len(c->r, &id->ms, NULL) == 0 &&
                   rdb_read_len(c->r, &id->seq, NULL) == 0
               ? 0
               : -1;
}

/* Next listpack element that must be an integer. */
static int lp_int(rdb_ctx *c, uint64_t at, rdb_blob_iter *it, const char *what,
                  int64_t *out)
{
    rdb_blob_entry e;
    int rc = rdb_listpack_next(it, &e);
    if (rc < 0)
        return rdb_fail_at(c->r, at, "%s", it->err);
    if (rc == 0 || !e.is_int)
        return rdb_fail_at(c->r, at, "stream listpack: %s missing or not an "
                           "integer at element %zu", what, it->index);
    *out = e.ival;
    return 0;
}

static int lp_str(rdb_ctx *c, uint64_t at, rdb_blob_iter *it, value *v,
                  value_elem *out)
{
    rdb_blob_entry e;
    int rc = rdb_listpack_next(it, &e);
    if (rc < 0)
        return rdb_fail_at(c->r, at, "%s", it->err);
    if (rc == 0)
        return rdb_fail_at(c->r, at, "stream listpack ends inside an entry");
    return value_intern(v, e.s, e.len, out) == 0 ? 0 : oom(c);
}

/* Decode one node's listpack (in c->blob) with master ID `master`. */
static int read_node(rdb_ctx *c, uint64_t at, value *v,
                     value_stream_id master, uint64_t *live)
{
    value_stream *s = value_edit_stream(v);
    rdb_blob_iter it;
    int64_t count, deleted, nmaster, zero;
    value_elem *mfields = NULL;
    int ret = -1;
    if (rdb_listpack_open(&it, c->blob.p, c->blob.len) != 0)
        return rdb_fail_at(c->r, at, "%s", it.err);
    if (lp_int(c, at, &it, "master count", &count) != 0 ||
        lp_int(c, at, &it, "master deleted count", &deleted) != 0 ||
        lp_int(c, at, &it, "master field count", &nmaster) != 0)
        return -1;
    if (count < 0 || deleted < 0 || nmaster < 0 ||
        (uint64_t)nmaster > c->blob.len / 2)
        return rdb_fail_at(c->r, at, "stream listpack: bad master entry");
    mfields = xcalloc((size_t)nmaster + 1, sizeof *mfields);
    if (mfields == NULL)
        return oom(c);
    for (int64_t i = 0; i < nmaster; i++)
        if (lp_str(c, at, &it, v, &mfields[i]) != 0)
            goto out;
    if (lp_int(c, at, &it, "master terminator", &zero) != 0)
        goto out;
    if (zero != 0) {
        rdb_fail_at(c->r, at, "stream listpack: master entry not terminated "
                    "by 0");
        goto out;
    }
    int64_t seen_live = 0, seen_deleted = 0;
    for (;;) {
        rdb_blob_entry e;
        int rc = rdb_listpack_next(&it, &e);
        if (rc < 0) {
            rdb_fail_at(c->r, at, "%s", it.err);
            goto out;
        }
        if (rc == 0)
            break;
        if (!e.is_int) {
            rdb_fail_at(c->r, at, "stream listpack: entry flags not an "
                        "integer at element %zu", it.index);
            goto out;
        }
        /* [ch07-stream-entry] */
        int64_t flags = e.ival, msd, seqd, nf, lpcount;
        if (lp_int(c, at, &it, "ms-diff", &msd) != 0 ||
            lp_int(c, at, &it, "seq-diff", &seqd) != 0)
            goto out;
        bool same = (flags & STREAM_SAMEFIELDS) != 0;
        if (same)
            nf = nmaster;
        else if (lp_int(c, at, &it, "field count", &nf) != 0)
            goto out;
        /* Each field takes at least two bytes of the listpack: a count
         * beyond that is corrupt, and must not size an allocation. */
        if (nf < 0 || (uint64_t)nf > c->blob.len / 2) {
            rdb_fail_at(c->r, at, "stream listpack: field count %" PRId64
                        " cannot fit in a %zu-byte listpack", nf,
                        c->blob.len);
            goto out;
        }
        value_stream_entry ent = {{master.ms + (uint64_t)msd,
                                   master.seq + (uint64_t)seqd}, (size_t)nf,
                                  NULL};
        ent.fv = xmalloc(((size_t)nf * 2 + 1) * sizeof *ent.fv);
        if (ent.fv == NULL) {
            oom(c);
            goto out;
        }
        for (int64_t i = 0; i < nf; i++) {
            if (same)
                ent.fv[2 * i] = mfields[i];
            else if (lp_str(c, at, &it, v, &ent.fv[2 * i]) != 0)
                goto fail_entry;
            if (lp_str(c, at, &it, v, &ent.fv[2 * i + 1]) != 0)
                goto fail_entry;
        }
        if (lp_int(c, at, &it, "lp-count", &lpcount) != 0)
            goto fail_entry;
        if (lpcount != (same ? nf + 3 : 2 * nf + 4)) {
            rdb_fail_at(c->r, at, "stream listpack: lp-count %" PRId64
                        " does not match the entry", lpcount);
            goto fail_entry;
        }
        /* [ch07-stream-entry] */
        if (flags & STREAM_DELETED) {
            free(ent.fv);
            seen_deleted++;
            continue;
        }
        if (s->nentries > 0 &&
            id_cmp(s->entries[s->nentries - 1].id, ent.id) >= 0) {
            rdb_fail_at(c->r, at, "stream entry IDs not ascending");
            goto fail_entry;
        }
        /* Capacity: 16, then doubling; full at 0, 16, 32, 64, ... */
        if (s->nentries == 0 || (s->nentries >= 16 &&
                                 (s->nentries & (s->nentries - 1)) == 0)) {
            size_t cap = s->nentries ? s->nentries * 2 : 16;
            value_stream_entry *n = xrealloc(s->entries, cap * sizeof *n);
            if (n == NULL) {
                oom(c);
                goto fail_entry;
            }
            s->entries = n;
        }
        s->entries[s->nentries++] = ent;
        seen_live++;
        continue;
    fail_entry:
        free(ent.fv);
        goto out;
    }
    if (seen_live != count || seen_deleted != deleted) {
        rdb_fail_at(c->r, at, "stream listpack: master entry says %" PRId64
                    " live and %" PRId64 " deleted, found %" PRId64 " and %"
                    PRId64, count, deleted, seen_live, seen_deleted);
        goto out;
    }
    *live += (uint64_t)seen_live;
    ret = 0;
out:
    free(mfields);
    return ret;
}

static int read_group(rdb_ctx *c, int type, value *v, value_stream_group *g)
{
    uint64_t n;
    if (rdb_read_string(c->r, &c->s1, NULL) != 0 ||
        value_intern(v, c->s1.p, c->s1.len, &g->name) != 0 ||
        read_id(c, &g->last_id) != 0)
        return -1;
    g->entries_read = UINT64_MAX;
    if (type >= 19 && rdb_read_len(c->r, &g->entries_read, NULL) != 0)
        return -1;
    if (rdb_read_len(c->r, &n, NULL) != 0)
        return -1;
    for (uint64_t i = 0; i < n; i++) {
        unsigned char raw[16];
        uint64_t at = rdb_offset(c->r), t;
        value_stream_nack nack;
        if (rdb_read(c->r, raw, 16) != 0 || rdb_read_uint_le(c->r, 8, &t) ||
            rdb_read_len(c->r, &nack.delivery_count, NULL) != 0)
            return -1;
        nack.id = id_from_raw(raw);
        nack.delivery_time_ms = (int64_t)t;
        if (g->npel > 0 && id_cmp(g->pel[g->npel - 1].id, nack.id) >= 0)
            return rdb_fail_at(c->r, at, "group PEL IDs not ascending");
        if ((g->npel & (g->npel - 1)) == 0) { /* grow at powers of two */
            void *p = xrealloc(g->pel, (g->npel ? g->npel * 2 : 1) *
                                          sizeof *g->pel);
            if (p == NULL)
                return oom(c);
            g->pel = p;
        }
        g->pel[g->npel++] = nack;
    }
    if (rdb_read_len(c->r, &n, NULL) != 0)
        return -1;
    for (uint64_t i = 0; i < n; i++) {
        if ((g->nconsumers & (g->nconsumers - 1)) == 0) {
            void *p = xrealloc(g->consumers, (g->nconsumers ? g->nconsumers * 2
                                                           : 1) *
                                                sizeof *g->consumers);
            if (p == NULL)
                return oom(c);
            g->consumers = p;
        }
        value_stream_consumer *cs = &g->consumers[g->nconsumers++];
        memset(cs, 0, sizeof *cs);
        uint64_t t, np;
        if (rdb_read_string(c->r, &c->s1, NULL) != 0 ||
            value_intern(v, c->s1.p, c->s1.len, &cs->name) != 0 ||
            rdb_read_uint_le(c->r, 8, &t) != 0)
            return -1;
        cs->seen_time_ms = cs->active_time_ms = (int64_t)t;
        if (type >= 21) {
            if (rdb_read_uint_le(c->r, 8, &t) != 0)
                return -1;
            cs->active_time_ms = (int64_t)t;
        }
        if (rdb_read_len(c->r, &np, NULL) != 0)
            return -1;
        for (uint64_t j = 0; j < np; j++) {
            unsigned char raw[16];
            uint64_t at = rdb_offset(c->r);
            if (rdb_read(c->r, raw, 16) != 0)
                return -1;
            value_stream_id id = id_from_raw(raw);
            size_t lo = 0, hi = g->npel;
            while (lo < hi) { /* the group PEL is sorted: binary search */
                size_t mid = (lo + hi) / 2;
                if (id_cmp(g->pel[mid].id, id) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo == g->npel || id_cmp(g->pel[lo].id, id) != 0)
                return rdb_fail_at(c->r, at, "consumer PEL entry %" PRIu64
                                   "-%" PRIu64 " is not in the group's PEL",
                                   id.ms, id.seq);
            if ((cs->npel & (cs->npel - 1)) == 0) {
                void *p = xrealloc(cs->pel, (cs->npel ? cs->npel * 2 : 1) *
                                               sizeof *cs->pel);
                if (p == NULL)
                    return oom(c);
                cs->pel = p;
            }
            cs->pel[cs->npel++] = id;
        }
    }
    return 0;
}

int rdb_read_stream(rdb_ctx *c, int type, value *v, rdb_key_info *info)
{
    value_stream *s = value_edit_stream(v);
    uint64_t nodes, live = 0, ngroups;
    if (rdb_read_len(c->r, &nodes, NULL) != 0)
        return -1;
    for (uint64_t i = 0; i < nodes; i++) {
        uint64_t at = rdb_offset(c->r);
        if (rdb_read_string(c->r, &c->s2, NULL) != 0)
            return -1;
        if (c->s2.len != 16)
            return rdb_fail_at(c->r, at, "stream node key is %zu bytes, not "
                               "a 16-byte ID", c->s2.len);
        value_stream_id master = id_from_raw(c->s2.p);
        at = rdb_offset(c->r);
        if (rdb_read_string(c->r, &c->blob, NULL) != 0 ||
            read_node(c, at, v, master, &live) != 0)
            return -1;
    }
    info->listpacks = (long)nodes;
    uint64_t at = rdb_offset(c->r);
    if (rdb_read_len(c->r, &s->length, NULL) != 0 ||
        read_id(c, &s->last_id) != 0)
        return -1;
    if (s->length != live)
        return rdb_fail_at(c->r, at, "stream length %" PRIu64 " but %" PRIu64
                           " live entries", s->length, live);
    if (type >= 19) {
        if (read_id(c, &s->first_id) != 0 ||
            read_id(c, &s->max_deleted_id) != 0 ||
            rdb_read_len(c->r, &s->entries_added, NULL) != 0)
            return -1;
    } else {
        s->entries_added = s->length;
        if (s->nentries > 0)
            s->first_id = s->entries[0].id;
    }
    if (rdb_read_len(c->r, &ngroups, NULL) != 0)
        return -1;
    for (uint64_t i = 0; i < ngroups; i++) {
        void *p = xrealloc(s->groups, (s->ngroups + 1) * sizeof *s->groups);
        if (p == NULL)
            return oom(c);
        s->groups = p;
        value_stream_group *g = &s->groups[s->ngroups++];
        memset(g, 0, sizeof *g);
        if (read_group(c, type, v, g) != 0)
            return -1;
    }
    return 0;
}
