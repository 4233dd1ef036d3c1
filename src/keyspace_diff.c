/* keyspace_diff.c - the first difference between two keyspaces.
 * Chapter 9.
 *
 * A replica is right when its keyspace and its master's hold the same
 * keys with the same values in every database.  The comparison walks the
 * databases in number order; for each it takes both sides' keys sorted by
 * bytes (ks_sorted_keys()) and merges the two lists, so the first
 * difference reported is the smallest key that differs, whatever the
 * stores' hash orders: a key on one side only, or a key whose values
 * value_equal() tells apart.  A database that only one keyspace has (they
 * may have different numbers of databases) must be empty.
 */
#include "value_equal.h"
#include "keyspace_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "db D, key "K": " in front of a difference. */
static void key_prefix(char *out, size_t n, unsigned db, const ks_key *k)
{
    size_t o = (size_t)snprintf(out, n, "db %u, key \"", db);
    for (size_t i = 0; i < k->klen && i < 64 && o + 6 < n; i++) {
        unsigned char c = k->k[i];
        if (c >= 32 && c < 127 && c != '"' && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
    }
    if (o < n)
        snprintf(out + o, n - o, "%s\": ", k->klen > 64 ? "..." : "");
}

static int key_order(const ks_key *a, const ks_key *b)
{
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = n > 0 ? memcmp(a->k, b->k, n) : 0;
    return c != 0 ? c : (a->klen > b->klen) - (a->klen < b->klen);
}

/* Compare one database; 0 same, 1 differ, -1 ENOMEM. */
static int diff_db(keyspace_reader *a, keyspace_reader *b, unsigned db,
                   unsigned flags, int64_t slack, char *why, size_t whysz)
{
    ks_key *ka = NULL, *kb = NULL;
    size_t na, nb;
    if (ks_sorted_keys(a, db, &ka, &na) != 0)
        return -1;
    if (ks_sorted_keys(b, db, &kb, &nb) != 0) {
        free(ka);
        return -1;
    }
    int rc = 0;
    char pre[300], detail[400];
    size_t i = 0, j = 0;
    while (rc == 0 && (i < na || j < nb)) {
        int c = i == na ? 1 : j == nb ? -1 : key_order(&ka[i], &kb[j]);
        if (c < 0) {
            key_prefix(pre, sizeof pre, db, &ka[i]);
            snprintf(why, whysz, "%smissing in the second keyspace", pre);
            rc = 1;
        } else if (c > 0) {
            key_prefix(pre, sizeof pre, db, &kb[j]);
            snprintf(why, whysz, "%smissing in the first keyspace", pre);
            rc = 1;
        } else if (!value_equal(ka[i].v, kb[j].v, flags, slack, detail,
                                sizeof detail)) {
            key_prefix(pre, sizeof pre, db, &ka[i]);
            snprintf(why, whysz, "%s%s", pre, detail);
            rc = 1;
        } else {
            i++;
            j++;
        }
    }
    free(ka);
    free(kb);
    return rc;
}

int keyspace_diff(keyspace_reader *a, keyspace_reader *b, unsigned flags,
                  int64_t expiry_slack_ms, char *why, size_t whysz)
{
    char scratch[8];
    if (why == NULL || whysz == 0) {
        why = scratch;
        whysz = sizeof scratch;
    }
    why[0] = '\0';
    bool oa = ks_section_enter(a);
    bool ob = b != a && ks_section_enter(b);
    unsigned da = a->ks->ndb, db = b->ks->ndb;
    int rc = 0;
    unsigned n = da < db ? da : db;
    for (unsigned d = 0; d < n && rc == 0; d++)
        rc = diff_db(a, b, d, flags, expiry_slack_ms, why, whysz);
    /* Databases only one side has must be empty. */
    for (unsigned d = n; d < (da > db ? da : db) && rc == 0; d++) {
        keyspace_reader *r = da > db ? a : b;
        size_t k = keyspace_dbsize(r, d);
        if (k > 0) {
            snprintf(why, whysz, "db %u: %zu keys in the %s keyspace, which "
                     "the other does not have", d, k,
                     r == a ? "first" : "second");
            rc = 1;
        }
    }
    if (ob)
        keyspace_read_end(b);
    if (oa)
        keyspace_read_end(a);
    if (rc < 0)
        errno = ENOMEM;
    return rc;
}
