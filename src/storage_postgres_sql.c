/* SPDX-License-Identifier: MIT */
/*
 * storage_postgres_sql.c - query trees (query.h) as PostgreSQL SQL, for
 * the PostgreSQL engine (storage_postgres.c).
 *
 * Fields become typed columns, or jsonb paths into Object columns; array
 * membership goes through jsonb_array_elements, $in/$nin bind one array
 * parameter, regexes are translated to PostgreSQL's flavour (or LIKE for a
 * literal prefix), $text uses to_tsvector/to_tsquery and geo queries a
 * haversine expression and the point and polygon operators. Every value
 * is a bound parameter; names come from the validated tree, quoted.
 */
#include "storage_postgres.h"

#include <stdlib.h>
#include <string.h>

/* An array element as queries compare it: a Pointer by its objectId, a
 * Date by its ISO string, anything else as stored (jsonb). */
#define PG_ELEM "(CASE WHEN jsonb_typeof(e) = 'object' THEN COALESCE(" \
                "e->'objectId', e->'iso', e) ELSE e END)"

typedef enum {
    PF_NONE,        /* the class has no such field: it is always missing */
    PF_COLUMN,      /* a typed column */
    PF_JSON,        /* a path into an Object column, as jsonb */
} pg_field_kind_t;

static pg_field_kind_t
pg_field_kind(const schema_class_t *cls, const char *field, ptype_t *type)
{
    const char *dot = strchr(field, '.');
    char base[256];

    *type = PT_NONE;
    if (dot == NULL) {
        *type = schema_field_type(cls, field);
        if (*type == PT_NONE || *type == PT_RELATION ||
            strcmp(field, "ACL") == 0)
            return PF_NONE;
        return PF_COLUMN;
    }
    snprintf(base, sizeof(base), "%.*s", (int)(dot - field), field);
    return schema_field_type(cls, base) == PT_OBJECT ? PF_JSON : PF_NONE;
}

/* The expression of a field: its column, or for "obj.a.b" the jsonb at
 * that path (JSON null read as SQL NULL, as a missing key). */
static void
pg_field_expr(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
              const char *field)
{
    ptype_t t;
    pg_field_kind_t k = pg_field_kind(cls, field, &t);
    const char *dot = strchr(field, '.');

    if (k == PF_NONE) {
        sbuf_append(sql, "NULL");
        return;
    }
    if (k == PF_COLUMN) {
        sbuf_append_ident(sql, field);
        return;
    }
    {
        json_t *parts = json_array();
        char *copy = strdup(dot + 1), *save = NULL;

        for (char *s = strtok_r(copy, ".", &save); s;
             s = strtok_r(NULL, ".", &save))
            json_array_append_new(parts, json_string(s));
        free(copy);
        sbuf_append(sql, "NULLIF(");
        sbuf_append_len(sql, "\"", 1);
        sbuf_append_len(sql, field, (size_t)(dot - field));
        sbuf_append_len(sql, "\"", 1);
        sbuf_append(sql, " #> ");
        pg_bind_take(w->p, sql, pg_text_array(parts), "::text[]");
        sbuf_append(sql, ", 'null'::jsonb)");
        json_decref(parts);
    }
}

/* The field as text, for comparing across classes in sub-queries. */
static void
pg_text_expr(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
             const char *field)
{
    ptype_t t;
    pg_field_kind_t k = pg_field_kind(cls, field, &t);

    if (k == PF_NONE) {
        sbuf_append(sql, "NULL::text");
        return;
    }
    sbuf_append(sql, "(");
    pg_field_expr(w, sql, cls, field);
    sbuf_append(sql, k == PF_JSON ? " #>> '{}')" : ")::text");
}


static bool
pg_list_has_null(json_t *list)
{
    json_t *v;
    size_t i;

    json_array_foreach(list, i, v) {
        if (json_is_null(v))
            return true;
    }
    return false;
}

/*
 * Bind the non-null elements of list as one array parameter of values of
 * a column of type t (or of jsonb), appending "$n::type[]" to sql for
 * "= ANY(...)" or "<> ALL(...)"; one parameter however long the list.
 * Elements that cannot be such a value are left out. Returns how many
 * were bound.
 */
static size_t
pg_bind_list(pg_where_t *w, sbuf_t *sql, ptype_t t, json_t *list, bool jsonb)
{
    json_t *texts = json_array(), *v;
    size_t i, n;
    sbuf_t cast;

    json_array_foreach(list, i, v) {
        char *text;

        if (json_is_null(v))
            continue;
        text = jsonb ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)
                     : pg_encode(t, v);
        if (text != NULL)
            json_array_append_new(texts, json_string(text));
        free(text);
    }
    n = json_array_size(texts);
    if (n > 0) {
        sbuf_init(&cast);
        sbuf_printf(&cast, "::%s[]", jsonb ? "jsonb" : pg_column_type(t));
        pg_bind_take(w->p, sql, pg_text_array(texts), cast.data);
        sbuf_cleanup(&cast);
    }
    json_decref(texts);
    return n;
}

/* "EXISTS (SELECT 1 FROM jsonb_array_elements(field) e WHERE " */
static void
pg_elements(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
            const qnode_t *n, bool exists)
{
    sbuf_append(sql, exists ? "EXISTS" : "NOT EXISTS");
    sbuf_append(sql, " (SELECT 1 FROM jsonb_array_elements(");
    pg_field_expr(w, sql, cls, n->field);
    sbuf_append(sql, ") e WHERE ");
}

/* A regular expression bound as PostgreSQL's ARE flavour. */
static void pg_bind_regex(pg_where_t *w, sbuf_t *sql, const char *pattern,
                          const char *options);

/* A comparison on an Array field: element membership. */
static void
pg_where_array(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
               const qnode_t *n)
{
    static const char *const ops[] = {
        [QOP_LT] = " < ", [QOP_LTE] = " <= ", [QOP_GT] = " > ",
        [QOP_GTE] = " >= "};
    json_t *v = n->value;
    json_t *el;
    size_t i;

    switch (n->op) {
    case QOP_EQ:
    case QOP_NE:
        pg_field_expr(w, sql, cls, n->field);
        if (json_is_null(v)) {
            sbuf_append(sql, n->op == QOP_EQ ? " IS NULL" : " IS NOT NULL");
            return;
        }
        if (json_is_array(v)) {
            /* Whole-array equality compares the stored array. */
            sbuf_append(sql, n->op == QOP_EQ ? " = " : " IS DISTINCT FROM ");
            pg_bind_jsonb(w->p, sql, v);
            return;
        }
        sbuf_append(sql, " IS NOT NULL AND ");
        pg_elements(w, sql, cls, n, n->op == QOP_EQ);
        sbuf_append(sql, PG_ELEM " = ");
        pg_bind_jsonb(w->p, sql, v);
        sbuf_append(sql, ")");
        if (n->op == QOP_NE) {
            /* A missing array is "not equal" too. */
            sbuf_append(sql, " OR ");
            pg_field_expr(w, sql, cls, n->field);
            sbuf_append(sql, " IS NULL");
        }
        return;
    case QOP_IN:
    case QOP_NIN: {
        sbuf_t list;
        size_t k;

        sbuf_init(&list);
        k = pg_bind_list(w, &list, PT_NONE, v, true);
        if (k == 0) {
            sbuf_append(sql, n->op == QOP_IN ? "FALSE" : "TRUE");
        } else {
            pg_elements(w, sql, cls, n, n->op == QOP_IN);
            sbuf_append(sql, PG_ELEM " = ANY(");
            sbuf_append(sql, list.data);
            sbuf_append(sql, "))");
        }
        sbuf_cleanup(&list);
        return;
    }
    case QOP_ALL:
        /* Every element must be present; an empty list matches nothing,
         * as in parse-server. An element may be {"$regex": ...}, which is
         * what the SDK's containsAllStartingWith sends. */
        sbuf_append(sql, json_array_size(v) ? "(TRUE" : "(FALSE");
        json_array_foreach(v, i, el) {
            json_t *re = json_object_get(el, "$regex");

            sbuf_append(sql, " AND ");
            pg_elements(w, sql, cls, n, true);
            if (json_is_string(re)) {
                json_t *opts = json_object_get(el, "$options");

                sbuf_append(sql, "jsonb_typeof(e) = 'string' AND "
                                 "(e #>> '{}') ~ ");
                pg_bind_regex(w, sql, json_string_value(re),
                              json_is_string(opts) ? json_string_value(opts)
                                                   : "");
            } else {
                sbuf_append(sql, PG_ELEM " = ");
                pg_bind_jsonb(w->p, sql, el);
            }
            sbuf_append(sql, ")");
        }
        sbuf_append(sql, ")");
        return;
    case QOP_CONTAINED_BY: {
        sbuf_t list;

        sbuf_init(&list);
        pg_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, " IS NOT NULL AND ");
        if (pg_bind_list(w, &list, PT_NONE, v, true) == 0) {
            sbuf_append(sql, "jsonb_array_length(");
            pg_field_expr(w, sql, cls, n->field);
            sbuf_append(sql, ") = 0");
        } else {
            pg_elements(w, sql, cls, n, false);
            sbuf_append(sql, PG_ELEM " <> ALL(");
            sbuf_append(sql, list.data);
            sbuf_append(sql, "))");
        }
        sbuf_cleanup(&list);
        return;
    }
    case QOP_LT:
    case QOP_LTE:
    case QOP_GT:
    case QOP_GTE:
        /* Ordering against an array: any element of the same kind in
         * range. */
        pg_elements(w, sql, cls, n, true);
        sbuf_append(sql, "jsonb_typeof(" PG_ELEM ") = jsonb_typeof(");
        pg_bind_jsonb(w->p, sql, v);
        sbuf_append(sql, ") AND " PG_ELEM);
        sbuf_append(sql, ops[n->op]);
        pg_bind_jsonb(w->p, sql, v);
        sbuf_append(sql, ")");
        return;
    default:
        sbuf_append(sql, "FALSE");
    }
}

/*
 * Bind a Perl-style pattern (what the SDKs send, with Mongo's options) as
 * an ARE for PostgreSQL's ~ operator. The options become an embedded
 * option prefix: without m and s, "." and "^"/"$" keep to one line's
 * sense as in Perl ("p"); m makes "^"/"$" match at line breaks ("n" or,
 * with s, "w"). \Q...\E, which the JS SDK uses to quote literal text,
 * is spelled out with escapes; \b, \B and \z take their ARE names, and
 * named groups become plain ones. What ARE lacks beyond that (possessive
 * quantifiers, \p{..} classes) is refused by the server as 102.
 */
static void
pg_bind_regex(pg_where_t *w, sbuf_t *sql, const char *pattern,
              const char *options)
{
    bool m = false, s = false, x = false, i = false;
    bool in_bracket = false;
    sbuf_t out;
    const char *p = pattern;

    for (const char *o = options ? options : ""; *o; o++) {
        m = m || *o == 'm';
        s = s || *o == 's';
        x = x || *o == 'x';
        i = i || *o == 'i';
    }
    /* A leading Perl inline option group joins the prefix. */
    if (p[0] == '(' && p[1] == '?') {
        size_t k = 2;

        while (p[k] && strchr("imsx", p[k]) != NULL)
            k++;
        if (k > 2 && p[k] == ')') {
            for (size_t j = 2; j < k; j++) {
                m = m || p[j] == 'm';
                s = s || p[j] == 's';
                x = x || p[j] == 'x';
                i = i || p[j] == 'i';
            }
            p += k + 1;
        }
    }
    sbuf_init(&out);
    sbuf_printf(&out, "(?%s%s%s)", m ? (s ? "w" : "n") : (s ? "s" : "p"),
                i ? "i" : "", x ? "x" : "");
    while (*p) {
        if (p[0] == '\\' && p[1] == 'Q') {
            p += 2;
            while (*p && !(p[0] == '\\' && p[1] == 'E')) {
                unsigned char ch = (unsigned char)*p;

                if (ch < 0x80 && !((ch >= '0' && ch <= '9') ||
                                   (ch >= 'a' && ch <= 'z') ||
                                   (ch >= 'A' && ch <= 'Z')))
                    sbuf_append_len(&out, "\\", 1);
                sbuf_append_len(&out, p, 1);
                p++;
            }
            if (*p)
                p += 2;
            continue;
        }
        if (p[0] == '\\' && p[1] != '\0') {
            const char *rename = NULL;

            if (!in_bracket && p[1] == 'b')
                rename = "\\y";
            else if (!in_bracket && p[1] == 'B')
                rename = "\\Y";
            else if (p[1] == 'z')
                rename = "\\Z";
            if (rename != NULL)
                sbuf_append(&out, rename);
            else
                sbuf_append_len(&out, p, 2);
            p += 2;
            continue;
        }
        /* Named groups are plain groups: ARE has no names. */
        if (!in_bracket && p[0] == '(' && p[1] == '?' &&
            (p[2] == '<' || (p[2] == 'P' && p[3] == '<')) &&
            p[p[2] == 'P' ? 4 : 3] != '=' && p[p[2] == 'P' ? 4 : 3] != '!') {
            const char *close = strchr(p, '>');

            if (close != NULL) {
                sbuf_append_len(&out, "(", 1);
                p = close + 1;
                continue;
            }
        }
        if (*p == '[' && !in_bracket) {
            in_bracket = true;
            sbuf_append_len(&out, p++, 1);
            /* A "]" first in the set (after an optional "^") is literal. */
            if (*p == '^')
                sbuf_append_len(&out, p++, 1);
            if (*p == ']')
                sbuf_append_len(&out, p++, 1);
            continue;
        }
        if (*p == ']' && in_bracket)
            in_bracket = false;
        sbuf_append_len(&out, p++, 1);
    }
    pg_bind(w->p, sql, out.data, NULL);
    sbuf_cleanup(&out);
}

/*
 * A LIKE pattern ("text%") equal to a regex that only asks for a literal
 * prefix ("^text", "^\\Qtext\\E", as the SDKs' startsWith sends), or NULL.
 * LIKE compares without the regex machinery, several times cheaper per
 * row. Options other than s change the meaning (i, m) or the reading (x)
 * of such a pattern, so they keep the regex.
 */
static char *
pg_like_prefix(const char *pattern, const char *options)
{
    const char *p = pattern;
    bool quoted = false;
    sbuf_t out;

    for (const char *o = options ? options : ""; *o; o++) {
        if (*o != 's')
            return NULL;
    }
    if (p == NULL || *p++ != '^')
        return NULL;
    sbuf_init(&out);
    while (*p) {
        char ch;

        if (!quoted && p[0] == '\\' && p[1] == 'Q') {
            quoted = true;
            p += 2;
            continue;
        }
        if (quoted && p[0] == '\\' && p[1] == 'E') {
            quoted = false;
            p += 2;
            continue;
        }
        if (quoted) {
            ch = *p++;
        } else if (p[0] == '\\' && p[1] != '\0' &&
                   !((p[1] >= '0' && p[1] <= '9') || (p[1] >= 'a' && p[1] <= 'z') ||
                     (p[1] >= 'A' && p[1] <= 'Z'))) {
            ch = p[1];      /* an escaped punctuation mark is itself */
            p += 2;
        } else if (strchr("\\.[]()*+?{}|^$", *p) != NULL) {
            sbuf_cleanup(&out);
            return NULL;    /* a real regular expression */
        } else {
            ch = *p++;
        }
        if (ch == '%' || ch == '_' || ch == '\\')
            sbuf_append_len(&out, "\\", 1);
        sbuf_append_len(&out, &ch, 1);
    }
    sbuf_append(&out, "%");
    return sbuf_take(&out);
}

/* Bind element k of the node's value array (a number). */
static void
pg_bind_elem(pg_where_t *w, sbuf_t *sql, const qnode_t *n, size_t k)
{
    pg_bind_take(w->p, sql, pg_number_text(json_array_get(n->value, k)),
                 "::float8");
}

/* Radians between the GeoPoint field and the node's [lat, lng], by the
 * haversine formula geo.c uses. */
static void
pg_distance_expr(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
                 const qnode_t *n)
{
    sbuf_append(sql, "(2 * asin(least(1, sqrt(power(sin(radians((");
    pg_field_expr(w, sql, cls, n->field);
    sbuf_append(sql, ")[1] - ");
    pg_bind_elem(w, sql, n, 0);
    sbuf_append(sql, ") / 2), 2) + cos(radians(");
    pg_bind_elem(w, sql, n, 0);
    sbuf_append(sql, ")) * cos(radians((");
    pg_field_expr(w, sql, cls, n->field);
    sbuf_append(sql, ")[1])) * power(sin(radians((");
    pg_field_expr(w, sql, cls, n->field);
    sbuf_append(sql, ")[0] - ");
    pg_bind_elem(w, sql, n, 1);
    sbuf_append(sql, ") / 2), 2)))))");
}

/* PostgreSQL's text search configuration for a $language, or "simple"
 * (no stemming, no stop words) for one it does not ship. */
static const char *
pg_text_config(const char *language)
{
    static const char *const known[] = {
        "arabic", "armenian", "basque", "catalan", "danish", "dutch",
        "english", "finnish", "french", "german", "greek", "hindi",
        "hungarian", "indonesian", "irish", "italian", "lithuanian",
        "nepali", "norwegian", "portuguese", "romanian", "russian",
        "serbian", "simple", "spanish", "swedish", "tamil", "turkish",
        "yiddish", NULL};
    static const struct {
        const char *code, *name;
    } codes[] = {{"en", "english"}, {"es", "spanish"}, {"fr", "french"},
                 {"de", "german"},  {"it", "italian"}, {"pt", "portuguese"},
                 {"nl", "dutch"},   {"ru", "russian"}, {"sv", "swedish"}};

    if (language == NULL)
        return "english";
    for (size_t k = 0; known[k]; k++) {
        if (strcmp(language, known[k]) == 0)
            return known[k];
    }
    for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
        if (strcmp(language, codes[k].code) == 0)
            return codes[k].name;
    }
    return "simple";
}

/*
 * The tsquery text of a $term, read the way the SQLite engine reads it:
 * "|" separates alternatives, words within one are all required, "!"
 * before a word excludes it. Each word is quoted, so nothing in the term
 * is tsquery syntax. NULL when the term has no word to look for.
 */
static char *
pg_tsquery(const char *term)
{
    sbuf_t out;
    bool any_group = false;
    const char *p = term;

    sbuf_init(&out);
    while (*p) {
        bool first = true, positive = false;
        size_t mark = out.len;

        if (any_group)
            sbuf_append(&out, " | ");
        sbuf_append(&out, "(");
        while (*p && *p != '|') {
            bool negate = false;
            const char *start;

            while (*p && *p != '|' && (unsigned char)*p < 0x80 &&
                   !((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= 'A' && *p <= 'Z'))) {
                if (*p == '!')
                    negate = true;
                p++;
            }
            start = p;
            while (*p && ((unsigned char)*p >= 0x80 ||
                          (*p >= '0' && *p <= '9') ||
                          (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
                p++;
            if (p == start)
                continue;
            sbuf_append(&out, first ? "" : " & ");
            sbuf_append(&out, negate ? "!'" : "'");
            sbuf_append_len(&out, start, (size_t)(p - start));
            sbuf_append(&out, "'");
            first = false;
            positive = positive || !negate;
        }
        if (*p == '|')
            p++;
        if (!positive) {
            /* A group of exclusions only, or of nothing: it is dropped. */
            out.len = mark;
            out.data[mark] = '\0';
            continue;
        }
        sbuf_append(&out, ")");
        any_group = true;
    }
    if (!any_group) {
        sbuf_cleanup(&out);
        return NULL;
    }
    return sbuf_take(&out);
}

/* "to_tsvector(cfg, field) @@ to_tsquery(cfg, q)" or its ts_rank. */
void
pg_text_expr_of(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
                const qnode_t *n, bool rank)
{
    const char *cfg = pg_text_config(n->options);
    char *q = pg_tsquery(json_string_value(n->value));

    if (q == NULL) {
        sbuf_append(sql, rank ? "0" : "FALSE");
        return;
    }
    sbuf_append(sql, rank ? "ts_rank(to_tsvector(" : "(to_tsvector(");
    pg_bind(w->p, sql, cfg, "::regconfig");
    sbuf_append(sql, ", coalesce(");
    pg_text_expr(w, sql, cls, n->field);
    sbuf_append(sql, ", ''))");
    sbuf_append(sql, rank ? ", to_tsquery(" : " @@ to_tsquery(");
    pg_bind(w->p, sql, cfg, "::regconfig, ");
    pg_bind_take(w->p, sql, q, "))");
}

/* Geo constraints and $text. */
static void
pg_where_geo_text(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
                  const qnode_t *n)
{
    ptype_t t;
    pg_field_kind_t k = pg_field_kind(cls, n->field, &t);

    if (n->op == QOP_TEXT) {
        if (k == PF_NONE || (k == PF_COLUMN && t != PT_STRING)) {
            sbuf_append(sql, "FALSE");
            return;
        }
        pg_text_expr_of(w, sql, cls, n, false);
        return;
    }
    if (k != PF_COLUMN ||
        t != (n->op == QOP_INTERSECTS ? PT_POLYGON : PT_GEOPOINT)) {
        sbuf_append(sql, "FALSE");
        return;
    }
    switch (n->op) {
    case QOP_NEAR:
        if (json_number_value(json_array_get(n->value, 2)) >= 0) {
            pg_distance_expr(w, sql, cls, n);
            sbuf_append(sql, " <= ");
            pg_bind_elem(w, sql, n, 2);
        } else {
            pg_field_expr(w, sql, cls, n->field);
            sbuf_append(sql, " IS NOT NULL");
        }
        return;
    case QOP_WITHIN_BOX: {
        static const char *const parts[] = {"[1] >= ", "[0] >= ", "[1] <= ",
                                            "[0] <= "};

        for (size_t j = 0; j < 4; j++) {
            sbuf_append(sql, j ? " AND (" : "(");
            pg_field_expr(w, sql, cls, n->field);
            sbuf_append(sql, ")");
            sbuf_append(sql, parts[j]);
            pg_bind_elem(w, sql, n, j);
        }
        return;
    }
    case QOP_WITHIN_POLYGON:
        pg_bind_take(w->p, sql, pg_polygon_text(n->value), "::polygon @> ");
        pg_field_expr(w, sql, cls, n->field);
        return;
    case QOP_WITHIN_CENTER:
        pg_distance_expr(w, sql, cls, n);
        sbuf_append(sql, " <= ");
        pg_bind_elem(w, sql, n, 2);
        return;
    default: {
        char pt[80];

        snprintf(pt, sizeof(pt), "(%.17g,%.17g)",
                 json_number_value(json_array_get(n->value, 1)),
                 json_number_value(json_array_get(n->value, 0)));
        pg_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, " @> ");
        pg_bind(w->p, sql, pt, "::point");
    }
    }
}

/* "(SELECT field::text FROM sub WHERE ... AND readable)". */
static void
pg_subselect(pg_where_t *w, sbuf_t *sql, const qnode_t *n, const char *column)
{
    sbuf_append(sql, "(SELECT ");
    pg_text_expr(w, sql, n->sub_cls, column);
    sbuf_append(sql, " FROM ");
    sbuf_append_ident(sql, n->sub_cls->name);
    sbuf_append(sql, " WHERE ");
    pg_where_node(w, sql, n->sub_cls, n->sub_where);
    pg_acl_clause(w, sql);
    sbuf_append(sql, ")");
}

/* $inQuery, $notInQuery, $select, $dontSelect and $relatedTo. */
static void
pg_where_sub(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
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
            sbuf_append(sql, "FALSE");
            return;
        }
        sbuf_init(&join);
        pg_join_name(&join, f->name, n->sub_cls->name);
        sbuf_append(sql, "\"objectId\" IN (SELECT \"relatedId\" FROM ");
        sbuf_append_ident(sql, join.data);
        sbuf_append(sql, " WHERE \"owningId\" = ");
        pg_bind(w->p, sql, json_string_value(n->value), ")");
        sbuf_cleanup(&join);
        return;
    }
    /* A sub-query on a class that does not exist matches nothing. */
    if (n->sub_cls == NULL) {
        sbuf_append(sql, negate ? "TRUE" : "FALSE");
        return;
    }
    sbuf_append(sql, negate ? "COALESCE(NOT (" : "(");
    if (n->ftype == PT_ARRAY) {
        /* An array of pointers matches when any element does. */
        pg_elements(w, sql, cls, n, true);
        sbuf_append(sql, "(CASE WHEN jsonb_typeof(e) = 'object' THEN "
                         "COALESCE(e->>'objectId', e->>'iso') ELSE "
                         "e #>> '{}' END) IN ");
        pg_subselect(w, sql, n, column);
        sbuf_append(sql, ")");
    } else {
        pg_text_expr(w, sql, cls, n->field);
        sbuf_append(sql, " IN ");
        pg_subselect(w, sql, n, column);
    }
    sbuf_append(sql, negate ? "), TRUE)" : ")");
}

/* A comparison on a field the class does not have: it is missing, so
 * only "is null", "not equal", "does not exist" and friends hold. */
static void
pg_where_missing(sbuf_t *sql, const qnode_t *n)
{
    bool match;

    switch (n->op) {
    case QOP_EQ:
        match = json_is_null(n->value);
        break;
    case QOP_NE:
        match = !json_is_null(n->value);
        break;
    case QOP_IN:
        match = pg_list_has_null(n->value);
        break;
    case QOP_NIN:
        match = !pg_list_has_null(n->value);
        break;
    case QOP_EXISTS:
        match = !json_is_true(n->value);
        break;
    default:
        match = false;
    }
    sbuf_append(sql, match ? "TRUE" : "FALSE");
}

/* $in / $nin on a field: its values (as a column of type t, or as jsonb)
 * listed; a null in the list stands for a missing value. */
static void
pg_where_in(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
            const qnode_t *n, ptype_t t, bool jsonb)
{
    bool in = n->op == QOP_IN;
    bool has_null = pg_list_has_null(n->value);
    sbuf_t list;

    sbuf_init(&list);
    if (pg_bind_list(w, &list, t, n->value, jsonb) == 0) {
        if (has_null) {
            pg_field_expr(w, sql, cls, n->field);
            sbuf_append(sql, in ? " IS NULL" : " IS NOT NULL");
        } else {
            sbuf_append(sql, in ? "FALSE" : "TRUE");
        }
    } else if (in) {
        pg_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, " = ANY(");
        sbuf_append(sql, list.data);
        sbuf_append(sql, ")");
        if (has_null) {
            sbuf_append(sql, " OR ");
            pg_field_expr(w, sql, cls, n->field);
            sbuf_append(sql, " IS NULL");
        }
    } else {
        sbuf_append(sql, "COALESCE(");
        pg_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, " <> ALL(");
        sbuf_append(sql, list.data);
        sbuf_append(sql, has_null ? "), FALSE)" : "), TRUE)");
    }
    sbuf_cleanup(&list);
}

/* A comparison on a path into an Object: jsonb against jsonb, values of
 * different kinds never ordered against each other. */
static void
pg_where_json(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
              const qnode_t *n)
{
    static const char *const ops[] = {
        [QOP_LT] = " < ", [QOP_LTE] = " <= ", [QOP_GT] = " > ",
        [QOP_GTE] = " >= "};
    json_t *v = n->value;

    switch (n->op) {
    case QOP_EQ:
    case QOP_NE:
        pg_field_expr(w, sql, cls, n->field);
        if (json_is_null(v)) {
            sbuf_append(sql, n->op == QOP_EQ ? " IS NULL" : " IS NOT NULL");
        } else {
            sbuf_append(sql, n->op == QOP_EQ ? " = " : " IS DISTINCT FROM ");
            pg_bind_jsonb(w->p, sql, v);
        }
        return;
    case QOP_LT:
    case QOP_LTE:
    case QOP_GT:
    case QOP_GTE:
        sbuf_append(sql, "jsonb_typeof(");
        pg_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, ") = jsonb_typeof(");
        pg_bind_jsonb(w->p, sql, v);
        sbuf_append(sql, ") AND ");
        pg_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, ops[n->op]);
        pg_bind_jsonb(w->p, sql, v);
        return;
    case QOP_IN:
    case QOP_NIN:
        pg_where_in(w, sql, cls, n, PT_NONE, true);
        return;
    case QOP_EXISTS:
        pg_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, json_is_true(v) ? " IS NOT NULL" : " IS NULL");
        return;
    case QOP_REGEX:
        sbuf_append(sql, "jsonb_typeof(");
        pg_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, ") = 'string' AND (");
        pg_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, " #>> '{}') ~ ");
        pg_bind_regex(w, sql, json_string_value(v), n->options);
        return;
    default:
        sbuf_append(sql, "FALSE");
    }
}

/* A comparison on a typed column. Values that cannot be of the column's
 * type never equal it (a Number field compared with a string, say). */
static void
pg_where_column(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
                const qnode_t *n, ptype_t t)
{
    static const char *const ops[] = {
        [QOP_LT] = " < ", [QOP_LTE] = " <= ", [QOP_GT] = " > ",
        [QOP_GTE] = " >= "};
    json_t *v = n->value;
    bool jsonb = t == PT_OBJECT || t == PT_BYTES;
    bool geometric = t == PT_GEOPOINT || t == PT_POLYGON;
    char *text = NULL;

    if (n->op == QOP_EXISTS) {
        pg_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, json_is_true(v) ? " IS NOT NULL" : " IS NULL");
        return;
    }
    if (n->op == QOP_REGEX) {
        char *like;

        if (t != PT_STRING) {
            sbuf_append(sql, "FALSE");  /* only String fields hold strings */
            return;
        }
        like = pg_like_prefix(json_string_value(v), n->options);
        if (like != NULL) {
            pg_field_expr(w, sql, cls, n->field);
            sbuf_append(sql, " LIKE ");
            pg_bind_take(w->p, sql, like, NULL);
            return;
        }
        sbuf_append(sql, "COALESCE(");
        pg_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, " ~ ");
        pg_bind_regex(w, sql, json_string_value(v), n->options);
        sbuf_append(sql, ", FALSE)");
        return;
    }
    if ((n->op == QOP_EQ || n->op == QOP_NE) && json_is_null(v)) {
        pg_field_expr(w, sql, cls, n->field);
        sbuf_append(sql, n->op == QOP_EQ ? " IS NULL" : " IS NOT NULL");
        return;
    }
    if (geometric) {
        /* Points and polygons are matched with the geo operators only. */
        if (n->op == QOP_NE || n->op == QOP_NIN)
            sbuf_append(sql, "TRUE");
        else
            sbuf_append(sql, "FALSE");
        return;
    }
    switch (n->op) {
    case QOP_EQ:
    case QOP_NE:
    case QOP_LT:
    case QOP_LTE:
    case QOP_GT:
    case QOP_GTE:
        text = jsonb ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)
                     : pg_encode(t, v);
        if (text == NULL) {
            sbuf_append(sql, n->op == QOP_NE ? "TRUE" : "FALSE");
            return;
        }
        pg_field_expr(w, sql, cls, n->field);
        /* A missing value is "not equal" too, as in parse-server. */
        sbuf_append(sql, n->op == QOP_EQ   ? " = "
                         : n->op == QOP_NE ? " IS DISTINCT FROM "
                                           : ops[n->op]);
        pg_bind_take(w->p, sql, text, jsonb ? "::jsonb" : NULL);
        return;
    case QOP_IN:
    case QOP_NIN:
        pg_where_in(w, sql, cls, n, t, jsonb);
        return;
    default:
        /* $all and $containedBy only match arrays. */
        sbuf_append(sql, "FALSE");
    }
}

static void
pg_where_cmp(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
             const qnode_t *n)
{
    ptype_t t;
    pg_field_kind_t k;

    sbuf_append(sql, "(");
    if (n->op >= QOP_IN_QUERY) {
        pg_where_sub(w, sql, cls, n);
    } else if (n->op >= QOP_NEAR && n->op <= QOP_TEXT) {
        pg_where_geo_text(w, sql, cls, n);
    } else if (n->ftype == PT_RELATION && n->op == QOP_EQ &&
               json_is_string(n->value)) {
        /* A relation "equals" an object when it holds it. */
        sbuf_t join;

        sbuf_init(&join);
        pg_join_name(&join, n->field, cls->name);
        sbuf_append(sql, "\"objectId\" IN (SELECT \"owningId\" FROM ");
        sbuf_append_ident(sql, join.data);
        sbuf_append(sql, " WHERE \"relatedId\" = ");
        pg_bind(w->p, sql, json_string_value(n->value), ")");
        sbuf_cleanup(&join);
    } else if ((k = pg_field_kind(cls, n->field, &t)) == PF_NONE) {
        pg_where_missing(sql, n);
    } else if (k == PF_JSON) {
        pg_where_json(w, sql, cls, n);
    } else if (t == PT_ARRAY && n->op != QOP_EXISTS) {
        if (n->op == QOP_REGEX)
            sbuf_append(sql, "FALSE");
        else
            pg_where_array(w, sql, cls, n);
    } else {
        pg_where_column(w, sql, cls, n, t);
    }
    sbuf_append(sql, ")");
}

void
pg_where_node(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
              const qnode_t *n)
{
    const char *joiner = n->kind == QN_AND ? " AND " : " OR ";

    switch (n->kind) {
    case QN_TRUE:
        sbuf_append(sql, "TRUE");
        return;
    case QN_FALSE:
        sbuf_append(sql, "FALSE");
        return;
    case QN_CMP:
        pg_where_cmp(w, sql, cls, n);
        return;
    default:
        break;
    }
    if (n->nkids == 0) {
        sbuf_append(sql, n->kind == QN_AND ? "TRUE" : "FALSE");
        return;
    }
    /* $nor is SQL's NOT, so an object missing a key a branch tests is
     * left out, as parse-server on PostgreSQL answers. */
    sbuf_append(sql, n->kind == QN_NOR ? "NOT (" : "(");
    for (size_t i = 0; i < n->nkids; i++) {
        if (i)
            sbuf_append(sql, joiner);
        pg_where_node(w, sql, cls, n->kids[i]);
    }
    sbuf_append(sql, ")");
}

/* " AND (the caller may read the row)". */
void
pg_acl_clause(pg_where_t *w, sbuf_t *sql)
{
    if (w->read_ids == NULL)
        return;
    pg_perm_clause(w->p, sql, "_rperm", w->read_ids);
}

void
pg_order_clause(pg_where_t *w, sbuf_t *sql, const schema_class_t *cls,
                const query_t *q)
{
    bool first = true;

    for (size_t i = 0; i < q->norder; i++) {
        const char *f = q->order[i].field;
        ptype_t t;
        pg_field_kind_t k;

        if (strcmp(f, "$score") == 0) {
            if (q->text == NULL)
                continue;
            sbuf_append(sql, first ? " ORDER BY " : ", ");
            first = false;
            pg_text_expr_of(w, sql, cls, q->text, true);
            sbuf_append(sql, " DESC");
            continue;
        }
        /* Ordering by a field the class lacks orders nothing; points and
         * polygons have no order. */
        k = pg_field_kind(cls, f, &t);
        if (k == PF_NONE || t == PT_GEOPOINT || t == PT_POLYGON)
            continue;
        sbuf_append(sql, first ? " ORDER BY " : ", ");
        first = false;
        pg_field_expr(w, sql, cls, f);
        sbuf_append(sql, q->order[i].desc ? " DESC NULLS FIRST"
                                          : " ASC NULLS LAST");
    }
    /* $nearSphere sorts nearest first unless the query orders itself. */
    if (first && q->near != NULL) {
        ptype_t t;

        if (pg_field_kind(cls, q->near->field, &t) == PF_COLUMN &&
            t == PT_GEOPOINT) {
            sbuf_append(sql, " ORDER BY ");
            pg_distance_expr(w, sql, cls, q->near);
        }
    }
}

