/* geo_query.c - a geo search's arguments and its run, shared by writes and reads.
 * Chapter 9; extended in chapter 11.
 *
 * The parser follows georadiusGeneric() of redis/redis src/geo.c line by
 * line, because it decides which error a bad command reports first (see
 * geo_query.h); the run is geohash_search() over the nine squares, then
 * the sort ASC or DESC (forced to ASC by COUNT without ANY), then COUNT's
 * cut.
 *
 * One difference is known: when COUNT cuts through points at exactly the
 * same distance (two members at the same position), Redis picks among
 * them with its partial quicksort (pqsort()) and this code with a stable
 * sort, so they may keep different members of the tie.
 */
#include "geo_query.h"

#include "cmd_num.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Record a refusal; returns -1. */
static int refuse(geo_error *e, int arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(geo_error *e, int arg, const char *fmt, ...)
{
    va_list ap;
    e->arg = arg;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* A double at argument i (getDoubleFromObjectOrReply()). */
static int arg_double(const resp_value *argv, size_t i, const char *msg,
                      double *out, geo_error *e)
{
    if (!cmd_num_string2d(argv[i].str, argv[i].len, out))
        return refuse(e, (int)i, "ERR %s",
                      msg ? msg : "value is not a valid float");
    return 0;
}

int geo_lonlat_parse(const resp_value *argv, size_t i, double *lon,
                     double *lat, geo_error *e)
{
    if (arg_double(argv, i, NULL, lon, e) < 0 ||
        arg_double(argv, i + 1, NULL, lat, e) < 0)
        return -1;
    if (*lon < GEOHASH_LON_MIN || *lon > GEOHASH_LON_MAX ||
        *lat < GEOHASH_LAT_MIN || *lat > GEOHASH_LAT_MAX)
        return refuse(e, (int)i, "ERR invalid longitude,latitude pair %f,%f",
                      *lon, *lat);
    return 0;
}

double geo_unit(const resp_value *unit)
{
    const char *u = unit->str;
    if (!strcasecmp(u, "m")) return 1;
    if (!strcasecmp(u, "km")) return 1000;
    if (!strcasecmp(u, "ft")) return 0.3048;
    if (!strcasecmp(u, "mi")) return 1609.34;
    return -1;
}

/* A unit at argument i into s->conversion. */
static int parse_unit(const resp_value *argv, size_t i, geohash_shape *s,
                      geo_error *e)
{
    s->conversion = geo_unit(&argv[i]);
    return s->conversion < 0 ? refuse(e, (int)i, GEO_ERR_UNIT) : 0;
}

/* radius unit at i, i + 1 (extractDistanceOrReply()). */
static int parse_radius(const resp_value *argv, size_t i, geohash_shape *s,
                        geo_error *e)
{
    double r;
    if (arg_double(argv, i, "need numeric radius", &r, e) < 0)
        return -1;
    if (r < 0)
        return refuse(e, (int)i, "ERR radius cannot be negative");
    s->box = false;
    s->radius = r;
    return parse_unit(argv, i + 1, s, e);
}

/* width height unit at i .. i + 2 (extractBoxOrReply()). */
static int parse_box(const resp_value *argv, size_t i, geohash_shape *s,
                     geo_error *e)
{
    double w, h;
    if (arg_double(argv, i, "need numeric width", &w, e) < 0 ||
        arg_double(argv, i + 1, "need numeric height", &h, e) < 0)
        return -1;
    if (h < 0 || w < 0)
        return refuse(e, (int)i, "ERR height or width cannot be negative");
    s->box = true;
    s->width = w;
    s->height = h;
    return parse_unit(argv, i + 2, s, e);
}

/* A member's position (longLatFromMember()). */
static int member_pos(const resp_value *argv, size_t i, const pzset *z,
                      geohash_shape *s, geo_error *e)
{
    double score;
    if (!pzset_score(z, argv[i].str, argv[i].len, &score))
        return refuse(e, (int)i,
                      "ERR could not decode requested zset member");
    geohash_decode_score(score, &s->lon, &s->lat);
    return 0;
}

static bool arg_is(const resp_value *a, const char *kw)
{
    return strlen(kw) == a->len && strcasecmp(a->str, kw) == 0;
}

int geo_query_parse(size_t argc, const resp_value *argv, unsigned flags,
                    const pzset *z, geo_query *q, geo_error *e)
{
    memset(q, 0, sizeof(*q));
    geohash_shape *s = &q->s;
    size_t base;
    if (flags & GEO_COORDS) {
        base = 6;
        if (geo_lonlat_parse(argv, 2, &s->lon, &s->lat, e) < 0 ||
            parse_radius(argv, 4, s, e) < 0)
            return -1;
    } else if (flags & GEO_MEMBER) {
        base = 5;
        if (z && (member_pos(argv, 2, z, s, e) < 0 ||
                  parse_radius(argv, 3, s, e) < 0))
            return -1;
    } else if (flags & GEO_SEARCHSTORE) {
        base = 3;
        q->store_i = 1;
    } else {
        base = 2;
    }
    bool is_search = flags & GEO_SEARCH;
    bool can_store = !is_search && !(flags & GEO_NOSTORE);
    bool frommember = false, fromloc = false, byradius = false, bybox = false;
    for (size_t i = base; i < argc; i++) {
        size_t more = argc - i - 1;
        const resp_value *a = &argv[i];
        if (arg_is(a, "withdist")) {
            q->withdist = true;
        } else if (arg_is(a, "withhash")) {
            q->withhash = true;
        } else if (arg_is(a, "withcoord")) {
            q->withcoord = true;
        } else if (arg_is(a, "any")) {
            q->any = true;
        } else if (arg_is(a, "asc")) {
            q->sort = GEO_SORT_ASC;
        } else if (arg_is(a, "desc")) {
            q->sort = GEO_SORT_DESC;
        } else if (arg_is(a, "count") && more >= 1) {
            if (!cmd_num_string2ll(argv[i + 1].str, argv[i + 1].len,
                                   &q->count))
                return refuse(e, (int)i + 1, "ERR value is not an integer "
                                             "or out of range");
            if (q->count <= 0)
                return refuse(e, (int)i + 1, "ERR COUNT must be > 0");
            i++;
        } else if ((arg_is(a, "store") || arg_is(a, "storedist")) &&
                   more >= 1 && can_store) {
            q->storedist = arg_is(a, "storedist");
            q->store_i = i + 1;
            i++;
        } else if (arg_is(a, "storedist") && is_search &&
                   (flags & GEO_SEARCHSTORE)) {
            q->storedist = true;
        } else if (arg_is(a, "frommember") && more >= 1 && is_search &&
                   !fromloc) {
            if (z && member_pos(argv, i + 1, z, s, e) < 0)
                return -1;
            frommember = true;
            i++;
        } else if (arg_is(a, "fromlonlat") && more >= 2 && is_search &&
                   !frommember) {
            if (geo_lonlat_parse(argv, i + 1, &s->lon, &s->lat, e) < 0)
                return -1;
            fromloc = true;
            i += 2;
        } else if (arg_is(a, "byradius") && more >= 2 && is_search &&
                   !bybox) {
            if (parse_radius(argv, i + 1, s, e) < 0)
                return -1;
            byradius = true;
            i += 2;
        } else if (arg_is(a, "bybox") && more >= 3 && is_search &&
                   !byradius) {
            if (parse_box(argv, i + 1, s, e) < 0)
                return -1;
            bybox = true;
            i += 3;
        } else {
            return refuse(e, (int)i, "ERR syntax error");
        }
    }
    if (q->store_i && (q->withdist || q->withhash || q->withcoord))
        return refuse(e, -1, "ERR %s is not compatible with WITHDIST, "
                             "WITHHASH and WITHCOORD options",
                      (flags & GEO_SEARCHSTORE) ? "GEOSEARCHSTORE"
                                                : "STORE option in GEORADIUS");
    if (is_search && !(frommember || fromloc))
        return refuse(e, -1, "ERR exactly one of FROMMEMBER or FROMLONLAT "
                             "can be specified for %s", argv[0].str);
    if (is_search && !(byradius || bybox))
        return refuse(e, -1, "ERR exactly one of BYRADIUS and BYBOX can be "
                             "specified for %s", argv[0].str);
    if (q->any && !q->count)
        return refuse(e, -1, "ERR the ANY argument requires COUNT argument");
    if (q->count != 0 && q->sort == GEO_SORT_NONE && !q->any)
        q->sort = GEO_SORT_ASC;
    return 0;
}

int geo_query_run(const pzset *z, const geo_query *q, geohash_found *f,
                  size_t *keep)
{
    *keep = 0;
    if (geohash_search(z, &q->s, q->any ? (size_t)q->count : 0, f) < 0)
        return -1;
    if (q->sort != GEO_SORT_NONE)
        geohash_sort(f, q->sort == GEO_SORT_DESC);
    *keep = q->count == 0 || f->n < (size_t)q->count ? f->n
                                                      : (size_t)q->count;
    return 0;
}
