/* geohash.h - Redis's 52-bit geohash: positions as sorted-set scores.
 * Chapter 9.
 *
 * Redis keeps a geo set as an ordinary sorted set whose scores are
 * positions: longitude and latitude each scaled to a 26-bit integer over
 * their ranges (longitude -180..180, latitude -85.05112878..85.05112878,
 * the limits of Web Mercator), and the two interleaved bit by bit,
 * latitude in the even bits and longitude in the odd ones.  The 52-bit
 * result is exact as a double, and points close on the map share a long
 * prefix, so a square of the map is a range of scores.  GEOADD sends its
 * master's replicas a plain ZADD with that score, but GEOSEARCHSTORE and
 * GEORADIUS ... STORE are propagated as they were typed: the replica must
 * run the same search and find exactly the same members with exactly the
 * same distances, so every formula here performs Redis's floating-point
 * operations in Redis's order (redis/redis src/geohash.c,
 * src/geohash_helper.c and src/geo.c, 7.0.15): the degree-to-radian
 * factor M_PI / 180, the earth radius 6372797.560856 m, the haversine
 * distance, the step estimate from the radius, the nine search squares
 * (the centre's and its eight neighbours, some dropped) and the
 * in-shape tests.  The code is this project's own; only the arithmetic is
 * fixed by Redis.
 *
 * Thread-safety: every function is reentrant.
 */
#ifndef GEOHASH_H
#define GEOHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pzset.h"

/** Bits per coordinate of a stored position (26 * 2 = 52). */
#define GEOHASH_STEP_MAX 26
/** Lowest longitude (degrees). */
#define GEOHASH_LON_MIN (-180.0)
/** Highest longitude (degrees). */
#define GEOHASH_LON_MAX 180.0
/** Lowest latitude (degrees), the limit of EPSG:3857. */
#define GEOHASH_LAT_MIN (-85.05112878)
/** Highest latitude (degrees). */
#define GEOHASH_LAT_MAX 85.05112878
/** Redis's earth radius in metres (EARTH_RADIUS_IN_METERS). */
#define GEOHASH_EARTH_RADIUS 6372797.560856

/** A geohash of some precision: step bits per coordinate, interleaved. */
typedef struct geohash_bits {
    uint64_t bits; /**< 2 * step bits */
    uint8_t step;  /**< bits per coordinate, 1..26; 0 with bits 0: none */
} geohash_bits;

/** The rectangle of the map a geohash covers. */
typedef struct geohash_area {
    double lon_min; /**< west edge (degrees) */
    double lon_max; /**< east edge (degrees) */
    double lat_min; /**< south edge (degrees) */
    double lat_max; /**< north edge (degrees) */
} geohash_area;

/** A search: around a centre, within a radius or a box. */
typedef struct geohash_shape {
    bool box;          /**< false: radius; true: width x height box */
    double lon;        /**< the centre's longitude (degrees) */
    double lat;        /**< the centre's latitude (degrees) */
    double conversion; /**< metres per unit (km: 1000) */
    double radius;     /**< radius in units (radius search) */
    double width;      /**< box width in units */
    double height;     /**< box height in units */
} geohash_shape;

/**
 * Encode a position (geohashEncode()).
 * \param lon  longitude, within the limits.
 * \param lat  latitude, within the limits.
 * \param step bits per coordinate, 1..26.
 * \param out  receives the hash.
 * \return true, or false when a coordinate is out of range or step is.
 */
bool geohash_encode(double lon, double lat, unsigned step, geohash_bits *out);

/**
 * Encode a position over other ranges (geohashEncode() with its ranges):
 * GEOHASH answers with the standard geohash, whose latitudes span -90..90,
 * so it re-encodes each position over -180..180 and -90..90.
 * \param lon   longitude, within GEOHASH_LON_* and the range.
 * \param lat   latitude, within GEOHASH_LAT_* and the range.
 * \param range the ranges the bits divide (only its four bounds).
 * \param step  bits per coordinate, 1..32.
 * \param out   receives the hash.
 * \return true, or false when a coordinate or step is out of range.
 */
bool geohash_encode_in(double lon, double lat, const geohash_area *range,
                       unsigned step, geohash_bits *out);

/**
 * The 52-bit form of a hash (geohashAlign52Bits()): its bits shifted left
 * to 52 bits, the score of a point (step 26) or the first score of a
 * square.
 * \param h the hash.
 * \return the aligned bits.
 */
uint64_t geohash_align52(geohash_bits h);

/**
 * The rectangle a hash covers (geohashDecode()).
 * \param h   the hash (step 1..26).
 * \param out receives the rectangle.
 * \return true, or false for the zero hash.
 */
bool geohash_decode(geohash_bits h, geohash_area *out);

/**
 * The position a stored score stands for: the centre of its 52-bit cell,
 * clamped to the limits (decodeGeohash() in geo.c).
 * \param score the sorted-set score (a 52-bit integer as a double).
 * \param lon   receives the longitude.
 * \param lat   receives the latitude.
 */
void geohash_decode_score(double score, double *lon, double *lat);

/**
 * Great-circle distance in metres on Redis's sphere (geohashGetDistance():
 * haversine, with the latitude-only shortcut when the longitudes agree).
 * \param lon1 first longitude.
 * \param lat1 first latitude.
 * \param lon2 second longitude.
 * \param lat2 second latitude.
 * \return metres.
 */
double geohash_distance(double lon1, double lat1, double lon2, double lat2);

/**
 * The nine squares a search reads (geohashCalculateAreasByShapeWGS84()):
 * the centre's, then north, south, east, west, north-east, north-west,
 * south-east, south-west; a dropped one is {0, 0}.
 * \param s   the search.
 * \param out receives the nine hashes.
 */
void geohash_search_areas(const geohash_shape *s, geohash_bits out[9]);

/**
 * Whether a point lies inside the search, and its distance from the
 * centre in metres (geoWithinShape()).
 * \param s    the search.
 * \param lon  the point's longitude.
 * \param lat  the point's latitude.
 * \param dist receives the distance when inside.
 * \return true when inside.
 */
bool geohash_in_shape(const geohash_shape *s, double lon, double lat,
                      double *dist);

/** One point a search found. */
typedef struct geohash_point {
    const void *member; /**< the member's bytes (the searched set's) */
    size_t len;         /**< their length */
    double dist;        /**< metres from the centre */
    double score;       /**< its score (the geohash) */
} geohash_point;

/** The points of a search, in the order found. */
typedef struct geohash_found {
    geohash_point *p; /**< the points (malloc'ed) */
    size_t n;         /**< how many */
    size_t cap;       /**< allocated */
} geohash_found;

/**
 * Search a geo set (membersOfAllNeighbors()): the nine squares of
 * geohash_search_areas() in order, a square equal to the one read just
 * before it skipped (but never right after the centre's, as in Redis),
 * each square's scores [min, max) in score order, every point decoded and
 * tested with geohash_in_shape().
 * \param z     the sorted set.
 * \param s     the search.
 * \param limit stop once this many points are found (ANY), 0 for all.
 * \param f     receives the points, appended; start it zeroed and free it
 *              with geohash_found_free().  Members point into z.
 * 
eturn 0, or -1 with errno ENOMEM (f holds what was found so far).
 */
int geohash_search(const pzset *z, const geohash_shape *s, size_t limit,
                   geohash_found *f);

/**
 * Sort found points by distance (ASC or DESC), stable among equal
 * distances.
 * \param f    the points.
 * \param desc true for farthest first.
 */
void geohash_sort(geohash_found *f, bool desc);

/**
 * Free the points' array.
 * \param f the points (left empty).
 */
void geohash_found_free(geohash_found *f);

#endif
