/* server_geo.c - read commands of one family: geo: GEOPOS, GEODIST, GEOHASH, GEOSEARCH.
 * Chapter 11.
 *
 * A geo set is a sorted set whose scores are 52-bit geohashes (geohash.h),
 * so these commands are sorted-set reads that decode scores.  The search
 * (GEOSEARCH, GEORADIUS_RO, GEORADIUSBYMEMBER_RO) is chapter 9's: the
 * same grammar and the same walk over the nine squares as GEOSEARCHSTORE
 * (geo_query.h), so a replica's reply names the members, in the order,
 * that the master's stored search would.
 *
 * Numbers are written as redis/redis src/geo.c (7.0.15) writes them, not
 * as reply_double() does:
 *  - distances (GEODIST, WITHDIST) with exactly four decimals, rounded
 *    with llrint() (fixedpoint_d2string() in src/util.c), as a bulk
 *    string in both protocols (addReplyDoubleDistance());
 *  - coordinates (GEOPOS, WITHCOORD) as a long double printed "%.17Lf"
 *    with the trailing zeros cut (addReplyHumanLongDouble()): a bulk
 *    string in RESP2, a RESP3 double (reply_double_text()) in RESP3;
 *  - WITHHASH as the integer score.
 * GEOHASH re-encodes each position over the standard latitude range
 * -90..90 (Redis's own cells stop at +-85.05) and spells 11 base-32
 * characters, the last always '0' (52 bits fill 10.4 of them).
 */
#include "server_cmd.h"

#include "cmd_num.h"
#include "geo_query.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- numbers as geo.c writes them ---------------------------------------- */

/* A distance with four decimals (fixedpoint_d2string(d, 4)). */
static int reply_distance(server_ctx *x, double d)
{
    char buf[48];
    long long v = llrint(d * 10000.0);
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v
                                 : (unsigned long long)v;
    int n = snprintf(buf, sizeof buf, "%s%llu.%04llu", v < 0 ? "-" : "",
                     u / 10000, u % 10000);
    return reply_bulk(x->out, buf, (size_t)n);
}

/* A coordinate (addReplyHumanLongDouble()). */
static int reply_coord(server_ctx *x, double d)
{
    char buf[CMD_NUM_LD_SIZE];
    size_t n = cmd_num_ld2string(buf, sizeof buf, (long double)d,
                                 CMD_NUM_LD_HUMAN);
    return reply_double_text(x->out, buf, n);
}

/* [lon, lat] of a stored score. */
static int reply_position(server_ctx *x, double score)
{
    double lon, lat;
    geohash_decode_score(score, &lon, &lat);
    if (reply_array(x->out, 2) < 0 || reply_coord(x, lon) < 0)
        return -1;
    return reply_coord(x, lat);
}

/* ---- GEOPOS, GEODIST, GEOHASH -------------------------------------------- */

/* GEOPOS and GEOHASH: key [member ...], an array with one reply per
 * member, `found` of its score or `missing` for a member not there. */
static int reply_per_member(server_ctx *x, int (*found)(server_ctx *, double),
                            int (*missing)(reply_buf *))
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_ZSET, &v));
    if (reply_array(x->out, x->argc - 2) < 0)
        return -1;
    for (size_t j = 2; j < x->argc; j++) {
        double score;
        int rc = v && pzset_score(value_as_zset(v), x->argv[j].str,
                                  x->argv[j].len, &score)
                     ? found(x, score)
                     : missing(x->out);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* GEOPOS key [member ...]: a missing member is a null array. */
static int cmd_geopos(server_ctx *x)
{
    return reply_per_member(x, reply_position, reply_null_array);
}

/* GEODIST key member1 member2 [M|KM|FT|MI] */
static int cmd_geodist(server_ctx *x)
{
    double to_meter = 1;
    if (x->argc == 5) {
        to_meter = geo_unit(&x->argv[4]);
        if (to_meter < 0)
            SERVER_TRY(server_error(x, GEO_ERR_UNIT));
    } else if (x->argc > 5) {
        SERVER_TRY(server_syntax_error(x));
    }
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_ZSET, &v));
    double s1, s2;
    if (v == NULL ||
        !pzset_score(value_as_zset(v), x->argv[2].str, x->argv[2].len,
                     &s1) ||
        !pzset_score(value_as_zset(v), x->argv[3].str, x->argv[3].len, &s2))
        return reply_null(x->out);
    double lon1, lat1, lon2, lat2;
    geohash_decode_score(s1, &lon1, &lat1);
    geohash_decode_score(s2, &lon2, &lat2);
    return reply_distance(x, geohash_distance(lon1, lat1, lon2, lat2) /
                                 to_meter);
}

/* The standard 11-character geohash of a stored score. */
static int reply_geohash(server_ctx *x, double score)
{
    static const char alphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
    static const geohash_area standard = {-180, 180, -90, 90};
    double lon, lat;
    geohash_bits h = {0, 0};
    geohash_decode_score(score, &lon, &lat);
    geohash_encode_in(lon, lat, &standard, GEOHASH_STEP_MAX, &h);
    char buf[11];
    for (int i = 0; i < 11; i++) {
        unsigned idx = i == 10 ? 0 : (unsigned)(h.bits >> (52 - (i + 1) * 5))
                                         & 0x1f;
        buf[i] = alphabet[idx];
    }
    return reply_bulk(x->out, buf, sizeof buf);
}

/* GEOHASH key [member ...]: a missing member is a null bulk string. */
static int cmd_geohash(server_ctx *x)
{
    return reply_per_member(x, reply_geohash, reply_null);
}

/* ---- the searches -------------------------------------------------------- */

/* One point: the member alone, or [member, dist?, hash?, [lon, lat]?]. */
static int reply_point(server_ctx *x, const geo_query *q,
                       const geohash_point *p)
{
    size_t opts = (size_t)q->withdist + q->withhash + q->withcoord;
    if (opts && reply_array(x->out, opts + 1) < 0)
        return -1;
    if (reply_bulk(x->out, p->member, p->len) < 0)
        return -1;
    if (q->withdist && reply_distance(x, p->dist / q->s.conversion) < 0)
        return -1;
    if (q->withhash && reply_integer(x->out, (int64_t)p->score) < 0)
        return -1;
    if (q->withcoord && reply_position(x, p->score) < 0)
        return -1;
    return 0;
}

/* georadiusGeneric() without a destination: the key at 1. */
static int geo_search(server_ctx *x, unsigned flags)
{
    const value *v;
    SERVER_TRY(server_lookup(x, 1, VALUE_ZSET, &v));
    const pzset *z = v ? value_as_zset(v) : NULL;
    geo_query q;
    geo_error e;
    if (geo_query_parse(x->argc, x->argv, flags, z, &q, &e) < 0)
        SERVER_TRY(server_error(x, "%s", e.msg));
    if (z == NULL)
        return reply_array(x->out, 0);
    geohash_found f = {0};
    size_t keep;
    int rc = geo_query_run(z, &q, &f, &keep);
    if (rc == 0)
        rc = reply_array(x->out, keep);
    for (size_t i = 0; i < keep && rc == 0; i++)
        rc = reply_point(x, &q, &f.p[i]);
    geohash_found_free(&f);
    return rc;
}

/* GEOSEARCH key FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h
 *   unit [ASC|DESC] [COUNT n [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH] */
static int cmd_geosearch(server_ctx *x)
{
    return geo_search(x, GEO_SEARCH);
}

/* GEORADIUS_RO key lon lat radius unit [options] */
static int cmd_georadius_ro(server_ctx *x)
{
    return geo_search(x, GEO_COORDS | GEO_NOSTORE);
}

/* GEORADIUSBYMEMBER_RO key member radius unit [options] */
static int cmd_georadiusbymember_ro(server_ctx *x)
{
    return geo_search(x, GEO_MEMBER | GEO_NOSTORE);
}

/* ---- the table ----------------------------------------------------------- */

/** The geo read commands (arities and keys as Redis 7.0's table). */
const server_command server_cmds_geo[] = {
    {"geopos", -2, SERVER_CMD_READ, cmd_geopos, 1, 1, 1, "geo", "3.2.0",
     "Returns longitude and latitude of members of a geospatial index",
     NULL},
    {"geodist", -4, SERVER_CMD_READ, cmd_geodist, 1, 1, 1, "geo", "3.2.0",
     "Returns the distance between two members of a geospatial index",
     NULL},
    {"geohash", -2, SERVER_CMD_READ, cmd_geohash, 1, 1, 1, "geo", "3.2.0",
     "Returns members of a geospatial index as standard geohash strings",
     NULL},
    {"geosearch", -7, SERVER_CMD_READ, cmd_geosearch, 1, 1, 1, "geo",
     "6.2.0", "Query a sorted set representing a geospatial index to fetch "
     "members inside an area of a box or a circle.", NULL},
    {"georadius_ro", -6, SERVER_CMD_READ, cmd_georadius_ro, 1, 1, 1, "geo",
     "3.2.10", "A read-only variant for GEORADIUS", NULL},
    {"georadiusbymember_ro", -5, SERVER_CMD_READ, cmd_georadiusbymember_ro,
     1, 1, 1, "geo", "3.2.10", "A read-only variant for GEORADIUSBYMEMBER",
     NULL},
    {.name = NULL},
};
