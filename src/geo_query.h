/* geo_query.h - a geo search's arguments and its run, shared by writes and reads.
 * Chapter 9; extended in chapter 11.
 *
 * GEORADIUS, GEORADIUSBYMEMBER, their _RO forms, GEOSEARCH and
 * GEOSEARCHSTORE share one grammar and one search (redis/redis src/geo.c
 * georadiusGeneric(), 7.0.15).  The grammar decides which error a bad
 * command reports first, so it is parsed here once, in Redis's order:
 * the centre and the radius of GEORADIUS[BYMEMBER], then each option in
 * order, then the combinations.  The caller looks the source key up first
 * (its type is checked before anything else) and passes its set, or NULL
 * when it is missing: then a FROMMEMBER or BYMEMBER centre is not looked
 * up, as Redis only finds out at the end that there is nothing to search.
 *
 * A refusal is returned as Redis's reply text and the argument it is
 * about, for the applier's error record (cmd_error_arg()) or a read
 * command's error reply alike.
 *
 * Thread-safety: pure functions; the set must stay alive and unchanged
 * while they run.
 */
#ifndef GEO_QUERY_H
#define GEO_QUERY_H

#include "geohash.h"
#include "resp.h"

#include <stdbool.h>
#include <stddef.h>

/** Which command is parsed (Redis's RADIUS_* and GEOSEARCH* flags). */
enum {
    GEO_COORDS = 1,       /**< GEORADIUS[_RO]: key lon lat radius unit */
    GEO_MEMBER = 2,       /**< GEORADIUSBYMEMBER[_RO]: key member radius
                               unit */
    GEO_SEARCH = 4,       /**< GEOSEARCH[STORE]: FROM... and BY... options */
    GEO_SEARCHSTORE = 8,  /**< GEOSEARCHSTORE dst src ... */
    GEO_NOSTORE = 16,     /**< the _RO forms: no STORE, STOREDIST */
};

/** A search's order. */
enum { GEO_SORT_NONE, GEO_SORT_ASC, GEO_SORT_DESC };

/** A parsed search. */
typedef struct geo_query {
    geohash_shape s;   /**< the centre and the shape */
    bool withdist;     /**< WITHDIST */
    bool withhash;     /**< WITHHASH */
    bool withcoord;    /**< WITHCOORD */
    bool any;          /**< COUNT n ANY */
    int sort;          /**< GEO_SORT_*, ASC forced by COUNT without ANY */
    long long count;   /**< COUNT, 0 for all */
    size_t store_i;    /**< the destination key's argument, 0 for none */
    bool storedist;    /**< STOREDIST */
} geo_query;

/** Why a command was refused. */
typedef struct geo_error {
    int arg;        /**< the argument it is about, -1 for the command */
    char msg[192];  /**< Redis's reply text, e.g. "ERR syntax error" */
} geo_error;

/**
 * The metres in one unit (extractUnitOrReply()).
 * \param u the unit's argument ("m", "km", "ft", "mi", any case).
 * \return the factor, or -1 for another unit ("ERR unsupported unit
 *         provided. please use M, KM, FT, MI").
 */
double geo_unit(const resp_value *u);

/** The text geo_unit() refusals reply with. */
#define GEO_ERR_UNIT "ERR unsupported unit provided. please use M, KM, FT, MI"

/**
 * A longitude and a latitude at arguments i and i + 1
 * (extractLongLatOrReply()): doubles within GEOHASH_LON_* and
 * GEOHASH_LAT_*.
 * \param argv the arguments.
 * \param i    the longitude's index.
 * \param lon  receives the longitude.
 * \param lat  receives the latitude.
 * \param e    receives the refusal.
 * \return 0, or -1 with *e filled.
 */
int geo_lonlat_parse(const resp_value *argv, size_t i, double *lon,
                     double *lat, geo_error *e);

/**
 * Parse a search command (georadiusGeneric()'s argument handling).
 * \param argc  the arguments' count.
 * \param argv  the arguments, the name included.
 * \param flags GEO_* for the command.
 * \param z     the source set, or NULL when the key is missing.
 * \param q     receives the search.
 * \param e     receives the refusal.
 * \return 0, or -1 with *e filled.
 */
int geo_query_parse(size_t argc, const resp_value *argv, unsigned flags,
                    const pzset *z, geo_query *q, geo_error *e);

/**
 * Run a parsed search over a set: the points inside the shape, sorted as
 * asked, then cut to COUNT.
 * \param z    the set.
 * \param q    the search.
 * \param f    receives the points (start it zeroed; geohash_found_free()).
 * \param keep receives how many of f's points the reply or the stored set
 *             holds (COUNT's cut).
 * \return 0, or -1 with errno ENOMEM.
 */
int geo_query_run(const pzset *z, const geo_query *q, geohash_found *f,
                  size_t *keep);

#endif
