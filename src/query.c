/* SPDX-License-Identifier: MIT */
/*
 * query.c - parses Parse where-JSON, order, keys and include into a
 * query_t (see query.h). Decides what is a valid query and what each
 * constraint means for each field type; never builds SQL.
 */
#include "query.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "regexp.h"
#include "textsearch.h"
#include "util.h"

static qnode_t *
qnode_create(qnode_kind_t kind)
{
    qnode_t *n = calloc(1, sizeof(*n));

    n->kind = kind;
    return n;
}

void
qnode_free(qnode_t *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        qnode_free(n->kids[i]);
    free(n->kids);
    free(n->field);
    free(n->options);
    free(n->sub_key);
    qnode_free(n->sub_where);
    schema_class_release(n->sub_cls);
    json_decref(n->value);
    free(n);
}

static void
qnode_add_kid(qnode_t *parent, qnode_t *kid)
{
    parent->kids = realloc(parent->kids, (parent->nkids + 1) * sizeof(kid));
    parent->kids[parent->nkids++] = kid;
}

/* Keys a where object may hold besides field names: parse-server's list
 * of special keys (most are internal fields of _User). */
static bool
query_is_special_key(const char *k)
{
    static const char *const special[] = {
        "$and", "$or", "$nor", "$relatedTo", "_rperm", "_wperm"};

    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
        if (strcmp(k, special[i]) == 0)
            return true;
    }
    return false;
}

/* A field path: a name, or name.sub.sub into an Object field. */
static bool
query_is_valid_path(const char *k)
{
    if (!isalpha((unsigned char)k[0]))
        return false;
    for (const char *p = k; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.')
            return false;
        if (*p == '.' && (p[1] == '.' || p[1] == '\0'))
            return false;
    }
    return true;
}

/*
 * The operand as storage compares it: a Date becomes its ISO string, a
 * Pointer its objectId; everything else is kept. Returns a new reference.
 */
static json_t *
query_normalise(json_t *v, perr_t *err)
{
    int64_t ms;
    char iso[32];

    if (ptype_is(v, "Date")) {
        if (ptype_date_ms(v, &ms)) {
            perr_set(err, PERR_INVALID_QUERY, "Invalid date in query");
            return NULL;
        }
        util_format_iso(ms, iso);
        return json_string(iso);
    }
    if (ptype_is(v, "Pointer")) {
        json_t *oid = json_object_get(v, "objectId");

        if (!json_is_string(oid)) {
            perr_set(err, PERR_INVALID_QUERY, "Invalid pointer in query");
            return NULL;
        }
        return json_incref(oid);
    }
    return json_incref(v);
}

static bool
query_is_scalar(json_t *v)
{
    return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

static qnode_t *
query_cmp(const char *field, ptype_t ftype, qop_t op, json_t *value)
{
    qnode_t *n = qnode_create(QN_CMP);

    n->field = strdup(field);
    n->ftype = ftype;
    n->op = op;
    n->value = value;
    return n;
}

/* Check an ordering operand against the field's type. */
static int
query_check_ordered(ptype_t ftype, json_t *v, const char *op, perr_t *err)
{
    bool ok;

    switch (ftype) {
    case PT_NUMBER:
        ok = json_is_number(v);
        break;
    case PT_STRING:
    case PT_DATE:
    case PT_POINTER:
        ok = json_is_string(v);
        break;
    case PT_NONE:
    case PT_ARRAY:
    case PT_OBJECT:
        ok = query_is_scalar(v);
        break;
    default:
        ok = false;
    }
    if (!ok)
        return perr_set(err, PERR_INVALID_QUERY, "bad %s value", op);
    return 0;
}

/* Normalise each element of an $in / $nin / $all array. */
static json_t *
query_normalise_list(json_t *v, const char *op, perr_t *err)
{
    json_t *out;
    json_t *el;
    size_t i;

    if (!json_is_array(v)) {
        perr_set(err, PERR_INVALID_QUERY, "bad %s value: must be an array", op);
        return NULL;
    }
    out = json_array();
    json_array_foreach(v, i, el) {
        json_t *n = query_normalise(el, err);

        if (n == NULL) {
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, n);
    }
    return out;
}

static const struct {
    const char *name;
    qop_t op;
} query_ops[] = {
    {"$eq", QOP_EQ},   {"$ne", QOP_NE},   {"$lt", QOP_LT},
    {"$lte", QOP_LTE}, {"$gt", QOP_GT},   {"$gte", QOP_GTE},
    {"$in", QOP_IN},   {"$nin", QOP_NIN}, {"$exists", QOP_EXISTS},
    {"$all", QOP_ALL}, {"$containedBy", QOP_CONTAINED_BY},
};

static int query_parse_into(const schema_class_t *cls, json_t *where,
                            qnode_t *parent, int depth, perr_t *err);

/* Parse {"where": {...}, "className": "X"} into a sub-query on n. */
static int
query_parse_sub(qnode_t *n, json_t *spec, const char *op, int depth,
                perr_t *err)
{
    json_t *where = json_object_get(spec, "where");
    const char *cls = json_string_value(json_object_get(spec, "className"));
    schema_class_t *empty = NULL;
    int rc;

    if (!json_is_object(spec) || cls == NULL ||
        (where != NULL && !json_is_object(where)))
        return perr_set(err, PERR_INVALID_QUERY, "improper usage of %s", op);
    if (schema_check_class_name(cls, err))
        return -1;
    n->sub_cls = schema_cache_get(cls);
    if (n->sub_cls == NULL)
        empty = schema_class_create(cls);
    n->sub_where = qnode_create(QN_AND);
    rc = where ? query_parse_into(n->sub_cls ? n->sub_cls : empty, where,
                                  n->sub_where, depth + 1, err)
               : 0;
    schema_class_release(empty);
    return rc;
}

/* $regex with its $options, checked by compiling the pattern once. */
static int
query_parse_regex(const char *field, ptype_t ftype, json_t *spec,
                  qnode_t **out, perr_t *err)
{
    json_t *pattern = json_object_get(spec, "$regex");
    json_t *options = json_object_get(spec, "$options");
    regexp_t *re;
    qnode_t *n;

    if (!json_is_string(pattern))
        return perr_set(err, PERR_INVALID_QUERY, "bad $regex: must be a string");
    if (options != NULL && !json_is_string(options))
        return perr_set(err, PERR_INVALID_QUERY,
                        "bad $options: must be a string");
    re = regexp_compile(json_string_value(pattern),
                        options ? json_string_value(options) : "", err);
    if (re == NULL)
        return -1;
    regexp_free(re);
    n = query_cmp(field, ftype, QOP_REGEX, json_incref(pattern));
    n->options = options ? strdup(json_string_value(options)) : NULL;
    *out = n;
    return 0;
}

/* A GeoPoint operand as (lat, lng); 0 or -1 with err set. */
static int
query_geopoint(json_t *v, double *lat, double *lng, const char *op,
               perr_t *err)
{
    json_t *la = json_object_get(v, "latitude");
    json_t *lo = json_object_get(v, "longitude");

    if (json_is_array(v) && json_array_size(v) == 2) {
        /* [longitude, latitude], the order Mongo's $centerSphere uses */
        lo = json_array_get(v, 0);
        la = json_array_get(v, 1);
    } else if (!ptype_is(v, "GeoPoint")) {
        return perr_set(err, PERR_INVALID_JSON, "bad %s value: not a GeoPoint",
                        op);
    }
    if (!json_is_number(la) || !json_is_number(lo))
        return perr_set(err, PERR_INVALID_JSON, "bad %s value: not a GeoPoint",
                        op);
    *lat = json_number_value(la);
    *lng = json_number_value(lo);
    if (*lat < -90 || *lat > 90)
        return perr_set(err, PERR_INVALID_JSON,
                        "GeoPoint latitude out of bounds: %g.", *lat);
    if (*lng < -180 || *lng > 180)
        return perr_set(err, PERR_INVALID_JSON,
                        "GeoPoint longitude out of bounds: %g.", *lng);
    return 0;
}

/* $nearSphere with its $maxDistance* siblings. */
static int
query_parse_near(const char *field, ptype_t ftype, json_t *spec,
                 qnode_t **out, perr_t *err)
{
    static const struct {
        const char *name;
        double per_radian;
    } units[] = {{"$maxDistance", 1}, {"$maxDistanceInRadians", 1},
                 {"$maxDistanceInMiles", GEO_EARTH_RADIUS_MILES},
                 {"$maxDistanceInKilometers", GEO_EARTH_RADIUS_KM}};
    double lat, lng, max = -1;

    if (query_geopoint(json_object_get(spec, "$nearSphere"), &lat, &lng,
                       "$nearSphere", err))
        return -1;
    for (size_t i = 0; i < 4; i++) {
        json_t *d = json_object_get(spec, units[i].name);

        if (d == NULL)
            continue;
        if (!json_is_number(d) || json_number_value(d) < 0)
            return perr_set(err, PERR_INVALID_QUERY,
                            "bad %s value: must be a non-negative number",
                            units[i].name);
        max = json_number_value(d) / units[i].per_radian;
    }
    *out = query_cmp(field, ftype, QOP_NEAR,
                     json_pack("[f,f,f]", lat, lng, max));
    return 0;
}

/* The vertices of a $polygon operand as [[lat, lng], ...]. */
static json_t *
query_polygon(json_t *v, perr_t *err)
{
    json_t *pts = ptype_is(v, "Polygon") ? json_object_get(v, "coordinates")
                                         : v;
    json_t *out, *p;
    size_t i;

    if (!json_is_array(pts) || json_array_size(pts) < 3) {
        perr_set(err, PERR_INVALID_JSON, "bad $geoWithin value; $polygon "
                                         "should contain at least 3 GeoPoints");
        return NULL;
    }
    out = json_array();
    json_array_foreach(pts, i, p) {
        double lat, lng;

        if (json_is_array(p) && json_array_size(p) == 2 &&
            json_is_number(json_array_get(p, 0)) &&
            json_is_number(json_array_get(p, 1))) {
            lat = json_number_value(json_array_get(p, 0));
            lng = json_number_value(json_array_get(p, 1));
        } else if (query_geopoint(p, &lat, &lng, "$polygon", err)) {
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, json_pack("[f,f]", lat, lng));
    }
    return out;
}

/* $within {$box}, $geoWithin {$polygon | $centerSphere}, $geoIntersects. */
static int
query_parse_geo(const char *field, ptype_t ftype, const char *opname,
                json_t *spec, qnode_t **out, perr_t *err)
{
    double a, b, c, d;
    json_t *v;

    if (!json_is_object(spec))
        return perr_set(err, PERR_INVALID_JSON, "bad %s value", opname);
    if (strcmp(opname, "$geoIntersects") == 0) {
        if (query_geopoint(json_object_get(spec, "$point"), &a, &b,
                           "$geoIntersects", err))
            return -1;
        *out = query_cmp(field, ftype, QOP_INTERSECTS, json_pack("[f,f]", a, b));
        return 0;
    }
    if ((v = json_object_get(spec, "$box")) != NULL) {
        if (!json_is_array(v) || json_array_size(v) != 2)
            return perr_set(err, PERR_INVALID_JSON,
                            "bad $box value: needs two GeoPoints");
        if (query_geopoint(json_array_get(v, 0), &a, &b, "$box", err) ||
            query_geopoint(json_array_get(v, 1), &c, &d, "$box", err))
            return -1;
        *out = query_cmp(field, ftype, QOP_WITHIN_BOX,
                         json_pack("[f,f,f,f]", fmin(a, c), fmin(b, d),
                                   fmax(a, c), fmax(b, d)));
        return 0;
    }
    if ((v = json_object_get(spec, "$polygon")) != NULL) {
        json_t *poly = query_polygon(v, err);

        if (poly == NULL)
            return -1;
        *out = query_cmp(field, ftype, QOP_WITHIN_POLYGON, poly);
        return 0;
    }
    if ((v = json_object_get(spec, "$centerSphere")) != NULL) {
        json_t *r = json_array_get(v, 1);

        if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_number(r) ||
            json_number_value(r) < 0)
            return perr_set(err, PERR_INVALID_JSON,
                            "bad $geoWithin value; $centerSphere should be "
                            "[[lng, lat], radius]");
        if (query_geopoint(json_array_get(v, 0), &a, &b, "$centerSphere", err))
            return -1;
        *out = query_cmp(field, ftype, QOP_WITHIN_CENTER,
                         json_pack("[f,f,f]", a, b, json_number_value(r)));
        return 0;
    }
    return perr_set(err, PERR_INVALID_JSON, "bad %s value", opname);
}

/* $text {$search: {$term, $language, $caseSensitive, $diacriticSensitive}}
 * with parse-server's Postgres checks and messages. */
static int
query_parse_text(const char *field, ptype_t ftype, json_t *spec,
                 qnode_t **out, perr_t *err)
{
    json_t *search = json_object_get(spec, "$search");
    json_t *term = json_object_get(search, "$term");
    json_t *lang = json_object_get(search, "$language");
    json_t *cs = json_object_get(search, "$caseSensitive");
    json_t *ds = json_object_get(search, "$diacriticSensitive");

    if (!json_is_object(search))
        return perr_set(err, PERR_INVALID_JSON,
                        "bad $text: $search, should be object");
    if (!json_is_string(term) || json_string_length(term) == 0)
        return perr_set(err, PERR_INVALID_JSON,
                        "bad $text: $term, should be string");
    if (lang != NULL && !json_is_string(lang))
        return perr_set(err, PERR_INVALID_JSON,
                        "bad $text: $language, should be string");
    if (cs != NULL && !json_is_boolean(cs))
        return perr_set(err, PERR_INVALID_JSON,
                        "bad $text: $caseSensitive, should be boolean");
    if (json_is_true(cs))
        return perr_set(err, PERR_INVALID_JSON,
                        "bad $text: $caseSensitive not supported, please use "
                        "$regex or create a separate lower case column.");
    if (ds != NULL && !json_is_boolean(ds))
        return perr_set(err, PERR_INVALID_JSON,
                        "bad $text: $diacriticSensitive, should be boolean");
    if (json_is_false(ds))
        return perr_set(err, PERR_INVALID_JSON,
                        "bad $text: $diacriticSensitive - false not supported");
    *out = query_cmp(field, ftype, QOP_TEXT, json_incref(term));
    (*out)->options = strdup(lang ? json_string_value(lang) : "english");
    return 0;
}

/* $select / $dontSelect: {"query": {"className", "where"}, "key": k}. */
static int
query_parse_select(const char *field, ptype_t ftype, qop_t op,
                   const char *opname, json_t *spec, int depth,
                   qnode_t **out, perr_t *err)
{
    json_t *key = json_object_get(spec, "key");
    qnode_t *n;

    if (!json_is_object(spec) || !json_is_string(key) ||
        !json_is_object(json_object_get(spec, "query")))
        return perr_set(err, PERR_INVALID_QUERY, "improper usage of %s",
                        opname);
    n = query_cmp(field, ftype, op, json_null());
    n->sub_key = strdup(json_string_value(key));
    if (query_parse_sub(n, json_object_get(spec, "query"), opname, depth,
                        err)) {
        qnode_free(n);
        return -1;
    }
    *out = n;
    return 0;
}

/* $relatedTo: {"object": Pointer to the owner, "key": relation field}. */
static int
query_parse_related(json_t *spec, qnode_t *parent, perr_t *err)
{
    json_t *obj = json_object_get(spec, "object");
    json_t *key = json_object_get(spec, "key");
    const char *cls = json_string_value(json_object_get(obj, "className"));
    json_t *oid = json_object_get(obj, "objectId");
    qnode_t *n;

    if (!ptype_is(obj, "Pointer") || cls == NULL || !json_is_string(oid) ||
        !json_is_string(key))
        return perr_set(err, PERR_INVALID_QUERY, "improper usage of $relatedTo");
    if (schema_check_class_name(cls, err))
        return -1;
    n = query_cmp("objectId", PT_STRING, QOP_RELATED_TO, json_incref(oid));
    n->sub_key = strdup(json_string_value(key));
    n->sub_cls = schema_cache_get(cls);
    qnode_add_kid(parent, n);
    return 0;
}

/* One {"$op": operand} entry on field. */
static int
query_parse_op(const char *field, ptype_t ftype, const char *opname,
               json_t *operand, int depth, qnode_t **out, perr_t *err)
{
    qop_t op = QOP_EQ;
    bool found = false;
    json_t *val;

    if (!strcmp(opname, "$inQuery") || !strcmp(opname, "$notInQuery")) {
        qnode_t *n = query_cmp(field, ftype,
                               opname[1] == 'i' ? QOP_IN_QUERY
                                                : QOP_NOT_IN_QUERY,
                               json_null());

        if (query_parse_sub(n, operand, opname, depth, err)) {
            qnode_free(n);
            return -1;
        }
        *out = n;
        return 0;
    }
    if (!strcmp(opname, "$select") || !strcmp(opname, "$dontSelect"))
        return query_parse_select(field, ftype,
                                  opname[1] == 's' ? QOP_SELECT
                                                   : QOP_DONT_SELECT,
                                  opname, operand, depth, out, err);

    for (size_t i = 0; i < sizeof(query_ops) / sizeof(query_ops[0]); i++) {
        if (strcmp(opname, query_ops[i].name) == 0) {
            op = query_ops[i].op;
            found = true;
            break;
        }
    }
    if (!found)
        return perr_set(err, PERR_INVALID_QUERY,
                        "bad constraint: %.64s is not a supported query "
                        "operator", opname);
    switch (op) {
    case QOP_EXISTS:
        if (!json_is_boolean(operand))
            return perr_set(err, PERR_INVALID_QUERY,
                            "bad $exists value: must be a boolean");
        val = json_incref(operand);
        break;
    case QOP_IN:
    case QOP_NIN:
    case QOP_ALL:
    case QOP_CONTAINED_BY:
        val = query_normalise_list(operand, opname, err);
        if (val == NULL)
            return -1;
        break;
    case QOP_LT:
    case QOP_LTE:
    case QOP_GT:
    case QOP_GTE:
        val = query_normalise(operand, err);
        if (val == NULL)
            return -1;
        if (query_check_ordered(ftype, val, opname, err)) {
            json_decref(val);
            return -1;
        }
        break;
    default:
        val = query_normalise(operand, err);
        if (val == NULL)
            return -1;
        if (json_is_object(val) && json_object_size(val) > 0 &&
            json_object_iter_key(json_object_iter(val))[0] == '$') {
            json_decref(val);
            return perr_set(err, PERR_INVALID_QUERY, "bad %s value", opname);
        }
    }
    *out = query_cmp(field, ftype, op, val);
    return 0;
}

/* True when v is {"$op": ...}: a constraint object, not a value. */
static bool
query_is_constraint(json_t *v)
{
    void *it;

    if (!json_is_object(v) || json_object_get(v, "__type") != NULL)
        return false;
    it = json_object_iter(v);
    return it != NULL && json_object_iter_key(it)[0] == '$';
}

static int
query_parse_field(const schema_class_t *cls, const char *key, json_t *v,
                  qnode_t *parent, int depth, perr_t *err)
{
    const char *dot = strchr(key, '.');
    ptype_t ftype;
    const char *opname;
    json_t *operand;
    json_t *val;

    if (!query_is_valid_path(key))
        return perr_set(err, PERR_INVALID_KEY_NAME, "Invalid key name: %.120s",
                        key);
    if (strcmp(key, "ACL") == 0)
        return perr_set(err, PERR_INVALID_QUERY, "Cannot query on ACL.");
    if (dot != NULL) {
        char base[256];

        snprintf(base, sizeof(base), "%.*s", (int)(dot - key), key);
        ftype = schema_field_type(cls, base);
        if (ftype != PT_OBJECT && ftype != PT_NONE)
            return perr_set(err, PERR_INVALID_QUERY,
                            "Cannot query into %s: it is not an Object", base);
        ftype = PT_NONE;  /* values inside an Object have no schema type */
    } else {
        ftype = schema_field_type(cls, key);
    }
    if (!query_is_constraint(v)) {
        val = query_normalise(v, err);
        if (val == NULL)
            return -1;
        qnode_add_kid(parent, query_cmp(key, ftype, QOP_EQ, val));
        return 0;
    }
    json_object_foreach(v, opname, operand) {
        qnode_t *n = NULL;
        int rc;

        if (strcmp(opname, "$options") == 0) {
            if (json_object_get(v, "$regex") == NULL)
                return perr_set(err, PERR_INVALID_QUERY,
                                "$options needs a $regex");
            continue;
        }
        if (strncmp(opname, "$maxDistance", 12) == 0) {
            if (json_object_get(v, "$nearSphere") == NULL)
                return perr_set(err, PERR_INVALID_QUERY,
                                "%s needs a $nearSphere", opname);
            continue;
        }
        if (strcmp(opname, "$regex") == 0)
            rc = query_parse_regex(key, ftype, v, &n, err);
        else if (strcmp(opname, "$nearSphere") == 0)
            rc = query_parse_near(key, ftype, v, &n, err);
        else if (!strcmp(opname, "$within") || !strcmp(opname, "$geoWithin") ||
                 !strcmp(opname, "$geoIntersects"))
            rc = query_parse_geo(key, ftype, opname, operand, &n, err);
        else if (strcmp(opname, "$text") == 0)
            rc = query_parse_text(key, ftype, operand, &n, err);
        else
            rc = query_parse_op(key, ftype, opname, operand, depth, &n, err);
        if (rc)
            return -1;
        qnode_add_kid(parent, n);
    }
    return 0;
}

/* $or / $and / $nor: an array of where objects. */
static int
query_parse_compound(const schema_class_t *cls, const char *key, json_t *v,
                     qnode_t *parent, int depth, perr_t *err)
{
    qnode_kind_t kind = strcmp(key, "$or") == 0    ? QN_OR
                        : strcmp(key, "$and") == 0 ? QN_AND
                                                   : QN_NOR;
    qnode_t *n;
    json_t *sub;
    size_t i;

    if (!json_is_array(v) || json_array_size(v) == 0)
        return perr_set(err, PERR_INVALID_QUERY,
                        "Bad %s format - use an array value.", key);
    n = qnode_create(kind);
    qnode_add_kid(parent, n);
    json_array_foreach(v, i, sub) {
        qnode_t *branch;

        if (!json_is_object(sub))
            return perr_set(err, PERR_INVALID_QUERY,
                            "Bad %s format - use an array of objects.", key);
        branch = qnode_create(QN_AND);
        qnode_add_kid(n, branch);
        if (query_parse_into(cls, sub, branch, depth + 1, err))
            return -1;
    }
    return 0;
}

/* Set while parsec parses a where of its own (query_parse_internal):
 * only then may equality name internal fields such as _perishable_token.
 * Thread-local because every worker parses queries at once. */
static _Thread_local bool query_internal;

static int
query_parse_into(const schema_class_t *cls, json_t *where, qnode_t *parent,
                 int depth, perr_t *err)
{
    const char *key;
    json_t *v;

    if (depth > 32)
        return perr_set(err, PERR_INVALID_QUERY, "query nested too deeply");
    json_object_foreach(where, key, v) {
        int rc;

        if (key[0] == '_' && query_internal &&
            schema_field_find(cls, key) != NULL) {
            /* parsec's own lookups (tokens in _User's internal fields). */
            json_t *val = query_normalise(v, err);

            if (val == NULL)
                return -1;
            qnode_add_kid(parent, query_cmp(key, schema_field_type(cls, key),
                                            QOP_EQ, val));
            rc = 0;
        } else if (key[0] == '$' || key[0] == '_') {
            if (!query_is_special_key(key))
                return perr_set(err, PERR_INVALID_KEY_NAME,
                                "Invalid key name: %.120s", key);
            if (key[0] == '_')
                return perr_set(err, PERR_INVALID_QUERY,
                                "Cannot query on %s", key);
            if (strcmp(key, "$relatedTo") == 0)
                rc = query_parse_related(v, parent, err);
            else
                rc = query_parse_compound(cls, key, v, parent, depth, err);
        } else {
            rc = query_parse_field(cls, key, v, parent, depth, err);
        }
        if (rc)
            return -1;
    }
    return 0;
}

int
query_parse_where(const schema_class_t *cls, json_t *where, qnode_t **out,
                  perr_t *err)
{
    qnode_t *root = qnode_create(QN_AND);

    if (where != NULL && !json_is_null(where)) {
        if (!json_is_object(where)) {
            qnode_free(root);
            return perr_set(err, PERR_INVALID_QUERY,
                            "where must be a JSON object");
        }
        if (query_parse_into(cls, where, root, 0, err)) {
            qnode_free(root);
            return -1;
        }
    }
    *out = root;
    return 0;
}

char **
query_split_list(const char *s, size_t *n)
{
    char **list = NULL;
    const char *p = s;

    *n = 0;
    while (p != NULL && *p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        while (len > 0 && isspace((unsigned char)*p)) {
            p++;
            len--;
        }
        while (len > 0 && isspace((unsigned char)p[len - 1]))
            len--;
        if (len > 0) {
            list = realloc(list, (*n + 1) * sizeof(char *));
            list[(*n)++] = strndup(p, len);
        }
        p = end ? end + 1 : NULL;
    }
    return list;
}

void
query_free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

static int
query_parse_order(query_t *q, const char *order, perr_t *err)
{
    size_t n;
    char **names = query_split_list(order, &n);
    size_t parts = 1;

    /* An empty name ("a,,b" or ",") is refused as parse-server does. */
    for (const char *p = order; *p; p++)
        parts += *p == ',';
    if (parts != n) {
        query_free_list(names, n);
        return perr_set(err, PERR_INVALID_KEY_NAME, "Invalid field name: .");
    }

    q->order = calloc(n ? n : 1, sizeof(qorder_t));
    for (size_t i = 0; i < n; i++) {
        const char *name = names[i];
        bool desc = name[0] == '-';

        if (desc)
            name++;
        /* $score orders full-text results (best first); without a $text
         * it orders nothing, as in parse-server. */
        if (!query_is_valid_path(name) && strcmp(name, "$score") != 0 &&
            strcmp(name, "_created_at") && strcmp(name, "_updated_at")) {
            perr_set(err, PERR_INVALID_KEY_NAME, "Invalid field name: %.120s.",
                     name);
            query_free_list(names, n);
            return -1;
        }
        if (strcmp(name, "_created_at") == 0)
            name = "createdAt";
        else if (strcmp(name, "_updated_at") == 0)
            name = "updatedAt";
        q->order[q->norder].field = strdup(name);
        q->order[q->norder].desc = desc;
        q->norder++;
    }
    query_free_list(names, n);
    return 0;
}

int
query_parse(query_t *q, const schema_class_t *cls, json_t *where,
            const char *order, const char *keys, const char *include,
            perr_t *err)
{
    memset(q, 0, sizeof(*q));
    q->limit = -1;
    if (query_parse_where(cls, where, &q->where, err))
        return -1;
    if (order != NULL && *order && query_parse_order(q, order, err)) {
        query_cleanup(q);
        return -1;
    }
    if (keys != NULL)
        q->keys = query_split_list(keys, &q->nkeys);
    if (keys != NULL && q->keys == NULL)
        q->keys = calloc(1, sizeof(char *));  /* keys= selects no field */
    if (include != NULL)
        q->include = query_split_list(include, &q->ninclude);
    for (size_t i = 0; i < q->nkeys; i++)
        q->want_score = q->want_score || strcmp(q->keys[i], "$score") == 0;
    for (size_t i = 0; i < q->where->nkids; i++) {
        const qnode_t *k = q->where->kids[i];

        if (k->kind == QN_CMP && k->op == QOP_NEAR && q->near == NULL)
            q->near = k;
        if (k->kind == QN_CMP && k->op == QOP_TEXT && q->text == NULL)
            q->text = k;
    }
    return 0;
}

void
query_cleanup(query_t *q)
{
    qnode_free(q->where);
    for (size_t i = 0; i < q->norder; i++)
        free(q->order[i].field);
    free(q->order);
    query_free_list(q->keys, q->nkeys);
    query_free_list(q->include, q->ninclude);
    memset(q, 0, sizeof(*q));
}

int
query_and_where(query_t *q, const schema_class_t *cls, json_t *where,
                perr_t *err)
{
    qnode_t *extra = NULL;

    if (query_parse_where(cls, where, &extra, err))
        return -1;
    /* q->where is always an AND root (see query_parse_where). */
    qnode_add_kid(q->where, extra);
    return 0;
}

int
query_parse_internal(query_t *q, const schema_class_t *cls, json_t *where,
                     perr_t *err)
{
    int rc;

    query_internal = true;
    rc = query_parse(q, cls, where, NULL, NULL, NULL, err);
    query_internal = false;
    return rc;
}
