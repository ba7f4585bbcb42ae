"""A small database with every kind of object a restore must carry (issue 17, item 12): a
partitioned table of two partitions, a materialized view, views, an unlogged table, inheritance
children, a second schema, sequences owned by columns and a free one, identity columns, enum and
domain types, triggers, check/unique/foreign keys across schemas, comments (one on the public
schema), and a large object.

It is what the restore tests use where the 340-table ERP database's size is not the point: it
builds in well under a second and dumps to a few kilobytes.

    summary = generate_features_database(pg, "features")               # owned by the superuser
    summary = generate_features_database(pg, "shop", owner="shop")     # objects owned by `shop`

Summary keys: database, tables (ordinary + partitioned, not partitions: what the manifest counts),
partitions, llx_tables (the same rule: not partitions), rows_by_table.
"""

from __future__ import annotations

from postgres_server import PostgresServer, quote_ident, quote_literal

# Every table whose name starts with llx_ counts for RESTORE_MIN_TABLES, as Dolibarr's do.
FEATURES_SQL = r"""
set client_min_messages = warning;
create type invoice_status as enum ('draft', 'validated', 'paid');
create domain positive_amount as numeric(12, 2) check (value >= 0);

create table llx_societe (
  rowid serial primary key,
  nom text not null unique,
  email text,
  created timestamptz not null default '2026-01-01 00:00:00+00'
);
comment on table llx_societe is 'third parties';
comment on schema public is 'Dolibarr data';

create table llx_facture (
  rowid bigint generated always as identity primary key,
  fk_soc integer not null references llx_societe (rowid) on delete restrict,
  ref text not null,
  status invoice_status not null default 'draft',
  total positive_amount not null,
  updated timestamptz,
  constraint llx_facture_ref_uk unique (ref),
  constraint llx_facture_total_ck check (total < 1000000)
);
create index llx_facture_fk_soc_idx on llx_facture (fk_soc);
create index llx_facture_lower_ref_idx on llx_facture (lower(ref)) where status <> 'draft';

create function touch_updated() returns trigger language plpgsql as $$
begin
  new.updated := '2026-06-01 00:00:00+00';
  return new;
end $$;
create trigger llx_facture_touch before update on llx_facture
  for each row execute function touch_updated();

-- Partitioned, with a partitioned index and a key (item 12: the TOC lists partitions as TABLE).
create table llx_stock_mouvement (
  rowid bigint not null,
  datem date not null,
  qty integer not null,
  primary key (rowid, datem)
) partition by range (datem);
create table llx_stock_mouvement_2025 partition of llx_stock_mouvement
  for values from ('2025-01-01') to ('2026-01-01');
create table llx_stock_mouvement_2026 partition of llx_stock_mouvement
  for values from ('2026-01-01') to ('2027-01-01');
create index llx_stock_mouvement_qty_idx on llx_stock_mouvement (qty);

-- Inheritance: a parent and two children (counted as tables on both sides).
create table llx_event (rowid integer primary key, label text not null);
create table llx_event_call (duration integer) inherits (llx_event);
create table llx_event_mail (subject text) inherits (llx_event);

create unlogged table llx_session_cache (id text primary key, payload text);

create sequence ticket_seq start 1000;

create view view_open_invoices as
  select f.ref, s.nom, f.total from llx_facture f join llx_societe s on s.rowid = f.fk_soc
  where f.status <> 'paid';
create view view_stock_2026 as select * from llx_stock_mouvement where datem >= '2026-01-01';
create materialized view mv_turnover as
  select fk_soc, sum(total) as total, count(*) as n from llx_facture group by fk_soc;
create unique index mv_turnover_soc_idx on mv_turnover (fk_soc);

create schema sales;
create table sales.llx_commande (
  rowid serial primary key,
  fk_soc integer not null references public.llx_societe (rowid),
  ref text not null unique
);
create table sales.region (code text primary key, label text);
create view sales.view_commandes as select c.ref, s.nom from sales.llx_commande c
  join public.llx_societe s on s.rowid = c.fk_soc;

-- Data.
insert into llx_societe (nom, email)
  select 'Customer ' || g, 'c' || g || '@example.test' from generate_series(1, 20) g;
insert into llx_facture (fk_soc, ref, status, total)
  select 1 + g % 20, 'FA2601-' || lpad(g::text, 4, '0'),
         (array['draft', 'validated', 'paid']::invoice_status[])[1 + g % 3], g * 10.5
  from generate_series(1, 60) g;
insert into llx_stock_mouvement
  select g, date '2025-06-01' + (g * 7), g % 13 from generate_series(1, 80) g;
insert into llx_event values (1, 'meeting'), (2, 'visit');
insert into llx_event_call values (3, 'call', 12), (4, 'call', 7);
insert into llx_event_mail values (5, 'mail', 'invoice');
insert into llx_session_cache select 's' || g, repeat('x', g) from generate_series(1, 6) g;
insert into sales.llx_commande (fk_soc, ref) select 1 + g % 20, 'CO' || g from generate_series(1, 15) g;
insert into sales.region values ('N', 'north'), ('S', 'south');
select setval('ticket_seq', 1234);
update llx_facture set total = total where rowid = 1;  -- the trigger runs once
refresh materialized view mv_turnover;
select lo_from_bytea(0, convert_to(repeat('scan of an invoice ', 200), 'UTF8'));
"""

TABLES = ["llx_societe", "llx_facture", "llx_stock_mouvement", "llx_event", "llx_event_call",
          "llx_event_mail", "llx_session_cache", "sales.llx_commande", "sales.region"]
PARTITIONS = ["llx_stock_mouvement_2025", "llx_stock_mouvement_2026"]


def generate_features_database(pg: PostgresServer, db: str, owner: str | None = None) -> dict:
    """Create `db` (owned by `owner` when given, whose role then creates every object) and fill it.
    Raises PsqlError on any SQL failure."""
    pg.create_database(db, owner=owner)
    prologue = f"set role {quote_ident(owner)};\n" if owner else ""
    pg.psql(db, prologue + FEATURES_SQL, single_transaction=True)
    rows = pg.query(db, " union all ".join(
        f"select {quote_literal(t)} as t, count(*) as n from only {t}" for t in TABLES + PARTITIONS))
    return {"database": db, "tables": len(TABLES), "partitions": len(PARTITIONS),
            "llx_tables": len([t for t in TABLES if t.split(".")[-1].startswith("llx_")]),
            "rows_by_table": {r["t"]: int(r["n"]) for r in rows}}
