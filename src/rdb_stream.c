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
 *
 * The value is built in file order through pstream's builder on the
 * value's transient (value_edit_stream()): pstream_add() per live entry,
 * pstream_build_meta(), pstream_group_create(), pstream_build_nack() per
 * group PEL entry, pstream_build_consumer() per consumer, and finally
 * pstream_check().  The builder answers with errno values; this file checks
 * what it can first, where it still knows the byte offset, so that every
 * error names what was wrong and where.
 */
#include "rdb_internal.h"
#include "alloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_DELETED 1
#define STREAM_SAMEFIELDS 2

/* Room for an integer element's decimal rendering (rdb_blob_entry.num). */
#define NUM_LEN sizeof(((rdb_blob_entry *)0)->num)

static int oom(rdb_ctx *c)
{
    return rdb_fail(c->r, "out of memory");
}

static pstream_id id_from_raw(const unsigned char *b)
{
    pstream_id id = {0, 0};
    for (int i = 0; i < 8; i++) {
        id.ms = id.ms << 8 | b[i];
        id.seq = id.seq << 8 | b[8 + i];
    }
    return id;
}

static int read_id(rdb_ctx *c, pstream_id *id)
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

/* Next listpack element as a string.  Its bytes stay in the blob, except
 * an integer's rendering, which is copied to num (NUM_LEN bytes) because
 * the entry that holds it is gone on return. */
static int lp_str(rdb_ctx *c, uint64_t at, rdb_blob_iter *it, char *num,
                  pstream_str *out)
{
    rdb_blob_entry e;
    int rc = rdb_listpack_next(it, &e);
    if (rc < 0)
        return rdb_fail_at(c->r, at, "%s", it->err);
    if (rc == 0)
        return rdb_fail_at(c->r, at, "stream listpack ends inside an entry");
    if (e.is_int) {
        memcpy(num, e.s, e.len);
        out->p = num;
    } else {
        out->p = e.s;
    }
    out->len = e.len;
    return 0;
}

/* pstream_add() of a decoded entry, its errno turned into a message. */
static int add_entry(rdb_ctx *c, uint64_t at, pstream *s, pstream_id id,
                     const pstream_str *fv, size_t nf)
{
    pstream *o;
    if (pstream_len(s) > 0 && pstream_id_cmp(pstream_last_id(s), id) >= 0)
        return rdb_fail_at(c->r, at, "stream entry IDs not ascending");
    if (pstream_add(s, id, fv, nf, &o) == 0)
        return 0;
    if (errno != EINVAL)
        return oom(c);
    if (id.ms == 0 && id.seq == 0)
        return rdb_fail_at(c->r, at, "stream entry ID 0-0 (every entry ID "
                           "is above 0-0)");
    return rdb_fail_at(c->r, at, "stream entry %" PRIu64 "-%" PRIu64
                       " is over 4 GiB", id.ms, id.seq);
}

/* Decode one node's listpack (in c->blob) with master ID `master`. */
static int read_node(rdb_ctx *c, uint64_t at, pstream *s, pstream_id master,
                     uint64_t *live)
{
    rdb_blob_iter it;
    int64_t count, deleted, nmaster, zero;
    pstream_str *mfields = NULL, *fv = NULL;
    char *mnums = NULL, *nums = NULL;
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
    mnums = xmalloc(((size_t)nmaster + 1) * NUM_LEN);
    if (mfields == NULL || mnums == NULL) {
        oom(c);
        goto out;
    }
    for (int64_t i = 0; i < nmaster; i++)
        if (lp_str(c, at, &it, mnums + i * NUM_LEN, &mfields[i]) != 0)
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
        pstream_id id = {master.ms + (uint64_t)msd,
                         master.seq + (uint64_t)seqd};
        fv = xmalloc(((size_t)nf * 2 + 1) * sizeof *fv);
        nums = xmalloc(((size_t)nf * 2 + 1) * NUM_LEN);
        if (fv == NULL || nums == NULL) {
            oom(c);
            goto out;
        }
        for (int64_t i = 0; i < nf; i++) {
            if (same)
                fv[2 * i] = mfields[i];
            else if (lp_str(c, at, &it, nums + 2 * i * NUM_LEN,
                            &fv[2 * i]) != 0)
                goto out;
            if (lp_str(c, at, &it, nums + (2 * i + 1) * NUM_LEN,
                       &fv[2 * i + 1]) != 0)
                goto out;
        }
        if (lp_int(c, at, &it, "lp-count", &lpcount) != 0)
            goto out;
        if (lpcount != (same ? nf + 3 : 2 * nf + 4)) {
            rdb_fail_at(c->r, at, "stream listpack: lp-count %" PRId64
                        " does not match the entry", lpcount);
            goto out;
        }
        /* [ch07-stream-entry] */
        if (flags & STREAM_DELETED) {
            seen_deleted++;
        } else {
            if (add_entry(c, at, s, id, fv, (size_t)nf) != 0)
                goto out;
            seen_live++;
        }
        free(fv);
        free(nums);
        fv = NULL;
        nums = NULL;
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
    free(fv);
    free(nums);
    free(mfields);
    free(mnums);
    return ret;
}

/* One consumer of group `g` (name gname): read it, check each ID it owns
 * where its offset is known, then hand it to pstream_build_consumer(). */
static int read_consumer(rdb_ctx *c, int type, pstream *s,
                         const unsigned char *gname, size_t glen)
{
    uint64_t at = rdb_offset(c->r), t, np;
    if (rdb_read_string(c->r, &c->s1, NULL) != 0 ||
        rdb_read_uint_le(c->r, 8, &t) != 0)
        return -1;
    int64_t seen = (int64_t)t, active = (int64_t)t;
    if (type >= 21) {
        if (rdb_read_uint_le(c->r, 8, &t) != 0)
            return -1;
        active = (int64_t)t;
    }
    const pstream_group *g = pstream_group_get(s, gname, glen);
    if (pstream_consumer_get(g, c->s1.p, c->s1.len) != NULL)
        return rdb_fail_at(c->r, at, "duplicate consumer name in a stream "
                           "consumer group");
    if (rdb_read_len(c->r, &np, NULL) != 0)
        return -1;
    pstream_id *ids = NULL;
    size_t n = 0;
    int ret = -1;
    for (uint64_t j = 0; j < np; j++) {
        unsigned char raw[16];
        uint64_t idat = rdb_offset(c->r);
        if (rdb_read(c->r, raw, 16) != 0)
            goto out;
        pstream_id id = id_from_raw(raw);
        const pstream_nack *nk = pstream_pel_get(g, id);
        if (nk == NULL) {
            rdb_fail_at(c->r, idat, "consumer PEL entry %" PRIu64 "-%" PRIu64
                        " is not in the group's PEL", id.ms, id.seq);
            goto out;
        }
        if (n > 0 && pstream_id_cmp(ids[n - 1], id) >= 0) {
            rdb_fail_at(c->r, idat, "consumer PEL IDs not ascending");
            goto out;
        }
        if (nk->owner != NULL) {
            rdb_fail_at(c->r, idat, "consumer PEL entry %" PRIu64 "-%" PRIu64
                        " is owned by another consumer too", id.ms, id.seq);
            goto out;
        }
        if ((n & (n - 1)) == 0) { /* grow at powers of two */
            void *p = xrealloc(ids, (n ? n * 2 : 1) * sizeof *ids);
            if (p == NULL) {
                oom(c);
                goto out;
            }
            ids = p;
        }
        ids[n++] = id;
    }
    pstream *o;
    /* Every rule the builder enforces was checked above: only ENOMEM is
     * left. */
    if (pstream_build_consumer(s, gname, glen, c->s1.p, c->s1.len, seen,
                               active, ids, n, &o) != 0) {
        if (errno == ENOMEM)
            oom(c);
        else
            rdb_fail_at(c->r, at, "stream consumer refused: %s",
                        strerror(errno));
        goto out;
    }
    ret = 0;
out:
    free(ids);
    return ret;
}

static int read_group(rdb_ctx *c, int type, pstream *s)
{
    uint64_t at = rdb_offset(c->r), n, entries_read = UINT64_MAX;
    pstream_id last_id;
    pstream *o;
    if (rdb_read_string(c->r, &c->s1, NULL) != 0)
        return -1;
    /* c->s1 is reused for the consumers' names: keep the group's. */
    size_t glen = c->s1.len;
    unsigned char *gname = xmalloc(glen + 1);
    if (gname == NULL)
        return oom(c);
    memcpy(gname, c->s1.p, glen);
    int ret = -1;
    if (read_id(c, &last_id) != 0)
        goto out;
    if (type >= 19 && rdb_read_len(c->r, &entries_read, NULL) != 0)
        goto out;
    int rc = pstream_group_create(s, gname, glen, last_id, entries_read, &o);
    if (rc < 0) {
        oom(c);
        goto out;
    }
    if (rc == 0) { /* as Redis: "Duplicated consumer group name" */
        rdb_fail_at(c->r, at, "duplicate consumer group name");
        goto out;
    }
    if (rdb_read_len(c->r, &n, NULL) != 0)
        goto out;
    pstream_id prev = {0, 0};
    for (uint64_t i = 0; i < n; i++) {
        unsigned char raw[16];
        uint64_t nat = rdb_offset(c->r), t, count;
        if (rdb_read(c->r, raw, 16) != 0 || rdb_read_uint_le(c->r, 8, &t) ||
            rdb_read_len(c->r, &count, NULL) != 0)
            goto out;
        pstream_id id = id_from_raw(raw);
        if (i > 0 && pstream_id_cmp(prev, id) >= 0) {
            rdb_fail_at(c->r, nat, "group PEL IDs not ascending");
            goto out;
        }
        prev = id;
        /* The group exists and id is new: only ENOMEM is left. */
        if (pstream_build_nack(s, gname, glen, id, (int64_t)t, count,
                               &o) != 0) {
            oom(c);
            goto out;
        }
    }
    if (rdb_read_len(c->r, &n, NULL) != 0)
        goto out;
    for (uint64_t i = 0; i < n; i++)
        if (read_consumer(c, type, s, gname, glen) != 0)
            goto out;
    ret = 0;
out:
    free(gname);
    return ret;
}

int rdb_read_stream(rdb_ctx *c, int type, value *v, rdb_key_info *info)
{
    pstream *s = value_edit_stream(v), *o;
    uint64_t nodes, live = 0, ngroups, length, entries_added;
    pstream_id last_id, first_id = {0, 0}, max_deleted = {0, 0};
    if (s == NULL)
        return rdb_fail(c->r, "stream value is not a transient");
    if (rdb_read_len(c->r, &nodes, NULL) != 0)
        return -1;
    for (uint64_t i = 0; i < nodes; i++) {
        uint64_t at = rdb_offset(c->r);
        if (rdb_read_string(c->r, &c->s2, NULL) != 0)
            return -1;
        if (c->s2.len != 16)
            return rdb_fail_at(c->r, at, "stream node key is %zu bytes, not "
                               "a 16-byte ID", c->s2.len);
        pstream_id master = id_from_raw(c->s2.p);
        at = rdb_offset(c->r);
        if (rdb_read_string(c->r, &c->blob, NULL) != 0 ||
            read_node(c, at, s, master, &live) != 0)
            return -1;
    }
    info->listpacks = (long)nodes;
    uint64_t at = rdb_offset(c->r);
    if (rdb_read_len(c->r, &length, NULL) != 0 || read_id(c, &last_id) != 0)
        return -1;
    if (length != live)
        return rdb_fail_at(c->r, at, "stream length %" PRIu64 " but %" PRIu64
                           " live entries", length, live);
    if (type >= 19) {
        if (read_id(c, &first_id) != 0 || read_id(c, &max_deleted) != 0 ||
            rdb_read_len(c->r, &entries_added, NULL) != 0)
            return -1;
    } else {
        entries_added = length;
        first_id = pstream_first_id(s);
    }
    char err[200];
    if (pstream_build_meta(s, last_id, first_id, max_deleted, entries_added,
                           err, sizeof err, &o) != 0)
        return errno == ENOMEM ? oom(c) : rdb_fail_at(c->r, at, "%s", err);
    if (rdb_read_len(c->r, &ngroups, NULL) != 0)
        return -1;
    for (uint64_t i = 0; i < ngroups; i++)
        if (read_group(c, type, s) != 0)
            return -1;
    /* A group PEL entry no consumer claimed: Redis's deep check calls it
     * "Stream CG PEL entry without consumer" (redis/redis src/rdb.c). */
    if (pstream_check(s, err, sizeof err) != 0)
        return rdb_fail_at(c->r, at, "stream: %s", err);
    return 0;
}
