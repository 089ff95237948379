/* SPDX-License-Identifier: MIT */
/*
 * test_query.c - where-JSON into validated trees, order/keys/include.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "schema.h"
#include "unit.h"
#include "util.h"

static json_t *
js(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

    if (v == NULL)
        fprintf(stderr, "bad test JSON %s: %s\n", text, jerr.text);
    return v;
}

/* A class with one field of most types. */
static schema_class_t *
game_class(void)
{
    schema_class_t *cls = schema_class_create("Game");

    schema_field_add(cls, "score", PT_NUMBER, NULL);
    schema_field_add(cls, "name", PT_STRING, NULL);
    schema_field_add(cls, "when", PT_DATE, NULL);
    schema_field_add(cls, "owner", PT_POINTER, "Player");
    schema_field_add(cls, "tags", PT_ARRAY, NULL);
    schema_field_add(cls, "obj", PT_OBJECT, NULL);
    schema_field_add(cls, "loc", PT_GEOPOINT, NULL);
    schema_field_add(cls, "area", PT_POLYGON, NULL);
    schema_field_add(cls, "flag", PT_BOOLEAN, NULL);
    schema_field_add(cls, "players", PT_RELATION, "Player");
    return cls;
}

/* Parse where text against Game; the tree in *root (free it), the error
 * code in the return value (0 on success). */
static int
parse(const char *where_text, qnode_t **root)
{
    schema_class_t *cls = game_class();
    json_t *where = js(where_text);
    perr_t err;
    int rc;

    memset(&err, 0, sizeof(err));
    *root = NULL;
    rc = query_parse_where(cls, where, root, &err);
    json_decref(where);
    schema_class_release(cls);
    if (rc != 0) {
        CHECK(*root == NULL);
        CHECK(err.msg[0] != '\0');
        CHECK(err.status == 400);
        return err.code;
    }
    CHECK(*root != NULL);
    return 0;
}

/* The error code for where text, 0 when it parses. */
static int
where_code(const char *where_text)
{
    qnode_t *root;
    int code = parse(where_text, &root);

    qnode_free(root);
    return code;
}

/* The single comparison a where text parses to, or NULL (and a failed
 * check) when it parses to anything else. The tree is in *root. */
static const qnode_t *
single_cmp(const char *where_text, qnode_t **root)
{
    int code = parse(where_text, root);

    CHECK(code == 0);
    if (code != 0 || *root == NULL)
        return NULL;
    CHECK((*root)->kind == QN_AND);
    CHECK((*root)->nkids == 1);
    if ((*root)->nkids != 1 || (*root)->kids[0]->kind != QN_CMP) {
        CHECK(!"expected one comparison");
        return NULL;
    }
    return (*root)->kids[0];
}

/* True when the JSON v equals the JSON text (1 == 1.0). */
static bool
json_is(json_t *v, const char *text)
{
    json_t *want = js(text);
    bool eq = v != NULL && want != NULL && json_equal(v, want);

    if (!eq && v != NULL && json_is_array(v) && json_is_array(want) &&
        json_array_size(v) == json_array_size(want)) {
        /* compare numbers within a small tolerance */
        eq = true;
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *a = json_array_get(v, i), *b = json_array_get(want, i);

            if (json_is_number(a) && json_is_number(b))
                eq = eq && fabs(json_number_value(a) - json_number_value(b)) <
                               1e-9;
            else if (json_is_array(a) && json_is_array(b)) {
                char *bt = json_dumps(b, JSON_COMPACT);

                eq = eq && json_is(a, bt);
                free(bt);
            } else
                eq = eq && json_equal(a, b);
        }
    }
    if (!eq) {
        char *got = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

        fprintf(stderr, "  value %s, expected %s\n", got ? got : "(null)",
                text);
        free(got);
    }
    json_decref(want);
    return eq;
}

/* -------------------------------------------------------- equality */

static void
test_empty_where(void)
{
    schema_class_t *cls = game_class();
    qnode_t *root = NULL;
    json_t *empty = json_object();
    perr_t err;

    memset(&err, 0, sizeof(err));
    CHECK(query_parse_where(cls, NULL, &root, &err) == 0);
    CHECK(root != NULL && root->kind == QN_AND && root->nkids == 0);
    qnode_free(root);
    root = NULL;
    CHECK(query_parse_where(cls, empty, &root, &err) == 0);
    CHECK(root != NULL && root->kind == QN_AND && root->nkids == 0);
    qnode_free(root);
    json_decref(empty);
    schema_class_release(cls);
}

static void
test_where_not_object_is_102(void)
{
    CHECK(where_code("[1,2]") == 102);
    CHECK(where_code("\"score\"") == 102);
    CHECK(where_code("5") == 102);
}

static void
test_equality(void)
{
    qnode_t *root;
    const qnode_t *n = single_cmp("{\"name\":\"Bob\"}", &root);

    if (n != NULL) {
        CHECK(n->op == QOP_EQ);
        CHECK_STR(n->field, "name");
        CHECK(n->ftype == PT_STRING);
        CHECK(json_is(n->value, "\"Bob\""));
    }
    qnode_free(root);

    n = single_cmp("{\"score\":10}", &root);
    if (n != NULL) {
        CHECK(n->op == QOP_EQ);
        CHECK(n->ftype == PT_NUMBER);
        CHECK(json_is(n->value, "10"));
    }
    qnode_free(root);

    n = single_cmp("{\"name\":null}", &root);
    if (n != NULL) {
        CHECK(n->op == QOP_EQ);
        CHECK(json_is_null(n->value));
    }
    qnode_free(root);

    /* a field the class does not have still parses, with no type */
    n = single_cmp("{\"unknownField\":true}", &root);
    if (n != NULL) {
        CHECK(n->ftype == PT_NONE);
        CHECK(json_is_true(n->value));
    }
    qnode_free(root);
}

static void
test_equality_object_value(void)
{
    qnode_t *root;
    const qnode_t *n = single_cmp("{\"obj\":{\"a\":1,\"b\":[2]}}", &root);

    if (n != NULL) {
        CHECK(n->op == QOP_EQ);
        CHECK(n->ftype == PT_OBJECT);
        CHECK(json_is(n->value, "{\"a\":1,\"b\":[2]}"));
    }
    qnode_free(root);
}

static void
test_several_fields_are_anded(void)
{
    qnode_t *root;

    CHECK(parse("{\"name\":\"a\",\"score\":{\"$gt\":1,\"$lt\":9},"
                "\"flag\":true}",
                &root) == 0);
    if (root != NULL) {
        int seen_gt = 0, seen_lt = 0;

        CHECK(root->kind == QN_AND);
        CHECK(root->nkids == 4);
        for (size_t i = 0; i < root->nkids; i++) {
            CHECK(root->kids[i]->kind == QN_CMP);
            if (root->kids[i]->op == QOP_GT) {
                seen_gt++;
                CHECK_STR(root->kids[i]->field, "score");
                CHECK(json_is(root->kids[i]->value, "1"));
            }
            if (root->kids[i]->op == QOP_LT) {
                seen_lt++;
                CHECK(json_is(root->kids[i]->value, "9"));
            }
        }
        CHECK(seen_gt == 1 && seen_lt == 1);
    }
    qnode_free(root);
}

/* ------------------------------------------------------- operators */

static void
check_op(const char *where_text, qop_t op, const char *value_text)
{
    qnode_t *root;
    const qnode_t *n = single_cmp(where_text, &root);

    if (n != NULL) {
        CHECK(n->op == op);
        if (n->op != op)
            fprintf(stderr, "  for %s\n", where_text);
        if (value_text != NULL)
            CHECK(json_is(n->value, value_text));
    }
    qnode_free(root);
}

static void
test_comparison_operators(void)
{
    check_op("{\"score\":{\"$eq\":3}}", QOP_EQ, "3");
    check_op("{\"score\":{\"$ne\":3}}", QOP_NE, "3");
    check_op("{\"score\":{\"$lt\":3}}", QOP_LT, "3");
    check_op("{\"score\":{\"$lte\":3.5}}", QOP_LTE, "3.5");
    check_op("{\"score\":{\"$gt\":-1}}", QOP_GT, "-1");
    check_op("{\"score\":{\"$gte\":0}}", QOP_GTE, "0");
    check_op("{\"name\":{\"$lt\":\"m\"}}", QOP_LT, "\"m\"");
    check_op("{\"name\":{\"$ne\":null}}", QOP_NE, "null");
    /* untyped fields order by any scalar */
    check_op("{\"nothing\":{\"$gt\":true}}", QOP_GT, "true");
    check_op("{\"obj.x\":{\"$gte\":\"a\"}}", QOP_GTE, "\"a\"");
}

static void
test_list_operators(void)
{
    check_op("{\"score\":{\"$in\":[1,2,3]}}", QOP_IN, "[1,2,3]");
    check_op("{\"name\":{\"$nin\":[\"a\"]}}", QOP_NIN, "[\"a\"]");
    check_op("{\"tags\":{\"$all\":[\"x\",\"y\"]}}", QOP_ALL,
             "[\"x\",\"y\"]");
    check_op("{\"tags\":{\"$containedBy\":[1]}}", QOP_CONTAINED_BY, "[1]");
    check_op("{\"score\":{\"$in\":[]}}", QOP_IN, "[]");
}

static void
test_exists(void)
{
    check_op("{\"name\":{\"$exists\":true}}", QOP_EXISTS, "true");
    check_op("{\"name\":{\"$exists\":false}}", QOP_EXISTS, "false");
}

static void
test_regex(void)
{
    qnode_t *root;
    const qnode_t *n =
        single_cmp("{\"name\":{\"$regex\":\"^Bo+b$\",\"$options\":\"im\"}}",
                   &root);

    if (n != NULL) {
        CHECK(n->op == QOP_REGEX);
        CHECK_STR(n->field, "name");
        CHECK(json_is(n->value, "\"^Bo+b$\""));
        CHECK(n->options != NULL);
        if (n->options != NULL)
            CHECK_STR(n->options, "im");
    }
    qnode_free(root);

    n = single_cmp("{\"name\":{\"$regex\":\"abc\"}}", &root);
    if (n != NULL) {
        CHECK(n->op == QOP_REGEX);
        CHECK(n->options == NULL);
    }
    qnode_free(root);
}

static void
test_regex_errors_are_102(void)
{
    CHECK(where_code("{\"name\":{\"$regex\":\"(unclosed\"}}") == 102);
    CHECK(where_code("{\"name\":{\"$regex\":5}}") == 102);
    CHECK(where_code("{\"name\":{\"$regex\":\"a\",\"$options\":\"q\"}}") ==
          102);
    CHECK(where_code("{\"name\":{\"$regex\":\"a\",\"$options\":1}}") == 102);
    CHECK(where_code("{\"name\":{\"$options\":\"i\"}}") == 102);
}

static void
test_near_sphere(void)
{
    check_op("{\"loc\":{\"$nearSphere\":{\"__type\":\"GeoPoint\","
             "\"latitude\":10,\"longitude\":20}}}",
             QOP_NEAR, "[10,20,-1]");
    check_op("{\"loc\":{\"$nearSphere\":{\"__type\":\"GeoPoint\","
             "\"latitude\":10,\"longitude\":20},\"$maxDistance\":0.5}}",
             QOP_NEAR, "[10,20,0.5]");
    check_op("{\"loc\":{\"$nearSphere\":{\"__type\":\"GeoPoint\","
             "\"latitude\":10,\"longitude\":20},"
             "\"$maxDistanceInKilometers\":6371}}",
             QOP_NEAR, "[10,20,1]");
    check_op("{\"loc\":{\"$nearSphere\":{\"__type\":\"GeoPoint\","
             "\"latitude\":-5,\"longitude\":-6},"
             "\"$maxDistanceInMiles\":1979.4}}",
             QOP_NEAR, "[-5,-6,0.5]");
}

static void
test_near_sphere_errors(void)
{
    CHECK(where_code("{\"loc\":{\"$maxDistance\":1}}") == 102);
    CHECK(where_code("{\"loc\":{\"$nearSphere\":{\"__type\":\"GeoPoint\","
                     "\"latitude\":1,\"longitude\":2},"
                     "\"$maxDistance\":-1}}") == 102);
    CHECK(where_code("{\"loc\":{\"$nearSphere\":{\"__type\":\"GeoPoint\","
                     "\"latitude\":1,\"longitude\":2},"
                     "\"$maxDistanceInMiles\":\"far\"}}") == 102);
    CHECK(where_code("{\"loc\":{\"$nearSphere\":{\"__type\":\"GeoPoint\","
                     "\"latitude\":91,\"longitude\":2}}}") == 107);
    CHECK(where_code("{\"loc\":{\"$nearSphere\":{\"__type\":\"GeoPoint\","
                     "\"latitude\":1,\"longitude\":200}}}") == 107);
    CHECK(where_code("{\"loc\":{\"$nearSphere\":\"here\"}}") == 107);
}

static void
test_within_box(void)
{
    /* corners in either order come out as [south, west, north, east] */
    check_op("{\"loc\":{\"$within\":{\"$box\":["
             "{\"__type\":\"GeoPoint\",\"latitude\":10,\"longitude\":20},"
             "{\"__type\":\"GeoPoint\",\"latitude\":0,\"longitude\":30}]}}}",
             QOP_WITHIN_BOX, "[0,20,10,30]");
}

static void
test_geo_within_polygon(void)
{
    check_op("{\"loc\":{\"$geoWithin\":{\"$polygon\":["
             "[0,0],[0,1],[1,1]]}}}",
             QOP_WITHIN_POLYGON, "[[0,0],[0,1],[1,1]]");
    check_op("{\"loc\":{\"$geoWithin\":{\"$polygon\":["
             "{\"__type\":\"GeoPoint\",\"latitude\":1,\"longitude\":2},"
             "{\"__type\":\"GeoPoint\",\"latitude\":3,\"longitude\":4},"
             "{\"__type\":\"GeoPoint\",\"latitude\":5,\"longitude\":6}]}}}",
             QOP_WITHIN_POLYGON, "[[1,2],[3,4],[5,6]]");
    check_op("{\"loc\":{\"$geoWithin\":{\"$polygon\":{\"__type\":"
             "\"Polygon\",\"coordinates\":[[0,0],[0,2],[2,2],[2,0]]}}}}",
             QOP_WITHIN_POLYGON, "[[0,0],[0,2],[2,2],[2,0]]");
}

static void
test_geo_within_center_sphere(void)
{
    /* the centre is [longitude, latitude], as in Mongo */
    check_op("{\"loc\":{\"$geoWithin\":{\"$centerSphere\":"
             "[[20,10],0.25]}}}",
             QOP_WITHIN_CENTER, "[10,20,0.25]");
}

static void
test_geo_intersects(void)
{
    check_op("{\"area\":{\"$geoIntersects\":{\"$point\":{\"__type\":"
             "\"GeoPoint\",\"latitude\":1.5,\"longitude\":2.5}}}}",
             QOP_INTERSECTS, "[1.5,2.5]");
}

static void
test_geo_errors_are_107(void)
{
    CHECK(where_code("{\"loc\":{\"$within\":5}}") == 107);
    CHECK(where_code("{\"loc\":{\"$geoWithin\":{\"$circle\":1}}}") == 107);
    CHECK(where_code("{\"loc\":{\"$geoWithin\":{\"$polygon\":"
                     "[[0,0],[1,1]]}}}") == 107);
    CHECK(where_code("{\"loc\":{\"$geoWithin\":{\"$polygon\":"
                     "[[0,0],[1,1],\"x\"]}}}") == 107);
    CHECK(where_code("{\"loc\":{\"$geoWithin\":{\"$centerSphere\":"
                     "[[20,10],-1]}}}") == 107);
    CHECK(where_code("{\"loc\":{\"$geoWithin\":{\"$centerSphere\":"
                     "[[200,10],1]}}}") == 107);
    CHECK(where_code("{\"area\":{\"$geoIntersects\":{\"$point\":1}}}") ==
          107);
    CHECK(where_code("{\"loc\":{\"$within\":{\"$box\":["
                     "{\"__type\":\"GeoPoint\",\"latitude\":100,"
                     "\"longitude\":0},"
                     "{\"__type\":\"GeoPoint\",\"latitude\":0,"
                     "\"longitude\":0}]}}}") == 107);
    CHECK(where_code("{\"loc\":{\"$within\":{\"$box\":5}}}") == 107);
}

/* A perr_t that already holds an earlier failure must still receive the
 * new one: error.h says a failing function fills it. */
static void
test_box_error_overwrites_stale_err(void)
{
    schema_class_t *cls = game_class();
    json_t *bad_key = js("{\"$bad\":1}");
    json_t *bad_box = js("{\"loc\":{\"$within\":{\"$box\":5}}}");
    qnode_t *root = NULL;
    perr_t err;

    memset(&err, 0, sizeof(err));
    CHECK(query_parse_where(cls, bad_key, &root, &err) == -1);
    CHECK(err.code == 105);
    /* the same err, reused for the next query */
    CHECK(query_parse_where(cls, bad_box, &root, &err) == -1);
    CHECK(err.code == 107);
    CHECK(root == NULL);
    json_decref(bad_key);
    json_decref(bad_box);
    schema_class_release(cls);
}

static void
test_text(void)
{
    check_op("{\"name\":{\"$text\":{\"$search\":{\"$term\":\"coffee\"}}}}",
             QOP_TEXT, "\"coffee\"");
    check_op("{\"name\":{\"$text\":{\"$search\":{\"$term\":\"coffee\","
             "\"$language\":\"en\",\"$diacriticSensitive\":true}}}}",
             QOP_TEXT, "\"coffee\"");
}

static void
test_text_errors_are_107(void)
{
    CHECK(where_code("{\"name\":{\"$text\":{}}}") == 107);
    CHECK(where_code("{\"name\":{\"$text\":{\"$search\":{}}}}") == 107);
    CHECK(where_code("{\"name\":{\"$text\":{\"$search\":{\"$term\":\"\"}}}}")
          == 107);
    CHECK(where_code("{\"name\":{\"$text\":{\"$search\":{\"$term\":\"a\","
                     "\"$caseSensitive\":true}}}}") == 107);
    CHECK(where_code("{\"name\":{\"$text\":{\"$search\":{\"$term\":\"a\","
                     "\"$language\":3}}}}") == 107);
    CHECK(where_code("{\"name\":{\"$text\":{\"$search\":{\"$term\":\"a\","
                     "\"$diacriticSensitive\":false}}}}") == 107);
}

/* ---------------------------------------------------- sub-queries */

static void
test_in_query(void)
{
    qnode_t *root;
    const qnode_t *n = single_cmp(
        "{\"owner\":{\"$inQuery\":{\"className\":\"Player\","
        "\"where\":{\"level\":{\"$gt\":\"x\"}}}}}",
        &root);

    if (n != NULL) {
        CHECK(n->op == QOP_IN_QUERY);
        CHECK_STR(n->field, "owner");
        CHECK(n->ftype == PT_POINTER);
        CHECK(n->sub_cls == NULL);  /* Player is not in the cache */
        CHECK(n->sub_where != NULL && n->sub_where->kind == QN_AND &&
              n->sub_where->nkids == 1);
        if (n->sub_where != NULL && n->sub_where->nkids == 1) {
            CHECK(n->sub_where->kids[0]->op == QOP_GT);
            CHECK_STR(n->sub_where->kids[0]->field, "level");
        }
    }
    qnode_free(root);

    n = single_cmp("{\"owner\":{\"$notInQuery\":{\"className\":\"Player\"}}}",
                   &root);
    if (n != NULL) {
        CHECK(n->op == QOP_NOT_IN_QUERY);
        CHECK(n->sub_where != NULL && n->sub_where->nkids == 0);
    }
    qnode_free(root);
}

static void
test_in_query_uses_cached_schema(void)
{
    schema_class_t *player = schema_class_create("Player");
    qnode_t *root;
    const qnode_t *n;

    schema_field_add(player, "level", PT_NUMBER, NULL);
    schema_cache_init();
    schema_cache_put(player);
    /* level is a Number in the cached class, so a string bound fails */
    CHECK(where_code("{\"owner\":{\"$inQuery\":{\"className\":\"Player\","
                     "\"where\":{\"level\":{\"$gt\":\"x\"}}}}}") == 102);
    n = single_cmp("{\"owner\":{\"$inQuery\":{\"className\":\"Player\","
                   "\"where\":{\"level\":{\"$gt\":3}}}}}",
                   &root);
    if (n != NULL) {
        CHECK(n->sub_cls == player);
        CHECK(n->sub_where != NULL && n->sub_where->nkids == 1 &&
              n->sub_where->kids[0]->ftype == PT_NUMBER);
    }
    CHECK(atomic_load(&player->refs) == 3);  /* ours, cache's, the node's */
    qnode_free(root);
    CHECK(atomic_load(&player->refs) == 2);
    schema_class_release(player);
    schema_cache_cleanup();
}

static void
test_in_query_errors(void)
{
    CHECK(where_code("{\"owner\":{\"$inQuery\":{\"where\":{}}}}") == 102);
    CHECK(where_code("{\"owner\":{\"$inQuery\":\"Player\"}}") == 102);
    CHECK(where_code("{\"owner\":{\"$inQuery\":{\"className\":\"Player\","
                     "\"where\":[]}}}") == 102);
    CHECK(where_code("{\"owner\":{\"$inQuery\":{\"className\":\"Bad-Class\""
                     "}}}") == 103);
    /* errors inside the sub-query come through */
    CHECK(where_code("{\"owner\":{\"$inQuery\":{\"className\":\"Player\","
                     "\"where\":{\"x\":{\"$foo\":1}}}}}") == 102);
}

static void
test_select(void)
{
    qnode_t *root;
    const qnode_t *n = single_cmp(
        "{\"name\":{\"$select\":{\"query\":{\"className\":\"Team\","
        "\"where\":{\"city\":\"Oslo\"}},\"key\":\"teamName\"}}}",
        &root);

    if (n != NULL) {
        CHECK(n->op == QOP_SELECT);
        CHECK(n->sub_key != NULL);
        if (n->sub_key != NULL)
            CHECK_STR(n->sub_key, "teamName");
        CHECK(n->sub_where != NULL && n->sub_where->nkids == 1);
    }
    qnode_free(root);

    check_op("{\"name\":{\"$dontSelect\":{\"query\":{\"className\":"
             "\"Team\"},\"key\":\"k\"}}}",
             QOP_DONT_SELECT, NULL);
    CHECK(where_code("{\"name\":{\"$select\":{\"query\":{\"className\":"
                     "\"Team\"}}}}") == 102);
    CHECK(where_code("{\"name\":{\"$select\":{\"key\":\"k\"}}}") == 102);
    CHECK(where_code("{\"name\":{\"$select\":{\"query\":{},"
                     "\"key\":\"k\"}}}") == 102);
}

static void
test_related_to(void)
{
    qnode_t *root;
    const qnode_t *n = single_cmp(
        "{\"$relatedTo\":{\"object\":{\"__type\":\"Pointer\","
        "\"className\":\"Team\",\"objectId\":\"t1\"},\"key\":\"players\"}}",
        &root);

    if (n != NULL) {
        CHECK(n->op == QOP_RELATED_TO);
        CHECK_STR(n->field, "objectId");
        CHECK(json_is(n->value, "\"t1\""));
        CHECK(n->sub_key != NULL);
        if (n->sub_key != NULL)
            CHECK_STR(n->sub_key, "players");
        CHECK(n->sub_cls == NULL);
    }
    qnode_free(root);

    CHECK(where_code("{\"$relatedTo\":{\"object\":{\"__type\":\"Pointer\","
                     "\"className\":\"Team\",\"objectId\":\"t1\"}}}") == 102);
    CHECK(where_code("{\"$relatedTo\":{\"object\":{\"className\":\"Team\","
                     "\"objectId\":\"t1\"},\"key\":\"p\"}}") == 102);
    CHECK(where_code("{\"$relatedTo\":{\"object\":{\"__type\":\"Pointer\","
                     "\"className\":\"9Team\",\"objectId\":\"t1\"},"
                     "\"key\":\"p\"}}") == 103);
}

/* ------------------------------------------------------ compounds */

static void
test_or_and_nor_nesting(void)
{
    qnode_t *root;

    CHECK(parse("{\"$or\":[{\"name\":\"a\"},"
                "{\"$and\":[{\"score\":1},{\"$nor\":[{\"flag\":true}]}]}]}",
                &root) == 0);
    if (root != NULL && root->nkids == 1) {
        const qnode_t *or = root->kids[0];

        CHECK(or->kind == QN_OR);
        CHECK(or->nkids == 2);
        if (or->nkids == 2) {
            const qnode_t *b0 = or->kids[0], *b1 = or->kids[1];

            CHECK(b0->kind == QN_AND && b0->nkids == 1);
            CHECK(b0->nkids == 1 && b0->kids[0]->kind == QN_CMP &&
                  strcmp(b0->kids[0]->field, "name") == 0);
            CHECK(b1->kind == QN_AND && b1->nkids == 1);
            if (b1->nkids == 1) {
                const qnode_t *and = b1->kids[0];

                CHECK(and->kind == QN_AND && and->nkids == 2);
                if (and->nkids == 2) {
                    const qnode_t *nor_branch = and->kids[1];

                    CHECK(and->kids[0]->kind == QN_AND);
                    CHECK(and->kids[0]->nkids == 1 &&
                          and->kids[0]->kids[0]->op == QOP_EQ);
                    CHECK(nor_branch->kind == QN_AND &&
                          nor_branch->nkids == 1);
                    if (nor_branch->nkids == 1) {
                        const qnode_t *nor = nor_branch->kids[0];

                        CHECK(nor->kind == QN_NOR && nor->nkids == 1);
                        CHECK(nor->nkids == 1 && nor->kids[0]->nkids == 1 &&
                              strcmp(nor->kids[0]->kids[0]->field, "flag") ==
                                  0);
                    }
                }
            }
        }
    } else {
        CHECK(!"expected a single $or node");
    }
    qnode_free(root);
}

static void
test_or_beside_fields(void)
{
    qnode_t *root;

    CHECK(parse("{\"name\":\"x\",\"$or\":[{\"score\":1},{\"score\":2}]}",
                &root) == 0);
    if (root != NULL) {
        int cmp = 0, or = 0;

        CHECK(root->nkids == 2);
        for (size_t i = 0; i < root->nkids; i++) {
            cmp += root->kids[i]->kind == QN_CMP;
            or += root->kids[i]->kind == QN_OR;
        }
        CHECK(cmp == 1 && or == 1);
    }
    qnode_free(root);
}

static void
test_bad_compounds_are_102(void)
{
    CHECK(where_code("{\"$or\":{}}") == 102);
    CHECK(where_code("{\"$or\":[]}") == 102);
    CHECK(where_code("{\"$or\":[1]}") == 102);
    CHECK(where_code("{\"$or\":\"x\"}") == 102);
    CHECK(where_code("{\"$and\":[{\"a\":1},[]]}") == 102);
    CHECK(where_code("{\"$nor\":null}") == 102);
    /* errors deep inside come through */
    CHECK(where_code("{\"$or\":[{\"a\":1},{\"b\":{\"$bogus\":1}}]}") == 102);
    CHECK(where_code("{\"$or\":[{\"ACL\":1}]}") == 102);
    CHECK(where_code("{\"$and\":[{\"$bad\":1}]}") == 105);
}

static void
test_deep_nesting_is_102(void)
{
    sbuf_t sb;
    char *text;

    sbuf_init(&sb);
    for (int i = 0; i < 40; i++)
        sbuf_append(&sb, "{\"$or\":[");
    sbuf_append(&sb, "{\"a\":1}");
    for (int i = 0; i < 40; i++)
        sbuf_append(&sb, "]}");
    text = sbuf_take(&sb);
    CHECK(where_code(text) == 102);
    free(text);

    /* a few levels are fine */
    sbuf_init(&sb);
    for (int i = 0; i < 10; i++)
        sbuf_append(&sb, "{\"$or\":[");
    sbuf_append(&sb, "{\"a\":1}");
    for (int i = 0; i < 10; i++)
        sbuf_append(&sb, "]}");
    text = sbuf_take(&sb);
    CHECK(where_code(text) == 0);
    free(text);
}

/* ------------------------------------------------------- key names */

static void
test_dotted_keys(void)
{
    qnode_t *root;
    const qnode_t *n = single_cmp("{\"obj.inner.deep\":5}", &root);

    if (n != NULL) {
        CHECK_STR(n->field, "obj.inner.deep");
        CHECK(n->ftype == PT_NONE);  /* inside an Object: no schema type */
        CHECK(json_is(n->value, "5"));
    }
    qnode_free(root);

    /* a base field the class does not know is allowed */
    CHECK(where_code("{\"other.x\":1}") == 0);
    /* only Object fields have sub-keys */
    CHECK(where_code("{\"name.x\":1}") == 102);
    CHECK(where_code("{\"score.x\":{\"$gt\":1}}") == 102);
}

static void
test_bad_key_names(void)
{
    CHECK(where_code("{\"$bad\":1}") == 105);
    CHECK(where_code("{\"$where\":\"1\"}") == 105);
    CHECK(where_code("{\"_foo\":1}") == 105);
    CHECK(where_code("{\"1abc\":1}") == 105);
    CHECK(where_code("{\"a-b\":1}") == 105);
    CHECK(where_code("{\"a..b\":1}") == 105);
    CHECK(where_code("{\"a.\":1}") == 105);
    CHECK(where_code("{\"\":1}") == 105);
    /* internal permission columns cannot be queried */
    CHECK(where_code("{\"_rperm\":{\"$in\":[\"*\"]}}") == 102);
    CHECK(where_code("{\"_wperm\":\"x\"}") == 102);
}

static void
test_acl_is_102(void)
{
    CHECK(where_code("{\"ACL\":{\"*\":{\"read\":true}}}") == 102);
    CHECK(where_code("{\"ACL\":{\"$exists\":true}}") == 102);
}

/* -------------------------------------------------- normalisation */

static void
test_date_normalised_to_iso(void)
{
    check_op("{\"when\":{\"__type\":\"Date\","
             "\"iso\":\"2020-01-01T02:00:00+02:00\"}}",
             QOP_EQ, "\"2020-01-01T00:00:00.000Z\"");
    check_op("{\"when\":{\"$gt\":{\"__type\":\"Date\","
             "\"iso\":\"2020-06-01\"}}}",
             QOP_GT, "\"2020-06-01T00:00:00.000Z\"");
    check_op("{\"when\":{\"$lte\":{\"__type\":\"Date\","
             "\"iso\":\"1969-12-31T23:59:59.999Z\"}}}",
             QOP_LTE, "\"1969-12-31T23:59:59.999Z\"");
    check_op("{\"when\":{\"$in\":[{\"__type\":\"Date\","
             "\"iso\":\"2020-01-01T00:00:00.5Z\"},\"2021-01-01\"]}}",
             QOP_IN, "[\"2020-01-01T00:00:00.500Z\",\"2021-01-01\"]");
    check_op("{\"when\":{\"$ne\":{\"__type\":\"Date\","
             "\"iso\":\"2020-01-01\"}}}",
             QOP_NE, "\"2020-01-01T00:00:00.000Z\"");
}

static void
test_pointer_normalised_to_object_id(void)
{
    check_op("{\"owner\":{\"__type\":\"Pointer\",\"className\":\"Player\","
             "\"objectId\":\"p1\"}}",
             QOP_EQ, "\"p1\"");
    check_op("{\"owner\":{\"$in\":[{\"__type\":\"Pointer\","
             "\"className\":\"Player\",\"objectId\":\"a\"},"
             "{\"__type\":\"Pointer\",\"className\":\"Player\","
             "\"objectId\":\"b\"}]}}",
             QOP_IN, "[\"a\",\"b\"]");
    check_op("{\"owner\":{\"$ne\":{\"__type\":\"Pointer\","
             "\"className\":\"Player\",\"objectId\":\"z\"}}}",
             QOP_NE, "\"z\"");
}

static void
test_bad_date_or_pointer_is_102(void)
{
    CHECK(where_code("{\"when\":{\"__type\":\"Date\",\"iso\":\"nope\"}}") ==
          102);
    CHECK(where_code("{\"when\":{\"$gt\":{\"__type\":\"Date\"}}}") == 102);
    CHECK(where_code("{\"when\":{\"$in\":[{\"__type\":\"Date\","
                     "\"iso\":\"2020-02-30\"}]}}") == 102);
    CHECK(where_code("{\"owner\":{\"__type\":\"Pointer\","
                     "\"className\":\"Player\"}}") == 102);
    CHECK(where_code("{\"owner\":{\"$in\":[{\"__type\":\"Pointer\","
                     "\"objectId\":7}]}}") == 102);
}

/* --------------------------------------------------------- errors */

static void
test_unknown_operator_is_102(void)
{
    CHECK(where_code("{\"score\":{\"$foo\":1}}") == 102);
    CHECK(where_code("{\"score\":{\"$GT\":1}}") == 102);
    CHECK(where_code("{\"score\":{\"$where\":\"x\"}}") == 102);
}

static void
test_in_not_array_is_102(void)
{
    CHECK(where_code("{\"score\":{\"$in\":1}}") == 102);
    CHECK(where_code("{\"score\":{\"$nin\":\"a\"}}") == 102);
    CHECK(where_code("{\"tags\":{\"$all\":{}}}") == 102);
    CHECK(where_code("{\"tags\":{\"$containedBy\":null}}") == 102);
}

static void
test_ordered_with_bad_operand_is_102(void)
{
    CHECK(where_code("{\"score\":{\"$lt\":{\"a\":1}}}") == 102);
    CHECK(where_code("{\"nothing\":{\"$lt\":{\"a\":1}}}") == 102);
    CHECK(where_code("{\"nothing\":{\"$gte\":[1]}}") == 102);
    CHECK(where_code("{\"score\":{\"$gt\":\"5\"}}") == 102);
    CHECK(where_code("{\"name\":{\"$lte\":5}}") == 102);
    CHECK(where_code("{\"when\":{\"$lt\":5}}") == 102);
    CHECK(where_code("{\"flag\":{\"$gt\":true}}") == 102);
    CHECK(where_code("{\"loc\":{\"$lt\":1}}") == 102);
    CHECK(where_code("{\"score\":{\"$lt\":null}}") == 102);
}

static void
test_exists_not_bool_is_102(void)
{
    CHECK(where_code("{\"name\":{\"$exists\":1}}") == 102);
    CHECK(where_code("{\"name\":{\"$exists\":\"true\"}}") == 102);
    CHECK(where_code("{\"name\":{\"$exists\":null}}") == 102);
}

static void
test_eq_with_operator_object_is_102(void)
{
    CHECK(where_code("{\"obj\":{\"$eq\":{\"$gt\":1}}}") == 102);
    CHECK(where_code("{\"obj\":{\"$ne\":{\"$in\":[1]}}}") == 102);
    /* a plain object operand is fine */
    check_op("{\"obj\":{\"$eq\":{\"a\":1}}}", QOP_EQ, "{\"a\":1}");
}

/* ------------------------------------------------------ query_parse */

static int
full_parse(query_t *q, const char *where_text, const char *order,
           const char *keys, const char *include)
{
    schema_class_t *cls = game_class();
    json_t *where = where_text ? js(where_text) : NULL;
    perr_t err;
    int rc;

    memset(&err, 0, sizeof(err));
    rc = query_parse(q, cls, where, order, keys, include, &err);
    json_decref(where);
    schema_class_release(cls);
    return rc == 0 ? 0 : err.code;
}

static void
test_parse_defaults(void)
{
    query_t q;

    CHECK(full_parse(&q, NULL, NULL, NULL, NULL) == 0);
    CHECK(q.where != NULL && q.where->nkids == 0);
    CHECK(q.limit == -1);
    CHECK(q.skip == 0);
    CHECK(!q.count);
    CHECK(q.norder == 0);
    CHECK(q.keys == NULL && q.nkeys == 0);
    CHECK(q.include == NULL && q.ninclude == 0);
    CHECK(q.near == NULL && q.text == NULL);
    CHECK(!q.want_score);
    query_cleanup(&q);
}

static void
test_parse_order(void)
{
    query_t q;

    CHECK(full_parse(&q, NULL, "-score,name", NULL, NULL) == 0);
    CHECK(q.norder == 2);
    if (q.norder == 2) {
        CHECK_STR(q.order[0].field, "score");
        CHECK(q.order[0].desc);
        CHECK_STR(q.order[1].field, "name");
        CHECK(!q.order[1].desc);
    }
    query_cleanup(&q);

    /* An empty name (here after the last comma) is refused, as by
     * parse-server; spaces around names are not. */
    CHECK(full_parse(&q, NULL, " -createdAt , obj.x ,", NULL, NULL) == 105);
    query_cleanup(&q);
    CHECK(full_parse(&q, NULL, " -createdAt , obj.x ", NULL, NULL) == 0);
    CHECK(q.norder == 2);
    if (q.norder == 2) {
        CHECK_STR(q.order[0].field, "createdAt");
        CHECK(q.order[0].desc);
        CHECK_STR(q.order[1].field, "obj.x");
    }
    query_cleanup(&q);
}

static void
test_parse_order_aliases(void)
{
    query_t q;

    CHECK(full_parse(&q, NULL, "_created_at,-_updated_at,$score", NULL,
                     NULL) == 0);
    CHECK(q.norder == 3);
    if (q.norder == 3) {
        CHECK_STR(q.order[0].field, "createdAt");
        CHECK(!q.order[0].desc);
        CHECK_STR(q.order[1].field, "updatedAt");
        CHECK(q.order[1].desc);
        CHECK_STR(q.order[2].field, "$score");
    }
    query_cleanup(&q);
}

static void
test_parse_order_bad_name_is_105(void)
{
    query_t q;

    CHECK(full_parse(&q, NULL, "$a", NULL, NULL) == 105);
    query_cleanup(&q);  /* safe after a failure */
    CHECK(full_parse(&q, NULL, "score,-1x", NULL, NULL) == 105);
    query_cleanup(&q);
    CHECK(full_parse(&q, NULL, "_secret", NULL, NULL) == 105);
    query_cleanup(&q);
    CHECK(full_parse(&q, NULL, "a;drop", NULL, NULL) == 105);
    query_cleanup(&q);
}

static void
test_parse_where_error(void)
{
    query_t q;

    CHECK(full_parse(&q, "{\"$bad\":1}", "score", "a", "b") == 105);
    query_cleanup(&q);
    CHECK(full_parse(&q, "{\"score\":{\"$in\":3}}", NULL, NULL, NULL) == 102);
    query_cleanup(&q);
}

static void
test_parse_keys_and_include(void)
{
    query_t q;

    CHECK(full_parse(&q, NULL, NULL, "name, score ,$score",
                     "owner,owner.team , ") == 0);
    CHECK(q.nkeys == 3);
    if (q.nkeys == 3) {
        CHECK_STR(q.keys[0], "name");
        CHECK_STR(q.keys[1], "score");
        CHECK_STR(q.keys[2], "$score");
    }
    CHECK(q.want_score);
    CHECK(q.ninclude == 2);
    if (q.ninclude == 2) {
        CHECK_STR(q.include[0], "owner");
        CHECK_STR(q.include[1], "owner.team");
    }
    query_cleanup(&q);
    CHECK(q.where == NULL && q.keys == NULL);

    /* keys= (empty) selects no field, which differs from no keys */
    CHECK(full_parse(&q, NULL, NULL, "", NULL) == 0);
    CHECK(q.keys != NULL);
    CHECK(q.nkeys == 0);
    CHECK(!q.want_score);
    query_cleanup(&q);
}

static void
test_parse_near_and_text(void)
{
    query_t q;

    CHECK(full_parse(&q,
                     "{\"name\":{\"$text\":{\"$search\":{\"$term\":\"hi\"}}},"
                     "\"loc\":{\"$nearSphere\":{\"__type\":\"GeoPoint\","
                     "\"latitude\":1,\"longitude\":2}}}",
                     NULL, NULL, NULL) == 0);
    CHECK(q.near != NULL && q.near->op == QOP_NEAR);
    CHECK(q.text != NULL && q.text->op == QOP_TEXT);
    query_cleanup(&q);

    /* a $nearSphere inside $or does not order the results */
    CHECK(full_parse(&q,
                     "{\"$or\":[{\"loc\":{\"$nearSphere\":{\"__type\":"
                     "\"GeoPoint\",\"latitude\":1,\"longitude\":2}}}]}",
                     NULL, NULL, NULL) == 0);
    CHECK(q.near == NULL);
    query_cleanup(&q);
}

/* -------------------------------------------------- split_list */

static void
test_split_list_trims(void)
{
    size_t n = 99;
    char **list = query_split_list("  a , b,c  ,, ,\td\t", &n);

    CHECK(n == 4);
    if (n == 4) {
        CHECK_STR(list[0], "a");
        CHECK_STR(list[1], "b");
        CHECK_STR(list[2], "c");
        CHECK_STR(list[3], "d");
    }
    query_free_list(list, n);

    list = query_split_list("one", &n);
    CHECK(n == 1);
    if (n == 1)
        CHECK_STR(list[0], "one");
    query_free_list(list, n);

    list = query_split_list("in ner,x", &n);
    CHECK(n == 2);
    if (n == 2)
        CHECK_STR(list[0], "in ner");  /* inner spaces are kept */
    query_free_list(list, n);
}

static void
test_split_list_empty(void)
{
    size_t n = 99;
    char **list;

    list = query_split_list("", &n);
    CHECK(list == NULL && n == 0);
    n = 99;
    list = query_split_list(NULL, &n);
    CHECK(list == NULL && n == 0);
    list = query_split_list(" , ,, ", &n);
    CHECK(list == NULL && n == 0);
    query_free_list(NULL, 0);
}

const unit_case_t unit_query_cases[] = {
    {"empty_where", test_empty_where},
    {"where_not_object_is_102", test_where_not_object_is_102},
    {"equality", test_equality},
    {"equality_object_value", test_equality_object_value},
    {"several_fields_are_anded", test_several_fields_are_anded},
    {"comparison_operators", test_comparison_operators},
    {"list_operators", test_list_operators},
    {"exists", test_exists},
    {"regex", test_regex},
    {"regex_errors_are_102", test_regex_errors_are_102},
    {"near_sphere", test_near_sphere},
    {"near_sphere_errors", test_near_sphere_errors},
    {"within_box", test_within_box},
    {"geo_within_polygon", test_geo_within_polygon},
    {"geo_within_center_sphere", test_geo_within_center_sphere},
    {"geo_intersects", test_geo_intersects},
    {"geo_errors_are_107", test_geo_errors_are_107},
    {"box_error_overwrites_stale_err", test_box_error_overwrites_stale_err},
    {"text", test_text},
    {"text_errors_are_107", test_text_errors_are_107},
    {"in_query", test_in_query},
    {"in_query_uses_cached_schema", test_in_query_uses_cached_schema},
    {"in_query_errors", test_in_query_errors},
    {"select", test_select},
    {"related_to", test_related_to},
    {"or_and_nor_nesting", test_or_and_nor_nesting},
    {"or_beside_fields", test_or_beside_fields},
    {"bad_compounds_are_102", test_bad_compounds_are_102},
    {"deep_nesting_is_102", test_deep_nesting_is_102},
    {"dotted_keys", test_dotted_keys},
    {"bad_key_names", test_bad_key_names},
    {"acl_is_102", test_acl_is_102},
    {"date_normalised_to_iso", test_date_normalised_to_iso},
    {"pointer_normalised_to_object_id", test_pointer_normalised_to_object_id},
    {"bad_date_or_pointer_is_102", test_bad_date_or_pointer_is_102},
    {"unknown_operator_is_102", test_unknown_operator_is_102},
    {"in_not_array_is_102", test_in_not_array_is_102},
    {"ordered_with_bad_operand_is_102", test_ordered_with_bad_operand_is_102},
    {"exists_not_bool_is_102", test_exists_not_bool_is_102},
    {"eq_with_operator_object_is_102", test_eq_with_operator_object_is_102},
    {"parse_defaults", test_parse_defaults},
    {"parse_order", test_parse_order},
    {"parse_order_aliases", test_parse_order_aliases},
    {"parse_order_bad_name_is_105", test_parse_order_bad_name_is_105},
    {"parse_where_error", test_parse_where_error},
    {"parse_keys_and_include", test_parse_keys_and_include},
    {"parse_near_and_text", test_parse_near_and_text},
    {"split_list_trims", test_split_list_trims},
    {"split_list_empty", test_split_list_empty},
    {NULL, NULL},
};
