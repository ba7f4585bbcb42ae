-- A small Dolibarr-like database for container/compose.yaml: run once by the postgres image's
-- entrypoint (docker-entrypoint-initdb.d) as the superuser, in the database POSTGRES_DB.
-- Real Dolibarr has 340+ llx_ tables; these few have its shape (ids, foreign keys, a view,
-- non-ASCII text, a bytea column) so backup, verify and both restores can be tried locally.

-- The backup's role: reads everything, writes nothing (README "A role that cannot write").
CREATE ROLE erp_dump LOGIN PASSWORD 'erp-dump-demo';
GRANT pg_read_all_data TO erp_dump;

-- The restore target: an empty database owned by a role that owns nothing else.
CREATE ROLE erp_restore LOGIN PASSWORD 'erp-restore-demo';
CREATE DATABASE dolibarr_restore OWNER erp_restore;

CREATE TABLE llx_const (
  rowid serial PRIMARY KEY,
  name varchar(180) NOT NULL UNIQUE,
  value text,
  entity integer NOT NULL DEFAULT 1
);

CREATE TABLE llx_user (
  rowid serial PRIMARY KEY,
  login varchar(50) NOT NULL UNIQUE,
  lastname varchar(50),
  firstname varchar(50),
  email varchar(255),
  datec timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE llx_societe (
  rowid serial PRIMARY KEY,
  nom varchar(128) NOT NULL,
  town varchar(50),
  country_code char(2),
  client smallint NOT NULL DEFAULT 1,
  note_private text,
  datec timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE llx_product (
  rowid serial PRIMARY KEY,
  ref varchar(128) NOT NULL UNIQUE,
  label varchar(255) NOT NULL,
  price numeric(24, 8) NOT NULL DEFAULT 0,
  tva_tx numeric(7, 4) NOT NULL DEFAULT 20
);

CREATE TABLE llx_facture (
  rowid serial PRIMARY KEY,
  ref varchar(30) NOT NULL UNIQUE,
  fk_soc integer NOT NULL REFERENCES llx_societe (rowid),
  fk_user_author integer REFERENCES llx_user (rowid),
  datef date NOT NULL,
  total_ht numeric(24, 8) NOT NULL DEFAULT 0,
  total_ttc numeric(24, 8) NOT NULL DEFAULT 0,
  fk_statut smallint NOT NULL DEFAULT 0
);

CREATE TABLE llx_facturedet (
  rowid serial PRIMARY KEY,
  fk_facture integer NOT NULL REFERENCES llx_facture (rowid) ON DELETE CASCADE,
  fk_product integer REFERENCES llx_product (rowid),
  description text,
  qty real NOT NULL,
  subprice numeric(24, 8) NOT NULL,
  total_ht numeric(24, 8) NOT NULL
);
CREATE INDEX idx_facturedet_fk_facture ON llx_facturedet (fk_facture);

CREATE TABLE llx_ecm_files (
  rowid serial PRIMARY KEY,
  filepath varchar(255) NOT NULL,
  filename varchar(255) NOT NULL,
  share varchar(128),
  content_sha256 bytea
);

INSERT INTO llx_const (name, value) VALUES
  ('MAIN_INFO_SOCIETE_NOM', 'Atelier Démo SARL'),
  ('MAIN_MONNAIE', 'EUR'),
  ('MAIN_LANG_DEFAULT', 'fr_FR');

INSERT INTO llx_user (login, lastname, firstname, email) VALUES
  ('admin', 'Martin', 'Élodie', 'admin@example.com'),
  ('compta', 'Dubois', 'Jérôme', 'compta@example.com');

INSERT INTO llx_societe (nom, town, country_code, note_private)
SELECT 'Client ' || i, (ARRAY['Lyon', 'Nantes', 'Zürich', 'Bruxelles'])[1 + i % 4],
       (ARRAY['FR', 'FR', 'CH', 'BE'])[1 + i % 4], CASE WHEN i % 7 = 0 THEN 'à relancer' END
FROM generate_series(1, 200) AS i;

INSERT INTO llx_product (ref, label, price)
SELECT 'PRD-' || lpad(i::text, 4, '0'), 'Produit n°' || i, (i * 3.5)::numeric
FROM generate_series(1, 50) AS i;

INSERT INTO llx_facture (ref, fk_soc, fk_user_author, datef, fk_statut)
SELECT 'FA2611-' || lpad(i::text, 4, '0'), 1 + i % 200, 1 + i % 2,
       date '2026-01-01' + (i % 330), 1 + i % 3
FROM generate_series(1, 2000) AS i;

INSERT INTO llx_facturedet (fk_facture, fk_product, description, qty, subprice, total_ht)
SELECT 1 + i % 2000, 1 + i % 50, 'Ligne ' || i, 1 + i % 5, 3.5 * (1 + i % 50),
       3.5 * (1 + i % 50) * (1 + i % 5)
FROM generate_series(1, 8000) AS i;

UPDATE llx_facture f SET total_ht = d.sum_ht, total_ttc = round(d.sum_ht * 1.2, 2)
FROM (SELECT fk_facture, sum(total_ht) AS sum_ht FROM llx_facturedet GROUP BY fk_facture) d
WHERE d.fk_facture = f.rowid;

INSERT INTO llx_ecm_files (filepath, filename, content_sha256) VALUES
  ('facture/FA2611-0001', 'FA2611-0001.txt', sha256('FA2611-0001'::bytea)),
  ('mycompany/logos', 'logo.txt', sha256('logo'::bytea));

CREATE VIEW llx_view_facture_client AS
  SELECT f.ref, s.nom, f.total_ttc FROM llx_facture f JOIN llx_societe s ON s.rowid = f.fk_soc;
