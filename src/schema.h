/* SPDX-License-Identifier: MIT */
/*
 * schema.h - classes and their typed fields, as parse-server's _SCHEMA
 * describes them, and the shared in-memory cache of them.
 *
 * A schema_class_t is immutable once published in the cache: a change
 * builds a new copy and swaps it in, so readers hold a reference without
 * locks while they work. The cache never talks to storage; callers load
 * and save schemas through the storage interface and publish the result.
 */
#ifndef PARSEC_SCHEMA_H
#define PARSEC_SCHEMA_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "ptype.h"

typedef struct {
    char *name;
    ptype_t type;
    char *target;           /* class of a Pointer or Relation, else NULL */
    json_t *opts;           /* {"required": bool, "defaultValue": v} set
                               through the schemas API, or NULL; owned by
                               the class */
} schema_field_t;

typedef struct {
    atomic_int refs;
    char *name;
    schema_field_t *fields; /* user fields: not objectId/createdAt/... */
    size_t nfields;
    json_t *clp;            /* classLevelPermissions, owned */
    json_t *extra;          /* other keys of the stored JSON, kept as is */
} schema_class_t;

/* A new empty class with parse-server's default permissions; refs = 1. */
schema_class_t *schema_class_create(const char *name);
/* A deep copy with refs = 1, for building a changed version. */
schema_class_t *schema_class_copy(const schema_class_t *cls);
/* Take and drop references; the last release frees. NULL is ignored. */
schema_class_t *schema_class_ref(schema_class_t *cls);
void schema_class_release(schema_class_t *cls);

/* Build from / serialise to parse-server's _SCHEMA JSON. from_json
 * returns NULL on a malformed document. */
schema_class_t *schema_class_from_json(json_t *doc);
json_t *schema_class_to_json(const schema_class_t *cls);

/* The user field called name, or NULL. */
const schema_field_t *schema_field_find(const schema_class_t *cls,
                                        const char *name);
/* Add a field to a class being built (not one in the cache). */
void schema_field_add(schema_class_t *cls, const char *name, ptype_t type,
                      const char *target);

/* Set the options (required, defaultValue) of a field of a class being
 * built; takes a new reference to opts (NULL clears). */
void schema_field_set_opts(schema_class_t *cls, const char *name, json_t *opts);
/* Drop a field from a class being built. */
void schema_field_remove(schema_class_t *cls, const char *name);

/* The type of any field, including objectId, createdAt, updatedAt, ACL;
 * PT_NONE when the class has no such field. */
ptype_t schema_field_type(const schema_class_t *cls, const char *name);

/* objectId, createdAt, updatedAt, ACL. */
bool schema_is_default_field(const char *name);

/* Class names: 103 unless valid (letters, digits, _; a letter first) or
 * one of the system classes parsec serves. */
int schema_check_class_name(const char *name, perr_t *err);
/* Field names: 105 unless valid and not reserved. */
int schema_check_field_name(const char *name, perr_t *err);

/* _User, _Role or _Session: the system classes parsec serves. */
bool schema_is_system_class(const char *name);
/* The default fields of a system class into out (borrowed strings);
 * returns how many. */
size_t schema_system_fields_of(const char *name, schema_field_t *out,
                               size_t max);

/* The process-wide cache of published classes. */
void schema_cache_init(void);
void schema_cache_cleanup(void);
/* A reference to the published class, or NULL when unknown. When the
 * cache has no such class and a loader is set, the loader is asked (the
 * class may have been made by another process on the same database). */
schema_class_t *schema_cache_get(const char *name);

/* The loader returns a new reference to the stored class, or NULL (and
 * sets *failed when the database could not be asked). */
typedef schema_class_t *(*schema_loader_fn)(void *ctx, const char *name,
                                            bool *failed);
void schema_cache_set_loader(schema_loader_fn fn, void *ctx);
/* True when this thread's last schema_cache_get found nothing because the
 * loader could not reach the database; reading it clears it. */
bool schema_cache_lookup_failed(void);
/* Publish cls (the cache takes its own reference), replacing any other. */
void schema_cache_put(schema_class_t *cls);
/* Forget a class. */
void schema_cache_remove(const char *name);

#endif
