/* geohash.c - Redis's 52-bit geohash, distances and search squares.
 * Chapter 9.
 *
 * See geohash.h.  Each function names the Redis function whose results it
 * must reproduce bit for bit; the order of the floating-point operations
 * below is part of that contract (a replica that computes a distance as
 * (a * b) * c where Redis computes a * (b * c) stores a different
 * STOREDIST score), so expressions are written as Redis evaluates them
 * even where an algebraically equal form would read better.
 */
#include "geohash.h"

#include "alloc.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

/* Degrees to radians and back, with Redis's factor (D_R in
 * geohash_helper.c): M_PI / 180 rounded once to a double. */
static const double geo_d_r = M_PI / 180.0;

/* The largest Mercator coordinate, for the step estimate. */
static const double geo_mercator_max = 20037726.37;

static double deg_rad(double deg) { return deg * geo_d_r; }
static double rad_deg(double rad) { return rad / geo_d_r; }

/* Spread the low 32 bits of v to the even bit positions of a 64-bit
 * word (bit i to bit 2i), by the usual halving masks. */
static uint64_t spread_bits(uint64_t v)
{
    v &= 0xFFFFFFFFull;
    v = (v | (v << 16)) & 0x0000FFFF0000FFFFull;
    v = (v | (v << 8)) & 0x00FF00FF00FF00FFull;
    v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0Full;
    v = (v | (v << 2)) & 0x3333333333333333ull;
    v = (v | (v << 1)) & 0x5555555555555555ull;
    return v;
}

/* The inverse: the even bits of v packed into 32 bits. */
static uint64_t gather_bits(uint64_t v)
{
    v &= 0x5555555555555555ull;
    v = (v | (v >> 1)) & 0x3333333333333333ull;
    v = (v | (v >> 2)) & 0x0F0F0F0F0F0F0F0Full;
    v = (v | (v >> 4)) & 0x00FF00FF00FF00FFull;
    v = (v | (v >> 8)) & 0x0000FFFF0000FFFFull;
    v = (v | (v >> 16)) & 0x00000000FFFFFFFFull;
    return v;
}

bool geohash_encode_in(double lon, double lat, const geohash_area *range,
                       unsigned step, geohash_bits *out)
{
    if (step == 0 || step > 32)
        return false;
    if (lon > GEOHASH_LON_MAX || lon < GEOHASH_LON_MIN ||
        lat > GEOHASH_LAT_MAX || lat < GEOHASH_LAT_MIN)
        return false;
    if (lon > range->lon_max || lon < range->lon_min ||
        lat > range->lat_max || lat < range->lat_min)
        return false;
    double lat_off = (lat - range->lat_min) /
                     (range->lat_max - range->lat_min);
    double lon_off = (lon - range->lon_min) /
                     (range->lon_max - range->lon_min);
    lat_off *= (double)(1ull << step);
    lon_off *= (double)(1ull << step);
    /* Truncation to 32 bits, as Redis's implicit conversion does. */
    uint32_t ilat = (uint32_t)lat_off;
    uint32_t ilon = (uint32_t)lon_off;
    out->bits = spread_bits(ilat) | (spread_bits(ilon) << 1);
    out->step = (uint8_t)step;
    return true;
}

bool geohash_encode(double lon, double lat, unsigned step, geohash_bits *out)
{
    static const geohash_area limits = {GEOHASH_LON_MIN, GEOHASH_LON_MAX,
                                        GEOHASH_LAT_MIN, GEOHASH_LAT_MAX};
    return geohash_encode_in(lon, lat, &limits, step, out);
}

uint64_t geohash_align52(geohash_bits h)
{
    return h.bits << (52 - h.step * 2);
}

bool geohash_decode(geohash_bits h, geohash_area *out)
{
    if (h.bits == 0 && h.step == 0)
        return false;
    uint32_t ilat = (uint32_t)gather_bits(h.bits);
    uint32_t ilon = (uint32_t)gather_bits(h.bits >> 1);
    double lat_scale = GEOHASH_LAT_MAX - GEOHASH_LAT_MIN;
    double lon_scale = GEOHASH_LON_MAX - GEOHASH_LON_MIN;
    double cells = (double)(1ull << h.step);
    out->lat_min = GEOHASH_LAT_MIN + (ilat * 1.0 / cells) * lat_scale;
    out->lat_max = GEOHASH_LAT_MIN + ((ilat + 1) * 1.0 / cells) * lat_scale;
    out->lon_min = GEOHASH_LON_MIN + (ilon * 1.0 / cells) * lon_scale;
    out->lon_max = GEOHASH_LON_MIN + ((ilon + 1) * 1.0 / cells) * lon_scale;
    return true;
}

void geohash_decode_score(double score, double *lon, double *lat)
{
    /* Scores of geo sets are 52-bit integers; anything else (a ZADD of
     * some other score) decodes as Redis's cast would for the values in
     * range, and as 0 below it (where a cast to unsigned is undefined). */
    uint64_t bits = score >= 0 && score < 18446744073709551616.0
                        ? (uint64_t)score : 0;
    geohash_bits h = { bits, GEOHASH_STEP_MAX };
    geohash_area a;
    geohash_decode(h, &a);
    double x = (a.lon_min + a.lon_max) / 2;
    if (x > GEOHASH_LON_MAX) x = GEOHASH_LON_MAX;
    if (x < GEOHASH_LON_MIN) x = GEOHASH_LON_MIN;
    double y = (a.lat_min + a.lat_max) / 2;
    if (y > GEOHASH_LAT_MAX) y = GEOHASH_LAT_MAX;
    if (y < GEOHASH_LAT_MIN) y = GEOHASH_LAT_MIN;
    *lon = x;
    *lat = y;
}

/* Distance along a meridian (geohashGetLatDistance()). */
static double lat_distance(double lat1, double lat2)
{
    return GEOHASH_EARTH_RADIUS * fabs(deg_rad(lat2) - deg_rad(lat1));
}

double geohash_distance(double lon1, double lat1, double lon2, double lat2)
{
    double lon1r = deg_rad(lon1);
    double lon2r = deg_rad(lon2);
    double v = sin((lon2r - lon1r) / 2);
    if (v == 0.0)
        return lat_distance(lat1, lat2);
    double lat1r = deg_rad(lat1);
    double lat2r = deg_rad(lat2);
    double u = sin((lat2r - lat1r) / 2);
    double a = u * u + cos(lat1r) * cos(lat2r) * v * v;
    return 2.0 * GEOHASH_EARTH_RADIUS * asin(sqrt(a));
}

/* Move a hash one cell along one coordinate: the coordinate's bits are
 * the odd positions (longitude, odd = true) or the even ones (latitude).
 * Setting the other coordinate's bits to 1 lets a carry or a borrow run
 * straight through them (geohash_move_x / geohash_move_y). */
static void move_cell(geohash_bits *h, bool odd, int dir)
{
    if (dir == 0)
        return;
    const uint64_t odd_mask = 0xAAAAAAAAAAAAAAAAull;
    const uint64_t even_mask = 0x5555555555555555ull;
    uint64_t mine_mask = odd ? odd_mask : even_mask;
    uint64_t other_mask = odd ? even_mask : odd_mask;
    unsigned shift = 64 - h->step * 2u;
    uint64_t mine = h->bits & mine_mask;
    uint64_t other = h->bits & other_mask;
    uint64_t fill = other_mask >> shift; /* the other bits, all ones */
    if (dir > 0) {
        mine = mine + (fill + 1);
    } else {
        mine = mine | fill;
        mine = mine - (fill + 1);
    }
    mine &= mine_mask >> shift;
    h->bits = mine | other;
}

static geohash_bits moved(geohash_bits h, int dlon, int dlat)
{
    move_cell(&h, true, dlon);
    move_cell(&h, false, dlat);
    return h;
}

/* Steps whose cell roughly covers a radius (geohashEstimateStepsByRadius). */
static unsigned estimate_steps(double range_m, double lat)
{
    if (range_m == 0)
        return 26;
    int step = 1;
    while (range_m < geo_mercator_max) {
        range_m *= 2;
        step++;
    }
    step -= 2;
    if (lat > 66 || lat < -66) {
        step--;
        if (lat > 80 || lat < -80)
            step--;
    }
    if (step < 1) step = 1;
    if (step > 26) step = 26;
    return (unsigned)step;
}

void geohash_search_areas(const geohash_shape *s, geohash_bits out[9])
{
    /* The bounding box of the shape (geohashBoundingBox()). */
    double half_h = s->conversion * (s->box ? s->height / 2 : s->radius);
    double half_w = s->conversion * (s->box ? s->width / 2 : s->radius);
    const double lat_delta = rad_deg(half_h / GEOHASH_EARTH_RADIUS);
    const double lon_delta_top = rad_deg(
        half_w / GEOHASH_EARTH_RADIUS / cos(deg_rad(s->lat + lat_delta)));
    const double lon_delta_bottom = rad_deg(
        half_w / GEOHASH_EARTH_RADIUS / cos(deg_rad(s->lat - lat_delta)));
    bool south = s->lat < 0;
    double min_lon = south ? s->lon - lon_delta_bottom : s->lon - lon_delta_top;
    double max_lon = south ? s->lon + lon_delta_bottom : s->lon + lon_delta_top;
    double min_lat = s->lat - lat_delta;
    double max_lat = s->lat + lat_delta;

    double radius_m = s->box ? sqrt((s->width / 2) * (s->width / 2) +
                                    (s->height / 2) * (s->height / 2))
                             : s->radius;
    radius_m *= s->conversion;
    unsigned steps = estimate_steps(radius_m, s->lat);

    geohash_bits h;
    geohash_area area, n, so, e, w;
    geohash_encode(s->lon, s->lat, steps, &h);
    /* Is one cell around the centre enough at the edges of the box? */
    geohash_decode(moved(h, 0, 1), &n);
    geohash_decode(moved(h, 0, -1), &so);
    geohash_decode(moved(h, 1, 0), &e);
    geohash_decode(moved(h, -1, 0), &w);
    bool decrease = n.lat_max < max_lat || so.lat_min > min_lat ||
                    e.lon_max < max_lon || w.lon_min > min_lon;
    if (steps > 1 && decrease) {
        steps--;
        geohash_encode(s->lon, s->lat, steps, &h);
    }
    geohash_decode(h, &area);

    out[0] = h;
    out[1] = moved(h, 0, 1);   /* north */
    out[2] = moved(h, 0, -1);  /* south */
    out[3] = moved(h, 1, 0);   /* east */
    out[4] = moved(h, -1, 0);  /* west */
    out[5] = moved(h, 1, 1);   /* north-east */
    out[6] = moved(h, -1, 1);  /* north-west */
    out[7] = moved(h, 1, -1);  /* south-east */
    out[8] = moved(h, -1, -1); /* south-west */

    /* Drop the squares the box cannot reach. */
    if (steps >= 2) {
        const geohash_bits none = { 0, 0 };
        if (area.lat_min < min_lat)
            out[2] = out[8] = out[7] = none;
        if (area.lat_max > max_lat)
            out[1] = out[5] = out[6] = none;
        if (area.lon_min < min_lon)
            out[4] = out[8] = out[6] = none;
        if (area.lon_max > max_lon)
            out[3] = out[7] = out[5] = none;
    }
}

bool geohash_in_shape(const geohash_shape *s, double lon, double lat,
                      double *dist)
{
    if (!s->box) {
        double d = geohash_distance(s->lon, s->lat, lon, lat);
        if (d > s->radius * s->conversion)
            return false;
        *dist = d;
        return true;
    }
    double width_m = s->width * s->conversion;
    double height_m = s->height * s->conversion;
    if (lat_distance(lat, s->lat) > height_m / 2)
        return false;
    if (geohash_distance(lon, lat, s->lon, lat) > width_m / 2)
        return false;
    *dist = geohash_distance(s->lon, s->lat, lon, lat);
    return true;
}

/* ---- the search over a sorted set ---------------------------------------------- */

static int found_push(geohash_found *f, const pzset_entry *e, double dist)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        geohash_point *p = xrealloc(f->p, cap * sizeof(*p));
        if (!p) {
            errno = ENOMEM;
            return -1;
        }
        f->p = p;
        f->cap = cap;
    }
    geohash_point *g = &f->p[f->n++];
    g->member = pzset_entry_member(e, &g->len);
    g->dist = dist;
    g->score = pzset_entry_score(e);
    return 0;
}

/* The points of one square: scores in [min, max) (geoGetPointsInRange()),
 * the limit checked after each point, found or not, as Redis does. */
static int read_square(const pzset *z, geohash_bits h, const geohash_shape *s,
                       geohash_found *f, size_t limit)
{
    geohash_bits next = h;
    next.bits++;
    double min = (double)geohash_align52(h);
    double max = (double)geohash_align52(next);
    pzset_iter it;
    pzset_iter_seek(&it, z, pzset_rank_of_score(z, min, false));
    for (; pzset_iter_valid(&it); pzset_iter_next(&it)) {
        const pzset_entry *e = pzset_iter_entry(&it);
        double score = pzset_entry_score(e);
        if (!(score < max))
            break;
        double lon, lat, dist;
        geohash_decode_score(score, &lon, &lat);
        if (geohash_in_shape(s, lon, lat, &dist) && found_push(f, e, dist) < 0)
            return -1;
        if (f->n && limit && f->n >= limit)
            break;
    }
    return 0;
}

int geohash_search(const pzset *z, const geohash_shape *s, size_t limit,
                   geohash_found *f)
{
    geohash_bits sq[9];
    geohash_search_areas(s, sq);
    size_t last = 0;
    for (size_t i = 0; i < 9; i++) {
        if (sq[i].bits == 0 && sq[i].step == 0)
            continue;
        /* "last" 0 means the centre's square, or none: Redis compares
         * only from the second square read on. */
        if (last && sq[i].bits == sq[last].bits && sq[i].step == sq[last].step)
            continue;
        if (f->n && limit && f->n >= limit)
            break;
        if (read_square(z, sq[i], s, f, limit) < 0)
            return -1;
        last = i;
    }
    return 0;
}

static int by_dist_asc(const void *a, const void *b)
{
    double x = ((const geohash_point *)a)->dist;
    double y = ((const geohash_point *)b)->dist;
    return x > y ? 1 : x == y ? 0 : -1;
}

static int by_dist_desc(const void *a, const void *b)
{
    return -by_dist_asc(a, b);
}

void geohash_sort(geohash_found *f, bool desc)
{
    /* glibc's qsort() is a merge sort (stable) at these sizes. */
    if (f->n > 1)
        qsort(f->p, f->n, sizeof(*f->p), desc ? by_dist_desc : by_dist_asc);
}

void geohash_found_free(geohash_found *f)
{
    free(f->p);
    f->p = NULL;
    f->n = f->cap = 0;
}
