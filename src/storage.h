/* SPDX-License-Identifier: MIT */
/*
 * storage.h - the interface every database engine implements.
 *
 * Objects cross this interface in Parse's JSON form: {"objectId": ...,
 * "createdAt": ..., "ACL": {...}, "score": 3, "when": {"__type":"Date",
 * ...}}. Queries cross it as a validated query_t. Each engine owns the
 * translation to its tables (one per class, a typed column per field,
 * _rperm/_wperm for the ACL, as parse-server's Postgres adapter lays
 * them out) and builds SQL with bound parameters only. Engines are safe to
 * call from any worker thread at once.
 */
#ifndef PARSEC_STORAGE_H
#define PARSEC_STORAGE_H

#include <jansson.h>

#include "error.h"
#include "query.h"
#include "schema.h"

typedef struct storage storage_t;

/* What another process sharing the database changed (see watch). */
typedef enum {
    STORAGE_CHANGED_SCHEMA,         /* a class's schema; cls names it */
    STORAGE_CHANGED_CLASS_DROPPED,  /* cls no longer exists */
    STORAGE_CHANGED_SESSIONS,       /* sessions or users were removed */
    STORAGE_CHANGED_ROLES,          /* roles or their members changed */
    STORAGE_CHANGED_ALL,            /* unknown: changes may have been missed */
} storage_change_t;

typedef void (*storage_change_fn)(storage_t *st, storage_change_t what,
                                  const char *cls);

/*
 * Called by update() inside the engine's transaction with the object as
 * stored. Fills *changes with a new object mapping each changed field to
 * its new value (JSON null removes the field). Returns 0 or -1 with err
 * set, which aborts the update.
 */
typedef int (*storage_update_fn)(void *ctx, json_t *current, json_t **changes,
                                 perr_t *err);

typedef struct {
    /* A short engine name and version for the start-up line. */
    const char *(*describe)(storage_t *st);
    void (*close)(storage_t *st);

    /* Every stored _SCHEMA document, as a new JSON array. */
    int (*load_schemas)(storage_t *st, json_t **docs, perr_t *err);

    /*
     * Make class name hold the fields want[0..n-1], creating the class
     * and columns as needed, atomically against other writers. A field
     * that exists with another type is 111. On success *out is a new
     * reference to the class as now stored (the caller publishes it).
     */
    int (*ensure_fields)(storage_t *st, const char *name,
                         const schema_field_t *want, size_t n,
                         schema_class_t **out, perr_t *err);

    /* Store a new object. A taken objectId is 137. */
    int (*insert)(storage_t *st, const schema_class_t *cls, json_t *obj,
                  perr_t *err);

    /*
     * Read object id, let fn compute the changes, write them with the new
     * updatedAt, all in one transaction. write_ids lists the ACL entries
     * that grant the caller write (NULL: master). A missing or unwritable
     * object is 101. *result receives the object after the change.
     */
    int (*update)(storage_t *st, const schema_class_t *cls, const char *id,
                  const char *const *write_ids, const char *updated_at,
                  storage_update_fn fn, void *ctx, json_t **result,
                  perr_t *err);

    /* Delete object id if write_ids allows it; otherwise 101. */
    int (*remove)(storage_t *st, const schema_class_t *cls, const char *id,
                  const char *const *write_ids, perr_t *err);

    /* The matching objects, as a new JSON array. */
    int (*find)(storage_t *st, const schema_class_t *cls, const query_t *q,
                json_t **results, perr_t *err);

    /* How many objects match (limit and skip ignored). */
    int (*count)(storage_t *st, const schema_class_t *cls, const query_t *q,
                 long long *n, perr_t *err);

    /* Add or remove owning_id -> related_id in the relation field of
     * class owner (the _Join:field:owner table). */
    int (*relation_change)(storage_t *st, const char *owner,
                           const char *field, const char *owning_id,
                           const char *related_id, int add, perr_t *err);

    /* Replace the class-level permissions (clp, unless NULL) and the
     * options of fields (opts maps field -> {required, defaultValue} or
     * null, unless NULL) of an existing class, and add or drop its
     * indexes (indexes as the schemas API sends them, unless NULL; see
     * storage_index_plan); *out as ensure_fields. */
    int (*set_class_options)(storage_t *st, const char *name, json_t *clp,
                             json_t *opts, json_t *indexes,
                             schema_class_t **out, perr_t *err);

    /* Remove a field and its data (255 when the class lacks it). */
    int (*delete_field)(storage_t *st, const char *name, const char *field,
                        schema_class_t **out, perr_t *err);

    /* Remove a class: its table, relation tables and schema entry. */
    int (*drop_class)(storage_t *st, const char *name, perr_t *err);

    /* Delete every object of a class, keeping the class. */
    int (*purge)(storage_t *st, const char *name, perr_t *err);

    /* The owning ids of relation field of class owner whose related id is
     * one of related (a JSON array of strings); a new JSON array. */
    int (*relation_owners)(storage_t *st, const char *owner,
                           const char *field, json_t *related, json_t **out,
                           perr_t *err);

    /*
     * A transaction spanning every call the calling thread makes until
     * commit or rollback, for batches sent with "transaction": true.
     */
    int (*begin)(storage_t *st, perr_t *err);
    int (*commit)(storage_t *st, perr_t *err);
    void (*rollback)(storage_t *st);

    /*
     * Optional, for engines several processes may share: call fn, from a
     * thread of the engine's, whenever another process changes what
     * callers cache; and read one _SCHEMA document (*doc NULL when the
     * class does not exist), for classes another process made.
     */
    int (*watch)(storage_t *st, storage_change_fn fn);
    int (*load_class)(storage_t *st, const char *name, json_t **doc,
                      perr_t *err);
} storage_ops_t;

struct storage {
    const storage_ops_t *ops;
    char *files_url;        /* prefix for File urls: serverURL/files/appId/ */
};

/*
 * Open the engine the URI names: "postgres://" or "postgresql://" for
 * PostgreSQL; a path, "sqlite:" or "sqlite://" URI for SQLite.
 * files_url is copied. Returns NULL and logs the reason on failure.
 */
storage_t *storage_open(const char *uri, const char *files_url);

/*
 * Every object of class cls_name matching where (a where-JSON object or
 * NULL), ignoring ACLs: for parsec's own lookups (sessions, users, roles),
 * never for a client's query. A class that does not exist has none.
 */
int storage_find_where(storage_t *st, const char *cls_name, json_t *where,
                       json_t **rows, perr_t *err);

/* ---- helpers shared by the engines ---- */

/*
 * Split a Parse ACL object into the read and write permission lists the
 * tables store (new JSON arrays). An ACL must be an object of objects
 * whose "read"/"write" members are booleans, else 123.
 */
int storage_acl_split(json_t *acl, json_t **rperm, json_t **wperm,
                      perr_t *err);

/* Rebuild the ACL object from permission arrays (either may be NULL).
 * Returns NULL when both are NULL. */
json_t *storage_acl_join(json_t *rperm, json_t *wperm);

/*
 * Apply a schemas API "indexes" object ({"name": {"field": 1, ...}} to
 * add, {"name": {"__op": "Delete"}} to drop) to cls->extra's "indexes",
 * with parse-server's checks (102 for an index that exists or does not,
 * or a field the class lacks). *sql receives a new array of the CREATE
 * and DROP INDEX statements to run, which both engines accept.
 */
int storage_index_plan(schema_class_t *cls, json_t *indexes, json_t **sql,
                       perr_t *err);

/*
 * Check a wanted field against a class being changed: 111 for a field
 * that exists with another type or target, or a second GeoPoint. *missing
 * tells whether the engine must add it.
 */
int storage_check_field(const schema_class_t *cls, const schema_field_t *want,
                        bool *missing, perr_t *err);

/*
 * Apply set_class_options' clp, opts and indexes (each may be NULL) to a
 * class being changed; *sql receives a new array of the statements the
 * engine must run (index changes).
 */
int storage_options_plan(schema_class_t *cls, json_t *clp, json_t *opts,
                         json_t *indexes, json_t **sql, perr_t *err);

/*
 * Remove field from a class being changed (255 when it has none); *sql
 * receives a new array of the statements that drop its indexes and its
 * column or relation table.
 */
int storage_drop_field_plan(schema_class_t *cls, const char *field,
                            json_t **sql, perr_t *err);

/* Forget the indexes of cls that use field, which is being removed; a
 * new array of the DROP INDEX statements to run first. */
json_t *storage_index_drop_field(schema_class_t *cls, const char *field);

/* A new File value for a stored file name, with its URL. */
json_t *storage_file_value(storage_t *st, const char *name);

/* True when ids (NULL-terminated) shares an entry with perm, a JSON
 * array; a NULL perm means public. */
int storage_perm_allows(json_t *perm, const char *const *ids);

#endif
