//! The schema as PostgreSQL itself describes it, and the differences between two schemas.
//!
//! [`read_catalog`] turns every object of a schema into a line of text: tables and views,
//! columns (`format_type` with modifiers such as `numeric(10,2)`, NOT NULL, defaults,
//! generated and identity columns, collation), constraints (`pg_get_constraintdef`),
//! indexes (`pg_get_indexdef`, validity), triggers (`pg_get_triggerdef`, enabled state),
//! functions (signature, result, language, volatility, security, settings and a hash of the
//! body), sequences (type, bounds, increment, cache, cycle, owning column) and types.
//! Privileges, comments, statistics and row data are not part of it.
//!
//! The text is what the server deparses, so two schemas are comparable only when both are
//! read by the same server with their own schema first in `search_path` (names in the
//! schema then print unqualified). [`crate::verify`] does exactly that: it applies the
//! embedded migrations to a scratch schema of the same database and reads both there.

use std::collections::BTreeMap;
use std::fmt;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::error::MigratorError;

/// Every object of a schema: `"<kind> <name>"` (e.g. `"constraint products.products_price_range_check"`)
/// → its definition as the server prints it, whitespace collapsed.
pub type Catalog = BTreeMap<String, String>;

/// One difference between the schema the migrations build and the live one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogDrift {
    /// The migrations create the object; the database lacks it.
    Missing {
        /// `"<kind> <name>"`, e.g. `"index payments_one_pending_per_order_key"`.
        object: String,
        /// Its definition as the migrations create it.
        expected: String,
    },
    /// The database has an object the migrations do not create.
    Unexpected {
        /// `"<kind> <name>"`.
        object: String,
        /// Its live definition.
        live: String,
    },
    /// Both have the object, with different definitions.
    Changed {
        /// `"<kind> <name>"`.
        object: String,
        /// As the migrations create it.
        expected: String,
        /// As the database has it.
        live: String,
    },
}

impl CatalogDrift {
    /// `"<kind> <name>"` of the object concerned.
    pub fn object(&self) -> &str {
        match self {
            Self::Missing { object, .. }
            | Self::Unexpected { object, .. }
            | Self::Changed { object, .. } => object,
        }
    }
}

impl fmt::Display for CatalogDrift {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { object, expected } => write!(
                formatter,
                "{object}: missing from the database (the migrations create: {expected})"
            ),
            Self::Unexpected { object, live } => write!(
                formatter,
                "{object}: in the database, not created by the migrations ({live})"
            ),
            Self::Changed {
                object,
                expected,
                live,
            } => write!(
                formatter,
                "{object}: the migrations create `{expected}`, the database has `{live}`"
            ),
        }
    }
}

/// The differences between `expected` and `live`, in object order.
pub fn compare_catalogs(expected: &Catalog, live: &Catalog) -> Vec<CatalogDrift> {
    let mut drift = Vec::new();
    for (object, expected_definition) in expected {
        match live.get(object) {
            None => drift.push(CatalogDrift::Missing {
                object: object.clone(),
                expected: expected_definition.clone(),
            }),
            Some(live_definition) if live_definition != expected_definition => {
                drift.push(CatalogDrift::Changed {
                    object: object.clone(),
                    expected: expected_definition.clone(),
                    live: live_definition.clone(),
                });
            }
            Some(_) => {}
        }
    }
    for (object, live_definition) in live {
        if !expected.contains_key(object) {
            drift.push(CatalogDrift::Unexpected {
                object: object.clone(),
                live: live_definition.clone(),
            });
        }
    }
    drift.sort_by(|a, b| a.object().cmp(b.object()));
    drift
}

#[derive(QueryableByName)]
struct CatalogEntry {
    #[diesel(sql_type = Text)]
    object: String,
    #[diesel(sql_type = Text)]
    definition: String,
}

/// Reads every object of `schema` (diesel's `__diesel_schema_migrations` and extension
/// members excepted). Sets `search_path` to `schema` for the rest of the current
/// transaction, so call it inside one ([`crate::verify`] does).
pub fn read_catalog(connection: &mut PgConnection, schema: &str) -> Result<Catalog, MigratorError> {
    diesel::sql_query("SELECT set_config('search_path', quote_ident($1), true)")
        .bind::<Text, _>(schema)
        .execute(connection)
        .map_err(MigratorError::query(
            "setting search_path to read the catalog",
        ))?;
    let entries: Vec<CatalogEntry> = diesel::sql_query(CATALOG_SQL)
        .bind::<Text, _>(schema)
        .load(connection)
        .map_err(MigratorError::query("reading the catalog"))?;
    Ok(entries
        .into_iter()
        .map(|entry| {
            let definition = entry.definition.split_whitespace().collect::<Vec<_>>();
            (entry.object, definition.join(" "))
        })
        .collect())
}

/// One row per object of the schema named by `$1`. `relations` are the schema's tables,
/// views and sequences minus diesel's bookkeeping table and extension members.
const CATALOG_SQL: &str = r#"
WITH target AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = $1),
extension_member AS (
    SELECT objid, classid FROM pg_depend WHERE deptype = 'e'
),
relations AS (
    SELECT c.* FROM pg_class c, target
     WHERE c.relnamespace = target.oid
       AND c.relname <> '__diesel_schema_migrations'
       AND NOT EXISTS (SELECT 1 FROM extension_member e
                        WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid)
)
SELECT 'table ' || c.relname AS object,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table'
                      WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                      ELSE 'foreign table' END
       || CASE WHEN c.relrowsecurity THEN ', row level security' ELSE '' END
       || CASE WHEN c.relkind IN ('v', 'm') THEN ' AS ' || pg_get_viewdef(c.oid) ELSE '' END
       AS definition
  FROM relations c WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT format('column %s.%s', c.relname, a.attname),
       format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
       || CASE a.attidentity WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY'
                             WHEN 'd' THEN ' GENERATED BY DEFAULT AS IDENTITY' ELSE '' END
       || CASE WHEN a.attgenerated = 's'
               THEN ' GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') STORED'
               WHEN d.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid)
               ELSE '' END
       || CASE WHEN a.attcollation <> t.typcollation
               THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END
  FROM relations c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT format('constraint %s.%s', c.relname, con.conname), pg_get_constraintdef(con.oid)
  FROM relations c JOIN pg_constraint con ON con.conrelid = c.oid
UNION ALL
SELECT format('constraint %s.%s', t.typname, con.conname), pg_get_constraintdef(con.oid)
  FROM target JOIN pg_type t ON t.typnamespace = target.oid
  JOIN pg_constraint con ON con.contypid = t.oid
UNION ALL
SELECT 'index ' || i.relname,
       replace(pg_get_indexdef(i.oid), ' ON ' || quote_ident(target.nspname) || '.', ' ON ')
       || CASE WHEN x.indisvalid THEN '' ELSE ' (INVALID)' END
  FROM target, relations c
  JOIN pg_index x ON x.indrelid = c.oid
  JOIN pg_class i ON i.oid = x.indexrelid
UNION ALL
SELECT format('trigger %s.%s', c.relname, tg.tgname),
       replace(pg_get_triggerdef(tg.oid), ' ON ' || quote_ident(target.nspname) || '.', ' ON ')
       || CASE tg.tgenabled WHEN 'D' THEN ' (disabled)' WHEN 'R' THEN ' (replica only)'
                            WHEN 'A' THEN ' (always)' ELSE '' END
  FROM target, relations c JOIN pg_trigger tg ON tg.tgrelid = c.oid AND NOT tg.tgisinternal
UNION ALL
SELECT format('function %s(%s)', p.proname, pg_get_function_identity_arguments(p.oid)),
       CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'
                      WHEN 'w' THEN 'window function' ELSE 'function' END
       || coalesce(' RETURNS ' || pg_get_function_result(p.oid), '')
       || ' LANGUAGE ' || l.lanname
       || CASE p.provolatile WHEN 'i' THEN ' IMMUTABLE' WHEN 's' THEN ' STABLE' ELSE ' VOLATILE' END
       || CASE WHEN p.proisstrict THEN ' STRICT' ELSE '' END
       || CASE WHEN p.prosecdef THEN ' SECURITY DEFINER' ELSE '' END
       || coalesce(' SET ' || array_to_string(p.proconfig, ', '), '')
       || ', body sha256 ' || left(encode(sha256(convert_to(coalesce(p.prosrc, ''), 'UTF8')), 'hex'), 16)
  FROM target JOIN pg_proc p ON p.pronamespace = target.oid
  JOIN pg_language l ON l.oid = p.prolang
 WHERE NOT EXISTS (SELECT 1 FROM extension_member e
                    WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid)
UNION ALL
SELECT 'sequence ' || c.relname,
       format('AS %s START %s INCREMENT %s MINVALUE %s MAXVALUE %s CACHE %s',
              format_type(q.seqtypid, NULL), q.seqstart, q.seqincrement, q.seqmin, q.seqmax,
              q.seqcache)
       || CASE WHEN q.seqcycle THEN ' CYCLE' ELSE '' END
       || coalesce(' OWNED BY ' || (
            SELECT format('%s.%s', owner.relname, column_.attname)
              FROM pg_depend d
              JOIN pg_class owner ON owner.oid = d.refobjid
              JOIN pg_attribute column_ ON column_.attrelid = d.refobjid
                                       AND column_.attnum = d.refobjsubid
             WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
               AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
             LIMIT 1), '')
  FROM relations c JOIN pg_sequence q ON q.seqrelid = c.oid
UNION ALL
SELECT 'type ' || t.typname,
       CASE t.typtype
         WHEN 'e' THEN 'enum (' || (SELECT string_agg(quote_literal(e.enumlabel), ', '
                                                      ORDER BY e.enumsortorder)
                                      FROM pg_enum e WHERE e.enumtypid = t.oid) || ')'
         WHEN 'd' THEN 'domain over ' || format_type(t.typbasetype, t.typtypmod)
                       || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
                       || coalesce(' DEFAULT ' || t.typdefault, '')
         WHEN 'c' THEN 'composite (' || (SELECT string_agg(format('%s %s', a.attname,
                                                     format_type(a.atttypid, a.atttypmod)),
                                                     ', ' ORDER BY a.attnum)
                                           FROM pg_attribute a
                                          WHERE a.attrelid = t.typrelid AND a.attnum > 0
                                            AND NOT a.attisdropped) || ')'
         WHEN 'r' THEN 'range' WHEN 'm' THEN 'multirange' ELSE 'base type' END
  FROM target JOIN pg_type t ON t.typnamespace = target.oid
 WHERE t.typtype <> 'p'
   -- Row types of tables and views, and the array type every type gets, come with them.
   AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
   AND NOT EXISTS (SELECT 1 FROM pg_type element WHERE element.typarray = t.oid)
   AND NOT EXISTS (SELECT 1 FROM extension_member e
                    WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(entries: &[(&str, &str)]) -> Catalog {
        entries
            .iter()
            .map(|(object, definition)| ((*object).to_owned(), (*definition).to_owned()))
            .collect()
    }

    #[test]
    fn differences_are_missing_unexpected_or_changed_in_object_order() {
        let expected = catalog(&[
            ("column products.price", "numeric(10,2) NOT NULL"),
            (
                "index payments_one_pending_per_order_key",
                "CREATE UNIQUE INDEX ...",
            ),
            ("table products", "table"),
        ]);
        let live = catalog(&[
            ("column products.price", "numeric(12,2) NOT NULL"),
            ("index intruder_idx", "CREATE INDEX intruder_idx ..."),
            ("table products", "table"),
        ]);
        let drift = compare_catalogs(&expected, &live);
        let objects: Vec<&str> = drift.iter().map(CatalogDrift::object).collect();
        assert_eq!(
            objects,
            [
                "column products.price",
                "index intruder_idx",
                "index payments_one_pending_per_order_key"
            ]
        );
        assert_eq!(
            drift[0].to_string(),
            "column products.price: the migrations create `numeric(10,2) NOT NULL`, the database has `numeric(12,2) NOT NULL`"
        );
        assert!(matches!(drift[1], CatalogDrift::Unexpected { .. }));
        assert!(matches!(drift[2], CatalogDrift::Missing { .. }));
        assert!(compare_catalogs(&expected, &expected).is_empty());
    }
}
