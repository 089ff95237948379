/* SPDX-License-Identifier: MIT */
/*
 * storage_postgres.h - what the PostgreSQL engine's two files share:
 * statement parameters and value encodings (storage_postgres.c), and the
 * compiler of query trees to SQL (storage_postgres_sql.c). Not a public
 * interface: the rest of parsec reaches the engine through storage.h.
 */
#ifndef PARSEC_STORAGE_POSTGRES_H
#define PARSEC_STORAGE_POSTGRES_H

#include <jansson.h>

#include "query.h"
#include "schema.h"
#include "util.h"

/* Values bound in order while a statement's text is built. */
typedef struct {
    char **v;
    int n, cap;
} pg_params_t;

/* Bind text (NULL binds SQL NULL; the text is copied) and append "$n" and
 * cast (may be NULL) to sql. */
void pg_bind(pg_params_t *p, sbuf_t *sql, const char *text, const char *cast);
/* The same with text already malloc'd; the params take it. */
void pg_bind_take(pg_params_t *p, sbuf_t *sql, char *text, const char *cast);
/* Bind any JSON value as jsonb. */
void pg_bind_jsonb(pg_params_t *p, sbuf_t *sql, json_t *v);
/* A text[] literal of the strings of a JSON array (others skipped). */
char *pg_text_array(json_t *list);
/* " AND (column IS NULL OR column && ids)": the row grants one of ids. */
void pg_perm_clause(pg_params_t *p, sbuf_t *sql, const char *column,
                    const char *const *ids);

/* The column type of a Parse type; a value as column text (NULL when null
 * or not of the type); numbers and polygons as text. */
const char *pg_column_type(ptype_t t);
char *pg_encode(ptype_t t, json_t *v);
char *pg_number_text(json_t *v);
char *pg_polygon_text(json_t *coords);
/* "_Join:field:cls" appended to out. */
void pg_join_name(sbuf_t *out, const char *field, const char *cls);

/* A WHERE being built: its parameters and the caller's ACL ids (NULL for
 * the master key), which sub-queries need too. */
typedef struct {
    pg_params_t *p;
    const char *const *read_ids;
} pg_where_t;

/* The condition of node n on class cls. */
void pg_where_node(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
                   const qnode_t *n);
/* " AND (the caller may read the row)". */
void pg_acl_clause(pg_where_t *w, sbuf_t *sql);
/* " ORDER BY ..." for q, if it orders. */
void pg_order_clause(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
                     const query_t *q);
/* A $text node's match condition, or its ts_rank when rank. */
void pg_text_expr_of(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
                     const qnode_t *n, bool rank);

#endif
