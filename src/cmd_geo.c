/* cmd_geo.c - the geo writes: GEOADD, GEOSEARCHSTORE, GEORADIUS[BYMEMBER] ... STORE.
 * Chapter 9.
 *
 * A geo set is a sorted set whose scores are 52-bit geohashes
 * (geohash.h).  GEOADD reaches a replica as the ZADD it becomes on the
 * master (the score is the geohash as a decimal integer), but a client
 * may send GEOADD itself, so it is here too: each position is checked
 * and encoded, then ZADD's code applies the pairs.
 *
 * The searches that store their result are propagated as typed: the
 * replica runs the search again.  It must find the same members and, for
 * STOREDIST, the same distances to the bit, so it reads the sorted set
 * exactly as redis/redis src/geo.c (7.0.15) does: the nine squares of
 * geohash_search_areas() in their order (a square equal to the one read
 * just before it is skipped, except after the centre's, as Redis's
 * membersOfAllNeighbors() does), each a score range [min, max) read in
 * score order, each point decoded from its score and tested against the
 * shape, ANY stopping the walk as soon as COUNT points are found.  The
 * points are then sorted by distance when ASC, DESC or COUNT (without
 * ANY) asks for it, and the first COUNT are stored with their geohash or,
 * for STOREDIST, their distance in the search's unit.  An empty result
 * deletes the destination, as does a missing source key.
 *
 * The option parser and the search are geo_query.h's, shared with
 * chapter 11's GEOSEARCH and GEORADIUS_RO: it follows georadiusGeneric()
 * line by line, because it decides which error a bad command reports
 * first (after the source key's type, checked here): the centre and the
 * radius (GEORADIUS), then each option in order, then the combinations.
 * It also holds the one known difference (ties cut by COUNT).
 */
#include "cmd_zset.h"
#include "geo_query.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A refusal of geo_query.h as the applier records it. */
static int geo_refused(cmd_ctx *c, const geo_error *e)
{
    return cmd_error_arg(c, e->arg, "%s", e->msg);
}

/* ---- GEOADD ---------------------------------------------------------------------- */

/* GEOADD key [NX|XX] [CH] longitude latitude member [...] */
static int cmd_geoadd(cmd_ctx *c)
{
    unsigned flags = 0;
    size_t i = 2;
    for (; i < c->argc; i++) {
        if (cmd_arg_is(c, i, "nx")) flags |= ZSET_ADD_NX;
        else if (cmd_arg_is(c, i, "xx")) flags |= ZSET_ADD_XX;
        else if (cmd_arg_is(c, i, "ch")) { /* the reply only */ }
        else break;
    }
    size_t left = c->argc - i;
    if (left % 3 || ((flags & ZSET_ADD_NX) && (flags & ZSET_ADD_XX)))
        return cmd_error(c, CMD_ERR_SYNTAX);
    size_t n = left / 3;
    if (n == 0) /* ZADD with no pairs, as geoaddCommand() calls it */
        return cmd_error(c, CMD_ERR_SYNTAX);
    double *scores = malloc(n * sizeof(*scores));
    if (!scores)
        return -1;
    int rc = 0;
    for (size_t j = 0; j < n && rc == 0; j++) {
        double lon, lat;
        geohash_bits h;
        geo_error e;
        rc = geo_lonlat_parse(c->argv, i + 3 * j, &lon, &lat, &e) < 0
                 ? geo_refused(c, &e) : 0;
        if (rc == 0) {
            geohash_encode(lon, lat, GEOHASH_STEP_MAX, &h);
            scores[j] = (double)geohash_align52(h);
        }
    }
    if (rc == 0)
        rc = zset_add_pairs(c, 1, flags, n, scores, &c->argv[i + 2], 3);
    int saved = errno;
    free(scores);
    errno = saved;
    return rc;
}

/* ---- the search --------------------------------------------------------------------- */

/* georadiusGeneric(): src_i the source key, flags GEO_*. */
static int geo_store_search(cmd_ctx *c, size_t src_i, unsigned flags)
{
    const value *zv;
    if (cmd_lookup_type(c, src_i, VALUE_ZSET, &zv) < 0)
        return -1;
    const pzset *z = zv ? value_as_zset(zv) : NULL;
    geo_query q;
    geo_error e;
    if (geo_query_parse(c->argc, c->argv, flags, z, &q, &e) < 0)
        return geo_refused(c, &e);
    if (!q.store_i) /* a plain read: nothing to apply */
        return 0;
    if (!z)
        return zset_store_result(c, q.store_i, NULL);

    geohash_found f = { 0 };
    size_t keep;
    int rc = geo_query_run(z, &q, &f, &keep);
    value *r = NULL;
    if (rc == 0 && keep > 0) {
        r = zset_result_new();
        rc = r ? 0 : -1;
        for (size_t i = 0; i < keep && rc == 0; i++) {
            pzset *out;
            double d = f.p[i].dist / q.s.conversion;
            rc = pzset_add(value_edit_zset(r), f.p[i].member, f.p[i].len,
                           q.storedist ? d : f.p[i].score, &out) < 0 ? -1 : 0;
        }
    }
    geohash_found_free(&f);
    if (rc < 0) {
        value_free(r);
        errno = ENOMEM;
        return -1;
    }
    return zset_store_result(c, q.store_i, r);
}

/* GEORADIUS key lon lat radius unit [options] [STORE key] [STOREDIST key] */
static int cmd_georadius(cmd_ctx *c) { return geo_store_search(c, 1, GEO_COORDS); }

/* GEORADIUSBYMEMBER key member radius unit [options] [STORE|STOREDIST key] */
static int cmd_georadiusbymember(cmd_ctx *c)
{
    return geo_store_search(c, 1, GEO_MEMBER);
}

/* GEOSEARCHSTORE dst src FROMMEMBER m|FROMLONLAT lon lat
 *   BYRADIUS r unit|BYBOX w h unit [ASC|DESC] [COUNT n [ANY]] [STOREDIST] */
static int cmd_geosearchstore(cmd_ctx *c)
{
    return geo_store_search(c, 2, GEO_SEARCH | GEO_SEARCHSTORE);
}

/** The geo write commands. */
const cmd_spec cmd_geo_table[] = {
    {"geoadd", -5, CMD_WRITE, cmd_geoadd},
    {"georadius", -6, CMD_WRITE, cmd_georadius},
    {"georadiusbymember", -5, CMD_WRITE, cmd_georadiusbymember},
    {"geosearchstore", -8, CMD_WRITE, cmd_geosearchstore},
    {0},
};
