/* SPDX-License-Identifier: MIT */
/*
 * test_schema.c - _SCHEMA JSON round trips, name checks and the cache.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "unit.h"

static json_t *
js(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);

    if (v == NULL)
        fprintf(stderr, "bad test JSON %s: %s\n", text, jerr.text);
    return v;
}

static const char game_doc[] =
    "{\"className\":\"Game\","
    " \"fields\":{"
    "   \"objectId\":{\"type\":\"String\"},"
    "   \"createdAt\":{\"type\":\"Date\"},"
    "   \"updatedAt\":{\"type\":\"Date\"},"
    "   \"ACL\":{\"type\":\"ACL\"},"
    "   \"score\":{\"type\":\"Number\"},"
    "   \"owner\":{\"type\":\"Pointer\",\"targetClass\":\"_User\"},"
    "   \"players\":{\"type\":\"Relation\",\"targetClass\":\"Player\"},"
    "   \"where\":{\"type\":\"GeoPoint\"},"
    "   \"_rperm\":{\"type\":\"Array\"},"
    "   \"weird\":{\"type\":\"NoSuchType\"},"
    "   \"untyped\":{}"
    " },"
    " \"classLevelPermissions\":{\"find\":{\"*\":true},"
    "   \"create\":{\"role:admin\":true},\"protectedFields\":{}},"
    " \"indexes\":{\"_id_\":{\"_id\":1}}"
    "}";

/* ------------------------------------------------------- JSON forms */

static void
test_from_json_fields(void)
{
    json_t *doc = js(game_doc);
    schema_class_t *cls = schema_class_from_json(doc);
    const schema_field_t *f;

    CHECK(cls != NULL);
    if (cls == NULL) {
        json_decref(doc);
        return;
    }
    CHECK_STR(cls->name, "Game");
    CHECK(atomic_load(&cls->refs) == 1);
    /* only user fields of known types: score, owner, players, where */
    CHECK(cls->nfields == 4);
    f = schema_field_find(cls, "score");
    CHECK(f != NULL && f->type == PT_NUMBER && f->target == NULL);
    f = schema_field_find(cls, "owner");
    CHECK(f != NULL && f->type == PT_POINTER);
    CHECK(f != NULL && f->target != NULL && strcmp(f->target, "_User") == 0);
    f = schema_field_find(cls, "players");
    CHECK(f != NULL && f->type == PT_RELATION);
    CHECK(f != NULL && f->target != NULL && strcmp(f->target, "Player") == 0);
    f = schema_field_find(cls, "where");
    CHECK(f != NULL && f->type == PT_GEOPOINT);
    CHECK(schema_field_find(cls, "objectId") == NULL);
    CHECK(schema_field_find(cls, "ACL") == NULL);
    CHECK(schema_field_find(cls, "_rperm") == NULL);
    CHECK(schema_field_find(cls, "weird") == NULL);
    CHECK(schema_field_find(cls, "untyped") == NULL);
    schema_class_release(cls);
    json_decref(doc);
}

static void
test_from_json_clp_and_extra(void)
{
    json_t *doc = js(game_doc);
    schema_class_t *cls = schema_class_from_json(doc);

    CHECK(cls != NULL);
    if (cls == NULL) {
        json_decref(doc);
        return;
    }
    CHECK(json_equal(cls->clp,
                     json_object_get(doc, "classLevelPermissions")));
    CHECK(cls->extra != NULL);
    CHECK(json_equal(json_object_get(cls->extra, "indexes"),
                     json_object_get(doc, "indexes")));
    CHECK(json_object_get(cls->extra, "className") == NULL);
    CHECK(json_object_get(cls->extra, "fields") == NULL);
    schema_class_release(cls);
    /* the class owns copies: the document is still intact */
    CHECK(json_is_object(json_object_get(doc, "classLevelPermissions")));
    json_decref(doc);
}

static void
test_from_json_malformed(void)
{
    json_t *a = js("{\"fields\":{}}");
    json_t *b = js("{\"className\":\"A\"}");
    json_t *c = js("{\"className\":\"A\",\"fields\":[]}");
    json_t *d = js("{\"className\":5,\"fields\":{}}");

    CHECK(schema_class_from_json(a) == NULL);
    CHECK(schema_class_from_json(b) == NULL);
    CHECK(schema_class_from_json(c) == NULL);
    CHECK(schema_class_from_json(d) == NULL);
    CHECK(schema_class_from_json(NULL) == NULL);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(d);
}

static void
test_from_json_without_clp_gets_defaults(void)
{
    json_t *doc = js("{\"className\":\"Plain\",\"fields\":{}}");
    schema_class_t *cls = schema_class_from_json(doc);

    CHECK(cls != NULL);
    if (cls != NULL) {
        CHECK(cls->nfields == 0);
        CHECK(json_is_true(json_object_get(
            json_object_get(cls->clp, "find"), "*")));
        CHECK(cls->extra == NULL);
    }
    schema_class_release(cls);
    json_decref(doc);
}

static void
test_to_json_shape(void)
{
    schema_class_t *cls = schema_class_create("Team");
    json_t *doc, *fields;

    schema_field_add(cls, "name", PT_STRING, NULL);
    schema_field_add(cls, "captain", PT_POINTER, "_User");
    doc = schema_class_to_json(cls);
    CHECK_STR(json_string_value(json_object_get(doc, "className")), "Team");
    fields = json_object_get(doc, "fields");
    CHECK(json_object_size(fields) == 6);
    /* the default columns are always listed */
    CHECK_STR(json_string_value(json_object_get(
                  json_object_get(fields, "objectId"), "type")),
              "String");
    CHECK_STR(json_string_value(json_object_get(
                  json_object_get(fields, "createdAt"), "type")),
              "Date");
    CHECK_STR(json_string_value(json_object_get(
                  json_object_get(fields, "updatedAt"), "type")),
              "Date");
    CHECK_STR(json_string_value(json_object_get(
                  json_object_get(fields, "ACL"), "type")),
              "ACL");
    CHECK_STR(json_string_value(json_object_get(
                  json_object_get(fields, "name"), "type")),
              "String");
    CHECK(json_object_get(json_object_get(fields, "name"), "targetClass") ==
          NULL);
    CHECK_STR(json_string_value(json_object_get(
                  json_object_get(fields, "captain"), "type")),
              "Pointer");
    CHECK_STR(json_string_value(json_object_get(
                  json_object_get(fields, "captain"), "targetClass")),
              "_User");
    CHECK(json_equal(json_object_get(doc, "classLevelPermissions"),
                     cls->clp));
    json_decref(doc);
    schema_class_release(cls);
}

static void
test_round_trip(void)
{
    json_t *doc = js(game_doc);
    schema_class_t *a = schema_class_from_json(doc);
    schema_class_t *b;
    json_t *out, *out2, *fields;

    CHECK(a != NULL);
    if (a == NULL) {
        json_decref(doc);
        return;
    }
    out = schema_class_to_json(a);
    fields = json_object_get(out, "fields");
    /* 4 default + 4 user fields; internal and unknown ones are gone */
    CHECK(json_object_size(fields) == 8);
    CHECK(json_object_get(fields, "_rperm") == NULL);
    CHECK(json_object_get(fields, "weird") == NULL);
    CHECK(json_equal(json_object_get(out, "classLevelPermissions"),
                     json_object_get(doc, "classLevelPermissions")));
    CHECK(json_equal(json_object_get(out, "indexes"),
                     json_object_get(doc, "indexes")));
    CHECK_STR(json_string_value(json_object_get(
                  json_object_get(fields, "players"), "targetClass")),
              "Player");

    b = schema_class_from_json(out);
    CHECK(b != NULL);
    if (b != NULL) {
        CHECK_STR(b->name, a->name);
        CHECK(b->nfields == a->nfields);
        for (size_t i = 0; i < a->nfields; i++) {
            const schema_field_t *f = schema_field_find(b, a->fields[i].name);

            CHECK(f != NULL);
            if (f == NULL)
                continue;
            CHECK(f->type == a->fields[i].type);
            CHECK((f->target == NULL) == (a->fields[i].target == NULL));
            if (f->target && a->fields[i].target)
                CHECK_STR(f->target, a->fields[i].target);
        }
        out2 = schema_class_to_json(b);
        CHECK(json_equal(out, out2));
        json_decref(out2);
    }
    schema_class_release(b);
    json_decref(out);
    schema_class_release(a);
    json_decref(doc);
}

static void
test_create_default_clp(void)
{
    schema_class_t *cls = schema_class_create("Thing");
    static const char *const ops[] = {"find", "count", "get", "create",
                                      "update", "delete", "addField"};

    CHECK_STR(cls->name, "Thing");
    CHECK(cls->nfields == 0);
    CHECK(atomic_load(&cls->refs) == 1);
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        CHECK(json_is_true(
            json_object_get(json_object_get(cls->clp, ops[i]), "*")));
    CHECK(json_is_array(json_object_get(
        json_object_get(cls->clp, "protectedFields"), "*")));
    schema_class_release(cls);
}

static void
test_copy_is_deep(void)
{
    json_t *doc = js(game_doc);
    schema_class_t *a = schema_class_from_json(doc);
    schema_class_t *b;

    json_decref(doc);
    CHECK(a != NULL);
    if (a == NULL)
        return;
    b = schema_class_copy(a);
    CHECK(b != a);
    CHECK(atomic_load(&b->refs) == 1);
    CHECK(b->nfields == a->nfields);
    CHECK(b->fields != a->fields);
    CHECK(b->clp != a->clp && json_equal(b->clp, a->clp));
    CHECK(b->extra != a->extra && json_equal(b->extra, a->extra));
    schema_field_add(b, "extraField", PT_BOOLEAN, NULL);
    json_object_set_new(b->clp, "find", json_object());
    CHECK(schema_field_find(a, "extraField") == NULL);
    CHECK(json_is_true(json_object_get(json_object_get(a->clp, "find"), "*")));
    schema_class_release(a);
    schema_class_release(b);
}

static void
test_field_type_and_defaults(void)
{
    schema_class_t *cls = schema_class_create("T");

    schema_field_add(cls, "n", PT_NUMBER, NULL);
    CHECK(schema_field_type(cls, "objectId") == PT_STRING);
    CHECK(schema_field_type(cls, "createdAt") == PT_DATE);
    CHECK(schema_field_type(cls, "updatedAt") == PT_DATE);
    CHECK(schema_field_type(cls, "ACL") == PT_ACL);
    CHECK(schema_field_type(cls, "n") == PT_NUMBER);
    CHECK(schema_field_type(cls, "missing") == PT_NONE);
    CHECK(schema_field_type(NULL, "createdAt") == PT_DATE);
    CHECK(schema_field_type(NULL, "n") == PT_NONE);
    CHECK(schema_is_default_field("objectId"));
    CHECK(schema_is_default_field("createdAt"));
    CHECK(schema_is_default_field("updatedAt"));
    CHECK(schema_is_default_field("ACL"));
    CHECK(!schema_is_default_field("acl"));
    CHECK(!schema_is_default_field("n"));
    schema_class_release(cls);
}

/* -------------------------------------------------------- name checks */

static int
class_code(const char *name)
{
    perr_t err;

    memset(&err, 0, sizeof(err));
    return schema_check_class_name(name, &err) == 0 ? 0 : err.code;
}

static int
field_code(const char *name)
{
    perr_t err;

    memset(&err, 0, sizeof(err));
    return schema_check_field_name(name, &err) == 0 ? 0 : err.code;
}

static void
test_check_class_name(void)
{
    char name[200];

    CHECK(class_code("GameScore") == 0);
    CHECK(class_code("a") == 0);
    CHECK(class_code("Game_Score2") == 0);
    CHECK(class_code("") == 103);
    CHECK(class_code("1Game") == 103);
    CHECK(class_code("Game Score") == 103);
    CHECK(class_code("Game-Score") == 103);
    CHECK(class_code("Game.Score") == 103);
    CHECK(class_code("$Game") == 103);
    CHECK(class_code("_NotASystemClass") == 103);
    /* the system classes parsec serves are valid despite the underscore */
    CHECK(class_code("_User") == 0);
    CHECK(class_code("_Role") == 0);
    CHECK(class_code("_Session") == 0);
    CHECK(class_code("_user") == 103);

    memset(name, 'a', 120);
    name[120] = '\0';
    CHECK(class_code(name) == 0);
    name[120] = 'a';
    name[121] = '\0';
    CHECK(class_code(name) == 103);
}

static void
test_check_class_name_error(void)
{
    perr_t err;

    memset(&err, 0, sizeof(err));
    CHECK(schema_check_class_name("Bad-Name", &err) == -1);
    CHECK(err.code == 103);
    CHECK(err.status == 400);
    CHECK(strstr(err.msg, "Bad-Name") != NULL);
}

static void
test_check_field_name(void)
{
    char name[300];

    CHECK(field_code("score") == 0);
    CHECK(field_code("playerName_2") == 0);
    CHECK(field_code("Length") == 0);
    CHECK(field_code("length") == 105);
    CHECK(field_code("className") == 105);
    CHECK(field_code("constructor") == 105);
    CHECK(field_code("1score") == 105);
    CHECK(field_code("_score") == 105);
    CHECK(field_code("") == 105);
    CHECK(field_code("a.b") == 105);
    CHECK(field_code("a$b") == 105);
    CHECK(field_code("a b") == 105);

    memset(name, 'f', 255);
    name[255] = '\0';
    CHECK(field_code(name) == 0);
    name[255] = 'f';
    name[256] = '\0';
    CHECK(field_code(name) == 105);
}

/* ------------------------------------------------------------- cache */

static void
test_cache_put_get(void)
{
    schema_class_t *cls = schema_class_create("Cached");
    schema_class_t *got;

    schema_cache_init();
    CHECK(schema_cache_get("Cached") == NULL);
    schema_cache_put(cls);
    CHECK(atomic_load(&cls->refs) == 2);  /* ours and the cache's */
    got = schema_cache_get("Cached");
    CHECK(got == cls);
    CHECK(atomic_load(&cls->refs) == 3);
    schema_class_release(got);
    CHECK(atomic_load(&cls->refs) == 2);
    CHECK(schema_cache_get("cached") == NULL);  /* names are exact */
    CHECK(schema_cache_get("Other") == NULL);
    schema_class_release(cls);  /* the cache keeps it alive */
    got = schema_cache_get("Cached");
    CHECK(got != NULL && strcmp(got->name, "Cached") == 0);
    CHECK(got != NULL && atomic_load(&got->refs) == 2);
    schema_class_release(got);
    schema_cache_cleanup();
    CHECK(schema_cache_get("Cached") == NULL);
}

static void
test_cache_replace(void)
{
    schema_class_t *v1 = schema_class_create("Versioned");
    schema_class_t *v2;
    schema_class_t *got;

    schema_cache_init();
    schema_cache_put(v1);
    got = schema_cache_get("Versioned");  /* a reader holds version 1 */
    v2 = schema_class_copy(v1);
    schema_field_add(v2, "added", PT_STRING, NULL);
    schema_cache_put(v2);
    /* the cache dropped its reference to v1; ours and the reader's stay */
    CHECK(atomic_load(&v1->refs) == 2);
    CHECK(atomic_load(&v2->refs) == 2);
    CHECK(got == v1);
    CHECK(schema_field_find(got, "added") == NULL);
    schema_class_release(got);
    schema_class_release(v1);  /* v1 is freed here */

    got = schema_cache_get("Versioned");
    CHECK(got == v2);
    CHECK(got != NULL && schema_field_find(got, "added") != NULL);
    schema_class_release(got);
    schema_class_release(v2);
    schema_cache_cleanup();
}

static void
test_cache_put_same_twice(void)
{
    schema_class_t *cls = schema_class_create("Twice");

    schema_cache_init();
    schema_cache_put(cls);
    schema_cache_put(cls);
    CHECK(atomic_load(&cls->refs) == 2);
    schema_class_release(cls);
    schema_cache_cleanup();
}

static void
test_cache_remove(void)
{
    schema_class_t *a = schema_class_create("RemoveMe");
    schema_class_t *b = schema_class_create("KeepMe");
    schema_class_t *got;

    schema_cache_init();
    schema_cache_put(a);
    schema_cache_put(b);
    schema_class_release(a);
    schema_class_release(b);
    schema_cache_remove("RemoveMe");
    CHECK(schema_cache_get("RemoveMe") == NULL);
    got = schema_cache_get("KeepMe");
    CHECK(got == b);
    schema_class_release(got);
    schema_cache_remove("NeverThere");  /* no-op */
    schema_cache_remove("RemoveMe");    /* twice is fine */
    got = schema_cache_get("KeepMe");
    CHECK(got == b);
    schema_class_release(got);
    schema_cache_cleanup();
}

static void
test_cache_many_classes(void)
{
    char name[32];
    int found = 0;

    /* more classes than buckets, so chains hold several entries */
    schema_cache_init();
    for (int i = 0; i < 600; i++) {
        schema_class_t *cls;

        snprintf(name, sizeof(name), "Class%d", i);
        cls = schema_class_create(name);
        schema_cache_put(cls);
        schema_class_release(cls);
    }
    for (int i = 0; i < 600; i += 2) {
        snprintf(name, sizeof(name), "Class%d", i);
        schema_cache_remove(name);
    }
    for (int i = 0; i < 600; i++) {
        schema_class_t *got;

        snprintf(name, sizeof(name), "Class%d", i);
        got = schema_cache_get(name);
        if (got != NULL) {
            found++;
            CHECK(i % 2 == 1);
            CHECK_STR(got->name, name);
            schema_class_release(got);
        }
    }
    CHECK(found == 300);
    schema_cache_cleanup();
}

static atomic_int readers_done;

/* Readers take and drop references while the main thread swaps in new
 * versions; ASan reports any use after free or leak. */
static void *
cache_reader(void *arg)
{
    int *seen_fields = arg;

    for (int i = 0; i < 3000; i++) {
        schema_class_t *cls = schema_cache_get("Hot");

        if (cls != NULL) {
            /* every published version is complete */
            if (strcmp(cls->name, "Hot") != 0 ||
                schema_field_find(cls, "base") == NULL)
                (*seen_fields) = -1000000;
            else if (*seen_fields >= 0)
                (*seen_fields)++;
            schema_class_release(cls);
        }
    }
    atomic_fetch_add(&readers_done, 1);
    return NULL;
}

static void
test_cache_concurrent_readers(void)
{
    pthread_t th[4];
    int seen[4] = {0, 0, 0, 0};
    schema_class_t *cls = schema_class_create("Hot");
    schema_class_t *got;
    int versions = 0;

    schema_field_add(cls, "base", PT_STRING, NULL);
    schema_cache_init();
    schema_cache_put(cls);
    atomic_store(&readers_done, 0);
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&th[i], NULL, cache_reader, &seen[i]) == 0);
    while (atomic_load(&readers_done) < 4 && versions < 100000) {
        schema_class_t *next = schema_class_copy(cls);

        schema_class_release(cls);
        cls = next;
        schema_cache_put(cls);
        versions++;
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(seen[i] == 3000);
    }
    CHECK(atomic_load(&cls->refs) == 2);
    got = schema_cache_get("Hot");
    CHECK(got == cls);
    schema_class_release(got);
    schema_class_release(cls);
    schema_cache_cleanup();
}

static void
test_release_null(void)
{
    schema_class_release(NULL);
    CHECK(schema_class_ref(NULL) == NULL);
}

const unit_case_t unit_schema_cases[] = {
    {"from_json_fields", test_from_json_fields},
    {"from_json_clp_and_extra", test_from_json_clp_and_extra},
    {"from_json_malformed", test_from_json_malformed},
    {"from_json_without_clp_gets_defaults",
     test_from_json_without_clp_gets_defaults},
    {"to_json_shape", test_to_json_shape},
    {"round_trip", test_round_trip},
    {"create_default_clp", test_create_default_clp},
    {"copy_is_deep", test_copy_is_deep},
    {"field_type_and_defaults", test_field_type_and_defaults},
    {"check_class_name", test_check_class_name},
    {"check_class_name_error", test_check_class_name_error},
    {"check_field_name", test_check_field_name},
    {"cache_put_get", test_cache_put_get},
    {"cache_replace", test_cache_replace},
    {"cache_put_same_twice", test_cache_put_same_twice},
    {"cache_remove", test_cache_remove},
    {"cache_many_classes", test_cache_many_classes},
    {"cache_concurrent_readers", test_cache_concurrent_readers},
    {"release_null", test_release_null},
    {NULL, NULL},
};
