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
 * One difference is known: when COUNT cuts through points at exactly the
 * same distance (two members at the same position), Redis picks among
 * them with its partial quicksort (pqsort()) and this code with a stable
 * sort, so they may keep different members of the tie.
 *
 * The option parser follows georadiusGeneric() line by line, because it
 * decides which error a bad command reports first: the source key's type,
 * then the centre and the radius (GEORADIUS), then each option in order,
 * then the combinations.
 */
#include "cmd_zset.h"
#include "geohash.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- positions and units ------------------------------------------------------ */

/* A longitude and latitude at arguments i, i + 1 (extractLongLatOrReply()). */
static int parse_lonlat(cmd_ctx *c, size_t i, double *lon, double *lat)
{
    if (zset_arg_double(c, i, NULL, lon) < 0 ||
        zset_arg_double(c, i + 1, NULL, lat) < 0)
        return -1;
    if (*lon < GEOHASH_LON_MIN || *lon > GEOHASH_LON_MAX ||
        *lat < GEOHASH_LAT_MIN || *lat > GEOHASH_LAT_MAX)
        return cmd_error_arg(c, (int)i,
                             "ERR invalid longitude,latitude pair %f,%f",
                             *lon, *lat);
    return 0;
}

/* Metres per unit (extractUnitOrReply()), or -1 after the error. */
static double parse_unit(cmd_ctx *c, size_t i)
{
    const char *u = c->argv[i].str;
    if (!strcasecmp(u, "m")) return 1;
    if (!strcasecmp(u, "km")) return 1000;
    if (!strcasecmp(u, "ft")) return 0.3048;
    if (!strcasecmp(u, "mi")) return 1609.34;
    cmd_error_arg(c, (int)i,
                  "ERR unsupported unit provided. please use M, KM, FT, MI");
    return -1;
}

/* radius unit at i, i + 1 (extractDistanceOrReply()). */
static int parse_radius(cmd_ctx *c, size_t i, geohash_shape *s)
{
    double r;
    if (zset_arg_double(c, i, "need numeric radius", &r) < 0)
        return -1;
    if (r < 0)
        return cmd_error_arg(c, (int)i, "ERR radius cannot be negative");
    double conv = parse_unit(c, i + 1);
    if (conv < 0)
        return -1;
    s->box = false;
    s->radius = r;
    s->conversion = conv;
    return 0;
}

/* width height unit at i .. i + 2 (extractBoxOrReply()). */
static int parse_box(cmd_ctx *c, size_t i, geohash_shape *s)
{
    double w, h;
    if (zset_arg_double(c, i, "need numeric width", &w) < 0 ||
        zset_arg_double(c, i + 1, "need numeric height", &h) < 0)
        return -1;
    if (h < 0 || w < 0)
        return cmd_error_arg(c, (int)i,
                             "ERR height or width cannot be negative");
    double conv = parse_unit(c, i + 2);
    if (conv < 0)
        return -1;
    s->box = true;
    s->width = w;
    s->height = h;
    s->conversion = conv;
    return 0;
}

/* A member's position (longLatFromMember()). */
static int member_pos(cmd_ctx *c, size_t i, const pzset *z, geohash_shape *s)
{
    double score;
    if (!pzset_score(z, c->argv[i].str, c->argv[i].len, &score))
        return cmd_error_arg(c, (int)i,
                             "ERR could not decode requested zset member");
    geohash_decode_score(score, &s->lon, &s->lat);
    return 0;
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
        rc = parse_lonlat(c, i + 3 * j, &lon, &lat);
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

enum { GEO_COORDS = 1, GEO_MEMBER = 2, GEO_SEARCH = 4, GEO_SEARCHSTORE = 8 };
enum { SORT_NONE, SORT_ASC, SORT_DESC };

/* georadiusGeneric(): src_i the source key, flags GEO_*. */
static int geo_store_search(cmd_ctx *c, size_t src_i, unsigned flags)
{
    const value *zv;
    if (cmd_lookup_type(c, src_i, VALUE_ZSET, &zv) < 0)
        return -1;
    const pzset *z = zv ? value_as_zset(zv) : NULL;
    geohash_shape s = { 0 };
    size_t base, store_i = 0;
    bool storedist = false;
    if (flags & GEO_COORDS) {
        base = 6;
        if (parse_lonlat(c, 2, &s.lon, &s.lat) < 0 ||
            parse_radius(c, 4, &s) < 0)
            return -1;
    } else if (flags & GEO_MEMBER) {
        base = 5;
        if (z && (member_pos(c, 2, z, &s) < 0 || parse_radius(c, 3, &s) < 0))
            return -1;
    } else {
        base = 3;
        store_i = 1;
    }
    bool withopt = false, any = false;
    bool frommember = false, fromloc = false, byradius = false, bybox = false;
    int sort = SORT_NONE;
    long long count = 0;
    for (size_t i = base; i < c->argc; i++) {
        size_t more = c->argc - i - 1;
        bool is_search = flags & GEO_SEARCH;
        if (cmd_arg_is(c, i, "withdist") || cmd_arg_is(c, i, "withhash") ||
            cmd_arg_is(c, i, "withcoord")) {
            withopt = true;
        } else if (cmd_arg_is(c, i, "any")) {
            any = true;
        } else if (cmd_arg_is(c, i, "asc")) {
            sort = SORT_ASC;
        } else if (cmd_arg_is(c, i, "desc")) {
            sort = SORT_DESC;
        } else if (cmd_arg_is(c, i, "count") && more >= 1) {
            if (zset_arg_long(c, i + 1, NULL, &count) < 0)
                return -1;
            if (count <= 0)
                return cmd_error_arg(c, (int)i + 1, "ERR COUNT must be > 0");
            i++;
        } else if ((cmd_arg_is(c, i, "store") ||
                    cmd_arg_is(c, i, "storedist")) && more >= 1 && !is_search) {
            storedist = cmd_arg_is(c, i, "storedist");
            store_i = i + 1;
            i++;
        } else if (cmd_arg_is(c, i, "storedist") && is_search &&
                   (flags & GEO_SEARCHSTORE)) {
            storedist = true;
        } else if (cmd_arg_is(c, i, "frommember") && more >= 1 && is_search &&
                   !fromloc) {
            if (z && member_pos(c, i + 1, z, &s) < 0)
                return -1;
            frommember = true;
            i++;
        } else if (cmd_arg_is(c, i, "fromlonlat") && more >= 2 && is_search &&
                   !frommember) {
            if (parse_lonlat(c, i + 1, &s.lon, &s.lat) < 0)
                return -1;
            fromloc = true;
            i += 2;
        } else if (cmd_arg_is(c, i, "byradius") && more >= 2 && is_search &&
                   !bybox) {
            if (parse_radius(c, i + 1, &s) < 0)
                return -1;
            byradius = true;
            i += 2;
        } else if (cmd_arg_is(c, i, "bybox") && more >= 3 && is_search &&
                   !byradius) {
            if (parse_box(c, i + 1, &s) < 0)
                return -1;
            bybox = true;
            i += 3;
        } else {
            return cmd_error_arg(c, (int)i, CMD_ERR_SYNTAX);
        }
    }
    if (store_i && withopt)
        return cmd_error(c, "ERR %s is not compatible with WITHDIST, WITHHASH "
                            "and WITHCOORD options",
                         (flags & GEO_SEARCHSTORE) ? "GEOSEARCHSTORE"
                                                   : "STORE option in GEORADIUS");
    if ((flags & GEO_SEARCH) && !(frommember || fromloc))
        return cmd_error(c, "ERR exactly one of FROMMEMBER or FROMLONLAT can "
                            "be specified for %s", c->argv[0].str);
    if ((flags & GEO_SEARCH) && !(byradius || bybox))
        return cmd_error(c, "ERR exactly one of BYRADIUS and BYBOX can be "
                            "specified for %s", c->argv[0].str);
    if (any && !count)
        return cmd_error(c, "ERR the ANY argument requires COUNT argument");
    if (!store_i) /* a plain read: nothing to apply */
        return 0;
    if (!z)
        return zset_store_result(c, store_i, NULL);
    if (count != 0 && sort == SORT_NONE && !any)
        sort = SORT_ASC;

    geohash_found f = { 0 };
    int rc = geohash_search(z, &s, any ? (size_t)count : 0, &f);
    value *r = NULL;
    if (rc == 0 && sort != SORT_NONE)
        geohash_sort(&f, sort == SORT_DESC);
    size_t keep = count == 0 || f.n < (size_t)count ? f.n : (size_t)count;
    if (rc == 0 && keep > 0) {
        r = zset_result_new();
        rc = r ? 0 : -1;
        for (size_t i = 0; i < keep && rc == 0; i++) {
            pzset *out;
            double d = f.p[i].dist / s.conversion;
            rc = pzset_add(value_edit_zset(r), f.p[i].member, f.p[i].len,
                           storedist ? d : f.p[i].score, &out) < 0 ? -1 : 0;
        }
    }
    geohash_found_free(&f);
    if (rc < 0) {
        value_free(r);
        errno = ENOMEM;
        return -1;
    }
    return zset_store_result(c, store_i, r);
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
