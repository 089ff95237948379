/* SPDX-License-Identifier: MIT */
/*
 * ptype.h - the Parse data types: their names, how a JSON value maps to
 * one, and the checks a value must pass before it may be stored.
 *
 * Values move through parsec in Parse's REST JSON form ({"__type":"Date",
 * "iso":...} and so on); storage engines convert to and from columns.
 */
#ifndef PARSEC_PTYPE_H
#define PARSEC_PTYPE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

typedef enum {
    PT_NONE = 0,    /* null, a Delete operation, or unknown */
    PT_STRING,
    PT_NUMBER,
    PT_BOOLEAN,
    PT_DATE,
    PT_OBJECT,
    PT_ARRAY,
    PT_POINTER,
    PT_RELATION,
    PT_FILE,
    PT_GEOPOINT,
    PT_POLYGON,
    PT_BYTES,
    PT_ACL,
} ptype_t;

/* "String", "Number", ... as parse-server names them; "" for PT_NONE. */
const char *ptype_name(ptype_t t);
/* The type named s, or PT_NONE. */
ptype_t ptype_from_name(const char *s);

/*
 * The type a stored value or field operation gives its field, after
 * checking the value's shape: Date iso parses, Pointer has className and
 * objectId, GeoPoint is in range, and so on. *target receives the class of
 * a Pointer or Relation (borrowed from v) or NULL. Returns 0 or -1.
 */
int ptype_of_value(json_t *v, ptype_t *type, const char **target,
                   perr_t *err);

/*
 * Check keys inside an Object or Array value: no '$' or '.' in nested keys
 * (121) and none of the prohibited keywords (105). Returns 0 or -1.
 */
int ptype_check_nested(json_t *v, perr_t *err);

/* A new {"__type": type} object, for the caller to add members to. */
json_t *ptype_typed_create(const char *type);

/* A new Date value around iso (a JSON string; the reference is taken). */
json_t *ptype_date_from_iso(json_t *iso);

/* A new {"__type":"Date","iso":...} for ms since the epoch. */
json_t *ptype_date_create(int64_t ms);

/* ms since the epoch of a Date value or an ISO string. Returns 0 or -1. */
int ptype_date_ms(json_t *v, int64_t *ms);

/* A new Pointer value. */
json_t *ptype_pointer_create(const char *class_name, const char *object_id);

/* True when v is {"__type": name, ...}. */
bool ptype_is(json_t *v, const char *type_name);

/* A number as JSON: integral values within 2^53 come out as integers so
 * that 1 stays 1 and not 1.0. */
json_t *ptype_number_create(double d);

/* Deep equality that treats 1 and 1.0 as the same number. */
bool ptype_equal(json_t *a, json_t *b);

/*
 * Append v as compact JSON, byte for byte what json_dumps(v, JSON_COMPACT
 * | JSON_ENCODE_ANY) writes, without its per-token callbacks: every answer
 * is written this way.
 */
struct sbuf;
void ptype_dump(struct sbuf *out, json_t *v);

#endif
