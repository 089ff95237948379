/* SPDX-License-Identifier: MIT */
/*
 * storage_postgres.c - the PostgreSQL engine behind storage.h (libpq).
 *
 * The tables are those of parse-server's Postgres adapter, so one database
 * can be served by either: a "_SCHEMA" table of class documents; a table
 * per class with "objectId" as primary key, "createdAt"/"updatedAt" as
 * timestamptz, "_rperm"/"_wperm" as text[] and a typed column per field
 * (text, double precision, boolean, timestamptz, jsonb, point, polygon);
 * a "_Join:field:Class" table per relation. Pointers are stored as the
 * target's objectId, Files as their name, GeoPoints as point(lng, lat),
 * Polygons as polygon((lng, lat), ...), Objects, Arrays and Bytes as jsonb.
 *
 * Each worker thread keeps its own connection, so the pool is exactly as
 * large as the thread pool. A connection that breaks (the server restarted)
 * is reset on the thread's next request; the request that saw it break
 * fails with 503 rather than being retried, because a write may or may not
 * have committed. TCP keepalives and a connect timeout keep a vanished
 * server from holding a request forever.
 *
 * Several parsec processes may share one database. Every schema change,
 * every write to _Session and _Role and every user deletion is announced
 * with NOTIFY on the "parsec" channel inside the writing transaction; a
 * listener thread in each process hears the others' announcements and
 * drops the caches they make stale.
 *
 * Names reach SQL only after schema validation, and always quoted; every
 * value is a bound parameter. Queries are compiled to SQL in
 * storage_postgres_sql.c.
 */
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "storage.h"
#include "storage_postgres.h"
#include "util.h"

#define PG_CHANNEL "parsec"
#define PG_STMT_CACHE 256
#define PG_STMT_WAYS 8

typedef struct {
    char *sql;
    char name[16];
    unsigned long long used;    /* when last run, for eviction */
} pg_stmt_t;

/* One thread's connection. depth counts the transactions open on it: the
 * outermost is BEGIN, inner ones are savepoints, so an engine operation
 * that needs a transaction works the same inside a batch transaction. */
typedef struct {
    PGconn *conn;
    int depth;
    pg_stmt_t stmts[PG_STMT_CACHE];
    unsigned next_stmt;
    unsigned long long clock;   /* counts statement runs, for pg_stmt_t.used */
    char last_state[6];     /* SQLSTATE of the last failure */
    unsigned schema_gen;    /* the engine's schema_gen its statements know */
} pg_conn_t;

typedef struct {
    storage_t base;
    char *uri;
    pthread_key_t conn_key;
    char version[64];
    /* Announcements carry this so a process ignores its own. */
    char instance[24];
    storage_change_fn on_change;
    /* Bumped whenever a table may have changed shape (a schema change here
     * or in another process, a rolled-back transaction): a prepared
     * statement fixes its parameter and result types when prepared, so
     * connections drop theirs when they see a new number. */
    atomic_uint schema_gen;
    pthread_t listener;
    int listening;
    atomic_bool stopping;
} pg_storage_t;

/* ------------------------------------------------------ connections */

/* Server notices ("column already exists, skipping") are expected
 * chatter from IF NOT EXISTS; they are not worth a log line. */
static void
pg_ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* What every session needs whatever the URI sets: dates printed in ISO
 * form in UTC, which pg_iso reads. Run after every (re)connection. */
static int
pg_session_setup(PGconn *conn)
{
    PGresult *res = PQexec(conn, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'");
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

    PQclear(res);
    PQsetNoticeProcessor(conn, pg_ignore_notice, NULL);
    return ok ? 0 : -1;
}

static PGconn *
pg_connect(const char *uri)
{
    /*
     * Defaults first and the URI last: the URI's own settings win (an
     * "options" in it replaces these). A statement may run for a minute
     * and wait for a lock for 30 s, so no request waits forever;
     * keepalives notice a server that vanished without closing. Prepared
     * statements keep one generic plan: left to choose, PostgreSQL plans
     * the typical query (a LIMIT, an equality and a range) afresh on every
     * run, and planning then costs ten times the execution.
     */
    const char *keys[] = {"connect_timeout", "keepalives", "keepalives_idle",
                          "keepalives_interval", "keepalives_count",
                          "application_name", "client_encoding", "options",
                          "dbname", NULL};
    const char *vals[] = {"5", "1", "10", "5", "3", "parsec", "UTF8",
                          "-c statement_timeout=60000 -c lock_timeout=30000 "
                          "-c plan_cache_mode=force_generic_plan",
                          uri, NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);

    if (conn == NULL)
        return NULL;
    if (PQstatus(conn) != CONNECTION_OK || pg_session_setup(conn)) {
        char *msg = strdup(PQerrorMessage(conn));
        size_t n = strlen(msg);

        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            msg[--n] = '\0';
        log_error("postgres: cannot connect: %s", msg);
        free(msg);
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

/* Reconnect with the same settings; 0 when the connection works again. */
static int
pg_reset(PGconn *conn)
{
    PQreset(conn);
    if (PQstatus(conn) != CONNECTION_OK)
        return -1;
    return pg_session_setup(conn);
}

static void
pg_conn_forget_statements(pg_conn_t *c)
{
    for (size_t i = 0; i < PG_STMT_CACHE; i++) {
        free(c->stmts[i].sql);
        c->stmts[i].sql = NULL;
    }
}

/* Drop every prepared statement, on the server too. */
static void
pg_conn_drop_statements(pg_conn_t *c)
{
    pg_conn_forget_statements(c);
    if (PQstatus(c->conn) == CONNECTION_OK)
        PQclear(PQexec(c->conn, "DEALLOCATE ALL"));
}

static void
pg_conn_destroy(void *p)
{
    pg_conn_t *c = p;

    pg_conn_forget_statements(c);
    PQfinish(c->conn);
    free(c);
}

/* The calling thread's connection, opened on first use and reset when
 * the last one broke. */
static pg_conn_t *
pg_conn(pg_storage_t *st, perr_t *err)
{
    pg_conn_t *c = pthread_getspecific(st->conn_key);
    bool reset = false;

    /* An idle connection hears from the server only when it is being
     * closed (a restart, an administrator ending sessions), so one with
     * something to read is reset before a request is sent on it. */
    if (c != NULL && c->depth == 0 && PQstatus(c->conn) == CONNECTION_OK) {
        struct pollfd pfd = {.fd = PQsocket(c->conn), .events = POLLIN};

        if (poll(&pfd, 1, 0) > 0) {
            pg_conn_forget_statements(c);
            pg_reset(c->conn);
            reset = true;
        }
    }
    if (c != NULL && PQstatus(c->conn) == CONNECTION_OK) {
        unsigned gen = atomic_load(&st->schema_gen);

        if (c->schema_gen != gen && c->depth == 0) {
            pg_conn_drop_statements(c);
            c->schema_gen = gen;
        }
        return c;
    }
    if (c != NULL) {
        /* A broken connection: whatever it had open is gone. */
        if (c->depth > 0) {
            perr_set(err, PERR_SERVICE_UNAVAILABLE,
                     "The database connection was lost.");
            return NULL;
        }
        pg_conn_forget_statements(c);
        /* One attempt per request: a server that is down costs each
         * request at most one connect timeout. */
        if (!reset && pg_reset(c->conn) == 0)
            return c;
        log_error("postgres: reconnect failed: %s", PQerrorMessage(c->conn));
        perr_set(err, PERR_SERVICE_UNAVAILABLE, "The database is unavailable.");
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    c->conn = pg_connect(st->uri);
    if (c->conn == NULL) {
        free(c);
        perr_set(err, PERR_SERVICE_UNAVAILABLE, "The database is unavailable.");
        return NULL;
    }
    pthread_setspecific(st->conn_key, c);
    return c;
}

/* ------------------------------------------------------- parameters */

static void
pg_params_cleanup(pg_params_t *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

/* Bind text (NULL binds SQL NULL; the text is copied) and append "$n" and
 * cast (may be NULL) to sql. */
void
pg_bind(pg_params_t *p, sbuf_t *sql, const char *text, const char *cast)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->v = realloc(p->v, (size_t)p->cap * sizeof(char *));
    }
    p->v[p->n++] = text ? strdup(text) : NULL;
    sbuf_printf(sql, "$%d", p->n);
    if (cast != NULL)
        sbuf_append(sql, cast);
}

/* Bind text that is already malloc'd; the params take it. */
void
pg_bind_take(pg_params_t *p, sbuf_t *sql, char *text, const char *cast)
{
    pg_bind(p, sql, NULL, cast);
    p->v[p->n - 1] = text;
}

/* Bind any JSON value as jsonb. */
void
pg_bind_jsonb(pg_params_t *p, sbuf_t *sql, json_t *v)
{
    pg_bind_take(p, sql, json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY),
                 "::jsonb");
}

/* A text[] literal of the strings of a JSON array (others skipped). */
char *
pg_text_array(json_t *list)
{
    sbuf_t out;
    json_t *v;
    size_t i;
    bool first = true;

    sbuf_init(&out);
    sbuf_append(&out, "{");
    json_array_foreach(list, i, v) {
        if (!json_is_string(v))
            continue;
        if (!first)
            sbuf_append(&out, ",");
        first = false;
        sbuf_append(&out, "\"");
        for (const char *s = json_string_value(v); *s; s++) {
            if (*s == '"' || *s == '\\')
                sbuf_append(&out, "\\");
            sbuf_append_len(&out, s, 1);
        }
        sbuf_append(&out, "\"");
    }
    sbuf_append(&out, "}");
    return sbuf_take(&out);
}

static json_t *
pg_strings_json(const char *const *ids)
{
    json_t *a = json_array();

    for (size_t i = 0; ids && ids[i]; i++)
        json_array_append_new(a, json_string(ids[i]));
    return a;
}

/* ------------------------------------------------------- statements */

/* Map a failed result to a Parse error; logs what the client must not
 * see. Returns -1. */
static int
pg_fail(pg_conn_t *c, PGresult *res, const char *what, perr_t *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(c->conn);

    c->last_state[0] = '\0';
    if (PQstatus(c->conn) != CONNECTION_OK) {
        log_error("postgres: %s: connection lost: %s", what, msg);
        return perr_set(err, PERR_SERVICE_UNAVAILABLE,
                        "The database connection was lost.");
    }
    if (state == NULL)
        state = "";
    snprintf(c->last_state, sizeof(c->last_state), "%s", state);
    if (strcmp(state, "42P01") == 0) {
        /* A class dropped while this request used it; queries treat the
         * missing table as empty (pg_query_rows), writes fail. */
        log_warn("postgres: %s: the class's table is gone", what);
        return perr_set(err, PERR_SERVICE_UNAVAILABLE,
                        "The class was removed while the request ran.");
    }
    if (strcmp(state, "23505") == 0)
        return perr_set(err, PERR_DUPLICATE_VALUE, NULL);
    if (strcmp(state, "2201B") == 0) {
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

        return perr_set(err, PERR_INVALID_QUERY, "Invalid regular expression: "
                        "%.160s", primary ? primary : "not supported");
    }
    /* Limits PostgreSQL sets on what one request may hold or ask. */
    if (strcmp(state, "54001") == 0)
        return perr_set(err, PERR_INVALID_QUERY, "The query is too complex.");
    if (strncmp(state, "54", 2) == 0) {
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

        return perr_set(err, PERR_OBJECT_TOO_LARGE, "The object is too large "
                        "for the database: %.160s", primary ? primary : "");
    }
    if (strcmp(state, "57014") == 0)
        return perr_set(err, PERR_REQUEST_TIMEOUT,
                        "The query took too long and was cancelled.");
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
        strcmp(state, "55P03") == 0)
        return perr_set(err, PERR_SERVICE_UNAVAILABLE,
                        "The database is busy; try again.");
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
        return perr_set(err, PERR_SERVICE_UNAVAILABLE,
                        "The database is unavailable.");
    log_error("postgres: %s failed (%s): %s", what, state, msg);
    return perr_set(err, PERR_INTERNAL, NULL);
}

/*
 * The cache slot for sql: the one holding it, else a free one, else the
 * least recently run of the PG_STMT_WAYS slots its hash points at (FNV-1a,
 * whose low bits are well mixed). *hit tells which.
 */
static pg_stmt_t *
pg_stmt_slot(pg_conn_t *c, const char *sql, bool *hit)
{
    uint64_t h = 1469598103934665603ULL;
    pg_stmt_t *victim = NULL;
    size_t base;

    for (const char *p = sql; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    base = (size_t)(h % PG_STMT_CACHE);
    for (size_t i = 0; i < PG_STMT_WAYS; i++) {
        pg_stmt_t *slot = &c->stmts[(base + i) % PG_STMT_CACHE];

        if (slot->sql != NULL && strcmp(slot->sql, sql) == 0) {
            *hit = true;
            return slot;
        }
        if (victim == NULL || (victim->sql != NULL &&
                               (slot->sql == NULL || slot->used < victim->used)))
            victim = slot;
    }
    *hit = false;
    return victim;
}

/*
 * Run sql with params and return its result, or NULL with err set. A
 * statement seen before on this connection runs as a prepared statement,
 * so reads that repeat (a get by id, a session lookup) skip planning.
 */
static PGresult *
pg_exec(pg_conn_t *c, const char *sql, pg_params_t *p, const char *what,
        perr_t *err)
{
    pg_stmt_t *slot;
    PGresult *res;
    ExecStatusType rc;
    bool hit;
    int n = p ? p->n : 0;
    const char *const *vals = p ? (const char *const *)p->v : NULL;

    slot = pg_stmt_slot(c, sql, &hit);
    if (!hit) {
        char name[16];
        PGresult *prep;

        snprintf(name, sizeof(name), "p%u", c->next_stmt++);
        prep = PQprepare(c->conn, name, sql, n, NULL);
        if (PQresultStatus(prep) != PGRES_COMMAND_OK) {
            pg_fail(c, prep, what, err);
            PQclear(prep);
            return NULL;
        }
        PQclear(prep);
        if (slot->sql != NULL) {
            char dealloc[48];

            snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", slot->name);
            PQclear(PQexec(c->conn, dealloc));
        }
        free(slot->sql);
        slot->sql = strdup(sql);
        memcpy(slot->name, name, sizeof(name));
    }
    slot->used = ++c->clock;
    res = PQexecPrepared(c->conn, slot->name, n, vals, NULL, NULL, 0);
    rc = PQresultStatus(res);
    if (rc == PGRES_TUPLES_OK || rc == PGRES_COMMAND_OK)
        return res;
    {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

        /* Prepared for another shape of its table (a column added,
         * dropped or retyped meanwhile): the next run prepares it afresh. */
        if (state != NULL && (!strcmp(state, "0A000") || !strcmp(state, "42804") ||
                              !strcmp(state, "42703") || !strcmp(state, "42P01") ||
                              !strcmp(state, "42883"))) {
            if (c->depth == 0) {
                char dealloc[48];

                snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", slot->name);
                PQclear(PQexec(c->conn, dealloc));
            }
            free(slot->sql);
            slot->sql = NULL;
        }
    }
    pg_fail(c, res, what, err);
    PQclear(res);
    return NULL;
}

/* Run a statement whose rows, if any, are not wanted. */
static int
pg_run(pg_conn_t *c, const char *sql, pg_params_t *p, const char *what,
       perr_t *err)
{
    PGresult *res = pg_exec(c, sql, p, what, err);

    if (res == NULL)
        return -1;
    PQclear(res);
    return 0;
}

/* Run a statement that is not worth preparing (DDL, transaction control). */
static int
pg_simple(pg_conn_t *c, const char *sql, perr_t *err)
{
    PGresult *res = PQexec(c->conn, sql);
    ExecStatusType rc = PQresultStatus(res);

    if (rc != PGRES_COMMAND_OK && rc != PGRES_TUPLES_OK) {
        pg_fail(c, res, sql, err);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    return 0;
}

static int
pg_begin(pg_conn_t *c, perr_t *err)
{
    char sql[48];

    if (c->depth == 0)
        snprintf(sql, sizeof(sql), "BEGIN");
    else
        snprintf(sql, sizeof(sql), "SAVEPOINT parsec_%d", c->depth);
    if (pg_simple(c, sql, err))
        return -1;
    c->depth++;
    return 0;
}

static int
pg_commit(pg_conn_t *c, perr_t *err)
{
    char sql[48];

    c->depth--;
    if (c->depth == 0)
        snprintf(sql, sizeof(sql), "COMMIT");
    else
        snprintf(sql, sizeof(sql), "RELEASE SAVEPOINT parsec_%d", c->depth);
    return pg_simple(c, sql, err);
}

static void
pg_rollback(pg_conn_t *c)
{
    char sql[96];
    perr_t ignored;

    if (c->depth == 0)
        return;
    c->depth--;
    if (PQstatus(c->conn) != CONNECTION_OK)
        return;
    if (c->depth == 0)
        snprintf(sql, sizeof(sql), "ROLLBACK");
    else
        snprintf(sql, sizeof(sql), "ROLLBACK TO SAVEPOINT parsec_%d; "
                                   "RELEASE SAVEPOINT parsec_%d",
                 c->depth, c->depth);
    pg_simple(c, sql, &ignored);
}

/* Tell the other parsec processes on this database that kind changed
 * (delivered when the current transaction commits). */
static int
pg_announce(pg_storage_t *st, pg_conn_t *c, const char *kind,
            const char *cls, perr_t *err)
{
    pg_params_t p = {0};
    sbuf_t sql, payload;
    int rc;

    sbuf_init(&sql);
    sbuf_init(&payload);
    sbuf_printf(&payload, "%s|%s|%s", st->instance, kind, cls ? cls : "");
    sbuf_append(&sql, "SELECT pg_notify('" PG_CHANNEL "', ");
    pg_bind(&p, &sql, payload.data, ")");
    rc = pg_run(c, sql.data, &p, "announcing a change", err);
    pg_params_cleanup(&p);
    sbuf_cleanup(&sql);
    sbuf_cleanup(&payload);
    return rc;
}

/* What a write to class name makes stale in other processes, or NULL. */
static const char *
pg_write_kind(const char *name, bool removal)
{
    if (strcmp(name, "_Session") == 0)
        return "session";
    if (strcmp(name, "_Role") == 0)
        return "role";
    if (removal && strcmp(name, "_User") == 0)
        return "session";
    return NULL;
}

/* ---------------------------------------------------------- values */

const char *
pg_column_type(ptype_t t)
{
    switch (t) {
    case PT_NUMBER:
        return "double precision";
    case PT_BOOLEAN:
        return "boolean";
    case PT_DATE:
        return "timestamp with time zone";
    case PT_OBJECT:
    case PT_ARRAY:
    case PT_BYTES:
        return "jsonb";
    case PT_GEOPOINT:
        return "point";
    case PT_POLYGON:
        return "polygon";
    default:
        return "text";
    }
}

char *
pg_number_text(json_t *v)
{
    char buf[40];

    if (json_is_integer(v))
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
    else
        snprintf(buf, sizeof(buf), "%.17g", json_number_value(v));
    return strdup(buf);
}

/* "((lng,lat),...)" for Parse polygon coordinates [[lat, lng], ...]. */
char *
pg_polygon_text(json_t *coords)
{
    sbuf_t out;
    json_t *pt;
    size_t i;

    sbuf_init(&out);
    sbuf_append(&out, "(");
    json_array_foreach(coords, i, pt) {
        sbuf_printf(&out, "%s(%.17g,%.17g)", i ? "," : "",
                    json_number_value(json_array_get(pt, 1)),
                    json_number_value(json_array_get(pt, 0)));
    }
    sbuf_append(&out, ")");
    return sbuf_take(&out);
}

/* A stored polygon closes its ring, repeating the first point at the end
 * when the client did not, as parse-server stores it. */
static char *
pg_polygon_ring(json_t *coords)
{
    json_t *first = json_array_get(coords, 0);
    json_t *last = json_array_get(coords, json_array_size(coords) - 1);
    json_t *ring;
    char *text;

    if (first == NULL || ptype_equal(first, last))
        return pg_polygon_text(coords);
    ring = json_copy(coords);
    json_array_append(ring, first);
    text = pg_polygon_text(ring);
    json_decref(ring);
    return text;
}

/*
 * The column text of a value of field type t, as a new string; NULL when
 * the value is null or does not fit the column (a query comparing a
 * Number field with a string, say).
 */
char *
pg_encode(ptype_t t, json_t *v)
{
    int64_t ms;
    char iso[32];

    if (v == NULL || json_is_null(v))
        return NULL;
    switch (t) {
    case PT_STRING:
        return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
    case PT_NUMBER:
        return json_is_number(v) ? pg_number_text(v) : NULL;
    case PT_BOOLEAN:
        return json_is_boolean(v) ? strdup(json_is_true(v) ? "true" : "false")
                                  : NULL;
    case PT_DATE:
        if (ptype_date_ms(v, &ms))
            return NULL;
        util_format_iso(ms, iso);
        return strdup(iso);
    case PT_POINTER:
        if (json_is_object(v))
            v = json_object_get(v, "objectId");
        return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
    case PT_FILE:
        if (json_is_object(v))
            v = json_object_get(v, "name");
        return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
    case PT_GEOPOINT: {
        char buf[80];

        if (!json_is_object(v))
            return NULL;
        snprintf(buf, sizeof(buf), "(%.17g,%.17g)",
                 json_number_value(json_object_get(v, "longitude")),
                 json_number_value(json_object_get(v, "latitude")));
        return strdup(buf);
    }
    case PT_POLYGON:
        if (json_is_object(v))
            v = json_object_get(v, "coordinates");
        return json_is_array(v) ? pg_polygon_ring(v) : NULL;
    default:
        return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    }
}

/* An ISO-8601 UTC string with milliseconds from timestamptz text as the
 * server prints it with DateStyle ISO and TimeZone UTC:
 * "2024-05-06 07:08:09.123456+00". */
static json_t *
pg_iso(const char *text)
{
    char out[40];
    const char *frac;
    size_t n = 0;

    if (strlen(text) < 19)
        return json_string(text);   /* not a timestamp's text: keep as is */
    memcpy(out, text, 19);
    out[10] = 'T';
    n = 19;
    out[n++] = '.';
    frac = text[19] == '.' ? text + 20 : "";
    for (int i = 0; i < 3; i++)
        out[n++] = (frac[0] >= '0' && frac[0] <= '9') ? *frac++ : '0';
    out[n++] = 'Z';
    out[n] = '\0';
    return json_string_nocheck(out);
}

/* The two numbers of "(x,y)" text; 0 or -1. */
static int
pg_point(const char *text, double *x, double *y)
{
    return sscanf(text, " (%lf ,%lf )", x, y) == 2 ? 0 : -1;
}

/* Parse coordinates [[lat, lng], ...] from polygon text "((x,y),...)". */
static json_t *
pg_polygon_coords(const char *text)
{
    json_t *coords = json_array();
    const char *p = text;

    while ((p = strchr(p, '(')) != NULL) {
        double x, y;

        if (p[1] == '(') {
            p++;
            continue;
        }
        if (pg_point(p, &x, &y) == 0)
            json_array_append_new(coords, json_pack("[o,o]",
                                                    ptype_number_create(y),
                                                    ptype_number_create(x)));
        p++;
    }
    return coords;
}

/* Integral reals within 2^53 back to integers, throughout v. */
static void
pg_json_integers(json_t *v)
{
    const char *key;
    json_t *el;
    size_t i;

    if (json_is_object(v)) {
        json_object_foreach(v, key, el) {
            if (json_is_real(el))
                json_object_set_new(v, key, ptype_number_create(json_real_value(el)));
            else
                pg_json_integers(el);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, el) {
            if (json_is_real(el))
                json_array_set_new(v, i, ptype_number_create(json_real_value(el)));
            else
                pg_json_integers(el);
        }
    }
}

/*
 * jsonb text as JSON. jsonb keeps numbers exactly and prints a large one
 * (1e20 arrives as 100000000000000000000) as digits jansson's integers
 * cannot hold; such a document is read with every number as a double, as
 * parsec keeps them, so the field is not lost.
 */
static json_t *
pg_json_parse(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

    if (v == NULL) {
        v = json_loads(text, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
        if (json_is_real(v)) {
            json_t *n = ptype_number_create(json_real_value(v));

            json_decref(v);
            return n;
        }
        pg_json_integers(v);
    }
    if (v == NULL)
        log_error("postgres: a stored JSON value could not be read");
    return v;
}

/* The Parse value of the column text of a field of type f. */
static json_t *
pg_decode(pg_storage_t *st, const char *text, const schema_field_t *f)
{
    double x, y;
    json_t *j;

    switch (f->type) {
    case PT_STRING:
        /* The server sends UTF-8 it has checked (client_encoding UTF8). */
        return json_string_nocheck(text);
    case PT_NUMBER:
        return ptype_number_create(strtod(text, NULL));
    case PT_BOOLEAN:
        return json_boolean(text[0] == 't');
    case PT_DATE:
        return ptype_date_from_iso(pg_iso(text));
    case PT_POINTER:
        return ptype_pointer_create(f->target ? f->target : "", text);
    case PT_FILE:
        return storage_file_value(&st->base, text);
    case PT_GEOPOINT:
        if (pg_point(text, &x, &y))
            return NULL;
        j = ptype_typed_create("GeoPoint");
        json_object_set_new_nocheck(j, "latitude", ptype_number_create(y));
        json_object_set_new_nocheck(j, "longitude", ptype_number_create(x));
        return j;
    case PT_POLYGON:
        return json_pack("{s:s, s:o}", "__type", "Polygon", "coordinates",
                         pg_polygon_coords(text));
    case PT_BYTES:
        j = pg_json_parse(text);
        /* parse-server keeps the whole {"__type":"Bytes",...} object. */
        if (json_is_string(j)) {
            json_t *b = json_pack("{s:s, s:O}", "__type", "Bytes", "base64", j);

            json_decref(j);
            return b;
        }
        return j;
    default:
        return pg_json_parse(text);
    }
}

/* ------------------------------------------------------ column lists */

/* The SELECT expression of a field: arrays as jsonb whatever their
 * column type (parse-server keeps string arrays as text[]). */
static void
pg_select_field(sbuf_t *sql, const schema_field_t *f)
{
    if (f->type == PT_ARRAY) {
        sbuf_append(sql, "to_jsonb(");
        sbuf_append_ident(sql, f->name);
        sbuf_append(sql, ")");
    } else {
        sbuf_append_ident(sql, f->name);
    }
}

/* SELECT list: the fixed columns, then each non-relation field. */
static void
pg_select_list(sbuf_t *sql, const schema_class_t *cls)
{
    sbuf_append(sql, "\"objectId\",\"createdAt\",\"updatedAt\","
                     "to_jsonb(\"_rperm\"),to_jsonb(\"_wperm\")");
    for (size_t i = 0; i < cls->nfields; i++) {
        if (cls->fields[i].type == PT_RELATION)
            continue;
        sbuf_append(sql, ",");
        pg_select_field(sql, &cls->fields[i]);
    }
}

/* Plain column names for INSERT, in pg_select_list's order. */
static void
pg_column_list(sbuf_t *sql, const schema_class_t *cls)
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

static json_t *
pg_json_column(PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return NULL;
    return pg_json_parse(PQgetvalue(res, row, col));
}

/* The Parse object of a row (columns as pg_select_list). */
static json_t *
pg_row_object(pg_storage_t *st, const schema_class_t *cls, PGresult *res,
              int row)
{
    json_t *obj = json_object();
    json_t *rperm = pg_json_column(res, row, 3);
    json_t *wperm = pg_json_column(res, row, 4);
    json_t *acl;
    int col = 5;

    /* Names and stored text are valid UTF-8 already (names are checked
     * before they reach a table; the server checks text), so the
     * _nocheck setters skip scanning them again for every row. */
    json_object_set_new_nocheck(obj, "objectId",
                                json_string_nocheck(PQgetvalue(res, row, 0)));
    if (!PQgetisnull(res, row, 1))
        json_object_set_new_nocheck(obj, "createdAt",
                                    pg_iso(PQgetvalue(res, row, 1)));
    if (!PQgetisnull(res, row, 2))
        json_object_set_new_nocheck(obj, "updatedAt",
                                    pg_iso(PQgetvalue(res, row, 2)));
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
        if (PQgetisnull(res, row, col)) {
            col++;
            continue;
        }
        v = pg_decode(st, PQgetvalue(res, row, col++), f);
        if (v != NULL)
            json_object_set_new_nocheck(obj, f->name, v);
    }
    acl = storage_acl_join(rperm, wperm);
    if (acl != NULL)
        json_object_set_new_nocheck(obj, "ACL", acl);
    json_decref(rperm);
    json_decref(wperm);
    return obj;
}

/* ----------------------------------------------------------- schema */

/* Serialises schema changes across every parsec process on the database:
 * the key is an arbitrary constant of parsec's own. */
#define PG_SCHEMA_LOCK "SELECT pg_advisory_xact_lock(7034811951)"

static const char *
pg_describe(storage_t *base)
{
    pg_storage_t *st = (pg_storage_t *)base;
    perr_t err;
    pg_conn_t *c = pg_conn(st, &err);
    int v = c ? PQserverVersion(c->conn) : 0;

    snprintf(st->version, sizeof(st->version), "PostgreSQL %d.%d",
             v / 10000, v % 10000);
    return st->version;
}

/* _User's internal columns that parse-server creates with the table but
 * does not list in _SCHEMA; parsec's code knows them as fields. */
static const struct {
    const char *name, *type;
} pg_user_internal[] = {
    {"_email_verify_token", "String"},
    {"_email_verify_token_expires_at", "Date"},
    {"_perishable_token", "String"},
    {"_perishable_token_expires_at", "Date"},
    {"_failed_login_count", "Number"},
    {"_account_lockout_expires_at", "Date"},
    {"_password_changed_at", "Date"},
    {"_password_history", "Array"},
};

/* The _SCHEMA document as parse-server's Postgres adapter keeps it: the
 * permission arrays listed as fields, no ACL field, none of _User's
 * internal columns but _hashed_password. */
static json_t *
pg_schema_doc(const schema_class_t *cls)
{
    json_t *doc = schema_class_to_json(cls);
    json_t *fields = json_object_get(doc, "fields");

    if (strcmp(cls->name, "_User") == 0) {
        for (size_t i = 0; i < sizeof(pg_user_internal) /
                                   sizeof(pg_user_internal[0]); i++)
            json_object_del(fields, pg_user_internal[i].name);
    }
    json_object_del(fields, "ACL");
    /* parse-server stores permissions only once they are set. */
    {
        schema_class_t *fresh = schema_class_create(cls->name);

        if (json_equal(fresh->clp, json_object_get(doc, "classLevelPermissions")))
            json_object_del(doc, "classLevelPermissions");
        schema_class_release(fresh);
    }
    json_object_set_new(fields, "_rperm", json_pack("{s:s, s:{s:s}}", "type",
                                                    "Array", "contents",
                                                    "type", "String"));
    json_object_set_new(fields, "_wperm", json_pack("{s:s, s:{s:s}}", "type",
                                                    "Array", "contents",
                                                    "type", "String"));
    return doc;
}

/* The schema document of a ("className", "schema") row; the name is
 * filled in when the document lacks it. */
static json_t *
pg_schema_column(PGresult *res, int row)
{
    json_t *doc = pg_json_column(res, row, 1);

    if (!json_is_object(doc)) {
        json_decref(doc);
        return NULL;
    }
    if (!json_is_string(json_object_get(doc, "className")))
        json_object_set_new(doc, "className",
                            json_string(PQgetvalue(res, row, 0)));
    if (strcmp(PQgetvalue(res, row, 0), "_User") == 0 &&
        json_is_object(json_object_get(doc, "fields"))) {
        json_t *fields = json_object_get(doc, "fields");

        for (size_t i = 0; i < sizeof(pg_user_internal) /
                                   sizeof(pg_user_internal[0]); i++) {
            if (json_object_get(fields, pg_user_internal[i].name) == NULL)
                json_object_set_new(fields, pg_user_internal[i].name,
                                    json_pack("{s:s}", "type",
                                              pg_user_internal[i].type));
        }
    }
    return doc;
}

static int
pg_load_schemas(storage_t *base, json_t **docs, perr_t *err)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c = pg_conn(st, err);
    PGresult *res;
    json_t *all;

    if (c == NULL)
        return -1;
    res = pg_exec(c, "SELECT \"className\", \"schema\" FROM \"_SCHEMA\"",
                  NULL, "loading schemas", err);
    if (res == NULL)
        return -1;
    all = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *doc = pg_schema_column(res, i);

        if (doc != NULL)
            json_array_append(all, doc);
        json_decref(doc);
    }
    PQclear(res);
    *docs = all;
    return 0;
}

static int
pg_load_class(storage_t *base, const char *name, json_t **doc, perr_t *err)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c = pg_conn(st, err);
    pg_params_t p = {0};
    PGresult *res;
    sbuf_t sql;

    if (c == NULL)
        return -1;
    sbuf_init(&sql);
    sbuf_append(&sql, "SELECT \"className\", \"schema\" FROM \"_SCHEMA\" "
                      "WHERE \"className\" = ");
    pg_bind(&p, &sql, name, NULL);
    res = pg_exec(c, sql.data, &p, "reading a schema", err);
    sbuf_cleanup(&sql);
    pg_params_cleanup(&p);
    if (res == NULL)
        return -1;
    *doc = PQntuples(res) > 0 ? pg_schema_column(res, 0) : NULL;
    PQclear(res);
    return 0;
}

/* The class as stored (NULL when there is none, err untouched); *failed
 * is set on a database error. */
static schema_class_t *
pg_read_class(pg_conn_t *c, const char *name, int *failed, perr_t *err)
{
    pg_params_t p = {0};
    sbuf_t sql;
    PGresult *res;
    schema_class_t *cls = NULL;

    *failed = 0;
    sbuf_init(&sql);
    sbuf_append(&sql, "SELECT \"className\", \"schema\" FROM \"_SCHEMA\" "
                      "WHERE \"className\" = ");
    pg_bind(&p, &sql, name, NULL);
    res = pg_exec(c, sql.data, &p, "reading a schema", err);
    sbuf_cleanup(&sql);
    pg_params_cleanup(&p);
    if (res == NULL) {
        *failed = 1;
        return NULL;
    }
    if (PQntuples(res) > 0) {
        json_t *doc = pg_schema_column(res, 0);

        cls = schema_class_from_json(doc);
        json_decref(doc);
    }
    PQclear(res);
    return cls;
}

/* Run DDL built in sql, then free it. */
static int
pg_ddl(pg_conn_t *c, sbuf_t *sql, perr_t *err)
{
    int rc = pg_simple(c, sql->data, err);

    sbuf_cleanup(sql);
    return rc;
}

/* Columns parse-server gives _User beyond its schema fields; created the
 * same way so that either server can use a table the other made. */
static const char pg_user_columns[] =
    ", \"_email_verify_token_expires_at\" timestamp with time zone"
    ", \"_email_verify_token\" text"
    ", \"_account_lockout_expires_at\" timestamp with time zone"
    ", \"_failed_login_count\" double precision"
    ", \"_perishable_token\" text"
    ", \"_perishable_token_expires_at\" timestamp with time zone"
    ", \"_password_changed_at\" timestamp with time zone"
    ", \"_password_history\" jsonb";

static int pg_make_indexes(pg_conn_t *c, const char *cls, const char *field,
                           perr_t *err);

static int
pg_create_table(pg_conn_t *c, const char *name, perr_t *err)
{
    sbuf_t sql;

    sbuf_init(&sql);
    sbuf_append(&sql, "CREATE TABLE IF NOT EXISTS ");
    sbuf_append_ident(&sql, name);
    sbuf_append(&sql, " (\"objectId\" text, "
                      "\"createdAt\" timestamp with time zone, "
                      "\"updatedAt\" timestamp with time zone, "
                      "\"_rperm\" text[], \"_wperm\" text[]");
    if (strcmp(name, "_User") == 0)
        sbuf_append(&sql, pg_user_columns);
    sbuf_append(&sql, ", PRIMARY KEY (\"objectId\"))");
    if (pg_ddl(c, &sql, err))
        return -1;
    return pg_make_indexes(c, name, "", err);
}

/* The indexes parse-server keeps on system classes, under its names:
 * unique ones so that two concurrent sign-ups cannot both take a name,
 * and the lookup indexes of _User. Made when their column is. */
static const struct {
    const char *cls, *field, *name, *definition;
} pg_indexes[] = {
    {"_User", "username", "_User_unique_username", "UNIQUE INDEX % ON \"_User\" (\"username\")"},
    {"_User", "username", "case_insensitive_username",
     "INDEX % ON \"_User\" (lower(\"username\") varchar_pattern_ops)"},
    {"_User", "email", "_User_unique_email", "UNIQUE INDEX % ON \"_User\" (\"email\")"},
    {"_User", "email", "case_insensitive_email",
     "INDEX % ON \"_User\" (lower(\"email\") varchar_pattern_ops)"},
    {"_User", "authData", "_User_unique_authData_anonymous_id",
     "UNIQUE INDEX % ON \"_User\" (((\"authData\"->'anonymous')->>'id')) "
     "WHERE (((\"authData\"->'anonymous')->>'id') IS NOT NULL)"},
    {"_User", "", "_email_verify_token",
     "INDEX % ON \"_User\" (\"_email_verify_token\")"},
    {"_User", "", "_perishable_token",
     "INDEX % ON \"_User\" (\"_perishable_token\")"},
    {"_Role", "name", "_Role_unique_name", "UNIQUE INDEX % ON \"_Role\" (\"name\")"},
};

/* Create the indexes of field of class cls ("" for the table itself). */
static int
pg_make_indexes(pg_conn_t *c, const char *cls, const char *field, perr_t *err)
{
    for (size_t i = 0; i < sizeof(pg_indexes) / sizeof(pg_indexes[0]); i++) {
        const char *def = pg_indexes[i].definition;
        const char *mark = strchr(def, '%');
        sbuf_t sql;

        if (strcmp(pg_indexes[i].cls, cls) || strcmp(pg_indexes[i].field, field))
            continue;
        sbuf_init(&sql);
        sbuf_append(&sql, "CREATE ");
        sbuf_append_len(&sql, def, (size_t)(mark - def));
        sbuf_append(&sql, "IF NOT EXISTS ");
        sbuf_append_ident(&sql, pg_indexes[i].name);
        sbuf_append(&sql, mark + 1);
        if (pg_ddl(c, &sql, err))
            return -1;
    }
    return 0;
}

void
pg_join_name(sbuf_t *out, const char *field, const char *cls)
{
    sbuf_printf(out, "_Join:%s:%s", field, cls);
}

static int
pg_add_column(pg_conn_t *c, const char *cls_name, const schema_field_t *f,
              perr_t *err)
{
    sbuf_t sql;

    sbuf_init(&sql);
    if (f->type == PT_RELATION) {
        sbuf_t join;

        sbuf_init(&join);
        pg_join_name(&join, f->name, cls_name);
        sbuf_append(&sql, "CREATE TABLE IF NOT EXISTS ");
        sbuf_append_ident(&sql, join.data);
        sbuf_append(&sql, " (\"relatedId\" varchar(120), \"owningId\" "
                          "varchar(120), PRIMARY KEY(\"relatedId\", "
                          "\"owningId\"))");
        sbuf_cleanup(&join);
        return pg_ddl(c, &sql, err);
    }
    sbuf_append(&sql, "ALTER TABLE ");
    sbuf_append_ident(&sql, cls_name);
    sbuf_append(&sql, " ADD COLUMN IF NOT EXISTS ");
    sbuf_append_ident(&sql, f->name);
    sbuf_printf(&sql, " %s", pg_column_type(f->type));
    if (pg_ddl(c, &sql, err))
        return -1;
    return pg_make_indexes(c, cls_name, f->name, err);
}

static int
pg_write_class(pg_storage_t *st, pg_conn_t *c, const schema_class_t *cls,
               perr_t *err)
{
    pg_params_t p = {0};
    json_t *doc = pg_schema_doc(cls);
    sbuf_t sql;
    int rc;

    sbuf_init(&sql);
    sbuf_append(&sql, "INSERT INTO \"_SCHEMA\" (\"className\", \"schema\", "
                      "\"isParseClass\") VALUES (");
    pg_bind(&p, &sql, cls->name, ", ");
    pg_bind_jsonb(&p, &sql, doc);
    sbuf_append(&sql, ", true) ON CONFLICT (\"className\") DO UPDATE SET "
                      "\"schema\" = EXCLUDED.\"schema\"");
    rc = pg_run(c, sql.data, &p, "saving a schema", err);
    sbuf_cleanup(&sql);
    pg_params_cleanup(&p);
    json_decref(doc);
    if (rc == 0)
        rc = pg_announce(st, c, "schema", cls->name, err);
    atomic_fetch_add(&st->schema_gen, 1);
    return rc;
}

/* Check one wanted field against the class; add it when missing. */
static int
pg_merge_field(pg_conn_t *c, schema_class_t *cls, const schema_field_t *w,
               int *changed, perr_t *err)
{
    bool missing;

    if (storage_check_field(cls, w, &missing, err))
        return -1;
    if (!missing)
        return 0;
    if (pg_add_column(c, cls->name, w, err))
        return -1;
    schema_field_add(cls, w->name, w->type, w->target);
    *changed = 1;
    return 0;
}

/*
 * PostgreSQL cuts names at 63 bytes without a word, so two longer names
 * with one prefix would share a table or a column (and with it data and
 * permissions). Names that would be cut are refused instead: a class, a
 * field, and the _Join table a relation field needs.
 */
#define PG_NAME_MAX 63

static int
pg_check_names(const char *cls, const schema_field_t *want, size_t n,
               perr_t *err)
{
    if (strlen(cls) > PG_NAME_MAX)
        return perr_set(err, PERR_INVALID_CLASS_NAME,
                        "Class name %.80s... is longer than the %d bytes "
                        "PostgreSQL keeps.", cls, PG_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(want[i].name);

        if (len > PG_NAME_MAX)
            return perr_set(err, PERR_INVALID_KEY_NAME,
                            "Field name %.80s... is longer than the %d bytes "
                            "PostgreSQL keeps.", want[i].name, PG_NAME_MAX);
        if (want[i].type == PT_RELATION &&
            strlen("_Join::") + len + strlen(cls) > PG_NAME_MAX)
            return perr_set(err, PERR_INVALID_KEY_NAME,
                            "Relation field %s of %s needs a table name "
                            "longer than the %d bytes PostgreSQL keeps.",
                            want[i].name, cls, PG_NAME_MAX);
    }
    return 0;
}

static int
pg_ensure_fields(storage_t *base, const char *name, const schema_field_t *want,
                 size_t n, schema_class_t **out, perr_t *err)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c;
    schema_class_t *cls = NULL;
    int failed, changed = 0;

    if (pg_check_names(name, want, n, err))
        return -1;
    c = pg_conn(st, err);
    if (c == NULL || pg_begin(c, err))
        return -1;
    if (pg_simple(c, PG_SCHEMA_LOCK, err))
        goto fail;
    cls = pg_read_class(c, name, &failed, err);
    if (failed)
        goto fail;
    if (cls == NULL) {
        cls = schema_class_create(name);
        changed = 1;
        if (pg_create_table(c, name, err))
            goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        if (pg_merge_field(c, cls, &want[i], &changed, err))
            goto fail;
    }
    if (changed && pg_write_class(st, c, cls, err))
        goto fail;
    if (pg_commit(c, err))
        goto fail_committed;
    *out = cls;
    return 0;

fail:
    pg_rollback(c);
fail_committed:
    schema_class_release(cls);
    return -1;
}

/* ---------------------------------------------------------- objects */

/* Bind an ACL's permission list as text[] (NULL: public). */
static void
pg_bind_perm(pg_params_t *p, sbuf_t *sql, json_t *perm)
{
    if (perm == NULL)
        pg_bind(p, sql, NULL, NULL);
    else
        pg_bind_take(p, sql, pg_text_array(perm), NULL);
}

static int
pg_insert(storage_t *base, const schema_class_t *cls, json_t *obj,
          perr_t *err)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c = pg_conn(st, err);
    json_t *rperm = NULL, *wperm = NULL;
    json_t *acl = json_object_get(obj, "ACL");
    const char *kind = pg_write_kind(cls->name, false);
    pg_params_t p = {0};
    sbuf_t sql;
    int rc;

    if (c == NULL)
        return -1;
    if (acl != NULL && storage_acl_split(acl, &rperm, &wperm, err))
        return -1;
    sbuf_init(&sql);
    sbuf_append(&sql, "INSERT INTO ");
    sbuf_append_ident(&sql, cls->name);
    sbuf_append(&sql, " (");
    pg_column_list(&sql, cls);
    sbuf_append(&sql, ") VALUES (");
    pg_bind(&p, &sql, json_string_value(json_object_get(obj, "objectId")), ",");
    pg_bind(&p, &sql, json_string_value(json_object_get(obj, "createdAt")), ",");
    pg_bind(&p, &sql, json_string_value(json_object_get(obj, "updatedAt")), ",");
    pg_bind_perm(&p, &sql, rperm);
    sbuf_append(&sql, ",");
    pg_bind_perm(&p, &sql, wperm);
    for (size_t i = 0; i < cls->nfields; i++) {
        const schema_field_t *f = &cls->fields[i];

        if (f->type == PT_RELATION)
            continue;
        sbuf_append(&sql, ",");
        pg_bind_take(&p, &sql, pg_encode(f->type, json_object_get(obj, f->name)),
                     NULL);
    }
    sbuf_append(&sql, ")");
    json_decref(rperm);
    json_decref(wperm);
    rc = pg_run(c, sql.data, &p, "inserting an object", err);
    sbuf_cleanup(&sql);
    pg_params_cleanup(&p);
    if (rc == 0 && kind != NULL)
        rc = pg_announce(st, c, kind, cls->name, err);
    return rc;
}

/* Read one object by id, locking its row for the current transaction. */
static int
pg_read_object(pg_storage_t *st, pg_conn_t *c, const schema_class_t *cls,
               const char *id, json_t **out, json_t **wperm, perr_t *err)
{
    pg_params_t p = {0};
    PGresult *res;
    sbuf_t sql;
    int rc = 0;

    sbuf_init(&sql);
    sbuf_append(&sql, "SELECT ");
    pg_select_list(&sql, cls);
    sbuf_append(&sql, " FROM ");
    sbuf_append_ident(&sql, cls->name);
    sbuf_append(&sql, " WHERE \"objectId\" = ");
    pg_bind(&p, &sql, id, " FOR UPDATE");
    res = pg_exec(c, sql.data, &p, "reading an object", err);
    sbuf_cleanup(&sql);
    pg_params_cleanup(&p);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        rc = perr_set(err, PERR_OBJECT_NOT_FOUND, "Object not found.");
    } else {
        *out = pg_row_object(st, cls, res, 0);
        *wperm = pg_json_column(res, 0, 4);
    }
    PQclear(res);
    return rc;
}

static int
pg_write_changes(pg_conn_t *c, const schema_class_t *cls, const char *id,
                 json_t *changes, const char *updated_at, perr_t *err)
{
    json_t *rperm = NULL, *wperm = NULL;
    json_t *acl = json_object_get(changes, "ACL");
    pg_params_t p = {0};
    const char *key;
    json_t *v;
    sbuf_t sql;
    int rc;

    if (acl != NULL && !json_is_null(acl) &&
        storage_acl_split(acl, &rperm, &wperm, err))
        return -1;
    sbuf_init(&sql);
    sbuf_append(&sql, "UPDATE ");
    sbuf_append_ident(&sql, cls->name);
    sbuf_append(&sql, " SET \"updatedAt\" = ");
    pg_bind(&p, &sql, updated_at, NULL);
    if (acl != NULL) {
        sbuf_append(&sql, ", \"_rperm\" = ");
        pg_bind_perm(&p, &sql, rperm);
        sbuf_append(&sql, ", \"_wperm\" = ");
        pg_bind_perm(&p, &sql, wperm);
    }
    json_object_foreach(changes, key, v) {
        const schema_field_t *f = schema_field_find(cls, key);

        if (f == NULL || f->type == PT_RELATION)
            continue;
        sbuf_append(&sql, ", ");
        sbuf_append_ident(&sql, key);
        sbuf_append(&sql, " = ");
        pg_bind_take(&p, &sql, pg_encode(f->type, v), NULL);
    }
    sbuf_append(&sql, " WHERE \"objectId\" = ");
    pg_bind(&p, &sql, id, NULL);
    json_decref(rperm);
    json_decref(wperm);
    rc = pg_run(c, sql.data, &p, "updating an object", err);
    sbuf_cleanup(&sql);
    pg_params_cleanup(&p);
    return rc;
}

static int
pg_update(storage_t *base, const schema_class_t *cls, const char *id,
          const char *const *write_ids, const char *updated_at,
          storage_update_fn fn, void *ctx, json_t **result, perr_t *err)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c = pg_conn(st, err);
    json_t *current = NULL, *wperm = NULL, *changes = NULL;
    const char *kind = pg_write_kind(cls->name, false);
    const char *key;
    json_t *v;

    if (c == NULL || pg_begin(c, err))
        return -1;
    if (pg_read_object(st, c, cls, id, &current, &wperm, err))
        goto fail;
    if (!storage_perm_allows(wperm, write_ids)) {
        perr_set(err, PERR_OBJECT_NOT_FOUND, "Object not found.");
        goto fail;
    }
    if (fn(ctx, current, &changes, err) ||
        pg_write_changes(c, cls, id, changes, updated_at, err) ||
        (kind != NULL && pg_announce(st, c, kind, cls->name, err)))
        goto fail;
    if (pg_commit(c, err))
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
    pg_rollback(c);
fail_committed:
    json_decref(current);
    json_decref(wperm);
    json_decref(changes);
    return -1;
}

/* " AND (column IS NULL OR column && ids)": the row grants one of ids. */
void
pg_perm_clause(pg_params_t *p, sbuf_t *sql, const char *column,
               const char *const *ids)
{
    json_t *list = pg_strings_json(ids);

    sbuf_printf(sql, " AND (\"%s\" IS NULL OR \"%s\" && ", column, column);
    pg_bind_take(p, sql, pg_text_array(list), "::text[])");
    json_decref(list);
}

static int
pg_remove(storage_t *base, const schema_class_t *cls, const char *id,
          const char *const *write_ids, perr_t *err)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c = pg_conn(st, err);
    const char *kind = pg_write_kind(cls->name, true);
    pg_params_t p = {0};
    PGresult *res;
    sbuf_t sql;
    int rc = 0;

    if (c == NULL)
        return -1;
    sbuf_init(&sql);
    sbuf_append(&sql, "DELETE FROM ");
    sbuf_append_ident(&sql, cls->name);
    sbuf_append(&sql, " WHERE \"objectId\" = ");
    pg_bind(&p, &sql, id, NULL);
    if (write_ids != NULL)
        pg_perm_clause(&p, &sql, "_wperm", write_ids);
    res = pg_exec(c, sql.data, &p, "deleting an object", err);
    sbuf_cleanup(&sql);
    pg_params_cleanup(&p);
    if (res == NULL)
        return -1;
    if (strcmp(PQcmdTuples(res), "0") == 0)
        rc = perr_set(err, PERR_OBJECT_NOT_FOUND, "Object not found.");
    PQclear(res);
    if (rc == 0 && kind != NULL)
        rc = pg_announce(st, c, kind, cls->name, err);
    return rc;
}

/* Run a query whose class table may not exist (a class known to the
 * cache but dropped by another process, a relation never written): such
 * a table has no rows, and *out is NULL with 0 returned. Inside a
 * transaction the failure stands, as it has spoiled the transaction. */
static int
pg_query_rows(pg_conn_t *c, const char *sql, pg_params_t *p, const char *what,
              PGresult **out, perr_t *err)
{
    *out = pg_exec(c, sql, p, what, err);
    if (*out != NULL)
        return 0;
    return strcmp(c->last_state, "42P01") == 0 && c->depth == 0 ? 0 : -1;
}

static int
pg_find(storage_t *base, const schema_class_t *cls, const query_t *q,
        json_t **results, perr_t *err)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c = pg_conn(st, err);
    pg_params_t p = {0};
    pg_where_t w = {&p, q->read_ids};
    bool score = q->want_score && q->text != NULL;
    PGresult *res;
    json_t *out;
    sbuf_t sql;
    int rc;

    if (c == NULL)
        return -1;
    sbuf_init(&sql);
    sbuf_append(&sql, "SELECT ");
    pg_select_list(&sql, cls);
    if (score) {
        sbuf_append(&sql, ", ");
        pg_text_expr_of(&w, &sql, cls, q->text, true);
    }
    sbuf_append(&sql, " FROM ");
    sbuf_append_ident(&sql, cls->name);
    sbuf_append(&sql, " WHERE ");
    pg_where_node(&w, &sql, cls, q->where);
    pg_acl_clause(&w, &sql);
    pg_order_clause(&w, &sql, cls, q);
    if (q->limit >= 0) {
        json_t *lim = json_integer(q->limit);

        sbuf_append(&sql, " LIMIT ");
        pg_bind_take(&p, &sql, pg_number_text(lim), "::bigint");
        json_decref(lim);
    }
    if (q->skip > 0) {
        json_t *off = json_integer(q->skip);

        sbuf_append(&sql, " OFFSET ");
        pg_bind_take(&p, &sql, pg_number_text(off), "::bigint");
        json_decref(off);
    }
    rc = pg_query_rows(c, sql.data, &p, "running a query", &res, err);
    sbuf_cleanup(&sql);
    pg_params_cleanup(&p);
    if (rc)
        return -1;
    out = json_array();
    for (int i = 0; res != NULL && i < PQntuples(res); i++) {
        json_t *obj = pg_row_object(st, cls, res, i);

        /* The score is the column after the fields, as $score asked. */
        if (score)
            json_object_set_new(obj, "score", json_real(strtod(
                PQgetvalue(res, i, PQnfields(res) - 1), NULL)));
        json_array_append_new(out, obj);
    }
    PQclear(res);
    *results = out;
    return 0;
}

static int
pg_count(storage_t *base, const schema_class_t *cls, const query_t *q,
         long long *n, perr_t *err)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c = pg_conn(st, err);
    pg_params_t p = {0};
    pg_where_t w = {&p, q->read_ids};
    PGresult *res;
    sbuf_t sql;
    int rc;

    if (c == NULL)
        return -1;
    sbuf_init(&sql);
    sbuf_append(&sql, "SELECT COUNT(*) FROM ");
    sbuf_append_ident(&sql, cls->name);
    sbuf_append(&sql, " WHERE ");
    pg_where_node(&w, &sql, cls, q->where);
    pg_acl_clause(&w, &sql);
    rc = pg_query_rows(c, sql.data, &p, "counting", &res, err);
    sbuf_cleanup(&sql);
    pg_params_cleanup(&p);
    if (rc)
        return -1;
    *n = res ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    return 0;
}

/* ------------------------------------------------------- relations */

static int
pg_relation_change(storage_t *base, const char *owner, const char *field,
                   const char *owning_id, const char *related_id, int add,
                   perr_t *err)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c = pg_conn(st, err);
    pg_params_t p = {0};
    sbuf_t sql, join;
    int rc;

    if (c == NULL)
        return -1;
    sbuf_init(&join);
    pg_join_name(&join, field, owner);
    sbuf_init(&sql);
    sbuf_append(&sql, add ? "INSERT INTO " : "DELETE FROM ");
    sbuf_append_ident(&sql, join.data);
    if (add) {
        sbuf_append(&sql, " (\"relatedId\", \"owningId\") VALUES (");
        pg_bind(&p, &sql, related_id, ", ");
        pg_bind(&p, &sql, owning_id, ") ON CONFLICT DO NOTHING");
    } else {
        sbuf_append(&sql, " WHERE \"relatedId\" = ");
        pg_bind(&p, &sql, related_id, " AND \"owningId\" = ");
        pg_bind(&p, &sql, owning_id, NULL);
    }
    rc = pg_run(c, sql.data, &p, "changing a relation", err);
    sbuf_cleanup(&sql);
    sbuf_cleanup(&join);
    pg_params_cleanup(&p);
    if (rc == 0 && strcmp(owner, "_Role") == 0)
        rc = pg_announce(st, c, "role", owner, err);
    return rc;
}

static int
pg_relation_owners(storage_t *base, const char *owner, const char *field,
                   json_t *related, json_t **out, perr_t *err)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c = pg_conn(st, err);
    pg_params_t p = {0};
    PGresult *res;
    sbuf_t sql, join;
    json_t *ids;
    int rc;

    if (c == NULL)
        return -1;
    if (json_array_size(related) == 0) {
        *out = json_array();
        return 0;
    }
    sbuf_init(&join);
    pg_join_name(&join, field, owner);
    sbuf_init(&sql);
    sbuf_append(&sql, "SELECT DISTINCT \"owningId\" FROM ");
    sbuf_append_ident(&sql, join.data);
    sbuf_append(&sql, " WHERE \"relatedId\" = ANY(");
    pg_bind_take(&p, &sql, pg_text_array(related), "::text[])");
    rc = pg_query_rows(c, sql.data, &p, "reading a relation", &res, err);
    sbuf_cleanup(&sql);
    sbuf_cleanup(&join);
    pg_params_cleanup(&p);
    if (rc)
        return -1;
    ids = json_array();
    for (int i = 0; res != NULL && i < PQntuples(res); i++)
        json_array_append_new(ids, json_string(PQgetvalue(res, i, 0)));
    PQclear(res);
    *out = ids;
    return 0;
}

/* ----------------------------------------------------- class changes */

/* Run fn on the class as stored, inside one transaction holding the
 * schema lock, and save it; the shared shape of the changes below. */
typedef int (*pg_class_fn)(pg_conn_t *c, schema_class_t *cls, void *ctx,
                           perr_t *err);

static int
pg_change_class(pg_storage_t *st, const char *name, pg_class_fn fn, void *ctx,
                schema_class_t **out, perr_t *err)
{
    pg_conn_t *c = pg_conn(st, err);
    schema_class_t *cls = NULL;
    int failed;

    if (c == NULL || pg_begin(c, err))
        return -1;
    if (pg_simple(c, PG_SCHEMA_LOCK, err))
        goto fail;
    cls = pg_read_class(c, name, &failed, err);
    if (!failed && cls == NULL)
        perr_set(err, PERR_INVALID_CLASS_NAME, "Class %s does not exist.", name);
    if (cls == NULL || fn(c, cls, ctx, err) || pg_write_class(st, c, cls, err))
        goto fail;
    if (pg_commit(c, err))
        goto fail_committed;
    if (out != NULL)
        *out = cls;
    else
        schema_class_release(cls);
    return 0;

fail:
    pg_rollback(c);
fail_committed:
    schema_class_release(cls);
    return -1;
}

typedef struct {
    json_t *clp;
    json_t *opts;
    json_t *indexes;
} pg_options_t;

/* Run each statement of a plan from storage.c, then free it. */
static int
pg_run_plan(pg_conn_t *c, json_t *plan, perr_t *err)
{
    json_t *stmt;
    size_t i;
    int rc = 0;

    json_array_foreach(plan, i, stmt) {
        if ((rc = pg_simple(c, json_string_value(stmt), err)) != 0)
            break;
    }
    json_decref(plan);
    return rc;
}

static int
pg_apply_options(pg_conn_t *c, schema_class_t *cls, void *ctx, perr_t *err)
{
    pg_options_t *o = ctx;
    json_t *plan;

    if (storage_options_plan(cls, o->clp, o->opts, o->indexes, &plan, err))
        return -1;
    return pg_run_plan(c, plan, err);
}

static int
pg_set_class_options(storage_t *base, const char *name, json_t *clp,
                     json_t *opts, json_t *indexes, schema_class_t **out,
                     perr_t *err)
{
    pg_options_t o = {clp, opts, indexes};

    return pg_change_class((pg_storage_t *)base, name, pg_apply_options, &o,
                           out, err);
}

static int
pg_drop_field(pg_conn_t *c, schema_class_t *cls, void *ctx, perr_t *err)
{
    json_t *plan;

    if (storage_drop_field_plan(cls, ctx, &plan, err))
        return -1;
    return pg_run_plan(c, plan, err);
}

static int
pg_delete_field(storage_t *base, const char *name, const char *field,
                schema_class_t **out, perr_t *err)
{
    return pg_change_class((pg_storage_t *)base, name, pg_drop_field,
                           (void *)field, out, err);
}

static int
pg_drop_class(storage_t *base, const char *name, perr_t *err)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c = pg_conn(st, err);
    pg_params_t p = {0};
    schema_class_t *cls = NULL;
    sbuf_t sql;
    int failed, rc = 0;

    if (c == NULL || pg_begin(c, err))
        return -1;
    if (pg_simple(c, PG_SCHEMA_LOCK, err))
        goto fail;
    cls = pg_read_class(c, name, &failed, err);
    if (failed)
        goto fail;
    /* Drop the relation tables one by one; each drop shortens the list. */
    while (cls != NULL && rc == 0) {
        size_t i = 0;

        while (i < cls->nfields && cls->fields[i].type != PT_RELATION)
            i++;
        if (i == cls->nfields)
            break;
        rc = pg_drop_field(c, cls, cls->fields[i].name, err);
    }
    if (rc)
        goto fail;
    sbuf_init(&sql);
    sbuf_append(&sql, "DROP TABLE IF EXISTS ");
    sbuf_append_ident(&sql, name);
    if (pg_ddl(c, &sql, err))
        goto fail;
    sbuf_init(&sql);
    sbuf_append(&sql, "DELETE FROM \"_SCHEMA\" WHERE \"className\" = ");
    pg_bind(&p, &sql, name, NULL);
    rc = pg_run(c, sql.data, &p, "dropping a class", err);
    sbuf_cleanup(&sql);
    pg_params_cleanup(&p);
    atomic_fetch_add(&st->schema_gen, 1);
    if (rc || pg_announce(st, c, "drop", name, err))
        goto fail;
    if (pg_commit(c, err))
        goto fail_committed;
    schema_class_release(cls);
    return 0;

fail:
    pg_rollback(c);
fail_committed:
    schema_class_release(cls);
    return -1;
}

static int
pg_purge(storage_t *base, const char *name, perr_t *err)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c = pg_conn(st, err);
    const char *kind = pg_write_kind(name, true);
    PGresult *res;
    sbuf_t sql;

    if (c == NULL)
        return -1;
    sbuf_init(&sql);
    sbuf_append(&sql, "DELETE FROM ");
    sbuf_append_ident(&sql, name);
    if (pg_query_rows(c, sql.data, NULL, "purging a class", &res, err)) {
        sbuf_cleanup(&sql);
        return -1;
    }
    sbuf_cleanup(&sql);
    PQclear(res);
    return kind != NULL ? pg_announce(st, c, kind, name, err) : 0;
}

/* ----------------------------------------------------- transactions */

static int
pg_tx_begin(storage_t *base, perr_t *err)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c = pg_conn(st, err);

    return c == NULL ? -1 : pg_begin(c, err);
}

static int
pg_tx_commit(storage_t *base, perr_t *err)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c = pthread_getspecific(st->conn_key);

    if (c == NULL || c->depth == 0)
        return perr_set(err, PERR_INTERNAL, NULL);
    return pg_commit(c, err);
}

static void
pg_tx_rollback(storage_t *base)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c = pthread_getspecific(st->conn_key);

    if (c != NULL)
        pg_rollback(c);
    /* The batch may have changed tables that the rollback changed back. */
    atomic_fetch_add(&st->schema_gen, 1);
}

/* ----------------------------------------------- other processes */

/* Act on one announcement: "instance|kind|class". */
static void
pg_heard(pg_storage_t *st, const char *payload)
{
    const char *bar = strchr(payload, '|');
    const char *kind, *cls;
    size_t n;

    if (bar == NULL)
        return;
    n = (size_t)(bar - payload);
    if (n == strlen(st->instance) && strncmp(payload, st->instance, n) == 0)
        return;                 /* our own */
    kind = bar + 1;
    cls = strchr(kind, '|');
    cls = cls ? cls + 1 : "";
    if (strncmp(kind, "schema|", 7) == 0 || strncmp(kind, "drop|", 5) == 0)
        atomic_fetch_add(&st->schema_gen, 1);
    if (strncmp(kind, "schema|", 7) == 0)
        st->on_change(&st->base, STORAGE_CHANGED_SCHEMA, cls);
    else if (strncmp(kind, "drop|", 5) == 0)
        st->on_change(&st->base, STORAGE_CHANGED_CLASS_DROPPED, cls);
    else if (strncmp(kind, "session|", 8) == 0)
        st->on_change(&st->base, STORAGE_CHANGED_SESSIONS, cls);
    else if (strncmp(kind, "role|", 5) == 0)
        st->on_change(&st->base, STORAGE_CHANGED_ROLES, cls);
}

/*
 * The listener: its own connection, LISTENing on the channel. When the
 * connection breaks it reconnects, and since announcements made in the
 * meantime are lost, it then reports that everything may have changed.
 */
static void *
pg_listen_main(void *arg)
{
    pg_storage_t *st = arg;
    PGconn *conn = NULL;
    bool was_connected = true;

    while (!atomic_load(&st->stopping)) {
        struct pollfd pfd;
        PGnotify *note;

        if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
            PGresult *res;

            PQfinish(conn);
            conn = pg_connect(st->uri);
            if (conn == NULL) {
                was_connected = false;
                for (int i = 0; i < 10 && !atomic_load(&st->stopping); i++)
                    usleep(100 * 1000);
                continue;
            }
            res = PQexec(conn, "LISTEN " PG_CHANNEL);
            PQclear(res);
            if (!was_connected) {
                atomic_fetch_add(&st->schema_gen, 1);
                st->on_change(&st->base, STORAGE_CHANGED_ALL, "");
            }
            was_connected = true;
        }
        pfd.fd = PQsocket(conn);
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, 250) < 0 || !(pfd.revents & (POLLIN | POLLERR | POLLHUP)))
            continue;
        if (!PQconsumeInput(conn)) {
            log_warn("postgres: the change listener lost its connection; "
                     "reconnecting");
            was_connected = false;
            continue;
        }
        while ((note = PQnotifies(conn)) != NULL) {
            pg_heard(st, note->extra);
            PQfreemem(note);
        }
    }
    PQfinish(conn);
    return NULL;
}

static int
pg_watch(storage_t *base, storage_change_fn fn)
{
    pg_storage_t *st = (pg_storage_t *)base;

    if (st->listening)
        return 0;
    st->on_change = fn;
    if (pthread_create(&st->listener, NULL, pg_listen_main, st) != 0) {
        log_error("postgres: cannot start the change listener");
        return -1;
    }
    st->listening = 1;
    return 0;
}

/* ---------------------------------------------------------- the engine */

static void
pg_close(storage_t *base)
{
    pg_storage_t *st = (pg_storage_t *)base;
    pg_conn_t *c = pthread_getspecific(st->conn_key);

    if (st->listening) {
        atomic_store(&st->stopping, true);
        pthread_join(st->listener, NULL);
    }
    /* Worker threads close their own connections as they exit. */
    if (c != NULL) {
        pg_conn_destroy(c);
        pthread_setspecific(st->conn_key, NULL);
    }
    pthread_key_delete(st->conn_key);
    free(st->uri);
    free(st->base.files_url);
    free(st);
}

static const storage_ops_t pg_ops = {
    .describe = pg_describe,
    .close = pg_close,
    .load_schemas = pg_load_schemas,
    .ensure_fields = pg_ensure_fields,
    .insert = pg_insert,
    .update = pg_update,
    .remove = pg_remove,
    .find = pg_find,
    .count = pg_count,
    .relation_change = pg_relation_change,
    .relation_owners = pg_relation_owners,
    .set_class_options = pg_set_class_options,
    .delete_field = pg_delete_field,
    .drop_class = pg_drop_class,
    .purge = pg_purge,
    .begin = pg_tx_begin,
    .commit = pg_tx_commit,
    .rollback = pg_tx_rollback,
    .watch = pg_watch,
    .load_class = pg_load_class,
};

storage_t *
storage_postgres_open(const char *uri, const char *files_url)
{
    pg_storage_t *st = calloc(1, sizeof(*st));
    perr_t err;
    pg_conn_t *c;

    {
        /* libpq's complaints about a malformed URI quote the URI, password
         * and all: only their words are logged. */
        char *msg = NULL;
        PQconninfoOption *opts = PQconninfoParse(uri, &msg);

        if (opts == NULL) {
            sbuf_t clean;
            bool quoted = false;

            sbuf_init(&clean);
            for (const char *p = msg ? msg : "out of memory"; *p; p++) {
                if (*p == '"') {
                    quoted = !quoted;
                    sbuf_append(&clean, quoted ? "(...)" : "");
                } else if (!quoted && *p != '\n') {
                    sbuf_append_len(&clean, p, 1);
                }
            }
            log_error("postgres: the database URI is not valid: %s",
                      clean.data ? clean.data : "");
            sbuf_cleanup(&clean);
            PQfreemem(msg);
            free(st);
            return NULL;
        }
        PQconninfoFree(opts);
    }
    st->base.ops = &pg_ops;
    st->base.files_url = strdup(files_url);
    st->uri = strdup(uri);
    atomic_init(&st->stopping, false);
    atomic_init(&st->schema_gen, 0);
    if (util_random_id(st->instance, 16) != 0)
        snprintf(st->instance, sizeof(st->instance), "%ld", (long)getpid());
    pthread_key_create(&st->conn_key, pg_conn_destroy);
    c = pg_conn(st, &err);
    if (c == NULL ||
        pg_simple(c, "CREATE TABLE IF NOT EXISTS \"_SCHEMA\" ("
                     "\"className\" varchar(120), \"schema\" jsonb, "
                     "\"isParseClass\" bool, PRIMARY KEY (\"className\"))",
                  &err)) {
        pg_close(&st->base);
        return NULL;
    }
    return &st->base;
}
