/* SPDX-License-Identifier: MIT */
/*
 * test_ptype.c - type inference and value checks for Parse values.
 */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "ptype.h"
#include "util.h"
#include "unit.h"

/* Parse JSON text (tests only pass valid text). */
static json_t *
js(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

    if (v == NULL)
        fprintf(stderr, "bad test JSON %s: %s\n", text, jerr.text);
    return v;
}

/*
 * Run ptype_of_value on text; return its result, and fill *type, the
 * target class (copied into target_out, "" for none) and *code (0 on
 * success).
 */
static int
of_value(const char *text, ptype_t *type, char *target_out, int *code)
{
    json_t *v = js(text);
    ptype_t t = (ptype_t)-1;
    const char *target = "sentinel";
    perr_t err;
    int rc;

    memset(&err, 0, sizeof(err));
    rc = ptype_of_value(v, &t, &target, &err);
    *type = t;
    *code = rc == 0 ? 0 : err.code;
    if (target_out != NULL) {
        snprintf(target_out, 64, "%s", target ? target : "");
    }
    if (rc != 0 && err.msg[0] == '\0')
        fprintf(stderr, "ptype_of_value(%s) failed without a message\n",
                text);
    json_decref(v);
    return rc;
}

/* The error code ptype_of_value gives for text, or 0 when it accepts it. */
static int
value_code(const char *text)
{
    ptype_t t;
    int code;

    of_value(text, &t, NULL, &code);
    return code;
}

/* The type ptype_of_value gives for text, or -1 when it rejects it. */
static int
value_type(const char *text)
{
    ptype_t t;
    int code;

    if (of_value(text, &t, NULL, &code) != 0)
        return -1;
    return (int)t;
}

/* ------------------------------------------------------- plain values */

static void
test_of_value_scalars(void)
{
    CHECK(value_type("\"hello\"") == PT_STRING);
    CHECK(value_type("\"\"") == PT_STRING);
    CHECK(value_type("1") == PT_NUMBER);
    CHECK(value_type("-2.5") == PT_NUMBER);
    CHECK(value_type("true") == PT_BOOLEAN);
    CHECK(value_type("false") == PT_BOOLEAN);
    CHECK(value_type("null") == PT_NONE);
}

static void
test_of_value_object_and_array(void)
{
    CHECK(value_type("{\"a\":1,\"b\":{\"c\":[1,2]}}") == PT_OBJECT);
    CHECK(value_type("{}") == PT_OBJECT);
    CHECK(value_type("[1,\"two\",{\"three\":3}]") == PT_ARRAY);
    CHECK(value_type("[]") == PT_ARRAY);
    /* typed values may sit inside objects and arrays */
    CHECK(value_type("{\"when\":{\"__type\":\"Date\","
                     "\"iso\":\"2020-01-01T00:00:00.000Z\"}}") == PT_OBJECT);
    CHECK(value_type("[{\"__type\":\"Pointer\",\"className\":\"A\","
                     "\"objectId\":\"x\"}]") == PT_ARRAY);
}

static void
test_of_value_target_null_for_untargeted(void)
{
    ptype_t t;
    char target[64];
    int code;

    CHECK(of_value("\"s\"", &t, target, &code) == 0);
    CHECK_STR(target, "");
    CHECK(of_value("{\"__type\":\"Date\",\"iso\":\"2020-01-01\"}", &t,
                   target, &code) == 0);
    CHECK_STR(target, "");
}

/* ------------------------------------------------------------- Date */

static void
test_of_value_date(void)
{
    CHECK(value_type("{\"__type\":\"Date\","
                     "\"iso\":\"2020-01-01T00:00:00.000Z\"}") == PT_DATE);
    CHECK(value_type("{\"__type\":\"Date\",\"iso\":\"2020-01-01\"}") ==
          PT_DATE);
}

static void
test_of_value_bad_date_is_107(void)
{
    CHECK(value_code("{\"__type\":\"Date\",\"iso\":\"2020-13-01\"}") == 107);
    CHECK(value_code("{\"__type\":\"Date\",\"iso\":\"yesterday\"}") == 107);
    CHECK(value_code("{\"__type\":\"Date\",\"iso\":12345}") == 107);
    CHECK(value_code("{\"__type\":\"Date\"}") == 107);
    CHECK(value_code("{\"__type\":\"Date\","
                     "\"iso\":\"2023-02-29T00:00:00Z\"}") == 107);
}

/* ---------------------------------------------------------- Pointer */

static void
test_of_value_pointer(void)
{
    ptype_t t;
    char target[64];
    int code;

    CHECK(of_value("{\"__type\":\"Pointer\",\"className\":\"GameScore\","
                   "\"objectId\":\"abc123\"}",
                   &t, target, &code) == 0);
    CHECK(t == PT_POINTER);
    CHECK_STR(target, "GameScore");
    /* system classes start with an underscore */
    CHECK(of_value("{\"__type\":\"Pointer\",\"className\":\"_User\","
                   "\"objectId\":\"u1\"}",
                   &t, target, &code) == 0);
    CHECK(t == PT_POINTER);
    CHECK_STR(target, "_User");
}

static void
test_of_value_bad_pointer_is_106(void)
{
    CHECK(value_code("{\"__type\":\"Pointer\",\"objectId\":\"x\"}") == 106);
    CHECK(value_code("{\"__type\":\"Pointer\",\"className\":\"A\"}") == 106);
    CHECK(value_code("{\"__type\":\"Pointer\",\"className\":\"A\","
                     "\"objectId\":\"\"}") == 106);
    CHECK(value_code("{\"__type\":\"Pointer\",\"className\":\"A\","
                     "\"objectId\":5}") == 106);
    CHECK(value_code("{\"__type\":\"Pointer\",\"className\":7,"
                     "\"objectId\":\"x\"}") == 106);
    CHECK(value_code("{\"__type\":\"Pointer\",\"className\":\"bad-name\","
                     "\"objectId\":\"x\"}") == 106);
    CHECK(value_code("{\"__type\":\"Pointer\",\"className\":\"\","
                     "\"objectId\":\"x\"}") == 106);
}

/* --------------------------------------------------------- GeoPoint */

static void
test_of_value_geopoint(void)
{
    CHECK(value_type("{\"__type\":\"GeoPoint\",\"latitude\":40.0,"
                     "\"longitude\":-30.0}") == PT_GEOPOINT);
    CHECK(value_type("{\"__type\":\"GeoPoint\",\"latitude\":90,"
                     "\"longitude\":180}") == PT_GEOPOINT);
    CHECK(value_type("{\"__type\":\"GeoPoint\",\"latitude\":-90,"
                     "\"longitude\":-180}") == PT_GEOPOINT);
}

static void
test_of_value_geopoint_out_of_range_is_107(void)
{
    CHECK(value_code("{\"__type\":\"GeoPoint\",\"latitude\":90.5,"
                     "\"longitude\":0}") == 107);
    CHECK(value_code("{\"__type\":\"GeoPoint\",\"latitude\":-91,"
                     "\"longitude\":0}") == 107);
    CHECK(value_code("{\"__type\":\"GeoPoint\",\"latitude\":0,"
                     "\"longitude\":180.1}") == 107);
    CHECK(value_code("{\"__type\":\"GeoPoint\",\"latitude\":0,"
                     "\"longitude\":-181}") == 107);
}

static void
test_of_value_geopoint_not_numbers_is_111(void)
{
    CHECK(value_code("{\"__type\":\"GeoPoint\",\"latitude\":\"1\","
                     "\"longitude\":2}") == 111);
    CHECK(value_code("{\"__type\":\"GeoPoint\",\"latitude\":1}") == 111);
}

/* ---------------------------------------------------------- Polygon */

static void
test_of_value_polygon(void)
{
    CHECK(value_type("{\"__type\":\"Polygon\",\"coordinates\":"
                     "[[0,0],[0,1],[1,1]]}") == PT_POLYGON);
    CHECK(value_type("{\"__type\":\"Polygon\",\"coordinates\":"
                     "[[0,0],[0,1],[1,1],[1,0]]}") == PT_POLYGON);
}

static void
test_of_value_bad_polygon_is_107(void)
{
    /* fewer than 3 points */
    CHECK(value_code("{\"__type\":\"Polygon\",\"coordinates\":"
                     "[[0,0],[0,1]]}") == 107);
    CHECK(value_code("{\"__type\":\"Polygon\"}") == 107);
    /* a point that is not [lat, lng] */
    CHECK(value_code("{\"__type\":\"Polygon\",\"coordinates\":"
                     "[[0,0],[0,1],[1]]}") == 107);
    CHECK(value_code("{\"__type\":\"Polygon\",\"coordinates\":"
                     "[[0,0],[0,1],\"x\"]}") == 107);
    CHECK(value_code("{\"__type\":\"Polygon\",\"coordinates\":"
                     "[[0,0],[0,1],[1,\"1\"]]}") == 107);
    /* out of range */
    CHECK(value_code("{\"__type\":\"Polygon\",\"coordinates\":"
                     "[[0,0],[0,1],[91,1]]}") == 107);
    CHECK(value_code("{\"__type\":\"Polygon\",\"coordinates\":"
                     "[[0,0],[0,181],[1,1]]}") == 107);
}

/* ------------------------------------------ Bytes, File, Relation */

static void
test_of_value_bytes(void)
{
    CHECK(value_type("{\"__type\":\"Bytes\",\"base64\":\"aGVsbG8=\"}") ==
          PT_BYTES);
    CHECK(value_code("{\"__type\":\"Bytes\"}") == 111);
    CHECK(value_code("{\"__type\":\"Bytes\",\"base64\":1}") == 111);
}

static void
test_of_value_file(void)
{
    CHECK(value_type("{\"__type\":\"File\",\"name\":\"a.txt\","
                     "\"url\":\"http://x/a.txt\"}") == PT_FILE);
    CHECK(value_type("{\"__type\":\"File\",\"name\":\"a.txt\"}") == PT_FILE);
    CHECK(value_code("{\"__type\":\"File\"}") == 111);
    CHECK(value_code("{\"__type\":\"File\",\"name\":3}") == 111);
}

static void
test_of_value_relation(void)
{
    ptype_t t;
    char target[64];
    int code;

    CHECK(of_value("{\"__type\":\"Relation\",\"className\":\"Player\"}", &t,
                   target, &code) == 0);
    CHECK(t == PT_RELATION);
    CHECK_STR(target, "Player");
    CHECK(value_code("{\"__type\":\"Relation\"}") == 111);
}

static void
test_of_value_unknown_type_is_111(void)
{
    CHECK(value_code("{\"__type\":\"Foo\"}") == 111);
    CHECK(value_code("{\"__type\":\"date\",\"iso\":\"2020-01-01\"}") == 111);
    CHECK(value_code("{\"__type\":5}") == 111);
    CHECK(value_code("{\"__type\":null}") == 111);
}

/* ------------------------------------------------------ operations */

static void
test_of_value_op_increment(void)
{
    CHECK(value_type("{\"__op\":\"Increment\",\"amount\":1}") == PT_NUMBER);
    CHECK(value_type("{\"__op\":\"Increment\",\"amount\":-2.5}") ==
          PT_NUMBER);
    CHECK(value_code("{\"__op\":\"Increment\",\"amount\":\"1\"}") == 107);
    CHECK(value_code("{\"__op\":\"Increment\"}") == 107);
}

static void
test_of_value_op_delete(void)
{
    CHECK(value_type("{\"__op\":\"Delete\"}") == PT_NONE);
}

static void
test_of_value_op_array_ops(void)
{
    CHECK(value_type("{\"__op\":\"Add\",\"objects\":[1,2]}") == PT_ARRAY);
    CHECK(value_type("{\"__op\":\"AddUnique\",\"objects\":[\"a\"]}") ==
          PT_ARRAY);
    CHECK(value_type("{\"__op\":\"Remove\",\"objects\":[]}") == PT_ARRAY);
    CHECK(value_code("{\"__op\":\"Add\",\"objects\":1}") == 107);
    CHECK(value_code("{\"__op\":\"AddUnique\"}") == 107);
    CHECK(value_code("{\"__op\":\"Remove\",\"objects\":{\"a\":1}}") == 107);
    /* the objects are checked like nested values */
    CHECK(value_code("{\"__op\":\"Add\",\"objects\":[{\"a.b\":1}]}") == 121);
    CHECK(value_code("{\"__op\":\"Add\",\"objects\":[{\"$x\":1}]}") == 121);
}

static void
test_of_value_op_add_relation(void)
{
    ptype_t t;
    char target[64];
    int code;

    CHECK(of_value("{\"__op\":\"AddRelation\",\"objects\":["
                   "{\"__type\":\"Pointer\",\"className\":\"Player\","
                   "\"objectId\":\"a\"},"
                   "{\"__type\":\"Pointer\",\"className\":\"Player\","
                   "\"objectId\":\"b\"}]}",
                   &t, target, &code) == 0);
    CHECK(t == PT_RELATION);
    CHECK_STR(target, "Player");
    CHECK(of_value("{\"__op\":\"RemoveRelation\",\"objects\":["
                   "{\"__type\":\"Pointer\",\"className\":\"Team\","
                   "\"objectId\":\"a\"}]}",
                   &t, target, &code) == 0);
    CHECK(t == PT_RELATION);
    CHECK_STR(target, "Team");
}

static void
test_of_value_op_bad_relation(void)
{
    /* not an array, or empty */
    CHECK(value_code("{\"__op\":\"AddRelation\",\"objects\":[]}") == 107);
    CHECK(value_code("{\"__op\":\"AddRelation\"}") == 107);
    CHECK(value_code("{\"__op\":\"RemoveRelation\",\"objects\":\"x\"}") ==
          107);
    /* not pointers */
    CHECK(value_code("{\"__op\":\"AddRelation\",\"objects\":[1]}") == 106);
    CHECK(value_code("{\"__op\":\"AddRelation\",\"objects\":["
                     "{\"__type\":\"Pointer\",\"className\":\"A\"}]}") ==
          106);
    /* mixed classes */
    CHECK(value_code("{\"__op\":\"AddRelation\",\"objects\":["
                     "{\"__type\":\"Pointer\",\"className\":\"A\","
                     "\"objectId\":\"1\"},"
                     "{\"__type\":\"Pointer\",\"className\":\"B\","
                     "\"objectId\":\"2\"}]}") == 111);
}

static void
test_of_value_op_batch(void)
{
    ptype_t t;
    char target[64];
    int code;

    CHECK(of_value("{\"__op\":\"Batch\",\"ops\":["
                   "{\"__op\":\"AddRelation\",\"objects\":[{\"__type\":"
                   "\"Pointer\",\"className\":\"P\",\"objectId\":\"a\"}]},"
                   "{\"__op\":\"RemoveRelation\",\"objects\":[{\"__type\":"
                   "\"Pointer\",\"className\":\"P\",\"objectId\":\"b\"}]}]}",
                   &t, target, &code) == 0);
    CHECK(t == PT_RELATION);
    CHECK_STR(target, "P");
}

static void
test_of_value_op_bad_batch_is_107(void)
{
    CHECK(value_code("{\"__op\":\"Batch\",\"ops\":[]}") == 107);
    CHECK(value_code("{\"__op\":\"Batch\"}") == 107);
    CHECK(value_code("{\"__op\":\"Batch\",\"ops\":["
                     "{\"__op\":\"Increment\",\"amount\":1}]}") == 107);
    CHECK(value_code("{\"__op\":\"Batch\",\"ops\":[{\"x\":1}]}") == 107);
    /* a bad sub-operation's own error comes through */
    CHECK(value_code("{\"__op\":\"Batch\",\"ops\":["
                     "{\"__op\":\"AddRelation\",\"objects\":[]}]}") == 107);
    CHECK(value_code("{\"__op\":\"Batch\",\"ops\":["
                     "{\"__op\":\"AddRelation\",\"objects\":[2]}]}") == 106);
}

static void
test_of_value_unknown_op_is_107(void)
{
    CHECK(value_code("{\"__op\":\"Multiply\",\"amount\":2}") == 107);
    CHECK(value_code("{\"__op\":\"increment\",\"amount\":2}") == 107);
    CHECK(value_code("{\"__op\":1}") == 107);
    CHECK(value_code("{\"__op\":null}") == 107);
}

/* ----------------------------------------------------- nested keys */

static int
nested_code(const char *text)
{
    json_t *v = js(text);
    perr_t err;
    int rc;

    memset(&err, 0, sizeof(err));
    rc = ptype_check_nested(v, &err);
    json_decref(v);
    return rc == 0 ? 0 : err.code;
}

static void
test_check_nested_accepts_plain(void)
{
    CHECK(nested_code("{\"a\":{\"b\":[1,{\"c\":\"$.\"}]}}") == 0);
    CHECK(nested_code("[1,2,[3,[4]]]") == 0);
    CHECK(nested_code("\"$a.b\"") == 0);  /* only keys matter */
    CHECK(nested_code("42") == 0);
    CHECK(nested_code("{\"_bsontype\":\"Other\"}") == 0);
    CHECK(nested_code("{\"p\":{\"__type\":\"Pointer\",\"className\":\"A\","
                      "\"objectId\":\"x\"}}") == 0);
}

static void
test_check_nested_dollar_or_dot_is_121(void)
{
    CHECK(nested_code("{\"a$b\":1}") == 121);
    CHECK(nested_code("{\"$set\":1}") == 121);
    CHECK(nested_code("{\"a.b\":1}") == 121);
    CHECK(nested_code("{\"a\":{\"b\":{\"c.d\":1}}}") == 121);
    CHECK(nested_code("[{\"ok\":1},{\"x\":[{\"$y\":2}]}]") == 121);
    /* through ptype_of_value as well */
    CHECK(value_code("{\"outer\":{\"in.ner\":1}}") == 121);
    CHECK(value_code("[[{\"$k\":1}]]") == 121);
}

static void
test_check_nested_prohibited_keywords_are_105(void)
{
    CHECK(nested_code("{\"_bsontype\":\"Code\",\"code\":\"x\"}") == 105);
    CHECK(nested_code("{\"a\":{\"_bsontype\":\"Code\"}}") == 105);
    CHECK(nested_code("{\"constructor\":{\"prototype\":1}}") == 105);
    CHECK(nested_code("{\"a\":[{\"constructor\":1}]}") == 105);
    CHECK(nested_code("{\"__proto__\":{\"admin\":true}}") == 105);
    CHECK(value_code("{\"x\":{\"__proto__\":{}}}") == 105);
    CHECK(value_code("[{\"_bsontype\":\"Code\"}]") == 105);
}

/* ------------------------------------------------ equality, numbers */

static bool
equal_text(const char *a, const char *b)
{
    json_t *ja = js(a), *jb = js(b);
    bool eq = ptype_equal(ja, jb);

    json_decref(ja);
    json_decref(jb);
    return eq;
}

static void
test_equal_numbers(void)
{
    json_t *i = json_integer(1), *r = json_real(1.0), *h = json_real(1.5);

    CHECK(ptype_equal(i, r));
    CHECK(ptype_equal(r, i));
    CHECK(!ptype_equal(i, h));
    json_decref(i);
    json_decref(r);
    json_decref(h);
    CHECK(!equal_text("1", "\"1\""));
    CHECK(!equal_text("0", "false"));
    CHECK(!equal_text("1", "2"));
}

static void
test_equal_nested(void)
{
    CHECK(equal_text("{\"a\":[1,{\"b\":2.0}],\"c\":\"x\"}",
                     "{\"c\":\"x\",\"a\":[1.0,{\"b\":2}]}"));
    CHECK(!equal_text("{\"a\":[1,{\"b\":2.5}]}", "{\"a\":[1,{\"b\":2}]}"));
    CHECK(!equal_text("[1,2]", "[2,1]"));
    CHECK(!equal_text("[1,2]", "[1,2,3]"));
    CHECK(!equal_text("{\"a\":1}", "{\"b\":1}"));
    CHECK(!equal_text("{\"a\":1}", "{\"a\":1,\"b\":2}"));
    CHECK(!equal_text("{\"a\":null}", "{\"b\":null}"));
    CHECK(equal_text("null", "null"));
    CHECK(equal_text("{}", "{}"));
    CHECK(!equal_text("{}", "[]"));
}

static void
test_number_create(void)
{
    json_t *v;

    v = ptype_number_create(1.0);
    CHECK(json_is_integer(v) && json_integer_value(v) == 1);
    json_decref(v);
    v = ptype_number_create(-3.0);
    CHECK(json_is_integer(v) && json_integer_value(v) == -3);
    json_decref(v);
    v = ptype_number_create(0.0);
    CHECK(json_is_integer(v) && json_integer_value(v) == 0);
    json_decref(v);
    v = ptype_number_create(9007199254740992.0);  /* 2^53 */
    CHECK(json_is_integer(v) &&
          json_integer_value(v) == 9007199254740992LL);
    json_decref(v);
    v = ptype_number_create(1.5);
    CHECK(json_is_real(v) && json_real_value(v) == 1.5);
    json_decref(v);
    v = ptype_number_create(1e300);  /* integral, but beyond 2^53 */
    CHECK(json_is_real(v) && json_real_value(v) == 1e300);
    json_decref(v);
}

/* ---------------------------------------------------- names, helpers */

static void
test_name_round_trip(void)
{
    static const char *const names[] = {
        "String", "Number", "Boolean", "Date",     "Object",  "Array",
        "Pointer", "Relation", "File", "GeoPoint", "Polygon", "Bytes",
        "ACL"};

    for (int t = PT_STRING; t <= PT_ACL; t++) {
        CHECK_STR(ptype_name((ptype_t)t), names[t - PT_STRING]);
        CHECK(ptype_from_name(ptype_name((ptype_t)t)) == (ptype_t)t);
    }
    CHECK_STR(ptype_name(PT_NONE), "");
    CHECK(ptype_from_name("") == PT_NONE);
    CHECK(ptype_from_name("string") == PT_NONE);
    CHECK(ptype_from_name("Strings") == PT_NONE);
    CHECK(ptype_from_name("Nope") == PT_NONE);
}

static void
test_date_create_and_ms(void)
{
    json_t *d = ptype_date_create(1577836800123LL);
    json_t *s = json_string("1970-01-01T00:00:01.000Z");
    json_t *n = json_integer(5);
    int64_t ms = 0;

    CHECK(ptype_is(d, "Date"));
    CHECK_STR(json_string_value(json_object_get(d, "iso")),
              "2020-01-01T00:00:00.123Z");
    CHECK(ptype_date_ms(d, &ms) == 0 && ms == 1577836800123LL);
    CHECK(ptype_date_ms(s, &ms) == 0 && ms == 1000);
    CHECK(ptype_date_ms(n, &ms) == -1);
    json_decref(d);
    json_decref(s);
    json_decref(n);
}

static void
test_pointer_create_and_is(void)
{
    json_t *p = ptype_pointer_create("Team", "t1");
    json_t *o = json_pack("{s:i}", "__type", 3);
    ptype_t t;
    const char *target;
    perr_t err;

    CHECK(ptype_is(p, "Pointer"));
    CHECK(!ptype_is(p, "Date"));
    CHECK_STR(json_string_value(json_object_get(p, "className")), "Team");
    CHECK_STR(json_string_value(json_object_get(p, "objectId")), "t1");
    CHECK(ptype_of_value(p, &t, &target, &err) == 0 && t == PT_POINTER);
    CHECK(!ptype_is(o, "3"));
    CHECK(!ptype_is(NULL, "Pointer"));
    json_decref(p);
    json_decref(o);
}

static void
test_error_status_is_400(void)
{
    json_t *v = js("{\"__type\":\"Pointer\"}");
    ptype_t t;
    const char *target;
    perr_t err;

    memset(&err, 0, sizeof(err));
    CHECK(ptype_of_value(v, &t, &target, &err) == -1);
    CHECK(err.code == 106);
    CHECK(err.status == 400);
    CHECK(err.msg[0] != '\0');
    json_decref(v);
}

/* error.h: a function that fails fills err, returns -1 "and leaves its
 * outputs untouched". */
static void
test_of_value_failure_leaves_outputs(void)
{
    static const char *const bad[] = {
        "{\"__type\":\"GeoPoint\",\"latitude\":91,\"longitude\":0}",
        "{\"__type\":\"Pointer\",\"className\":\"A\"}",
        "{\"a.b\":1}",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *v = js(bad[i]);
        ptype_t t = (ptype_t)99;
        const char *target = "sentinel";
        perr_t err;

        memset(&err, 0, sizeof(err));
        CHECK(ptype_of_value(v, &t, &target, &err) == -1);
        CHECK(t == (ptype_t)99);
        CHECK(target != NULL && strcmp(target, "sentinel") == 0);
        if (t != (ptype_t)99 || target == NULL)
            fprintf(stderr, "  outputs changed for %s\n", bad[i]);
        json_decref(v);
    }
}

/* ptype_dump writes what json_dumps writes, for every kind of value. */
static void
test_dump_matches_jansson(void)
{
    static const char *const docs[] = {
        "{}", "[]", "\"\"", "0", "-1", "9007199254740993", "true", "null",
        "0.1", "1e20", "1.5e-7", "-0.0", "123456.789", "1e300", "2.5",
        "\"quote \\\" backslash \\\\ slash / tab \\t nl \\n cr \\r\"",
        "\"ctl \\u0001 \\u001f \\b \\f del \\u007f\"",
        "\"unicode caf\u00e9 \\u2028 \\ud83d\\ude00\"",
        "{\"a\":1,\"b\":[1,2.5,\"x\",{\"c\":null}],\"d\":{\"e\":false}}",
        "{\"z\":1,\"a\":2,\"m\":{\"y\":[],\"b\":{}}}",
        "[[[[\"deep\"]]], 1e-5, 1e+5, 100000000000000000000.0]",
    };

    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        json_t *v = json_loads(docs[i], JSON_DECODE_ANY, NULL);
        char *want;
        sbuf_t got;

        CHECK(v != NULL);
        if (v == NULL)
            continue;
        want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        sbuf_init(&got);
        ptype_dump(&got, v);
        CHECK_STR(got.data, want);
        free(want);
        sbuf_cleanup(&got);
        json_decref(v);
    }
}

const unit_case_t unit_ptype_cases[] = {
    {"of_value_scalars", test_of_value_scalars},
    {"of_value_object_and_array", test_of_value_object_and_array},
    {"of_value_target_null_for_untargeted",
     test_of_value_target_null_for_untargeted},
    {"of_value_date", test_of_value_date},
    {"of_value_bad_date_is_107", test_of_value_bad_date_is_107},
    {"of_value_pointer", test_of_value_pointer},
    {"of_value_bad_pointer_is_106", test_of_value_bad_pointer_is_106},
    {"of_value_geopoint", test_of_value_geopoint},
    {"of_value_geopoint_out_of_range_is_107",
     test_of_value_geopoint_out_of_range_is_107},
    {"of_value_geopoint_not_numbers_is_111",
     test_of_value_geopoint_not_numbers_is_111},
    {"of_value_polygon", test_of_value_polygon},
    {"of_value_bad_polygon_is_107", test_of_value_bad_polygon_is_107},
    {"of_value_bytes", test_of_value_bytes},
    {"of_value_file", test_of_value_file},
    {"of_value_relation", test_of_value_relation},
    {"of_value_unknown_type_is_111", test_of_value_unknown_type_is_111},
    {"of_value_op_increment", test_of_value_op_increment},
    {"of_value_op_delete", test_of_value_op_delete},
    {"of_value_op_array_ops", test_of_value_op_array_ops},
    {"of_value_op_add_relation", test_of_value_op_add_relation},
    {"of_value_op_bad_relation", test_of_value_op_bad_relation},
    {"of_value_op_batch", test_of_value_op_batch},
    {"of_value_op_bad_batch_is_107", test_of_value_op_bad_batch_is_107},
    {"of_value_unknown_op_is_107", test_of_value_unknown_op_is_107},
    {"check_nested_accepts_plain", test_check_nested_accepts_plain},
    {"check_nested_dollar_or_dot_is_121",
     test_check_nested_dollar_or_dot_is_121},
    {"check_nested_prohibited_keywords_are_105",
     test_check_nested_prohibited_keywords_are_105},
    {"equal_numbers", test_equal_numbers},
    {"equal_nested", test_equal_nested},
    {"number_create", test_number_create},
    {"name_round_trip", test_name_round_trip},
    {"date_create_and_ms", test_date_create_and_ms},
    {"pointer_create_and_is", test_pointer_create_and_is},
    {"error_status_is_400", test_error_status_is_400},
    {"of_value_failure_leaves_outputs", test_of_value_failure_leaves_outputs},
    {"dump_matches_jansson", test_dump_matches_jansson},
    {NULL, NULL},
};
