"""What a database holds, category by category, to compare a restore with its source.

    differences = diff_catalogs(catalog_snapshot(pg, "dolibarr"), catalog_snapshot(pg, "restored"))
    self.assertEqual(differences, [], "\\n".join(differences[:30]))

Each category is one query over the system catalogs, read as a set of rows (so physical order
and OIDs do not matter), for everything outside the system schemas: schemas, relations (kind,
persistence), columns (type, not null, default, identity), rows (count and a hash of every row,
PostgresServer.table_fingerprints), indexes (pg_get_indexdef), constraints
(pg_get_constraintdef, domains' included), triggers (pg_get_triggerdef), sequences (parameters,
last value, the column that owns them), views and materialized views (definition, populated),
partitions (parent and bound), inheritance, functions (signature and definition), types (enum
labels, domain base), comments, and large objects (a hash of their content). Owners and grants
are left out: a restore with --no-owner gives every object to the restoring role.
"""

from __future__ import annotations

from postgres_server import PostgresServer, quote_literal

_USER_NS = ("n.nspname not in ('pg_catalog', 'information_schema') "
            "and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'")

CATALOG_QUERIES = {
    "schemas": f"select n.nspname as name from pg_namespace n where {_USER_NS}",
    "relations": f"""
        select format('%I.%I', n.nspname, c.relname) as name, c.relkind::text as kind,
               c.relpersistence::text as persistence, c.relispartition as partition
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where {_USER_NS} and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f', 'c')""",
    "columns": f"""
        select format('%I.%I', n.nspname, c.relname) as rel, a.attname as column,
               format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
               a.attidentity::text as identity, a.attgenerated::text as generated,
               pg_get_expr(d.adbin, d.adrelid) as default
        from pg_attribute a join pg_class c on c.oid = a.attrelid
        join pg_namespace n on n.oid = c.relnamespace
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where {_USER_NS} and a.attnum > 0 and not a.attisdropped
          and c.relkind in ('r', 'p', 'v', 'm', 'f', 'c')""",
    "indexes": f"""
        select pg_get_indexdef(i.indexrelid) as definition, i.indisvalid as valid
        from pg_index i join pg_class c on c.oid = i.indrelid
        join pg_namespace n on n.oid = c.relnamespace where {_USER_NS}""",
    "constraints": f"""
        select n.nspname as schema, coalesce(c.relname, t.typname) as owner_object,
               co.conname as name, co.contype::text as type, co.convalidated as validated,
               pg_get_constraintdef(co.oid) as definition
        from pg_constraint co join pg_namespace n on n.oid = co.connamespace
        left join pg_class c on c.oid = co.conrelid left join pg_type t on t.oid = co.contypid
        where {_USER_NS}""",
    "triggers": f"""
        select pg_get_triggerdef(t.oid) as definition, t.tgenabled::text as enabled
        from pg_trigger t join pg_class c on c.oid = t.tgrelid
        join pg_namespace n on n.oid = c.relnamespace
        where {_USER_NS} and not t.tgisinternal""",
    "sequences": """
        select format('%I.%I', s.schemaname, s.sequencename) as name, s.data_type::text as type,
               s.start_value, s.increment_by, s.min_value, s.max_value, s.cycle, s.last_value,
               (select format('%s.%I', d.refobjid::regclass, a.attname)
                from pg_depend d join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
                where d.classid = 'pg_class'::regclass and d.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass
                  and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')) as owned_by
        from pg_sequences s
        where s.schemaname not in ('pg_catalog', 'information_schema')""",
    "views": f"""
        select format('%I.%I', n.nspname, c.relname) as name, pg_get_viewdef(c.oid) as definition,
               c.relispopulated as populated
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where {_USER_NS} and c.relkind in ('v', 'm')""",
    "partitions": f"""
        select format('%I.%I', n.nspname, c.relname) as name, i.inhparent::regclass::text as parent,
               pg_get_expr(c.relpartbound, c.oid) as bound
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        join pg_inherits i on i.inhrelid = c.oid
        where {_USER_NS} and c.relispartition""",
    "inheritance": f"""
        select i.inhrelid::regclass::text as child, i.inhparent::regclass::text as parent
        from pg_inherits i join pg_class c on c.oid = i.inhrelid
        join pg_namespace n on n.oid = c.relnamespace where {_USER_NS}""",
    "functions": f"""
        select p.oid::regprocedure::text as signature, p.prokind::text as kind,
               case when p.prokind in ('f', 'p') then md5(pg_get_functiondef(p.oid)) end as definition
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace where {_USER_NS}""",
    "types": f"""
        select format('%I.%I', n.nspname, t.typname) as name, t.typtype::text as kind,
               format_type(t.typbasetype, t.typtypmod) as base, t.typnotnull as not_null,
               (select string_agg(e.enumlabel, ',' order by e.enumsortorder) from pg_enum e
                where e.enumtypid = t.oid) as labels
        from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where {_USER_NS} and t.typtype in ('d', 'e', 'r')""",
    "comments": f"""
        select c.oid::regclass::text as object, d.objsubid as column, d.description
        from pg_description d join pg_class c on c.oid = d.objoid and d.classoid = 'pg_class'::regclass
        join pg_namespace n on n.oid = c.relnamespace where {_USER_NS}
        union all
        select 'schema ' || n.nspname, 0, d.description
        from pg_description d join pg_namespace n on n.oid = d.objoid
        where d.classoid = 'pg_namespace'::regclass and {_USER_NS}""",
    "large_objects": "select oid::bigint as oid, md5(lo_get(oid)) as content from pg_largeobject_metadata",
}


def _freeze(row: dict) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in row.items()))


def catalog_snapshot(pg: PostgresServer, db: str) -> dict[str, set]:
    """Every category above as a set of rows (each row a sorted tuple of (column, text)). One
    psql run for the catalog queries, then PostgresServer.table_fingerprints for the rows."""
    parts = ", ".join(f"{quote_literal(name)}, (select coalesce(json_agg(q), '[]'::json) from ({sql}) q)"
                      for name, sql in CATALOG_QUERIES.items())
    [row] = pg.query(db, f"select json_build_object({parts}) as c")
    snapshot = {name: {_freeze(r) for r in rows} for name, rows in row["c"].items()}
    snapshot["rows"] = {(name, str(n), h) for name, (n, h) in pg.table_fingerprints(db).items()}
    return snapshot


def diff_catalogs(expected: dict[str, set], found: dict[str, set]) -> list[str]:
    """One line per row that is in one snapshot and not the other: '<category>: missing ...' for
    rows only `expected` has, '<category>: unexpected ...' for rows only `found` has."""
    lines = []
    for category in sorted(set(expected) | set(found)):
        want, got = expected.get(category, set()), found.get(category, set())
        lines += [f"{category}: missing {row}" for row in sorted(want - got)]
        lines += [f"{category}: unexpected {row}" for row in sorted(got - want)]
    return lines
