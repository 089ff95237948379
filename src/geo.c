/* SPDX-License-Identifier: MIT */
/*
 * geo.c - haversine distance and ray-casting point-in-polygon (geo.h).
 * Polygons are treated as flat in latitude/longitude, as Postgres's
 * polygon type (which parse-server uses) treats them.
 */
#include "geo.h"

#include <math.h>

static double
geo_rad(double deg)
{
    return deg * M_PI / 180.0;
}

double
geo_distance_radians(double lat1, double lng1, double lat2, double lng2)
{
    double dlat = geo_rad(lat2 - lat1);
    double dlng = geo_rad(lng2 - lng1);
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(geo_rad(lat1)) * cos(geo_rad(lat2)) *
               sin(dlng / 2) * sin(dlng / 2);

    if (a > 1)
        a = 1;
    return 2 * atan2(sqrt(a), sqrt(1 - a));
}

/* Is (y, x) on the segment from (y1, x1) to (y2, x2)? */
static bool
geo_on_segment(double y, double x, double y1, double x1, double y2, double x2)
{
    double cross = (x - x1) * (y2 - y1) - (y - y1) * (x2 - x1);

    if (fabs(cross) > 1e-12)
        return false;
    return x >= fmin(x1, x2) && x <= fmax(x1, x2) && y >= fmin(y1, y2) &&
           y <= fmax(y1, y2);
}

bool
geo_polygon_contains(const double *lats, const double *lngs, size_t n,
                     double lat, double lng)
{
    bool inside = false;

    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        if (geo_on_segment(lat, lng, lats[i], lngs[i], lats[j], lngs[j]))
            return true;
        if ((lats[i] > lat) != (lats[j] > lat) &&
            lng < (lngs[j] - lngs[i]) * (lat - lats[i]) / (lats[j] - lats[i]) +
                      lngs[i])
            inside = !inside;
    }
    return inside;
}
