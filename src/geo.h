/* SPDX-License-Identifier: MIT */
/*
 * geo.h - the spherical geometry behind Parse's geo queries: distances on
 * the Earth as a sphere (as parse-server computes them) and point-in-
 * polygon tests on latitude/longitude pairs.
 */
#ifndef PARSEC_GEO_H
#define PARSEC_GEO_H

#include <stdbool.h>
#include <stddef.h>

#define GEO_EARTH_RADIUS_KM 6371.0
#define GEO_EARTH_RADIUS_MILES 3958.8

/* Great-circle distance in radians between two points given in degrees. */
double geo_distance_radians(double lat1, double lng1, double lat2, double lng2);

/* Is (lat, lng) inside the polygon of n vertices (lats[i], lngs[i])?
 * Points on an edge count as inside. */
bool geo_polygon_contains(const double *lats, const double *lngs, size_t n,
                          double lat, double lng);

#endif
