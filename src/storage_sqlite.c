/* SPDX-License-Identifier: MIT */
/*
 * storage_sqlite.c - the embedded SQLite engine behind storage.h.
 *
 * Layout follows parse-server's Postgres adapter: a "_SCHEMA" table of
 * class documents, one table per class with "objectId" as primary key,
 * "createdAt"/"updatedAt", "_rperm"/"_wperm" (JSON arrays) and a column per
 * field, and a "_Join:field:Class" table per relation. Dates are stored as
 * ISO-8601 UTC text, which sorts in time order; Objects, Arrays, Polygons
 * and Bytes as JSON text; Pointers as the target's objectId; Files as
 * their name.
 *
 * Each worker thread opens its own connection on first use and keeps its
 * prepared statements; WAL mode lets readers run beside the one writer,
 * and synchronous=FULL makes a commit durable before the answer is sent.
 * Class and field names reach SQL only after schema validation, and always
 * quoted; every value is a bound parameter.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "geo.h"
#include "regexp.h"
#include "textsearch.h"
#include "storage.h"
#include "util.h"

#define STMT_CACHE_SIZE 128
/* An array element as queries compare it: a Pointer by its objectId, a
 * Date by its ISO string, anything else as stored. */
#define SQ_ELEM "(CASE WHEN type = 'object' THEN COALESCE(" \
                "json_extract(value, '$.objectId'), " \
                "json_extract(value, '$.iso'), value) ELSE value END)"
#define SQ_REGEXP_LIMIT "parsec: regular expression exceeded its match limit"

typedef struct {
    char *sql;
    sqlite3_stmt *stmt;
} stmt_slot_t;

/* One thread's connection and its statement cache. depth counts the
 * transactions open on it: the outermost is BEGIN IMMEDIATE, inner ones
 * are savepoints, so an operation that needs a transaction works the same
 * inside a batch transaction. */
typedef struct {
    sqlite3 *db;
    int depth;
    stmt_slot_t slots[STMT_CACHE_SIZE];
    size_t next_evict;
} sq_conn_t;

typedef struct {
    storage_t base;
    /* Writers take this before SQLite's own write lock: one writer at a
     * time either way, but waiting here is a fair queue instead of
     * SQLite's busy handler, which sleeps in growing steps and can starve
     * one writer for seconds under steady write load. Recursive, as a
     * batch transaction holds it across the writes it makes. */
    pthread_mutex_t write_lock;
    char *path;
    pthread_key_t conn_key;
    char version[64];
} sq_storage_t;

static void
sq_conn_destroy(void *p)
{
    sq_conn_t *c = p;

    for (size_t i = 0; i < STMT_CACHE_SIZE; i++) {
        sqlite3_finalize(c->slots[i].stmt);
        free(c->slots[i].sql);
    }
    sqlite3_close_v2(c->db);
    free(c);
}

static int
sq_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        log_error("sqlite: %s failed: %s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static void
sq_regexp_free(void *p)
{
    regexp_free(p);
}

/*
 * parsec_regexp(pattern, options, value): 1 when value matches. The
 * compiled pattern is kept with the statement while the pattern argument
 * stays the same. A pattern that hits the match limit fails the query.
 */
static void
sq_regexp_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    regexp_t *re = sqlite3_get_auxdata(ctx, 0);
    const char *subject = NULL;
    int rc;

    /* A regex matches strings only, never numbers or other values. */
    if (sqlite3_value_type(argv[2]) == SQLITE_TEXT)
        subject = (const char *)sqlite3_value_text(argv[2]);
    if (subject == NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    if (re == NULL) {
        perr_t err;

        re = regexp_compile((const char *)sqlite3_value_text(argv[0]),
                            (const char *)sqlite3_value_text(argv[1]), &err);
        if (re == NULL) {
            sqlite3_result_error(ctx, "parsec: invalid regular expression", -1);
            return;
        }
        sqlite3_set_auxdata(ctx, 0, re, sq_regexp_free);
        re = sqlite3_get_auxdata(ctx, 0);
        if (re == NULL) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
    }
    rc = regexp_match(re, subject, (size_t)sqlite3_value_bytes(argv[2]));
    if (rc < 0) {
        sqlite3_result_error(ctx, SQ_REGEXP_LIMIT, -1);
        return;
    }
    sqlite3_result_int(ctx, rc);
}

/* Latitude and longitude of a stored GeoPoint ("[lng, lat]" text). */
static int
sq_geopoint(sqlite3_value *v, double *lat, double *lng)
{
    const char *text = (const char *)sqlite3_value_text(v);
    json_t *pt = text ? json_loads(text, 0, NULL) : NULL;
    int rc = -1;

    if (json_is_array(pt) && json_is_number(json_array_get(pt, 0)) &&
        json_is_number(json_array_get(pt, 1))) {
        *lng = json_number_value(json_array_get(pt, 0));
        *lat = json_number_value(json_array_get(pt, 1));
        rc = 0;
    }
    json_decref(pt);
    return rc;
}

/* Vertices of "[[lat, lng], ...]" text into new arrays; count or -1. */
static long
sq_polygon(sqlite3_value *v, double **lats, double **lngs)
{
    const char *text = (const char *)sqlite3_value_text(v);
    json_t *poly = text ? json_loads(text, 0, NULL) : NULL;
    size_t n = json_array_size(poly);
    json_t *p;
    size_t i;

    if (n < 3) {
        json_decref(poly);
        return -1;
    }
    *lats = malloc(n * sizeof(double));
    *lngs = malloc(n * sizeof(double));
    json_array_foreach(poly, i, p) {
        (*lats)[i] = json_number_value(json_array_get(p, 0));
        (*lngs)[i] = json_number_value(json_array_get(p, 1));
    }
    json_decref(poly);
    return (long)n;
}

/* parsec_geo_distance(point, lat, lng): radians from the stored point. */
static void
sq_geo_distance_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    double lat, lng;

    if (sq_geopoint(argv[0], &lat, &lng)) {
        sqlite3_result_null(ctx);
        return;
    }
    sqlite3_result_double(ctx, geo_distance_radians(
                                   lat, lng, sqlite3_value_double(argv[1]),
                                   sqlite3_value_double(argv[2])));
}

/* parsec_geo_in_box(point, south, west, north, east) */
static void
sq_geo_in_box_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    double lat, lng;

    if (sq_geopoint(argv[0], &lat, &lng)) {
        sqlite3_result_int(ctx, 0);
        return;
    }
    sqlite3_result_int(ctx, lat >= sqlite3_value_double(argv[1]) &&
                                lng >= sqlite3_value_double(argv[2]) &&
                                lat <= sqlite3_value_double(argv[3]) &&
                                lng <= sqlite3_value_double(argv[4]));
}

/* parsec_geo_in_polygon(point, polygon): the point lies in the polygon.
 * parsec_polygon_contains(polygon, lat, lng): the stored polygon holds
 * the point. */
static void
sq_geo_polygon_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    double lat, lng, *lats = NULL, *lngs = NULL;
    long n;
    int inside = 0;

    if (argc == 2) {
        n = sq_polygon(argv[1], &lats, &lngs);
        if (n > 0 && sq_geopoint(argv[0], &lat, &lng) == 0)
            inside = geo_polygon_contains(lats, lngs, (size_t)n, lat, lng);
    } else {
        n = sq_polygon(argv[0], &lats, &lngs);
        if (n > 0)
            inside = geo_polygon_contains(lats, lngs, (size_t)n,
                                          sqlite3_value_double(argv[1]),
                                          sqlite3_value_double(argv[2]));
    }
    free(lats);
    free(lngs);
    sqlite3_result_int(ctx, inside);
}

/* parsec_text_score(value, term, language): 0 or the match score. */
static void
sq_text_score_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *doc = (const char *)sqlite3_value_text(argv[0]);
    const char *term = (const char *)sqlite3_value_text(argv[1]);

    const char *lang = (const char *)sqlite3_value_text(argv[2]);

    sqlite3_result_double(ctx, doc && term ? textsearch_score(doc, term, lang)
                                           : 0);
}

static const struct {
    const char *name;
    int nargs;
    void (*fn)(sqlite3_context *, int, sqlite3_value **);
} sq_functions[] = {
    {"parsec_regexp", 3, sq_regexp_fn},
    {"parsec_geo_distance", 3, sq_geo_distance_fn},
    {"parsec_geo_in_box", 5, sq_geo_in_box_fn},
    {"parsec_geo_in_polygon", 2, sq_geo_polygon_fn},
    {"parsec_polygon_contains", 3, sq_geo_polygon_fn},
    {"parsec_text_score", 3, sq_text_score_fn},
};

static int
sq_register_functions(sqlite3 *db)
{
    for (size_t i = 0; i < sizeof(sq_functions) / sizeof(sq_functions[0]); i++) {
        if (sqlite3_create_function_v2(db, sq_functions[i].name,
                                       sq_functions[i].nargs,
                                       SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                       sq_functions[i].fn, NULL, NULL,
                                       NULL) != SQLITE_OK)
            return -1;
    }
    return 0;
}

static sqlite3 *
sq_open_db(const char *path)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                SQLITE_OPEN_NOMUTEX;

    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        log_error("sqlite: cannot open %s: %s", path,
                  db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close_v2(db);
        return NULL;
    }
    /* Writers queue behind each other rather than fail at once. */
    sqlite3_busy_timeout(db, 30000);
    if (sq_exec(db, "PRAGMA journal_mode=WAL") ||
        sq_exec(db, "PRAGMA synchronous=FULL") ||
        sq_exec(db, "PRAGMA foreign_keys=OFF") || sq_register_functions(db)) {
        sqlite3_close_v2(db);
        return NULL;
    }
    return db;
}

/* The calling thread's connection, opened on first use. */
static sq_conn_t *
sq_conn(sq_storage_t *st, perr_t *err)
{
    sq_conn_t *c = pthread_getspecific(st->conn_key);

    if (c != NULL)
        return c;
    c = calloc(1, sizeof(*c));
    c->db = sq_open_db(st->path);
    if (c->db == NULL) {
        free(c);
        perr_set(err, PERR_SERVICE_UNAVAILABLE, "The database is unavailable.");
        return NULL;
    }
    pthread_setspecific(st->conn_key, c);
    return c;
}

/* SQLite's limits on one statement (expression depth, bound values),
 * which a query with thousands of branches reaches: the client's doing. */
static bool
sq_too_complex(sq_conn_t *c)
{
    const char *msg = sqlite3_errmsg(c->db);

    return strstr(msg, "Expression tree is too large") != NULL ||
           strstr(msg, "too many SQL variables") != NULL ||
           strstr(msg, "too many terms") != NULL;
}

/* A reset statement for sql from the thread's cache, prepared if new. */
static sqlite3_stmt *
sq_prepare(sq_conn_t *c, const char *sql, perr_t *err)
{
    unsigned h = 5381;
    size_t slot;
    sqlite3_stmt *stmt = NULL;

    for (const char *p = sql; *p; p++)
        h = h * 33 + (unsigned char)*p;
    slot = h % STMT_CACHE_SIZE;
    if (c->slots[slot].sql != NULL && strcmp(c->slots[slot].sql, sql) == 0) {
        stmt = c->slots[slot].stmt;
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        return stmt;
    }
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
                           NULL) != SQLITE_OK) {
        if (sq_too_complex(c)) {
            perr_set(err, PERR_INVALID_QUERY, "The query is too complex.");
            return NULL;
        }
        log_error("sqlite: prepare failed: %s; statement: %.300s",
                  sqlite3_errmsg(c->db), sql);
        perr_set(err, PERR_INTERNAL, NULL);
        return NULL;
    }
    sqlite3_finalize(c->slots[slot].stmt);
    free(c->slots[slot].sql);
    c->slots[slot].sql = strdup(sql);
    c->slots[slot].stmt = stmt;
    return stmt;
}

static int
sq_fail(sq_conn_t *c, const char *what, perr_t *err)
{
    int code = sqlite3_extended_errcode(c->db);

    if (code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE)
        return perr_set(err, PERR_DUPLICATE_VALUE, NULL);
    if (sq_too_complex(c))
        return perr_set(err, PERR_INVALID_QUERY, "The query is too complex.");
    if (strcmp(sqlite3_errmsg(c->db), SQ_REGEXP_LIMIT) == 0)
        return perr_set(err, PERR_INEFFICIENT_QUERY,
                        "The regular expression is too expensive to "
                        "evaluate.");
    log_error("sqlite: %s failed: %s", what, sqlite3_errmsg(c->db));
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return perr_set(err, PERR_SERVICE_UNAVAILABLE,
                        "The database is busy; try again.");
    return perr_set(err, PERR_INTERNAL, NULL);
}

/* Run a statement that returns no rows. */
static int
sq_run(sq_conn_t *c, const char *sql, perr_t *err)
{
    sqlite3_stmt *stmt = sq_prepare(c, sql, err);
    int rc;

    if (stmt == NULL)
        return -1;
    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return sq_fail(c, sql, err);
    return 0;
}

static int
sq_begin(sq_conn_t *c, perr_t *err)
{
    char sql[48];

    if (c->depth == 0)
        snprintf(sql, sizeof(sql), "BEGIN IMMEDIATE");
    else
        snprintf(sql, sizeof(sql), "SAVEPOINT parsec_%d", c->depth);
    if (sq_exec(c->db, sql))
        return perr_set(err, PERR_SERVICE_UNAVAILABLE,
                        "The database is busy; try again.");
    c->depth++;
    return 0;
}

/* Commit the innermost transaction; on failure it is rolled back. */
static int
sq_commit(sq_conn_t *c, perr_t *err)
{
    char sql[48];

    c->depth--;
    if (c->depth == 0)
        snprintf(sql, sizeof(sql), "COMMIT");
    else
        snprintf(sql, sizeof(sql), "RELEASE parsec_%d", c->depth);
    if (sq_exec(c->db, sql) == 0)
        return 0;
    sq_fail(c, "committing", err);
    if (c->depth == 0 && !sqlite3_get_autocommit(c->db))
        sq_exec(c->db, "ROLLBACK");
    return -1;
}

static void
sq_rollback(sq_conn_t *c)
{
    char sql[96];

    if (c->depth == 0)
        return;
    c->depth--;
    if (c->depth == 0) {
        if (!sqlite3_get_autocommit(c->db))
            sq_exec(c->db, "ROLLBACK");
        return;
    }
    snprintf(sql, sizeof(sql), "ROLLBACK TO parsec_%d; RELEASE parsec_%d",
             c->depth, c->depth);
    sq_exec(c->db, sql);
}

/* ---------------------------------------------------------- values */

static const char *
sq_column_type(ptype_t t)
{
    switch (t) {
    case PT_NUMBER:
        return "DOUBLE PRECISION";
    case PT_BOOLEAN:
        return "BOOLEAN";
    default:
        return "TEXT";
    }
}

/* Bind a JSON scalar (objects and arrays as compact JSON text). */
static void
sq_bind_json(sqlite3_stmt *stmt, int idx, json_t *v)
{
    char *text;

    switch (json_typeof(v)) {
    case JSON_STRING:
        sqlite3_bind_text(stmt, idx, json_string_value(v),
                          (int)json_string_length(v), SQLITE_TRANSIENT);
        break;
    case JSON_INTEGER:
        sqlite3_bind_int64(stmt, idx, json_integer_value(v));
        break;
    case JSON_REAL:
        sqlite3_bind_double(stmt, idx, json_real_value(v));
        break;
    case JSON_TRUE:
        sqlite3_bind_int(stmt, idx, 1);
        break;
    case JSON_FALSE:
        sqlite3_bind_int(stmt, idx, 0);
        break;
    case JSON_NULL:
        sqlite3_bind_null(stmt, idx);
        break;
    default:
        text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        sqlite3_bind_text(stmt, idx, text, -1, free);
    }
}

/* Bind a field value in the column form its type is stored in. */
static void
sq_bind_value(sqlite3_stmt *stmt, int idx, ptype_t t, json_t *v)
{
    int64_t ms;
    char iso[32];

    if (v == NULL || json_is_null(v)) {
        sqlite3_bind_null(stmt, idx);
        return;
    }
    switch (t) {
    case PT_DATE:
        if (ptype_date_ms(v, &ms) == 0) {
            util_format_iso(ms, iso);
            sqlite3_bind_text(stmt, idx, iso, -1, SQLITE_TRANSIENT);
        } else {
            sqlite3_bind_null(stmt, idx);
        }
        return;
    case PT_POINTER:
        sq_bind_json(stmt, idx, json_object_get(v, "objectId"));
        return;
    case PT_FILE:
        sq_bind_json(stmt, idx, json_object_get(v, "name"));
        return;
    case PT_BYTES:
        sq_bind_json(stmt, idx, json_object_get(v, "base64"));
        return;
    case PT_POLYGON:
        sq_bind_json(stmt, idx, json_object_get(v, "coordinates"));
        return;
    case PT_GEOPOINT: {
        json_t *pt = json_pack("[O,O]", json_object_get(v, "longitude"),
                               json_object_get(v, "latitude"));

        sq_bind_json(stmt, idx, pt);
        json_decref(pt);
        return;
    }
    default:
        sq_bind_json(stmt, idx, v);
    }
}

static json_t *
sq_column_json(sqlite3_stmt *stmt, int col)
{
    const char *text = (const char *)sqlite3_column_text(stmt, col);

    return text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
}

/* The Parse value of column col holding a field of type f. */
static json_t *
sq_decode(sq_storage_t *st, sqlite3_stmt *stmt, int col,
          const schema_field_t *f)
{
    const char *text;
    json_t *j;

    if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
        return NULL;
    text = (const char *)sqlite3_column_text(stmt, col);
    switch (f->type) {
    case PT_STRING:
        return json_string(text);
    case PT_NUMBER:
        if (sqlite3_column_type(stmt, col) == SQLITE_INTEGER)
            return json_integer(sqlite3_column_int64(stmt, col));
        return ptype_number_create(sqlite3_column_double(stmt, col));
    case PT_BOOLEAN:
        return json_boolean(sqlite3_column_int(stmt, col));
    case PT_DATE:
        return ptype_date_from_iso(json_string(text));
    case PT_POINTER:
        return ptype_pointer_create(f->target ? f->target : "", text);
    case PT_FILE:
        return storage_file_value(&st->base, text);
    case PT_BYTES:
        return json_pack("{s:s, s:s}", "__type", "Bytes", "base64", text);
    case PT_GEOPOINT:
        j = sq_column_json(stmt, col);
        if (!json_is_array(j)) {
            json_decref(j);
            return NULL;
        }
        {
            json_t *gp = json_pack("{s:s, s:O, s:O}", "__type", "GeoPoint",
                                   "latitude", json_array_get(j, 1),
                                   "longitude", json_array_get(j, 0));

            json_decref(j);
            return gp;
        }
    case PT_POLYGON:
        j = sq_column_json(stmt, col);
        return j ? json_pack("{s:s, s:o}", "__type", "Polygon",
                             "coordinates", j)
                 : NULL;
    default:
        return sq_column_json(stmt, col);
    }
}

/* ------------------------------------------------------ column lists */

/* SELECT list: the fixed columns, then each non-relation field. */
static void
sq_select_list(sbuf_t *sql, const schema_class_t *cls)
{
    sbuf_append(sql, "\"objectId\",\"createdAt\",\"updatedAt\","
                     "\"_rperm\",\"_wperm\"");
    for (size_t i = 0; i < cls->nfields; i++) {
        if (cls->fields[i].type == PT_RELATION)
            continue;
        sbuf_append(sql, ",");
        sbuf_append_ident(sql, cls->fields[i].name);
    }
}

/* Build the Parse object of the current row (columns as sq_select_list). */
static json_t *
sq_row_object(sq_storage_t *st, const schema_class_t *cls, sqlite3_stmt *stmt)
{
    json_t *obj = json_object();
    json_t *rperm = sq_column_json(stmt, 3);
    json_t *wperm = sq_column_json(stmt, 4);
    json_t *acl;
    int col = 5;

    json_object_set_new(obj, "objectId",
                        json_string((const char *)sqlite3_column_text(stmt, 0)));
    if (sqlite3_column_type(stmt, 1) != SQLITE_NULL)
        json_object_set_new(obj, "createdAt", json_string(
            (const char *)sqlite3_column_text(stmt, 1)));
    if (sqlite3_column_type(stmt, 2) != SQLITE_NULL)
        json_object_set_new(obj, "updatedAt", json_string(
            (const char *)sqlite3_column_text(stmt, 2)));
    for (size_t i = 0; i < cls->nfields; i++) {
        const schema_field_t *f = &cls->fields[i];
        json_t *v;

        /* Relation fields have no column; every object shows them. */
        if (f->type == PT_RELATION) {
            json_object_set_new(obj, f->name,
                                json_pack("{s:s, s:s}", "__type", "Relation",
                                          "className", f->target));
            continue;
        }
        v = sq_decode(st, stmt, col++, f);
        if (v != NULL)
            json_object_set_new(obj, f->name, v);
    }
    acl = storage_acl_join(rperm, wperm);
    if (acl != NULL)
        json_object_set_new(obj, "ACL", acl);
    json_decref(rperm);
    json_decref(wperm);
    return obj;
}

/* ----------------------------------------------------------- schema */

static const char *
sq_describe(storage_t *base)
{
    sq_storage_t *st = (sq_storage_t *)base;

    snprintf(st->version, sizeof(st->version), "SQLite %s", sqlite3_libversion());
    return st->version;
}

static int
sq_load_schemas(storage_t *base, json_t **docs, perr_t *err)
{
    sq_storage_t *st = (sq_storage_t *)base;
    sq_conn_t *c = sq_conn(st, err);
    sqlite3_stmt *stmt;
    json_t *all;
    int rc;

    if (c == NULL)
        return -1;
    stmt = sq_prepare(c, "SELECT \"schema\" FROM \"_SCHEMA\"", err);
    if (stmt == NULL)
        return -1;
    all = json_array();
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        json_t *doc = sq_column_json(stmt, 0);

        if (json_is_object(doc))
            json_array_append(all, doc);
        json_decref(doc);
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) {
        json_decref(all);
        return sq_fail(c, "loading schemas", err);
    }
    *docs = all;
    return 0;
}

/* The class as stored, read inside the caller's transaction; NULL if
 * there is none (and err untouched) or on failure (err set, *failed). */
static schema_class_t *
sq_read_class(sq_conn_t *c, const char *name, int *failed, perr_t *err)
{
    sqlite3_stmt *stmt = sq_prepare(
        c, "SELECT \"schema\" FROM \"_SCHEMA\" WHERE \"className\" = ?", err);
    schema_class_t *cls = NULL;
    int rc;

    *failed = 0;
    if (stmt == NULL) {
        *failed = 1;
        return NULL;
    }
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        json_t *doc = sq_column_json(stmt, 0);

        cls = schema_class_from_json(doc);
        json_decref(doc);
    } else if (rc != SQLITE_DONE) {
        sq_fail(c, "reading a schema", err);
        *failed = 1;
    }
    sqlite3_reset(stmt);
    return cls;
}

static int
sq_create_table(sq_conn_t *c, const char *name, perr_t *err)
{
    sbuf_t sql;
    int rc;

    sbuf_init(&sql);
    sbuf_append(&sql, "CREATE TABLE IF NOT EXISTS ");
    sbuf_append_ident(&sql, name);
    sbuf_append(&sql, " (\"objectId\" TEXT PRIMARY KEY NOT NULL, "
                      "\"createdAt\" TEXT, \"updatedAt\" TEXT, "
                      "\"_rperm\" TEXT, \"_wperm\" TEXT)");
    rc = sq_run(c, sql.data, err);
    sbuf_cleanup(&sql);
    return rc;
}

/* The fields parse-server keeps unique with an index, so that two
 * concurrent sign-ups cannot both take a name. */
static bool
sq_is_unique(const char *cls, const char *field)
{
    return (!strcmp(cls, "_User") && (!strcmp(field, "username") ||
                                      !strcmp(field, "email"))) ||
           (!strcmp(cls, "_Role") && !strcmp(field, "name")) ||
           (!strcmp(cls, "_Session") && !strcmp(field, "sessionToken"));
}

static int
sq_unique_index(sq_conn_t *c, const char *cls, const char *field, perr_t *err)
{
    sbuf_t sql, name;
    int rc;

    sbuf_init(&sql);
    sbuf_init(&name);
    sbuf_printf(&name, "%s_unique_%s", cls, field);
    sbuf_append(&sql, "CREATE UNIQUE INDEX IF NOT EXISTS ");
    sbuf_append_ident(&sql, name.data);
    sbuf_append(&sql, " ON ");
    sbuf_append_ident(&sql, cls);
    sbuf_append(&sql, " (");
    sbuf_append_ident(&sql, field);
    sbuf_append(&sql, ")");
    rc = sq_run(c, sql.data, err);
    sbuf_cleanup(&sql);
    sbuf_cleanup(&name);
    return rc;
}

static int
sq_add_column(sq_conn_t *c, const char *cls_name, const schema_field_t *f,
              perr_t *err)
{
    sbuf_t sql;
    int rc;

    sbuf_init(&sql);
    if (f->type == PT_RELATION) {
        sbuf_t join;

        sbuf_init(&join);
        sbuf_printf(&join, "_Join:%s:%s", f->name, cls_name);
        sbuf_append(&sql, "CREATE TABLE IF NOT EXISTS ");
        sbuf_append_ident(&sql, join.data);
        sbuf_append(&sql, " (\"relatedId\" TEXT NOT NULL, \"owningId\" TEXT "
                          "NOT NULL, PRIMARY KEY(\"relatedId\", \"owningId\"))");
        sbuf_cleanup(&join);
    } else {
        sbuf_append(&sql, "ALTER TABLE ");
        sbuf_append_ident(&sql, cls_name);
        sbuf_append(&sql, " ADD COLUMN ");
        sbuf_append_ident(&sql, f->name);
        sbuf_printf(&sql, " %s", sq_column_type(f->type));
    }
    rc = sq_run(c, sql.data, err);
    sbuf_cleanup(&sql);
    if (rc == 0 && sq_is_unique(cls_name, f->name))
        rc = sq_unique_index(c, cls_name, f->name, err);
    return rc;
}

static int
sq_write_class(sq_conn_t *c, const schema_class_t *cls, perr_t *err)
{
    sqlite3_stmt *stmt = sq_prepare(
        c, "INSERT OR REPLACE INTO \"_SCHEMA\" (\"className\", \"schema\", "
           "\"isParseClass\") VALUES (?, ?, 1)", err);
    json_t *doc;
    int rc;

    if (stmt == NULL)
        return -1;
    doc = schema_class_to_json(cls);
    sqlite3_bind_text(stmt, 1, cls->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, json_dumps(doc, JSON_COMPACT), -1, free);
    json_decref(doc);
    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "saving a schema", err);
    return 0;
}

/*
 * SQLite compares table and column names without regard to case, so two
 * names that differ only in case would share a table or a column. Such a
 * second name is refused with the class or field error rather than mixed
 * into the first; so are table names SQLite keeps for itself.
 */
static int
sq_check_class_collision(sq_conn_t *c, const char *name, perr_t *err)
{
    sqlite3_stmt *stmt;
    int rc;

    if (strncasecmp(name, "sqlite_", 7) == 0)
        return perr_set(err, PERR_INVALID_CLASS_NAME,
                        "Class names starting with sqlite_ are reserved by "
                        "the SQLite database.");
    stmt = sq_prepare(c, "SELECT \"className\" FROM \"_SCHEMA\" WHERE "
                         "\"className\" = ? COLLATE NOCASE", err);
    if (stmt == NULL)
        return -1;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        perr_set(err, PERR_INVALID_CLASS_NAME,
                 "Class %s differs from the existing class %s only in case, "
                 "which SQLite storage cannot keep apart.", name,
                 (const char *)sqlite3_column_text(stmt, 0));
        sqlite3_reset(stmt);
        return -1;
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "checking a class name", err);
    return 0;
}

static int
sq_check_field_collision(const schema_class_t *cls, const char *name,
                         perr_t *err)
{
    static const char *const fixed[] = {"objectId", "createdAt", "updatedAt",
                                        "_rperm", "_wperm"};

    for (size_t i = 0; i < 5; i++) {
        if (strcasecmp(fixed[i], name) == 0)
            return perr_set(err, PERR_INVALID_KEY_NAME,
                            "Field %s differs from %s only in case, which "
                            "SQLite storage cannot keep apart.", name,
                            fixed[i]);
    }
    for (size_t i = 0; i < cls->nfields; i++) {
        if (strcasecmp(cls->fields[i].name, name) == 0)
            return perr_set(err, PERR_INVALID_KEY_NAME,
                            "Field %s differs from the existing field %s only "
                            "in case, which SQLite storage cannot keep apart.",
                            name, cls->fields[i].name);
    }
    return 0;
}

/* Check one wanted field against the class; add it when missing. */
static int
sq_merge_field(sq_conn_t *c, schema_class_t *cls, const schema_field_t *w,
               int *changed, perr_t *err)
{
    bool missing;

    if (storage_check_field(cls, w, &missing, err))
        return -1;
    if (!missing)
        return 0;
    if (sq_check_field_collision(cls, w->name, err) ||
        sq_add_column(c, cls->name, w, err))
        return -1;
    schema_field_add(cls, w->name, w->type, w->target);
    *changed = 1;
    return 0;
}

static int
sq_ensure_fields_unlocked(storage_t *base, const char *name, const schema_field_t *want,
                 size_t n, schema_class_t **out, perr_t *err)
{
    sq_storage_t *st = (sq_storage_t *)base;
    sq_conn_t *c = sq_conn(st, err);
    schema_class_t *cls;
    int failed, changed = 0;

    if (c == NULL)
        return -1;
    if (sq_begin(c, err))
        return -1;
    cls = sq_read_class(c, name, &failed, err);
    if (failed)
        goto fail;
    if (cls == NULL) {
        if (sq_check_class_collision(c, name, err))
            goto fail;
        cls = schema_class_create(name);
        changed = 1;
        if (sq_create_table(c, name, err))
            goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        if (sq_merge_field(c, cls, &want[i], &changed, err))
            goto fail;
    }
    if (changed && sq_write_class(c, cls, err))
        goto fail;
    if (sq_commit(c, err))
        goto fail_committed;
    *out = cls;
    return 0;

fail:
    sq_rollback(c);
fail_committed:
    schema_class_release(cls);
    return -1;
}

/* ---------------------------------------------------------- objects */

static int
sq_insert_unlocked(storage_t *base, const schema_class_t *cls, json_t *obj,
          perr_t *err)
{
    sq_storage_t *st = (sq_storage_t *)base;
    sq_conn_t *c = sq_conn(st, err);
    json_t *rperm = NULL, *wperm = NULL;
    json_t *acl = json_object_get(obj, "ACL");
    sqlite3_stmt *stmt;
    sbuf_t sql;
    int idx = 1, rc;

    if (c == NULL)
        return -1;
    if (acl != NULL && storage_acl_split(acl, &rperm, &wperm, err))
        return -1;
    sbuf_init(&sql);
    sbuf_append(&sql, "INSERT INTO ");
    sbuf_append_ident(&sql, cls->name);
    sbuf_append(&sql, " (");
    sq_select_list(&sql, cls);
    sbuf_append(&sql, ") VALUES (?,?,?,?,?");
    for (size_t i = 0; i < cls->nfields; i++) {
        if (cls->fields[i].type != PT_RELATION)
            sbuf_append(&sql, ",?");
    }
    sbuf_append(&sql, ")");
    stmt = sq_prepare(c, sql.data, err);
    sbuf_cleanup(&sql);
    if (stmt == NULL) {
        json_decref(rperm);
        json_decref(wperm);
        return -1;
    }
    sq_bind_json(stmt, idx++, json_object_get(obj, "objectId"));
    sq_bind_json(stmt, idx++, json_object_get(obj, "createdAt"));
    sq_bind_json(stmt, idx++, json_object_get(obj, "updatedAt"));
    sq_bind_value(stmt, idx++, PT_ARRAY, rperm);
    sq_bind_value(stmt, idx++, PT_ARRAY, wperm);
    for (size_t i = 0; i < cls->nfields; i++) {
        const schema_field_t *f = &cls->fields[i];

        if (f->type != PT_RELATION)
            sq_bind_value(stmt, idx++, f->type, json_object_get(obj, f->name));
    }
    json_decref(rperm);
    json_decref(wperm);
    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "inserting an object", err);
    return 0;
}

/* Read one object by id inside the current transaction. */
static int
sq_read_object(sq_storage_t *st, sq_conn_t *c, const schema_class_t *cls,
               const char *id, json_t **out, json_t **wperm, perr_t *err)
{
    sqlite3_stmt *stmt;
    sbuf_t sql;
    int rc;

    sbuf_init(&sql);
    sbuf_append(&sql, "SELECT ");
    sq_select_list(&sql, cls);
    sbuf_append(&sql, " FROM ");
    sbuf_append_ident(&sql, cls->name);
    sbuf_append(&sql, " WHERE \"objectId\" = ?");
    stmt = sq_prepare(c, sql.data, err);
    sbuf_cleanup(&sql);
    if (stmt == NULL)
        return -1;
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *out = sq_row_object(st, cls, stmt);
        *wperm = sq_column_json(stmt, 4);
    }
    sqlite3_reset(stmt);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE)
        return perr_set(err, PERR_OBJECT_NOT_FOUND, "Object not found.");
    return sq_fail(c, "reading an object", err);
}

static int
sq_write_changes(sq_conn_t *c, const schema_class_t *cls, const char *id,
                 json_t *changes, const char *updated_at, perr_t *err)
{
    json_t *rperm = NULL, *wperm = NULL;
    json_t *acl = json_object_get(changes, "ACL");
    sqlite3_stmt *stmt;
    const char *key;
    json_t *v;
    sbuf_t sql;
    int idx = 1, rc;

    if (acl != NULL && !json_is_null(acl) &&
        storage_acl_split(acl, &rperm, &wperm, err))
        return -1;
    sbuf_init(&sql);
    sbuf_append(&sql, "UPDATE ");
    sbuf_append_ident(&sql, cls->name);
    sbuf_append(&sql, " SET \"updatedAt\" = ?");
    if (acl != NULL)
        sbuf_append(&sql, ", \"_rperm\" = ?, \"_wperm\" = ?");
    json_object_foreach(changes, key, v) {
        const schema_field_t *f = schema_field_find(cls, key);

        if (f == NULL || f->type == PT_RELATION)
            continue;
        sbuf_append(&sql, ", ");
        sbuf_append_ident(&sql, key);
        sbuf_append(&sql, " = ?");
    }
    sbuf_append(&sql, " WHERE \"objectId\" = ?");
    stmt = sq_prepare(c, sql.data, err);
    sbuf_cleanup(&sql);
    if (stmt == NULL) {
        json_decref(rperm);
        json_decref(wperm);
        return -1;
    }
    sqlite3_bind_text(stmt, idx++, updated_at, -1, SQLITE_TRANSIENT);
    if (acl != NULL) {
        sq_bind_value(stmt, idx++, PT_ARRAY, rperm);
        sq_bind_value(stmt, idx++, PT_ARRAY, wperm);
    }
    json_object_foreach(changes, key, v) {
        const schema_field_t *f = schema_field_find(cls, key);

        if (f != NULL && f->type != PT_RELATION)
            sq_bind_value(stmt, idx++, f->type, v);
    }
    sqlite3_bind_text(stmt, idx, id, -1, SQLITE_TRANSIENT);
    json_decref(rperm);
    json_decref(wperm);
    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "updating an object", err);
    return 0;
}

static int
sq_update_unlocked(storage_t *base, const schema_class_t *cls, const char *id,
          const char *const *write_ids, const char *updated_at,
          storage_update_fn fn, void *ctx, json_t **result, perr_t *err)
{
    sq_storage_t *st = (sq_storage_t *)base;
    sq_conn_t *c = sq_conn(st, err);
    json_t *current = NULL, *wperm = NULL, *changes = NULL;
    const char *key;
    json_t *v;

    if (c == NULL)
        return -1;
    if (sq_begin(c, err))
        return -1;
    if (sq_read_object(st, c, cls, id, &current, &wperm, err))
        goto fail;
    if (!storage_perm_allows(wperm, write_ids)) {
        perr_set(err, PERR_OBJECT_NOT_FOUND, "Object not found.");
        goto fail;
    }
    if (fn(ctx, current, &changes, err))
        goto fail;
    if (sq_write_changes(c, cls, id, changes, updated_at, err))
        goto fail;
    if (sq_commit(c, err))
        goto fail_committed;
    json_object_foreach(changes, key, v) {
        if (json_is_null(v))
            json_object_del(current, key);
        else
            json_object_set(current, key, v);
    }
    json_object_set_new(current, "updatedAt", json_string(updated_at));
    *result = current;
    json_decref(wperm);
    json_decref(changes);
    return 0;

fail:
    sq_rollback(c);
fail_committed:
    json_decref(current);
    json_decref(wperm);
    json_decref(changes);
    return -1;
}

/* Append "AND (perm IS NULL OR perm shares an id)" binding the ids. */
static void
sq_perm_clause(sbuf_t *sql, const char *column, const char *const *ids)
{
    sbuf_printf(sql, " AND (\"%s\" IS NULL OR EXISTS (SELECT 1 FROM "
                     "json_each(\"%s\") WHERE value IN (", column, column);
    for (size_t i = 0; ids[i]; i++)
        sbuf_append(sql, i ? ",?" : "?");
    sbuf_append(sql, ")))");
}

static int
sq_bind_ids(sqlite3_stmt *stmt, int idx, const char *const *ids)
{
    for (size_t i = 0; ids && ids[i]; i++)
        sqlite3_bind_text(stmt, idx++, ids[i], -1, SQLITE_TRANSIENT);
    return idx;
}

static int
sq_remove_unlocked(storage_t *base, const schema_class_t *cls, const char *id,
          const char *const *write_ids, perr_t *err)
{
    sq_storage_t *st = (sq_storage_t *)base;
    sq_conn_t *c = sq_conn(st, err);
    sqlite3_stmt *stmt;
    sbuf_t sql;
    int rc;

    if (c == NULL)
        return -1;
    sbuf_init(&sql);
    sbuf_append(&sql, "DELETE FROM ");
    sbuf_append_ident(&sql, cls->name);
    sbuf_append(&sql, " WHERE \"objectId\" = ?");
    if (write_ids != NULL)
        sq_perm_clause(&sql, "_wperm", write_ids);
    stmt = sq_prepare(c, sql.data, err);
    sbuf_cleanup(&sql);
    if (stmt == NULL)
        return -1;
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_TRANSIENT);
    sq_bind_ids(stmt, 2, write_ids);
    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "deleting an object", err);
    if (sqlite3_changes(c->db) == 0)
        return perr_set(err, PERR_OBJECT_NOT_FOUND, "Object not found.");
    return 0;
}

/* ---------------------------------------------------------- queries */

/* Values bound in order while the WHERE text is built. */
typedef struct {
    json_t *binds;              /* array of JSON values */
    const char *const *read_ids;/* ACL ids for sub-queries; NULL: master */
} sq_where_t;

static void
sq_bind_later(sq_where_t *w, sbuf_t *sql, json_t *v)
{
    json_array_append(w->binds, v);
    sbuf_append(sql, "?");
}

/* The SQL expression for a field: its column, a JSON path into an
 * Object column, or NULL for a field the class does not have. */
static void
sq_field_expr(sq_where_t *w, sbuf_t *sql, const schema_class_t *cls,
              const char *field)
{
    const char *dot = strchr(field, '.');
    char base[256];

    if (dot == NULL) {
        if (schema_field_type(cls, field) == PT_NONE ||
            schema_field_type(cls, field) == PT_RELATION ||
            strcmp(field, "ACL") == 0) {
            sbuf_append(sql, "NULL");
            return;
        }
        sbuf_append_ident(sql, field);
        return;
    }
    snprintf(base, sizeof(base), "%.*s", (int)(dot - field), field);
    if (schema_field_type(cls, base) != PT_OBJECT) {
        sbuf_append(sql, "NULL");
        return;
    }
    {
        /* The path is built from a validated name, and bound anyway. */
        json_t *path = json_sprintf("$.%s", dot + 1);

        sbuf_append(sql, "json_extract(");
        sbuf_append_ident(sql, base);
        sbuf_append(sql, ", ");
        sq_bind_later(w, sql, path);
        sbuf_append(sql, ")");
        json_decref(path);
    }
}

static void
sq_where_node(sq_where_t *w, sbuf_t *sql, const schema_class_t *cls,
              const qnode_t *n);
static void sq_acl_clause(sq_where_t *w, sbuf_t *sql);

/* The list's values, bound. A null is left out: nothing equals NULL in
 * SQL, and the callers test for a missing value themselves (a NULL in
 * "NOT IN (...)" would make it fail for every row). */
static void
sq_where_list(sq_where_t *w, sbuf_t *sql, const schema_class_t *cls,
              json_t *list)
{
    json_t *v;
    size_t i;
    bool first = true;

    json_array_foreach(list, i, v) {
        if (json_is_null(v))
            continue;
        if (!first)
            sbuf_append(sql, ",");
        first = false;
        sq_bind_later(w, sql, v);
    }
}

/* A comparison on an Array field: element membership via json_each. */
static void
sq_where_array(sq_where_t *w, sbuf_t *sql, const schema_class_t *cls,
               const qnode_t *n)
{
    json_t *v = n->value;
    size_t i;
    json_t *el;

    switch (n->op) {
    case QOP_EQ:
    case QOP_NE:
        if (json_is_null(v)) {
            sq_field_expr(w, sql, cls, n->field);
            sbuf_append(sql, n->op == QOP_EQ ? " IS NULL" : " IS NOT NULL");
            return;
        }
        if (json_is_array(v)) {
            /* Whole-array equality compares the stored JSON text. */
            sbuf_append(sql, n->op == QOP_EQ ? "(" : "NOT COALESCE(");
            sq_field_expr(w, sql, cls, n->field);
            sbuf_append(sql, " = ");
            sq_bind_later(w, sql, v);
            sbuf_append(sql, n->op == QOP_EQ ? ")" : ", 0)");
            return;
        }
        sbuf_append(sql, n->op == QOP_EQ ? "EXISTS" : "NOT EXISTS");
        sbuf_append(sql, " (SELECT 1 FROM json_each(");
        sq_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, ") WHERE " SQ_ELEM " = ");
        sq_bind_later(w, sql, v);
        sbuf_append(sql, ")");
        return;
    case QOP_IN:
    case QOP_NIN:
        sbuf_append(sql, n->op == QOP_IN ? "EXISTS" : "NOT EXISTS");
        sbuf_append(sql, " (SELECT 1 FROM json_each(");
        sq_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, ") WHERE " SQ_ELEM " IN (");
        sq_where_list(w, sql, cls, v);
        sbuf_append(sql, "))");
        return;
    case QOP_ALL:
        /* Every element must be present; an empty list matches nothing,
         * as in parse-server. An element may be {"$regex": ...}, which is
         * what the SDK's containsAllStartingWith sends. */
        sbuf_append(sql, json_array_size(v) ? "(1" : "(0");
        json_array_foreach(v, i, el) {
            json_t *re = json_object_get(el, "$regex");

            sbuf_append(sql, " AND EXISTS (SELECT 1 FROM json_each(");
            sq_field_expr(w, sql, cls, n->field);
            if (json_is_string(re)) {
                json_t *opts = json_object_get(el, "$options");
                json_t *o = json_string(json_is_string(opts)
                                            ? json_string_value(opts) : "");

                sbuf_append(sql, ") WHERE parsec_regexp(");
                sq_bind_later(w, sql, re);
                sbuf_append(sql, ", ");
                sq_bind_later(w, sql, o);
                sbuf_append(sql, ", value)");
                json_decref(o);
            } else {
                sbuf_append(sql, ") WHERE " SQ_ELEM " = ");
                sq_bind_later(w, sql, el);
            }
            sbuf_append(sql, ")");
        }
        sbuf_append(sql, ")");
        return;
    case QOP_CONTAINED_BY:
        sq_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                         "json_each(");
        sq_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, ") WHERE " SQ_ELEM " NOT IN (");
        sq_where_list(w, sql, cls, v);
        sbuf_append(sql, "))");
        return;
    default:
        /* Ordering against an array: any element in range. */
        sbuf_append(sql, "EXISTS (SELECT 1 FROM json_each(");
        sq_field_expr(w, sql, cls, n->field);
        sbuf_printf(sql, ") WHERE " SQ_ELEM " %s ",
                    n->op == QOP_LT ? "<" : n->op == QOP_LTE ? "<="
                    : n->op == QOP_GT ? ">" : ">=");
        sq_bind_later(w, sql, v);
        sbuf_append(sql, ")");
    }
}

static bool
sq_list_has_null(json_t *list)
{
    json_t *v;
    size_t i;

    json_array_foreach(list, i, v) {
        if (json_is_null(v))
            return true;
    }
    return false;
}

/* Bind element i of the node's value array. */
static void
sq_bind_elem(sq_where_t *w, sbuf_t *sql, const qnode_t *n, size_t i)
{
    sq_bind_later(w, sql, json_array_get(n->value, i));
}

/* "fn(field, v[0], ..., v[n-1])": a geo function of the node's field and
 * the first n elements of its value. */
static void
sq_geo_call(sq_where_t *w, sbuf_t *sql, const schema_class_t *cls,
            const qnode_t *n, const char *fn, size_t nargs)
{
    sbuf_append(sql, fn);
    sbuf_append(sql, "(");
    sq_field_expr(w, sql, cls, n->field);
    for (size_t i = 0; i < nargs; i++) {
        sbuf_append(sql, ", ");
        sq_bind_elem(w, sql, n, i);
    }
    sbuf_append(sql, ")");
}

/* "parsec_geo_distance(field, lat, lng)" for a $nearSphere node. */
static void
sq_distance_expr(sq_where_t *w, sbuf_t *sql, const schema_class_t *cls,
                 const qnode_t *n)
{
    sq_geo_call(w, sql, cls, n, "parsec_geo_distance", 2);
}

/* "parsec_text_score(field, term, language)" for a $text node. */
static void
sq_text_score_expr(sq_where_t *w, sbuf_t *sql, const schema_class_t *cls,
                   const qnode_t *n)
{
    json_t *lang = json_string(n->options ? n->options : "english");

    sbuf_append(sql, "parsec_text_score(");
    sq_field_expr(w, sql, cls, n->field);
    sbuf_append(sql, ", ");
    sq_bind_later(w, sql, n->value);
    sbuf_append(sql, ", ");
    sq_bind_later(w, sql, lang);
    sbuf_append(sql, ")");
    json_decref(lang);
}

/* Geo constraints and $text, through the functions registered above.
 * They compare every candidate row: SQLite has no spatial or full-text
 * index here, so other constraints in the query narrow the scan. */
static void
sq_where_geo_text(sq_where_t *w, sbuf_t *sql, const schema_class_t *cls,
                  const qnode_t *n)
{
    switch (n->op) {
    case QOP_NEAR:
        sbuf_append(sql, "(");
        sq_distance_expr(w, sql, cls, n);
        if (json_number_value(json_array_get(n->value, 2)) >= 0) {
            sbuf_append(sql, " <= ");
            sq_bind_elem(w, sql, n, 2);
        } else {
            sbuf_append(sql, " IS NOT NULL");
        }
        sbuf_append(sql, ")");
        return;
    case QOP_WITHIN_BOX:
        sq_geo_call(w, sql, cls, n, "parsec_geo_in_box", 4);
        return;
    case QOP_WITHIN_POLYGON:
        sbuf_append(sql, "parsec_geo_in_polygon(");
        sq_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, ", ");
        sq_bind_later(w, sql, n->value);
        sbuf_append(sql, ")");
        return;
    case QOP_WITHIN_CENTER:
        sbuf_append(sql, "(");
        sq_distance_expr(w, sql, cls, n);
        sbuf_append(sql, " <= ");
        sq_bind_elem(w, sql, n, 2);
        sbuf_append(sql, ")");
        return;
    case QOP_INTERSECTS:
        sq_geo_call(w, sql, cls, n, "parsec_polygon_contains", 2);
        return;
    default:
        sbuf_append(sql, "(");
        sq_text_score_expr(w, sql, cls, n);
        sbuf_append(sql, " > 0)");
    }
}

/* "(SELECT column FROM sub WHERE ... AND readable)" for a sub-query. */
static void
sq_subselect(sq_where_t *w, sbuf_t *sql, const qnode_t *n, const char *column)
{
    sbuf_append(sql, "(SELECT ");
    sq_field_expr(w, sql, n->sub_cls, column);
    sbuf_append(sql, " FROM ");
    sbuf_append_ident(sql, n->sub_cls->name);
    sbuf_append(sql, " WHERE ");
    sq_where_node(w, sql, n->sub_cls, n->sub_where);
    sq_acl_clause(w, sql);
    sbuf_append(sql, ")");
}

/* $inQuery, $notInQuery, $select, $dontSelect and $relatedTo. */
static void
sq_where_sub(sq_where_t *w, sbuf_t *sql, const schema_class_t *cls,
             const qnode_t *n)
{
    bool negate = n->op == QOP_NOT_IN_QUERY || n->op == QOP_DONT_SELECT;
    const char *column = n->op == QOP_SELECT || n->op == QOP_DONT_SELECT
                             ? n->sub_key : "objectId";

    if (n->op == QOP_RELATED_TO) {
        const schema_field_t *f = n->sub_cls ? schema_field_find(n->sub_cls,
                                                                 n->sub_key)
                                             : NULL;
        sbuf_t join;

        if (f == NULL || f->type != PT_RELATION) {
            sbuf_append(sql, "0");
            return;
        }
        sbuf_init(&join);
        sbuf_printf(&join, "_Join:%s:%s", f->name, n->sub_cls->name);
        sbuf_append(sql, "\"objectId\" IN (SELECT \"relatedId\" FROM ");
        sbuf_append_ident(sql, join.data);
        sbuf_append(sql, " WHERE \"owningId\" = ");
        sq_bind_later(w, sql, n->value);
        sbuf_append(sql, ")");
        sbuf_cleanup(&join);
        return;
    }
    /* A sub-query on a class that does not exist matches nothing. */
    if (n->sub_cls == NULL) {
        sbuf_append(sql, negate ? "1" : "0");
        return;
    }
    sbuf_append(sql, negate ? "COALESCE(" : "(");
    if (n->ftype == PT_ARRAY) {
        /* An array of pointers matches when any element does. */
        sbuf_append(sql, "EXISTS (SELECT 1 FROM json_each(");
        sq_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, ") WHERE " SQ_ELEM " IN ");
        sq_subselect(w, sql, n, column);
        sbuf_append(sql, ")");
    } else {
        sq_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, " IN ");
        sq_subselect(w, sql, n, column);
    }
    sbuf_append(sql, negate ? " = 0, 1)" : ")");
}

static void
sq_where_cmp(sq_where_t *w, sbuf_t *sql, const schema_class_t *cls,
             const qnode_t *n)
{
    static const char *const ops[] = {
        [QOP_LT] = " < ", [QOP_LTE] = " <= ", [QOP_GT] = " > ",
        [QOP_GTE] = " >= "};
    json_t *v = n->value;

    if (n->op >= QOP_IN_QUERY) {
        sq_where_sub(w, sql, cls, n);
        return;
    }
    if (n->op == QOP_REGEX && n->ftype != PT_STRING && n->ftype != PT_NONE) {
        sbuf_append(sql, "0");  /* only String fields hold strings */
        return;
    }
    if (n->op == QOP_REGEX) {
        json_t *opts = json_string(n->options ? n->options : "");

        sbuf_append(sql, "COALESCE(parsec_regexp(");
        sq_bind_later(w, sql, v);
        sbuf_append(sql, ", ");
        sq_bind_later(w, sql, opts);
        sbuf_append(sql, ", ");
        sq_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, "), 0)");
        json_decref(opts);
        return;
    }
    if (n->op >= QOP_NEAR && n->op <= QOP_TEXT) {
        sq_where_geo_text(w, sql, cls, n);
        return;
    }
    if (n->ftype == PT_ARRAY && n->op != QOP_EXISTS) {
        sq_where_array(w, sql, cls, n);
        return;
    }
    if (n->ftype == PT_RELATION && n->op == QOP_EQ && json_is_string(v)) {
        /* A relation "equals" an object when it holds it. */
        sbuf_t join;

        sbuf_init(&join);
        sbuf_printf(&join, "_Join:%s:%s", n->field, cls->name);
        sbuf_append(sql, "\"objectId\" IN (SELECT \"owningId\" FROM ");
        sbuf_append_ident(sql, join.data);
        sbuf_append(sql, " WHERE \"relatedId\" = ");
        sq_bind_later(w, sql, v);
        sbuf_append(sql, ")");
        sbuf_cleanup(&join);
        return;
    }
    sbuf_append(sql, "(");
    switch (n->op) {
    case QOP_EQ:
        sq_field_expr(w, sql, cls, n->field);
        if (json_is_null(v)) {
            sbuf_append(sql, " IS NULL");
        } else {
            sbuf_append(sql, " = ");
            sq_bind_later(w, sql, v);
        }
        break;
    case QOP_NE:
        sq_field_expr(w, sql, cls, n->field);
        if (json_is_null(v)) {
            sbuf_append(sql, " IS NOT NULL");
        } else {
            /* A missing value is "not equal" too, as in parse-server. */
            sbuf_append(sql, " IS NOT ");
            sq_bind_later(w, sql, v);
        }
        break;
    case QOP_LT:
    case QOP_LTE:
    case QOP_GT:
    case QOP_GTE:
        sq_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, ops[n->op]);
        sq_bind_later(w, sql, v);
        break;
    case QOP_IN:
        sq_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, " IN (");
        sq_where_list(w, sql, cls, v);
        sbuf_append(sql, ")");
        if (sq_list_has_null(v)) {
            sbuf_append(sql, " OR ");
            sq_field_expr(w, sql, cls, n->field);
            sbuf_append(sql, " IS NULL");
        }
        break;
    case QOP_NIN:
        sbuf_append(sql, "COALESCE(");
        sq_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, " NOT IN (");
        sq_where_list(w, sql, cls, v);
        sbuf_printf(sql, "), %d)", sq_list_has_null(v) ? 0 : 1);
        break;
    case QOP_EXISTS:
        sq_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, json_is_true(v) ? " IS NOT NULL" : " IS NULL");
        break;
    default:
        /* $all and $containedBy only match arrays. */
        sbuf_append(sql, "0");
        break;
    }
    sbuf_append(sql, ")");
}

static void
sq_where_node(sq_where_t *w, sbuf_t *sql, const schema_class_t *cls,
              const qnode_t *n)
{
    const char *joiner = n->kind == QN_AND ? " AND " : " OR ";

    switch (n->kind) {
    case QN_TRUE:
        sbuf_append(sql, "1");
        return;
    case QN_FALSE:
        sbuf_append(sql, "0");
        return;
    case QN_CMP:
        sq_where_cmp(w, sql, cls, n);
        return;
    default:
        break;
    }
    if (n->nkids == 0) {
        sbuf_append(sql, n->kind == QN_AND ? "1" : "0");
        return;
    }
    sbuf_append(sql, n->kind == QN_NOR ? "NOT (" : "(");
    for (size_t i = 0; i < n->nkids; i++) {
        if (i)
            sbuf_append(sql, joiner);
        sq_where_node(w, sql, cls, n->kids[i]);
    }
    sbuf_append(sql, ")");
}

/* " AND (the caller may read the row)" for the rows of the query. */
static void
sq_acl_clause(sq_where_t *w, sbuf_t *sql)
{
    if (w->read_ids == NULL)
        return;
    sbuf_append(sql, " AND (\"_rperm\" IS NULL OR EXISTS (SELECT 1 FROM "
                     "json_each(\"_rperm\") WHERE value IN (");
    for (size_t i = 0; w->read_ids[i]; i++) {
        json_t *id = json_string(w->read_ids[i]);

        if (i)
            sbuf_append(sql, ",");
        sq_bind_later(w, sql, id);
        json_decref(id);
    }
    sbuf_append(sql, ")))");
}

/* " WHERE ..." for q, including the caller's read permission. */
static void
sq_where_clause(sq_where_t *w, sbuf_t *sql, const schema_class_t *cls,
                const query_t *q)
{
    sbuf_append(sql, " WHERE ");
    sq_where_node(w, sql, cls, q->where);
    sq_acl_clause(w, sql);
}

static void
sq_order_clause(sq_where_t *w, sbuf_t *sql, const schema_class_t *cls,
                const query_t *q)
{
    bool first = true;

    for (size_t i = 0; i < q->norder; i++) {
        const char *f = q->order[i].field;

        if (strcmp(f, "$score") == 0) {
            if (q->text == NULL)
                continue;
            sbuf_append(sql, first ? " ORDER BY " : ", ");
            first = false;
            sq_text_score_expr(w, sql, cls, q->text);
            sbuf_append(sql, " DESC");
            continue;
        }
        /* Ordering by a field the class lacks orders nothing. */
        if (strchr(f, '.') == NULL && schema_field_type(cls, f) == PT_NONE)
            continue;
        sbuf_append(sql, first ? " ORDER BY " : ", ");
        first = false;
        sq_field_expr(w, sql, cls, f);
        /* Postgres puts NULLs last when ascending, first when descending;
         * parse-server users on Postgres see that order. */
        sbuf_append(sql, q->order[i].desc ? " DESC NULLS FIRST"
                                          : " ASC NULLS LAST");
    }
    /* $nearSphere sorts nearest first unless the query orders itself. */
    if (first && q->near != NULL) {
        sbuf_append(sql, " ORDER BY ");
        sq_distance_expr(w, sql, cls, q->near);
    }
}

static sqlite3_stmt *
sq_prepare_bound(sq_conn_t *c, sbuf_t *sql, sq_where_t *w, perr_t *err)
{
    sqlite3_stmt *stmt = sq_prepare(c, sql->data, err);
    json_t *v;
    size_t i;

    if (stmt == NULL)
        return NULL;
    json_array_foreach(w->binds, i, v)
        sq_bind_json(stmt, (int)i + 1, v);
    return stmt;
}

static int
sq_find(storage_t *base, const schema_class_t *cls, const query_t *q,
        json_t **results, perr_t *err)
{
    sq_storage_t *st = (sq_storage_t *)base;
    sq_conn_t *c = sq_conn(st, err);
    sq_where_t w = {json_array(), q->read_ids};
    sqlite3_stmt *stmt;
    json_t *out;
    sbuf_t sql;
    int rc;

    if (c == NULL) {
        json_decref(w.binds);
        return -1;
    }
    sbuf_init(&sql);
    sbuf_append(&sql, "SELECT ");
    sq_select_list(&sql, cls);
    if (q->want_score && q->text != NULL) {
        sbuf_append(&sql, ", ");
        sq_text_score_expr(&w, &sql, cls, q->text);
    }
    sbuf_append(&sql, " FROM ");
    sbuf_append_ident(&sql, cls->name);
    sq_where_clause(&w, &sql, cls, q);
    sq_order_clause(&w, &sql, cls, q);
    sbuf_append(&sql, " LIMIT ");
    {
        json_t *lim = json_integer(q->limit);
        json_t *off = json_integer(q->skip);

        sq_bind_later(&w, &sql, lim);
        sbuf_append(&sql, " OFFSET ");
        sq_bind_later(&w, &sql, off);
        json_decref(lim);
        json_decref(off);
    }
    stmt = sq_prepare_bound(c, &sql, &w, err);
    sbuf_cleanup(&sql);
    json_decref(w.binds);
    if (stmt == NULL)
        return -1;
    out = json_array();
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        json_t *obj = sq_row_object(st, cls, stmt);

        /* The score is the column after the fields, as $score asked. */
        if (q->want_score && q->text != NULL)
            json_object_set_new(obj, "score", json_real(sqlite3_column_double(
                                    stmt, sqlite3_column_count(stmt) - 1)));
        json_array_append_new(out, obj);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE) {
        json_decref(out);
        return sq_fail(c, "running a query", err);
    }
    *results = out;
    return 0;
}

static int
sq_count(storage_t *base, const schema_class_t *cls, const query_t *q,
         long long *n, perr_t *err)
{
    sq_storage_t *st = (sq_storage_t *)base;
    sq_conn_t *c = sq_conn(st, err);
    sq_where_t w = {json_array(), q->read_ids};
    sqlite3_stmt *stmt;
    sbuf_t sql;
    int rc;

    if (c == NULL) {
        json_decref(w.binds);
        return -1;
    }
    sbuf_init(&sql);
    sbuf_append(&sql, "SELECT COUNT(*) FROM ");
    sbuf_append_ident(&sql, cls->name);
    sq_where_clause(&w, &sql, cls, q);
    stmt = sq_prepare_bound(c, &sql, &w, err);
    sbuf_cleanup(&sql);
    json_decref(w.binds);
    if (stmt == NULL)
        return -1;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_ROW)
        return sq_fail(c, "counting", err);
    return 0;
}

static int
sq_relation_change_unlocked(storage_t *base, const char *owner, const char *field,
                   const char *owning_id, const char *related_id, int add,
                   perr_t *err)
{
    sq_storage_t *st = (sq_storage_t *)base;
    sq_conn_t *c = sq_conn(st, err);
    sqlite3_stmt *stmt;
    sbuf_t sql, join;
    int rc;

    if (c == NULL)
        return -1;
    sbuf_init(&join);
    sbuf_printf(&join, "_Join:%s:%s", field, owner);
    sbuf_init(&sql);
    sbuf_append(&sql, add ? "INSERT OR IGNORE INTO " : "DELETE FROM ");
    sbuf_append_ident(&sql, join.data);
    sbuf_append(&sql, add ? " (\"relatedId\", \"owningId\") VALUES (?, ?)"
                          : " WHERE \"relatedId\" = ? AND \"owningId\" = ?");
    stmt = sq_prepare(c, sql.data, err);
    sbuf_cleanup(&sql);
    sbuf_cleanup(&join);
    if (stmt == NULL)
        return -1;
    sqlite3_bind_text(stmt, 1, related_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, owning_id, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "changing a relation", err);
    return 0;
}

static int
sq_relation_owners(storage_t *base, const char *owner, const char *field,
                   json_t *related, json_t **out, perr_t *err)
{
    sq_storage_t *st = (sq_storage_t *)base;
    sq_conn_t *c = sq_conn(st, err);
    sq_where_t w = {json_array(), NULL};
    sqlite3_stmt *stmt;
    sbuf_t sql, join;
    json_t *ids;
    int rc;

    if (c == NULL) {
        json_decref(w.binds);
        return -1;
    }
    sbuf_init(&join);
    sbuf_printf(&join, "_Join:%s:%s", field, owner);
    sbuf_init(&sql);
    sbuf_append(&sql, "SELECT DISTINCT \"owningId\" FROM ");
    sbuf_append_ident(&sql, join.data);
    sbuf_append(&sql, " WHERE \"relatedId\" IN (");
    sq_where_list(&w, &sql, NULL, related);
    sbuf_append(&sql, ")");
    if (json_array_size(related) == 0) {
        *out = json_array();
        rc = 0;
        goto done;
    }
    stmt = sq_prepare_bound(c, &sql, &w, err);
    rc = -1;
    if (stmt == NULL)
        goto done;
    ids = json_array();
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        json_array_append_new(ids, json_string(
            (const char *)sqlite3_column_text(stmt, 0)));
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE) {
        json_decref(ids);
        /* A relation nobody has written yet has no table: no owners. */
        if (strstr(sqlite3_errmsg(c->db), "no such table") != NULL) {
            *out = json_array();
            rc = 0;
            goto done;
        }
        rc = sq_fail(c, "reading a relation", err);
        goto done;
    }
    *out = ids;
    rc = 0;

done:
    sbuf_cleanup(&sql);
    sbuf_cleanup(&join);
    json_decref(w.binds);
    return rc;
}

static void
sq_close(storage_t *base)
{
    sq_storage_t *st = (sq_storage_t *)base;
    sq_conn_t *c = pthread_getspecific(st->conn_key);

    /* Worker threads close their own connections as they exit; this
     * closes the calling thread's and checkpoints the WAL. */
    if (c != NULL) {
        sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
                                  NULL, NULL);
        sq_conn_destroy(c);
        pthread_setspecific(st->conn_key, NULL);
    }
    pthread_key_delete(st->conn_key);
    pthread_mutex_destroy(&st->write_lock);
    free(st->path);
    free(st->base.files_url);
    free(st);
}

/* Run fn on the class as stored, inside one write transaction, and save
 * it; the shared shape of the schema changes below. */
typedef int (*sq_class_fn)(sq_conn_t *c, schema_class_t *cls, void *ctx,
                           perr_t *err);

static int
sq_change_class(sq_storage_t *st, const char *name, sq_class_fn fn, void *ctx,
                schema_class_t **out, perr_t *err)
{
    sq_conn_t *c = sq_conn(st, err);
    schema_class_t *cls;
    int failed;

    if (c == NULL)
        return -1;
    if (sq_begin(c, err))
        return -1;
    cls = sq_read_class(c, name, &failed, err);
    if (!failed && cls == NULL)
        perr_set(err, PERR_INVALID_CLASS_NAME, "Class %s does not exist.", name);
    if (cls == NULL || fn(c, cls, ctx, err) || sq_write_class(c, cls, err))
        goto fail;
    if (sq_commit(c, err))
        goto fail_committed;
    if (out != NULL)
        *out = cls;
    else
        schema_class_release(cls);
    return 0;

fail:
    sq_rollback(c);
fail_committed:
    schema_class_release(cls);
    return -1;
}

typedef struct {
    json_t *clp;
    json_t *opts;
    json_t *indexes;
} sq_options_t;

/* Run each statement of a plan from storage.c, then free it. */
static int
sq_run_plan(sq_conn_t *c, json_t *plan, perr_t *err)
{
    json_t *stmt;
    size_t i;
    int rc = 0;

    json_array_foreach(plan, i, stmt) {
        if ((rc = sq_run(c, json_string_value(stmt), err)) != 0)
            break;
    }
    json_decref(plan);
    return rc;
}

static int
sq_apply_options(sq_conn_t *c, schema_class_t *cls, void *ctx, perr_t *err)
{
    sq_options_t *o = ctx;
    json_t *plan;

    if (storage_options_plan(cls, o->clp, o->opts, o->indexes, &plan, err))
        return -1;
    return sq_run_plan(c, plan, err);
}

static int
sq_set_class_options_unlocked(storage_t *base, const char *name, json_t *clp,
                     json_t *opts, json_t *indexes, schema_class_t **out,
                     perr_t *err)
{
    sq_options_t o = {clp, opts, indexes};

    return sq_change_class((sq_storage_t *)base, name, sq_apply_options, &o,
                           out, err);
}

static int
sq_drop_field(sq_conn_t *c, schema_class_t *cls, void *ctx, perr_t *err)
{
    json_t *plan;

    if (storage_drop_field_plan(cls, ctx, &plan, err))
        return -1;
    return sq_run_plan(c, plan, err);
}

static int
sq_delete_field_unlocked(storage_t *base, const char *name, const char *field,
                schema_class_t **out, perr_t *err)
{
    return sq_change_class((sq_storage_t *)base, name, sq_drop_field,
                           (void *)field, out, err);
}

static int
sq_drop_class_unlocked(storage_t *base, const char *name, perr_t *err)
{
    sq_storage_t *st = (sq_storage_t *)base;
    sq_conn_t *c = sq_conn(st, err);
    schema_class_t *cls;
    sqlite3_stmt *stmt;
    sbuf_t sql;
    int failed, rc = 0;

    if (c == NULL)
        return -1;
    if (sq_begin(c, err))
        return -1;
    cls = sq_read_class(c, name, &failed, err);
    if (failed)
        goto fail;
    /* Drop the relation tables one by one; each drop shortens the list. */
    while (cls != NULL && rc == 0) {
        size_t i = 0;

        while (i < cls->nfields && cls->fields[i].type != PT_RELATION)
            i++;
        if (i == cls->nfields)
            break;
        rc = sq_drop_field(c, cls, cls->fields[i].name, err);
    }
    if (rc)
        goto fail;
    sbuf_init(&sql);
    sbuf_append(&sql, "DROP TABLE IF EXISTS ");
    sbuf_append_ident(&sql, name);
    rc = sq_run(c, sql.data, err);
    sbuf_cleanup(&sql);
    if (rc)
        goto fail;
    stmt = sq_prepare(c, "DELETE FROM \"_SCHEMA\" WHERE \"className\" = ?", err);
    if (stmt == NULL)
        goto fail;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) {
        sq_fail(c, "dropping a class", err);
        goto fail;
    }
    if (sq_commit(c, err))
        goto fail_committed;
    schema_class_release(cls);
    return 0;

fail:
    sq_rollback(c);
fail_committed:
    schema_class_release(cls);
    return -1;
}

static int
sq_purge_unlocked(storage_t *base, const char *name, perr_t *err)
{
    sq_storage_t *st = (sq_storage_t *)base;
    sq_conn_t *c = sq_conn(st, err);
    sbuf_t sql;
    int rc;

    if (c == NULL)
        return -1;
    sbuf_init(&sql);
    sbuf_append(&sql, "DELETE FROM ");
    sbuf_append_ident(&sql, name);
    rc = sq_run(c, sql.data, err);
    sbuf_cleanup(&sql);
    return rc;
}

/*
 * Each write runs under the process write lock (see sq_storage_t): the
 * storage_ops_t entry is a wrapper that takes the lock around the
 * function of the same name ending in _unlocked.
 */
#define SQ_LOCKED(name, params, args)                                       \
    static int name params                                                  \
    {                                                                       \
        sq_storage_t *locked_st = (sq_storage_t *)base;                     \
        int rc;                                                             \
                                                                            \
        pthread_mutex_lock(&locked_st->write_lock);                         \
        rc = name##_unlocked args;                                          \
        pthread_mutex_unlock(&locked_st->write_lock);                       \
        return rc;                                                          \
    }

SQ_LOCKED(sq_ensure_fields,
          (storage_t *base, const char *name, const schema_field_t *want,
           size_t n, schema_class_t **out, perr_t *err),
          (base, name, want, n, out, err))

SQ_LOCKED(sq_insert,
          (storage_t *base, const schema_class_t *cls, json_t *obj,
           perr_t *err),
          (base, cls, obj, err))

SQ_LOCKED(sq_update,
          (storage_t *base, const schema_class_t *cls, const char *id,
           const char *const *write_ids, const char *updated_at,
           storage_update_fn fn, void *ctx, json_t **result, perr_t *err),
          (base, cls, id, write_ids, updated_at, fn, ctx, result, err))

SQ_LOCKED(sq_remove,
          (storage_t *base, const schema_class_t *cls, const char *id,
           const char *const *write_ids, perr_t *err),
          (base, cls, id, write_ids, err))

SQ_LOCKED(sq_relation_change,
          (storage_t *base, const char *owner, const char *field,
           const char *owning_id, const char *related_id, int add,
           perr_t *err),
          (base, owner, field, owning_id, related_id, add, err))

SQ_LOCKED(sq_set_class_options,
          (storage_t *base, const char *name, json_t *clp, json_t *opts,
           json_t *indexes, schema_class_t **out, perr_t *err),
          (base, name, clp, opts, indexes, out, err))

SQ_LOCKED(sq_delete_field,
          (storage_t *base, const char *name, const char *field,
           schema_class_t **out, perr_t *err),
          (base, name, field, out, err))

SQ_LOCKED(sq_drop_class,
          (storage_t *base, const char *name, perr_t *err),
          (base, name, err))

SQ_LOCKED(sq_purge,
          (storage_t *base, const char *name, perr_t *err),
          (base, name, err))

/* A batch transaction holds the write lock from begin to its end. */
static int
sq_tx_begin(storage_t *base, perr_t *err)
{
    sq_storage_t *st = (sq_storage_t *)base;
    sq_conn_t *c = sq_conn(st, err);

    if (c == NULL)
        return -1;
    pthread_mutex_lock(&st->write_lock);
    if (sq_begin(c, err)) {
        pthread_mutex_unlock(&st->write_lock);
        return -1;
    }
    return 0;
}

static int
sq_tx_commit(storage_t *base, perr_t *err)
{
    sq_storage_t *st = (sq_storage_t *)base;
    sq_conn_t *c = pthread_getspecific(st->conn_key);
    int rc;

    if (c == NULL || c->depth == 0)
        return perr_set(err, PERR_INTERNAL, NULL);
    rc = sq_commit(c, err);
    pthread_mutex_unlock(&st->write_lock);
    return rc;
}

static void
sq_tx_rollback(storage_t *base)
{
    sq_storage_t *st = (sq_storage_t *)base;
    sq_conn_t *c = pthread_getspecific(st->conn_key);

    if (c == NULL || c->depth == 0)
        return;
    sq_rollback(c);
    pthread_mutex_unlock(&st->write_lock);
}

static const storage_ops_t sq_ops = {
    .describe = sq_describe,
    .close = sq_close,
    .load_schemas = sq_load_schemas,
    .ensure_fields = sq_ensure_fields,
    .insert = sq_insert,
    .update = sq_update,
    .remove = sq_remove,
    .find = sq_find,
    .count = sq_count,
    .relation_change = sq_relation_change,
    .relation_owners = sq_relation_owners,
    .set_class_options = sq_set_class_options,
    .delete_field = sq_delete_field,
    .drop_class = sq_drop_class,
    .purge = sq_purge,
    .begin = sq_tx_begin,
    .commit = sq_tx_commit,
    .rollback = sq_tx_rollback,
};

storage_t *
storage_sqlite_open(const char *path, const char *files_url)
{
    sq_storage_t *st = calloc(1, sizeof(*st));
    perr_t err;
    sq_conn_t *c;

    st->base.ops = &sq_ops;
    st->base.files_url = strdup(files_url);
    st->path = strdup(path);
    pthread_key_create(&st->conn_key, sq_conn_destroy);
    {
        pthread_mutexattr_t attr;

        pthread_mutexattr_init(&attr);
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
        pthread_mutex_init(&st->write_lock, &attr);
        pthread_mutexattr_destroy(&attr);
    }
    c = sq_conn(st, &err);
    if (c == NULL ||
        sq_exec(c->db, "CREATE TABLE IF NOT EXISTS \"_SCHEMA\" ("
                       "\"className\" TEXT PRIMARY KEY NOT NULL, "
                       "\"schema\" TEXT, \"isParseClass\" BOOLEAN)")) {
        sq_close(&st->base);
        return NULL;
    }
    return &st->base;
}
