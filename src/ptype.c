/* SPDX-License-Identifier: MIT */
/*
 * ptype.c - Parse type names, type inference from values and value checks
 * (see ptype.h). Mirrors parse-server's rules for which JSON shapes are
 * which type, but answers malformed values with a 4xx code where
 * parse-server would fail with a 500.
 */
#include "ptype.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static const char *const ptype_names[] = {
    [PT_NONE] = "",          [PT_STRING] = "String",
    [PT_NUMBER] = "Number",  [PT_BOOLEAN] = "Boolean",
    [PT_DATE] = "Date",      [PT_OBJECT] = "Object",
    [PT_ARRAY] = "Array",    [PT_POINTER] = "Pointer",
    [PT_RELATION] = "Relation", [PT_FILE] = "File",
    [PT_GEOPOINT] = "GeoPoint", [PT_POLYGON] = "Polygon",
    [PT_BYTES] = "Bytes",    [PT_ACL] = "ACL",
};

const char *
ptype_name(ptype_t t)
{
    return ptype_names[t];
}

ptype_t
ptype_from_name(const char *s)
{
    for (int t = PT_STRING; t <= PT_ACL; t++) {
        if (strcmp(ptype_names[t], s) == 0)
            return (ptype_t)t;
    }
    return PT_NONE;
}

bool
ptype_is(json_t *v, const char *type_name)
{
    json_t *t = json_object_get(v, "__type");

    return json_is_string(t) && strcmp(json_string_value(t), type_name) == 0;
}

json_t *
ptype_number_create(double d)
{
    if (d == floor(d) && fabs(d) <= 9007199254740992.0)
        return json_integer((json_int_t)d);
    return json_real(d);
}

bool
ptype_equal(json_t *a, json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (json_is_array(a) && json_is_array(b)) {
        size_t n = json_array_size(a);

        if (n != json_array_size(b))
            return false;
        for (size_t i = 0; i < n; i++) {
            if (!ptype_equal(json_array_get(a, i), json_array_get(b, i)))
                return false;
        }
        return true;
    }
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *va;

        if (json_object_size(a) != json_object_size(b))
            return false;
        json_object_foreach(a, k, va) {
            if (!ptype_equal(va, json_object_get(b, k)))
                return false;
        }
        return true;
    }
    return json_equal(a, b);
}

/* {"__type": type} with its members to come. Built member by member, not
 * with json_pack: these are made for every value of every row read, and
 * json_pack's format parsing costs more than the object. */
json_t *
ptype_typed_create(const char *type)
{
    json_t *v = json_object();

    json_object_set_new_nocheck(v, "__type", json_string_nocheck(type));
    return v;
}

json_t *
ptype_date_from_iso(json_t *iso)
{
    json_t *v = ptype_typed_create("Date");

    json_object_set_new_nocheck(v, "iso", iso);
    return v;
}

json_t *
ptype_date_create(int64_t ms)
{
    char iso[32];

    util_format_iso(ms, iso);
    return ptype_date_from_iso(json_string(iso));
}

int
ptype_date_ms(json_t *v, int64_t *ms)
{
    if (json_is_object(v))
        v = json_object_get(v, "iso");
    if (!json_is_string(v))
        return -1;
    return util_parse_iso(json_string_value(v), ms);
}

json_t *
ptype_pointer_create(const char *class_name, const char *object_id)
{
    json_t *v = ptype_typed_create("Pointer");

    json_object_set_new_nocheck(v, "className", json_string(class_name));
    json_object_set_new_nocheck(v, "objectId", json_string(object_id));
    return v;
}

static int
ptype_check_geopoint(json_t *v, perr_t *err)
{
    json_t *lat = json_object_get(v, "latitude");
    json_t *lng = json_object_get(v, "longitude");
    double la, lo;

    if (!json_is_number(lat) || !json_is_number(lng))
        return perr_set(err, PERR_INCORRECT_TYPE, "This is not a valid GeoPoint");
    la = json_number_value(lat);
    lo = json_number_value(lng);
    if (la < -90 || la > 90)
        return perr_set(err, PERR_INVALID_JSON,
                        "GeoPoint latitude out of bounds: %g.", la);
    if (lo < -180 || lo > 180)
        return perr_set(err, PERR_INVALID_JSON,
                        "GeoPoint longitude out of bounds: %g.", lo);
    return 0;
}

static int
ptype_check_polygon(json_t *v, perr_t *err)
{
    json_t *coords = json_object_get(v, "coordinates");
    size_t i;
    json_t *pt;

    if (!json_is_array(coords) || json_array_size(coords) < 3)
        return perr_set(err, PERR_INVALID_JSON,
                        "Polygon must have at least 3 values");
    json_array_foreach(coords, i, pt) {
        json_t *a = json_array_get(pt, 0), *b = json_array_get(pt, 1);

        if (!json_is_array(pt) || json_array_size(pt) != 2 ||
            !json_is_number(a) || !json_is_number(b))
            return perr_set(err, PERR_INVALID_JSON,
                            "Polygon points must be [latitude, longitude]");
        if (fabs(json_number_value(a)) > 90 || fabs(json_number_value(b)) > 180)
            return perr_set(err, PERR_INVALID_JSON,
                            "Polygon point out of bounds");
    }
    return 0;
}

/* Check an object carrying __type and name its type. */
static int
ptype_of_typed(json_t *v, ptype_t *type, const char **target, perr_t *err)
{
    const char *t = json_string_value(json_object_get(v, "__type"));
    json_t *cls = json_object_get(v, "className");
    json_t *oid = json_object_get(v, "objectId");
    int64_t ms;

    if (t == NULL)
        return perr_set(err, PERR_INCORRECT_TYPE, "__type must be a string");
    if (strcmp(t, "Pointer") == 0) {
        if (!json_is_string(cls) || !json_is_string(oid) ||
            json_string_length(oid) == 0)
            return perr_set(err, PERR_INVALID_POINTER,
                            "A pointer needs a className and an objectId");
        if (!util_is_valid_name(json_string_value(cls)) &&
            json_string_value(cls)[0] != '_')
            return perr_set(err, PERR_INVALID_POINTER,
                            "Invalid pointer class name: %s",
                            json_string_value(cls));
        *type = PT_POINTER;
        *target = json_string_value(cls);
        return 0;
    }
    if (strcmp(t, "Relation") == 0) {
        if (!json_is_string(cls))
            return perr_set(err, PERR_INCORRECT_TYPE,
                            "This is not a valid Relation");
        *type = PT_RELATION;
        *target = json_string_value(cls);
        return 0;
    }
    if (strcmp(t, "Date") == 0) {
        if (ptype_date_ms(v, &ms))
            return perr_set(err, PERR_INVALID_JSON,
                            "This is not a valid Date: iso must be an "
                            "ISO-8601 date");
        *type = PT_DATE;
        return 0;
    }
    if (strcmp(t, "File") == 0) {
        if (!json_is_string(json_object_get(v, "name")))
            return perr_set(err, PERR_INCORRECT_TYPE,
                            "This is not a valid File");
        *type = PT_FILE;
        return 0;
    }
    if (strcmp(t, "GeoPoint") == 0) {
        *type = PT_GEOPOINT;
        return ptype_check_geopoint(v, err);
    }
    if (strcmp(t, "Bytes") == 0) {
        if (!json_is_string(json_object_get(v, "base64")))
            return perr_set(err, PERR_INCORRECT_TYPE,
                            "This is not a valid Bytes");
        *type = PT_BYTES;
        return 0;
    }
    if (strcmp(t, "Polygon") == 0) {
        *type = PT_POLYGON;
        return ptype_check_polygon(v, err);
    }
    return perr_set(err, PERR_INCORRECT_TYPE, "This is not a valid %s", t);
}

/* Check a {"__op": ...} field operation and name the type it produces. */
static int
ptype_of_op(json_t *v, ptype_t *type, const char **target, perr_t *err)
{
    const char *op = json_string_value(json_object_get(v, "__op"));
    json_t *objects = json_object_get(v, "objects");

    if (op == NULL)
        return perr_set(err, PERR_INVALID_JSON, "__op must be a string");
    if (strcmp(op, "Increment") == 0) {
        if (!json_is_number(json_object_get(v, "amount")))
            return perr_set(err, PERR_INVALID_JSON,
                            "incrementing must provide a number");
        *type = PT_NUMBER;
        return 0;
    }
    if (strcmp(op, "Delete") == 0) {
        *type = PT_NONE;
        return 0;
    }
    if (!strcmp(op, "Add") || !strcmp(op, "AddUnique") || !strcmp(op, "Remove")) {
        if (!json_is_array(objects))
            return perr_set(err, PERR_INVALID_JSON,
                            "objects to %s must be an array",
                            strcmp(op, "Remove") ? "add" : "remove");
        *type = PT_ARRAY;
        return ptype_check_nested(objects, err);
    }
    if (!strcmp(op, "AddRelation") || !strcmp(op, "RemoveRelation")) {
        size_t i;
        json_t *p;
        const char *cls = NULL;

        if (!json_is_array(objects) || json_array_size(objects) == 0)
            return perr_set(err, PERR_INVALID_JSON,
                            "objects of %s must be a non-empty array", op);
        json_array_foreach(objects, i, p) {
            ptype_t pt;
            const char *pc;

            if (!ptype_is(p, "Pointer"))
                return perr_set(err, PERR_INVALID_POINTER,
                                "%s needs an array of pointers", op);
            if (ptype_of_typed(p, &pt, &pc, err))
                return -1;
            if (cls != NULL && strcmp(cls, pc) != 0)
                return perr_set(err, PERR_INCORRECT_TYPE,
                                "All objects in a relation must have the "
                                "same class");
            cls = pc;
        }
        *type = PT_RELATION;
        *target = cls;
        return 0;
    }
    if (strcmp(op, "Batch") == 0) {
        json_t *ops = json_object_get(v, "ops");
        size_t i;
        json_t *sub;

        if (!json_is_array(ops) || json_array_size(ops) == 0)
            return perr_set(err, PERR_INVALID_JSON,
                            "Batch needs a non-empty ops array");
        json_array_foreach(ops, i, sub) {
            const char *sop = json_string_value(json_object_get(sub, "__op"));

            if (sop == NULL || (strcmp(sop, "AddRelation") &&
                                strcmp(sop, "RemoveRelation")))
                return perr_set(err, PERR_INVALID_JSON,
                                "Batch may only hold AddRelation and "
                                "RemoveRelation");
            if (ptype_of_op(sub, type, target, err))
                return -1;
        }
        return 0;
    }
    return perr_set(err, PERR_INVALID_JSON,
                    "The %s operator is not supported.", op);
}

static int
ptype_of_value_into(json_t *v, ptype_t *type, const char **target,
                    perr_t *err)
{
    *target = NULL;
    switch (json_typeof(v)) {
    case JSON_NULL:
        *type = PT_NONE;
        return 0;
    case JSON_STRING:
        *type = PT_STRING;
        return 0;
    case JSON_INTEGER:
    case JSON_REAL:
        *type = PT_NUMBER;
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        *type = PT_BOOLEAN;
        return 0;
    case JSON_ARRAY:
        *type = PT_ARRAY;
        return ptype_check_nested(v, err);
    case JSON_OBJECT:
        if (json_object_get(v, "__type") != NULL)
            return ptype_of_typed(v, type, target, err);
        if (json_object_get(v, "__op") != NULL)
            return ptype_of_op(v, type, target, err);
        *type = PT_OBJECT;
        return ptype_check_nested(v, err);
    }
    return perr_set(err, PERR_INVALID_JSON, NULL);
}

int
ptype_of_value(json_t *v, ptype_t *type, const char **target, perr_t *err)
{
    ptype_t t = PT_NONE;
    const char *tc = NULL;

    /* Work on locals so a failure leaves the outputs as they were. */
    if (ptype_of_value_into(v, &t, &tc, err))
        return -1;
    *type = t;
    *target = tc;
    return 0;
}

int
ptype_check_nested(json_t *v, perr_t *err)
{
    const char *k;
    json_t *sub;
    size_t i;

    if (json_is_array(v)) {
        json_array_foreach(v, i, sub) {
            if (ptype_check_nested(sub, err))
                return -1;
        }
        return 0;
    }
    if (!json_is_object(v))
        return 0;
    /* parse-server's default keyword denylist: these names let a request
     * reach into the prototype chain or BSON code execution. */
    if (json_object_get(v, "constructor") != NULL ||
        json_object_get(v, "__proto__") != NULL)
        return perr_set(err, PERR_INVALID_KEY_NAME,
                        "Prohibited keyword in request data");
    {
        json_t *bt = json_object_get(v, "_bsontype");

        if (json_is_string(bt) && strcmp(json_string_value(bt), "Code") == 0)
            return perr_set(err, PERR_INVALID_KEY_NAME,
                            "Prohibited keyword in request data: "
                            "{\"key\":\"_bsontype\",\"value\":\"Code\"}.");
    }
    json_object_foreach(v, k, sub) {
        /* Typed values (Pointer, Date, ...) nest inside Objects and Arrays
         * with their own "__type" key, which is allowed. */
        if (strchr(k, '$') != NULL || strchr(k, '.') != NULL)
            return perr_set(err, PERR_INVALID_NESTED_KEY, NULL);
        if (ptype_check_nested(sub, err))
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------- encoding */

static void
ptype_dump_string(sbuf_t *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0;

    sbuf_append_len(out, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7];
        const char *e = NULL;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sbuf_append_len(out, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':  e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        default:
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            esc[6] = '\0';
            e = esc;
        }
        sbuf_append(out, e);
    }
    sbuf_append_len(out, s + run, len - run);
    sbuf_append_len(out, "\"", 1);
}

/* A real as jansson prints it: %.17g, a ".0" when that looks like an
 * integer, no "+" or leading zeros in the exponent. */
static void
ptype_dump_real(sbuf_t *out, double d)
{
    char buf[40], *e;

    snprintf(buf, sizeof(buf), "%.17g", d);
    if (strchr(buf, '.') == NULL && strchr(buf, 'e') == NULL)
        strcat(buf, ".0");
    e = strchr(buf, 'e');
    if (e != NULL) {
        char *start = e + 1, *end = e + 2;

        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start)
            memmove(start, end, strlen(end) + 1);
    }
    sbuf_append(out, buf);
}

void
ptype_dump(sbuf_t *out, json_t *v)
{
    /* One allocation for a typical answer rather than a doubling series. */
    if (out->cap == 0)
        sbuf_reserve(out, 4096);
    const char *key;
    json_t *el;
    size_t i;
    bool first = true;
    char num[32];

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        sbuf_append_len(out, "{", 1);
        json_object_foreach(v, key, el) {
            if (!first)
                sbuf_append_len(out, ",", 1);
            first = false;
            ptype_dump_string(out, key, strlen(key));
            sbuf_append_len(out, ":", 1);
            ptype_dump(out, el);
        }
        sbuf_append_len(out, "}", 1);
        return;
    case JSON_ARRAY:
        sbuf_append_len(out, "[", 1);
        json_array_foreach(v, i, el) {
            if (i)
                sbuf_append_len(out, ",", 1);
            ptype_dump(out, el);
        }
        sbuf_append_len(out, "]", 1);
        return;
    case JSON_STRING:
        ptype_dump_string(out, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        sbuf_append(out, num);
        return;
    case JSON_REAL:
        ptype_dump_real(out, json_real_value(v));
        return;
    case JSON_TRUE:
        sbuf_append_len(out, "true", 4);
        return;
    case JSON_FALSE:
        sbuf_append_len(out, "false", 5);
        return;
    default:
        sbuf_append_len(out, "null", 4);
    }
}
