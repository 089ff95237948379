/* SPDX-License-Identifier: MIT */
/*
 * query.h - a Parse query as a validated tree.
 *
 * The where-JSON a client sends is parsed here once, against the class's
 * schema, into nodes whose field names are checked and whose values are
 * normalised (a Date becomes its ISO string, a Pointer its objectId), so a
 * storage engine compiles it to SQL without seeing raw client JSON.
 */
#ifndef PARSEC_QUERY_H
#define PARSEC_QUERY_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "schema.h"

typedef enum {
    QN_AND,         /* all kids */
    QN_OR,          /* any kid */
    QN_NOR,         /* no kid */
    QN_CMP,         /* one comparison on one field */
    QN_TRUE,        /* matches every object */
    QN_FALSE,       /* matches none */
} qnode_kind_t;

typedef enum {
    QOP_EQ,
    QOP_NE,
    QOP_LT,
    QOP_LTE,
    QOP_GT,
    QOP_GTE,
    QOP_IN,         /* value is an array of scalars */
    QOP_NIN,
    QOP_EXISTS,     /* value is true or false */
    QOP_ALL,        /* array field holds every element of value */
    QOP_CONTAINED_BY, /* every element of the array field is in value */
    QOP_REGEX,      /* value is the pattern, options the $options */
    QOP_NEAR,       /* value [lat, lng, max radians or -1] */
    QOP_WITHIN_BOX, /* value [south lat, west lng, north lat, east lng] */
    QOP_WITHIN_POLYGON, /* value [[lat, lng], ...] */
    QOP_WITHIN_CENTER,  /* value [lat, lng, radius in radians] */
    QOP_INTERSECTS, /* Polygon field contains the point value [lat, lng] */
    QOP_TEXT,       /* value is the search term */
    QOP_IN_QUERY,   /* pointer's objectId is among sub-query's objectIds */
    QOP_NOT_IN_QUERY,
    QOP_SELECT,     /* value is among the sub-query's sub_key values */
    QOP_DONT_SELECT,
    QOP_RELATED_TO, /* objectId is in relation sub_key of the sub_cls
                       object whose objectId is value */
} qop_t;

typedef struct qnode {
    qnode_kind_t kind;
    qop_t op;                   /* QN_CMP */
    char *field;                /* QN_CMP: a validated field name */
    ptype_t ftype;              /* QN_CMP: the field's type */
    json_t *value;              /* QN_CMP: normalised operand, owned */
    char *options;              /* QOP_REGEX: $options; QOP_TEXT: the
                                   $language; else NULL */
    schema_class_t *sub_cls;    /* sub-query class (a reference), or NULL
                                   when that class does not exist */
    struct qnode *sub_where;    /* sub-query constraints */
    char *sub_key;              /* QOP_SELECT: the sub-query's field;
                                   QOP_RELATED_TO: the relation field */
    struct qnode **kids;        /* QN_AND / QN_OR / QN_NOR */
    size_t nkids;
} qnode_t;

typedef struct {
    char *field;
    bool desc;
} qorder_t;

typedef struct {
    qnode_t *where;             /* never NULL after query_parse */
    qorder_t *order;
    size_t norder;
    long long limit;            /* -1: no limit */
    long long skip;
    bool count;                 /* also count all matches */
    char **keys;                /* NULL: every field */
    size_t nkeys;
    char **include;             /* pointer paths to expand, "a.b" form */
    size_t ninclude;
    const char *const *read_ids;/* ACL entries that grant the caller read;
                                   NULL for the master key */
    const qnode_t *near;        /* a top-level $nearSphere, which orders
                                   results when no order is given */
    const qnode_t *text;        /* a top-level $text, for $score */
    bool want_score;            /* keys asked for $score */
} query_t;

/*
 * Build a query from its parameters: where (an object or NULL), order,
 * keys and include as comma lists (or NULL), limit (-1 for the default).
 * Returns 0 and fills q, or -1 with err set (102 for a malformed where,
 * 117/118 are the caller's to check). Release with query_cleanup.
 */
int query_parse(query_t *q, const schema_class_t *cls, json_t *where,
                const char *order, const char *keys, const char *include,
                perr_t *err);

/* Add the constraints of where (a where object) to q: the query then
 * matches only objects that also match them. */
int query_and_where(query_t *q, const schema_class_t *cls, json_t *where,
                    perr_t *err);

/* query_parse for parsec's own lookups: equality on internal fields
 * (those starting with '_') is allowed, as clients never may. */
int query_parse_internal(query_t *q, const schema_class_t *cls, json_t *where,
                         perr_t *err);

/* Parse only a where object into a node tree. */
int query_parse_where(const schema_class_t *cls, json_t *where,
                      qnode_t **out, perr_t *err);

void qnode_free(qnode_t *n);
void query_cleanup(query_t *q);

/* Split a comma list into trimmed, non-empty names; count in *n. */
char **query_split_list(const char *s, size_t *n);
void query_free_list(char **list, size_t n);

#endif
