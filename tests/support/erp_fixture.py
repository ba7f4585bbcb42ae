"""Generate a Dolibarr-like ERP database (the `llx_` schema) for backup and restore tests.

    with PostgresServer() as pg:
        summary = generate_erp_database(pg, "erp")                       # fast, ≥ 295 llx_ tables
        summary = generate_erp_database(pg, "bench", target_bytes=1 << 30)  # ~1 GiB pg_dump -Fc

What it builds (everything server-side with generate_series, so it is fast):
- ≥ 295 `llx_` tables: hand-written core tables (llx_societe, llx_facture, llx_facturedet, llx_product,
  llx_commande, llx_user, llx_accounting_bookkeeping, ...) and generated families in Dolibarr's shape:
  module tables, `llx_c_*` dictionaries and `llx_*_extrafields`;
- serial/bigserial keys, varchar, text, numeric(24,8), real, timestamp, date, boolean, bytea, jsonb;
  primary keys, unique keys, foreign keys (added after the load, as Dolibarr's key files do),
  plain/partial/expression/GIN indexes, an explicit sequence, two views and a materialized view;
- plpgsql trigger functions: `update_modified_column_tms()` on every table with `tms` (BEFORE UPDATE,
  as Dolibarr's PostgreSQL port does) and an audit trigger that logs invoice validation into
  llx_blockedlog (AFTER UPDATE OF fk_statut ON llx_facture);
- non-ASCII text (accents, combining marks, CJK, Greek, Cyrillic, Arabic, Hebrew, emoji; see
  NON_ASCII_NAMES, the first llx_societe.nom values in rowid order), control characters in text
  (newline, tab, backslash), bytea holding every byte value (llx_ecm_files rowid 1 = bytes(range(256))*4),
  incompressible bytea, text values of 100 KB+ (llx_website_page.content, llx_const MAIN_BIG_JSON_CONFIG);
- at `small` scale llx_stock_mouvement, llx_facturedet and llx_accounting_bookkeeping hold 100 000 rows
  each (the biggest tables; ~390 000 rows in all);
- outside llx_: `public.schema_migrations` (a table) and `pgbouncer.user_lookup(text)`, the
  SECURITY DEFINER auth_query function pgbouncer installs (reads pg_shadow; EXECUTE granted to a
  NOLOGIN role `pgbouncer`, created cluster-wide if missing), which restore tests exclude.

Row values are deterministic (no random()), so two generations of the same scale hold the same data
except `tms`/`datec` columns filled by now() in triggers.
"""

from __future__ import annotations

import concurrent.futures
import random
import subprocess
import time
import zlib

from postgres_server import PostgresServer, quote_ident, quote_literal

MiB = 1 << 20

# Row-count multiplier per scale. `small` is the one the brief fixes (≥ 10^5 rows in the biggest
# tables, < 30 s on 2 cores); `tiny` keeps every object but 1/20 of the rows (quick smoke tests).
SCALES = {"tiny": 0.05, "small": 1.0}

# Exactly these are llx_societe.nom for rowid 1..len(NON_ASCII_NAMES): a test can read them back.
NON_ASCII_NAMES = [
    "Société Générale d'Énergie",
    "Müller & Söhne GmbH",
    "Ærøskøbing Fiskeri ApS",
    "株式会社日本商事",
    "北京贸易有限公司",
    "Ōsaka Trading 🍣",
    "Café del Mar — 🌊 S.L.",
    "Przedsiębiorstwo Łódź Sp. z o.o.",
    "Δέλτα Ε.Π.Ε.",
    "Торговый дом «Москва»",
    "شركة الرياض للتجارة",
    "חברת עברית בע\"מ",
    "Smörgåsbord AB",
    "Cafe\u0301 De\u0301compose\u0301 SARL",  # combining acute accents (NFD), must not be normalised
    "Family 👨\u200d👩\u200d👧\u200d👦 Ltd",  # ZWJ emoji sequence
    "대한민국 주식회사",
    "Tab\tand\\backslash \"quotes\" 'single'",
    "Ünïcödé ✓ Ǆ ß ẞ ﬁ",
]
NOTE_WITH_CONTROLS = "Ligne 1 — relance\nLigne 2:\tmontant dû 1\u202f234,56 €\r\nchemin C:\\factures\\2024\\"

COUNTRIES = [
    ("FR", "FRA", "France"), ("DE", "DEU", "Deutschland"), ("ES", "ESP", "España"), ("JP", "JPN", "日本"),
    ("CN", "CHN", "中国"), ("GR", "GRC", "Ελλάδα"), ("RU", "RUS", "Россия"), ("SE", "SWE", "Sverige"),
    ("DK", "DNK", "Danmark"), ("PL", "POL", "Polska"), ("CH", "CHE", "Schweiz/Suisse/Svizzera"),
    ("BE", "BEL", "Belgique/België"), ("IT", "ITA", "Italia"), ("PT", "PRT", "Portugal"),
    ("GB", "GBR", "United Kingdom"), ("US", "USA", "United States"), ("CA", "CAN", "Canada"),
    ("MA", "MAR", "المغرب"), ("IL", "ISR", "ישראל"), ("KR", "KOR", "대한민국"), ("TR", "TUR", "Türkiye"),
    ("IS", "ISL", "Ísland"), ("CI", "CIV", "Côte d'Ivoire"), ("RE", "REU", "La Réunion"),
    ("NO", "NOR", "Norge"), ("AT", "AUT", "Österreich"), ("CZ", "CZE", "Česko"), ("VN", "VNM", "Việt Nam"),
    ("TH", "THA", "ประเทศไทย"), ("IN", "IND", "भारत"),
]
CURRENCIES = [("EUR", "Euros", "€"), ("USD", "US Dollars", "$"), ("GBP", "Pound sterling", "£"),
              ("JPY", "Yen", "¥"), ("CHF", "Franc suisse", "CHF"), ("CNY", "Yuan renminbi", "元"),
              ("SEK", "Svensk krona", "kr"), ("PLN", "Złoty", "zł"), ("CZK", "Koruna česká", "Kč"),
              ("INR", "Indian rupee", "₹")]
PAYMENT_MODES = [("CB", "Carte bancaire"), ("CHQ", "Chèque"), ("LIQ", "Espèces"), ("VIR", "Virement"),
                 ("PRE", "Prélèvement"), ("TIP", "TIP"), ("VAD", "Paiement en ligne"), ("LCR", "Lettre de change")]
LABELS = ["Prestation de conseil", "Développement spécifique", "Maintenance annuelle", "Formation à distance",
          "Übersetzung ins Deutsche", "Licencia de software", "保守サービス", "技术支持", "Υποστήριξη",
          "Обслуживание", "Hébergement 🖥️", "Câble réseau Cat6 – 5 m", "Écran 27\" 4K", "Café ☕ en grains"]
WAREHOUSES = ["Entrepôt Paris", "Lager München", "倉庫 東京", "Almacén Sevilla", "Magazzino 🍕 Napoli"]

# -- the generated families ------------------------------------------------------------------------
# Module tables in Dolibarr's shape: "name [soc] [parent=other]" (soc: has fk_soc → llx_societe;
# parent: has fk_parent → that table's key). The hand-written core tables are not in this list.
MODULE_TABLES = """
accounting_bookkeeping_tmp soc
accounting_fiscalyear
accounting_groups_account
accounting_journal
accounting_system
actioncomm_reminder parent=actioncomm
actioncomm_resources parent=actioncomm
adherent soc
adherent_type
adherent_type_lang parent=adherent_type
asset
asset_accountancy_codes_economic parent=asset
asset_depreciation parent=asset
asset_model
bank_categ
bank_class parent=bank_categ
bank_url parent=bank
blockedlog_authority
bom_bom
bom_bomline parent=bom_bom
bookmark
boxes
boxes_def
budget
budget_lines parent=budget
categorie
categorie_product parent=categorie
categorie_societe parent=categorie soc
categorie_contact parent=categorie
categorie_member parent=categorie
categorie_project parent=categorie
categorie_user parent=categorie
categorie_lang parent=categorie
categorie_account parent=categorie
categorie_actioncomm parent=categorie
categorie_warehouse parent=categorie
categorie_ticket parent=categorie
chargesociales
commande_fournisseur soc
commande_fournisseurdet parent=commande_fournisseur
commande_fournisseur_dispatch parent=commande_fournisseur
commande_fournisseur_log parent=commande_fournisseur
comment
contrat soc
contratdet parent=contrat
contratdet_log parent=contratdet
cronjob
default_values
delivery soc
deliverydet parent=delivery
deplacement soc
document_model
don
ecm_directories
element_contact
element_element
element_resources
element_time
emailcollector_emailcollector
emailcollector_emailcollectoraction parent=emailcollector_emailcollector
emailcollector_emailcollectorfilter parent=emailcollector_emailcollector
establishment
event_element
eventorganization_conferenceorboothattendee soc
expedition soc
expeditiondet parent=expedition
expedition_package parent=expedition
expensereport
expensereport_det parent=expensereport
expensereport_ik
expensereport_rules
export_compta
export_model
extrafields
facture_rec soc
facturedet_rec parent=facture_rec
facture_fourn_rec soc
facture_fourn_det_rec parent=facture_fourn_rec
fichinter soc
fichinterdet parent=fichinter
fichinter_rec soc
fichinterdet_rec parent=fichinter_rec
holiday
holiday_config
holiday_logs
holiday_users
hrm_evaluation
hrm_evaluationdet parent=hrm_evaluation
hrm_job
hrm_job_user parent=hrm_job
hrm_skill
hrm_skilldet parent=hrm_skill
hrm_skillrank parent=hrm_skill
import_model
inventory
inventorydet parent=inventory
knowledgemanagement_knowledgerecord
links
loan
loan_schedule parent=loan
localtax
mailing
mailing_cibles parent=mailing
mailing_unsubscribe
menu
mrp_mo soc
mrp_production parent=mrp_mo
multicurrency
multicurrency_rate parent=multicurrency
notify soc
notify_def soc
oauth_state
oauth_token
object_lang
onlinesignature
opensurvey_sondage
opensurvey_user_studs parent=opensurvey_sondage
opensurvey_comments parent=opensurvey_sondage
overwrite_trans
paiementcharge
paiementfourn
paiementfourn_facturefourn parent=paiementfourn
partnership soc
payment_donation
payment_expensereport
payment_loan parent=loan
payment_salary
payment_various
prelevement_bons
prelevement_demande soc
prelevement_lignes parent=prelevement_bons soc
printing
product_association
product_attribute
product_attribute_value parent=product_attribute
product_attribute_combination
product_attribute_combination2val parent=product_attribute_combination
product_batch
product_customer_price soc
product_customer_price_log soc
product_fournisseur_price soc
product_fournisseur_price_log parent=product_fournisseur_price
product_lang
product_lot
product_price
product_price_by_qty parent=product_price
product_pricerules
product_warehouse_properties
projet_task parent=projet
projet_task_time parent=projet_task
propal_merge_pdf_product
reception soc
receptiondet_batch parent=reception
recruitment_recruitmentjobposition
recruitment_recruitmentcandidature parent=recruitment_recruitmentjobposition
resource
rights_def
salary
session
societe_account soc
societe_address soc
societe_commerciaux soc
societe_contacts soc
societe_perentity soc
societe_prices soc
societe_remise soc
societe_remise_except soc
societe_rib soc
stocktransfer_stocktransfer
stocktransfer_stocktransferline parent=stocktransfer_stocktransfer
subscription
supplier_proposal soc
supplier_proposaldet parent=supplier_proposal
takepos_floor_tables
ticket soc
tva
user_alert
user_clicktodial
user_employment
user_param
user_rib
user_rights
usergroup
usergroup_rights parent=usergroup
usergroup_user parent=usergroup
webhook_target
workstation_workstation
workstation_workstation_resource parent=workstation_workstation
workstation_workstation_usergroup parent=workstation_workstation
zapier_hook
"""

# llx_c_* dictionaries (the four core ones — country, currencies, paiement, tva — are hand-written).
DICTIONARIES = """
action_trigger actioncomm availability barcode_type chargesociales civility departements ecotaxe
effectif email_senderprofile email_templates exp_tax_cat exp_tax_range field_list format_cards
forme_juridique holiday_types hrm_department hrm_function hrm_public_holiday incoterms input_method
input_reason lead_status paper_format partnership_type payment_term product_nature
productbatch_qcstatus propalst prospectcontactlevel prospectlevel regions revenuestamp shipment_mode
shipment_package_type socialnetworks stcomm stcommcontact ticket_category ticket_resolution
ticket_severity ticket_type transport_mode type_contact type_container type_fees type_resource
typent units ziptown accounting_category asset_disposal_type invoice_subtype
""".split()

# Objects with an llx_<name>_extrafields table (Dolibarr's custom fields).
EXTRAFIELD_PARENTS = """
actioncomm adherent adherent_type asset bank_account bom_bom bom_bomline categorie commande commandedet
commande_fournisseur commande_fournisseurdet contrat contratdet delivery deliverydet don ecm_directories
ecm_files entrepot expedition expeditiondet expensereport facture facturedet facture_fourn
facture_fourn_det facture_rec facturedet_rec fichinter fichinterdet holiday inventory
knowledgemanagement_knowledgerecord mrp_mo mrp_production partnership product product_fournisseur_price
product_lot projet projet_task propal propaldet reception recruitment_recruitmentjobposition
recruitment_recruitmentcandidature resource salary socpeople societe societe_account
stocktransfer_stocktransfer supplier_proposal supplier_proposaldet ticket user usergroup website
website_page workstation_workstation hrm_evaluation hrm_job hrm_skill loan user_employment
""".split()

MIN_LLX_TABLES = 295
LINES_PER_INVOICE = 5


def _rows(base: int, factor: float) -> int:
    return max(1, int(round(base * factor)))


def _idx(prefix: str, table: str, suffix: str = "") -> str:
    """An index/constraint name under PostgreSQL's 63-byte limit, unique per (prefix, table, suffix)."""
    name = f"{prefix}_{table[4:] if table.startswith('llx_') else table}{'_' + suffix if suffix else ''}"
    if len(name) > 60:
        name = f"{name[:50]}_{zlib.crc32(name.encode()):08x}"
    return name


def _sql_array(values: list[str]) -> str:
    return "array[" + ", ".join(quote_literal(v) for v in values) + "]::text[]"


# -- core schema ------------------------------------------------------------------------------------
CORE_DDL = """
create or replace function update_modified_column_tms() returns trigger language plpgsql as $$
begin
  NEW.tms = now();
  return NEW;
end
$$;

create table llx_c_country (
  rowid serial primary key, code varchar(2) not null, code_iso varchar(3), label varchar(128) not null,
  eec smallint, active smallint not null default 1, favorite smallint not null default 0,
  constraint uk_c_country_code unique (code));
create table llx_c_currencies (
  code_iso varchar(3) primary key, label varchar(128), unicode varchar(32), active smallint not null default 1);
create table llx_c_paiement (
  id serial primary key, entity integer not null default 1, code varchar(6) not null, libelle varchar(128),
  type smallint, active smallint not null default 1, accountancy_code varchar(32), module varchar(32),
  position integer not null default 0, constraint uk_c_paiement_code unique (entity, code));
create table llx_c_tva (
  rowid serial primary key, fk_pays integer not null, code varchar(10) default '', taux double precision not null,
  localtax1 varchar(20) not null default '0', recuperableonly integer not null default 0, note varchar(128),
  active smallint not null default 1, accountancy_code_sell varchar(32), accountancy_code_buy varchar(32));

create table llx_user (
  rowid serial primary key, entity integer not null default 1, ref_employee varchar(50), login varchar(50) not null,
  pass_crypted varchar(128), api_key varchar(128), lastname varchar(50), firstname varchar(50), email varchar(255),
  admin smallint default 0, statut smallint default 1, fk_user integer, birth date, salary numeric(24,8),
  signature text, photo bytea, datec timestamp, tms timestamp default current_timestamp,
  datelastlogin timestamp, import_key varchar(14), constraint uk_user_login unique (entity, login));

create table llx_societe (
  rowid serial primary key, nom varchar(128), name_alias varchar(128), entity integer not null default 1,
  ref_ext varchar(255), statut smallint default 0, status smallint default 1, code_client varchar(24),
  code_fournisseur varchar(24), address varchar(255), zip varchar(25), town varchar(50), fk_pays integer,
  phone varchar(20), email varchar(128), url varchar(255), siren varchar(128), siret varchar(128),
  tva_intra varchar(20), capital numeric(24,8), client smallint default 0, fournisseur smallint default 0,
  note_private text, note_public text, logo varchar(255), multicurrency_code varchar(3),
  socialnetworks jsonb, datec timestamp, tms timestamp default current_timestamp, fk_user_creat integer,
  import_key varchar(14), last_main_doc varchar(255),
  constraint uk_societe_code_client unique (code_client, entity));

create table llx_socpeople (
  rowid serial primary key, datec timestamp, tms timestamp default current_timestamp, fk_soc integer,
  entity integer not null default 1, civility varchar(6), lastname varchar(50), firstname varchar(50),
  address varchar(255), zip varchar(25), town varchar(255), fk_pays integer, birthday date, poste varchar(255),
  phone varchar(30), email varchar(255), priv smallint not null default 0, statut smallint not null default 1,
  note_public text, fk_user_creat integer, import_key varchar(14));

create table llx_product (
  rowid serial primary key, ref varchar(128) not null, entity integer not null default 1, ref_ext varchar(128),
  datec timestamp, tms timestamp default current_timestamp, label varchar(255) not null, description text,
  note text, price numeric(24,8) default 0, price_ttc numeric(24,8) default 0, price_min numeric(24,8) default 0,
  tva_tx double precision, recuperableonly integer not null default 0, tosell smallint default 1,
  tobuy smallint default 1, fk_product_type integer default 0, duration varchar(6), weight float,
  barcode varchar(180), stock real, pmp numeric(24,8) not null default 0, fk_user_author integer,
  import_key varchar(14), constraint uk_product_ref unique (ref, entity));

create table llx_entrepot (
  rowid serial primary key, ref varchar(255) not null, entity integer not null default 1, description text,
  lieu varchar(64), address varchar(255), zip varchar(10), town varchar(50), fk_pays integer default 0,
  statut smallint default 1, datec timestamp, tms timestamp default current_timestamp, fk_user_author integer,
  constraint uk_entrepot_label unique (ref, entity));

create table llx_product_stock (
  rowid serial primary key, tms timestamp default current_timestamp, fk_product integer not null,
  fk_entrepot integer not null, reel real, import_key varchar(14),
  constraint uk_product_stock unique (fk_product, fk_entrepot));

create table llx_stock_mouvement (
  rowid serial primary key, tms timestamp default current_timestamp, datem timestamp, fk_product integer not null,
  batch varchar(128), eatby date, sellby date, fk_entrepot integer not null, value real, price numeric(24,8) default 0,
  type_mouvement smallint, fk_user_author integer, label varchar(255), inventorycode varchar(128),
  fk_projet integer not null default 0, fk_origin integer, origintype varchar(64), model_pdf varchar(255));

create table llx_projet (
  rowid serial primary key, fk_soc integer, datec timestamp, tms timestamp default current_timestamp,
  dateo date, datee date, ref varchar(50), entity integer not null default 1, title varchar(255) not null,
  description text, fk_user_creat integer not null, public integer, fk_statut smallint not null default 0,
  budget_amount numeric(24,8), note_private text, import_key varchar(14),
  constraint uk_projet_ref unique (ref, entity));

create sequence llx_facture_ref_seq start 1000;
create table llx_facture (
  rowid serial primary key, ref varchar(30) not null, entity integer not null default 1, ref_ext varchar(255),
  ref_client varchar(255), type smallint not null default 0, fk_soc integer not null, datec timestamp,
  datef date, date_lim_reglement date, tms timestamp default current_timestamp, paye smallint not null default 0,
  total_ht numeric(24,8) default 0, total_tva numeric(24,8) default 0, total_ttc numeric(24,8) default 0,
  fk_statut smallint not null default 0, fk_user_author integer, fk_projet integer,
  fk_cond_reglement integer, fk_mode_reglement integer, note_private text, note_public text,
  model_pdf varchar(255), last_main_doc varchar(255), multicurrency_code varchar(3),
  multicurrency_tx numeric(24,8) default 1, extraparams jsonb, import_key varchar(14),
  constraint uk_facture_ref unique (ref, entity));
comment on table llx_facture is 'Factures clients — customer invoices (légal: 10 ans)';

create table llx_facturedet (
  rowid serial primary key, fk_facture integer not null, fk_parent_line integer, fk_product integer,
  label varchar(255), description text, vat_src_code varchar(10) default '', tva_tx numeric(6,3),
  qty real, remise_percent real default 0, subprice numeric(24,8), total_ht numeric(24,8),
  total_tva numeric(24,8), total_ttc numeric(24,8), product_type integer default 0, date_start timestamp,
  date_end timestamp, info_bits integer default 0, fk_code_ventilation integer not null default 0,
  rang integer default 0, special_code integer default 0, import_key varchar(14));

create table llx_paiement (
  rowid serial primary key, ref varchar(30), entity integer not null default 1, datec timestamp,
  tms timestamp default current_timestamp, datep timestamp, amount numeric(24,8) default 0,
  multicurrency_amount numeric(24,8) default 0, fk_paiement integer not null, num_paiement varchar(50),
  note text, fk_bank integer not null default 0, fk_user_creat integer, statut smallint not null default 0,
  ext_payment_id varchar(128), ext_payment_site varchar(128));

create table llx_paiement_facture (
  rowid serial primary key, fk_paiement integer, fk_facture integer, amount numeric(24,8) default 0,
  multicurrency_amount numeric(24,8) default 0,
  constraint uk_paiement_facture unique (fk_paiement, fk_facture));

create table llx_bank_account (
  rowid serial primary key, datec timestamp, tms timestamp default current_timestamp, ref varchar(12) not null,
  label varchar(30) not null, entity integer not null default 1, bank varchar(60), code_banque varchar(128),
  number varchar(255), iban_prefix varchar(34), bic varchar(11), currency_code varchar(3) not null,
  clos smallint not null default 0, rappro smallint default 1, comment text,
  constraint uk_bank_account_label unique (label, entity));

create table llx_bank (
  rowid serial primary key, datec timestamp, tms timestamp default current_timestamp, datev date, dateo date,
  amount numeric(24,8) not null default 0, label varchar(255), fk_account integer, fk_user_author integer,
  fk_type varchar(6), num_chq varchar(50), rappro smallint default 0, note text);

create table llx_accounting_account (
  rowid bigserial primary key, entity integer not null default 1, datec timestamp,
  tms timestamp default current_timestamp, fk_pcg_version varchar(32) not null, pcg_type varchar(20) not null,
  account_number varchar(32) not null, account_parent integer default 0, label varchar(255) not null,
  labelshort varchar(255), active smallint not null default 1,
  constraint uk_accounting_account unique (account_number, entity, fk_pcg_version));

create table llx_accounting_bookkeeping (
  rowid bigserial primary key, entity integer not null default 1, piece_num integer not null, doc_date date not null,
  doc_type varchar(30) not null, doc_ref varchar(300) not null, fk_doc integer not null, fk_docdet integer not null,
  thirdparty_code varchar(32), subledger_account varchar(32), subledger_label varchar(255),
  numero_compte varchar(32) not null, label_compte varchar(255) not null, label_operation varchar(255),
  debit numeric(24,8) not null, credit numeric(24,8) not null, montant numeric(24,8), sens varchar(1),
  multicurrency_amount numeric(24,8), multicurrency_code varchar(255), lettering_code varchar(255),
  date_lettering timestamp, fk_user_author integer not null, date_creation timestamp,
  tms timestamp default current_timestamp, code_journal varchar(32) not null, journal_label varchar(255),
  date_validated timestamp, date_export timestamp, import_key varchar(14), extraparams varchar(255));

create table llx_commande (
  rowid serial primary key, ref varchar(30) not null, entity integer not null default 1, fk_soc integer not null,
  date_creation timestamp, date_commande date, tms timestamp default current_timestamp,
  fk_statut smallint default 0, total_ht numeric(24,8) default 0, total_tva numeric(24,8) default 0,
  total_ttc numeric(24,8) default 0, fk_user_author integer, note_public text, note_private text,
  date_livraison date, import_key varchar(14), constraint uk_commande_ref unique (ref, entity));
create table llx_commandedet (
  rowid serial primary key, fk_commande integer not null, fk_product integer, label varchar(255), description text,
  tva_tx numeric(6,3), qty real, subprice numeric(24,8), total_ht numeric(24,8), total_tva numeric(24,8),
  total_ttc numeric(24,8), rang integer default 0);

create table llx_propal (
  rowid serial primary key, ref varchar(30) not null, entity integer not null default 1, fk_soc integer not null,
  datec timestamp, datep date, tms timestamp default current_timestamp, fk_statut smallint not null default 0,
  total_ht numeric(24,8) default 0, total_tva numeric(24,8) default 0, total_ttc numeric(24,8) default 0,
  fk_user_author integer, note_public text, note_private text, fin_validite timestamp, import_key varchar(14),
  constraint uk_propal_ref unique (ref, entity));
create table llx_propaldet (
  rowid serial primary key, fk_propal integer not null, fk_product integer, label varchar(255), description text,
  tva_tx numeric(6,3), qty real, subprice numeric(24,8), total_ht numeric(24,8), total_tva numeric(24,8),
  total_ttc numeric(24,8), rang integer default 0);

create table llx_facture_fourn (
  rowid serial primary key, ref varchar(180) not null, ref_supplier varchar(180) not null,
  entity integer not null default 1, fk_soc integer not null, datec timestamp, datef date,
  tms timestamp default current_timestamp, paye smallint not null default 0, total_ht numeric(24,8) default 0,
  total_tva numeric(24,8) default 0, total_ttc numeric(24,8) default 0, fk_statut smallint not null default 0,
  fk_user_author integer, note_public text, note_private text, import_key varchar(14),
  constraint uk_facture_fourn_ref unique (ref, entity));
create table llx_facture_fourn_det (
  rowid serial primary key, fk_facture_fourn integer not null, fk_product integer, label varchar(255),
  description text, tva_tx numeric(6,3), qty real, subprice numeric(24,8), total_ht numeric(24,8),
  total_tva numeric(24,8), total_ttc numeric(24,8), rang integer default 0);

create table llx_actioncomm (
  id serial primary key, ref varchar(30) not null, entity integer not null default 1, datep timestamp,
  datep2 timestamp, fk_action integer, code varchar(50), datec timestamp, tms timestamp default current_timestamp,
  fk_user_author integer, fk_soc integer, fk_contact integer, label varchar(255) not null, note text,
  percent smallint not null default 0, durationp real, location varchar(128), email_msgid varchar(255),
  extraparams varchar(255));

create table llx_const (
  rowid serial primary key, name varchar(180) not null, entity integer not null default 1, value text not null,
  type varchar(64) default 'string', visible smallint not null default 1, note text,
  tms timestamp default current_timestamp, constraint uk_const unique (name, entity));

create table llx_ecm_files (
  rowid serial primary key, ref varchar(128), label varchar(128) not null, share varchar(128),
  entity integer not null default 1, filepath varchar(255) not null, filename varchar(255) not null,
  src_object_type varchar(64), src_object_id integer, fullpath_orig varchar(750), description text,
  keywords varchar(750), position integer, gen_or_uploaded varchar(12), extraparams varchar(255),
  date_c timestamp, tms timestamp default current_timestamp, fk_user_c integer, content bytea);
alter table llx_ecm_files alter column content set storage external;

create table llx_website (
  rowid serial primary key, type_container varchar(16) not null default 'page', entity integer not null default 1,
  ref varchar(128) not null, description varchar(255), maincolor varchar(16), lang varchar(8),
  otherlang varchar(255), status integer default 1, virtualhost varchar(255), date_creation timestamp,
  tms timestamp default current_timestamp, constraint uk_website_ref unique (ref, entity));
create table llx_website_page (
  rowid serial primary key, fk_website integer not null, type_container varchar(16) not null default 'page',
  pageurl varchar(255) not null, aliasalt varchar(255), title varchar(255), description varchar(255),
  lang varchar(6), image varchar(255), keywords varchar(255), status integer default 1,
  date_creation timestamp, tms timestamp default current_timestamp, content text, htmlheader text,
  constraint uk_website_page_url unique (fk_website, pageurl));

create table llx_blockedlog (
  rowid serial primary key, entity integer not null default 1, date_creation timestamp,
  tms timestamp default current_timestamp, action varchar(50), amounts numeric(24,8) not null,
  element varchar(50), fk_user integer, user_fullname varchar(255), fk_object integer, ref_object varchar(255),
  date_object timestamp, signature varchar(100) not null, object_data text, certified smallint);

create or replace function llx_blockedlog_on_invoice_status() returns trigger language plpgsql as $$
begin
  if NEW.fk_statut is distinct from OLD.fk_statut and NEW.fk_statut = 1 then
    insert into llx_blockedlog (entity, date_creation, action, amounts, element, fk_user, fk_object,
                                ref_object, date_object, signature, object_data)
    values (NEW.entity, now(), 'BILL_VALIDATE', NEW.total_ttc, 'facture', NEW.fk_user_author, NEW.rowid,
            NEW.ref, NEW.datef,
            encode(sha256(convert_to(NEW.ref || '|' || NEW.total_ttc::text, 'UTF8')), 'hex'),
            row_to_json(NEW)::text);
  end if;
  return NEW;
end
$$;

create table schema_migrations (version varchar(32) primary key, applied_at timestamp not null, description text);
"""

# Core tables → (primary key column, foreign keys [(column, table, table's key)]).
CORE_KEYS = {
    "llx_c_country": ("rowid", []),
    "llx_c_currencies": ("code_iso", []),
    "llx_c_paiement": ("id", []),
    "llx_c_tva": ("rowid", [("fk_pays", "llx_c_country", "rowid")]),
    "llx_user": ("rowid", [("fk_user", "llx_user", "rowid")]),
    "llx_societe": ("rowid", [("fk_pays", "llx_c_country", "rowid"), ("fk_user_creat", "llx_user", "rowid"),
                              ("multicurrency_code", "llx_c_currencies", "code_iso")]),
    "llx_socpeople": ("rowid", [("fk_soc", "llx_societe", "rowid"), ("fk_pays", "llx_c_country", "rowid"),
                                ("fk_user_creat", "llx_user", "rowid")]),
    "llx_product": ("rowid", [("fk_user_author", "llx_user", "rowid")]),
    "llx_entrepot": ("rowid", [("fk_user_author", "llx_user", "rowid")]),
    "llx_product_stock": ("rowid", [("fk_product", "llx_product", "rowid"), ("fk_entrepot", "llx_entrepot", "rowid")]),
    "llx_stock_mouvement": ("rowid", [("fk_product", "llx_product", "rowid"), ("fk_entrepot", "llx_entrepot", "rowid"),
                                      ("fk_user_author", "llx_user", "rowid")]),
    "llx_projet": ("rowid", [("fk_soc", "llx_societe", "rowid"), ("fk_user_creat", "llx_user", "rowid")]),
    "llx_facture": ("rowid", [("fk_soc", "llx_societe", "rowid"), ("fk_user_author", "llx_user", "rowid"),
                              ("fk_projet", "llx_projet", "rowid"), ("fk_mode_reglement", "llx_c_paiement", "id"),
                              ("multicurrency_code", "llx_c_currencies", "code_iso")]),
    "llx_facturedet": ("rowid", [("fk_facture", "llx_facture", "rowid"), ("fk_product", "llx_product", "rowid")]),
    "llx_paiement": ("rowid", [("fk_paiement", "llx_c_paiement", "id"), ("fk_user_creat", "llx_user", "rowid")]),
    "llx_paiement_facture": ("rowid", [("fk_paiement", "llx_paiement", "rowid"), ("fk_facture", "llx_facture", "rowid")]),
    "llx_bank_account": ("rowid", [("currency_code", "llx_c_currencies", "code_iso")]),
    "llx_bank": ("rowid", [("fk_account", "llx_bank_account", "rowid"), ("fk_user_author", "llx_user", "rowid")]),
    "llx_accounting_account": ("rowid", []),
    "llx_accounting_bookkeeping": ("rowid", [("fk_doc", "llx_facture", "rowid"), ("fk_docdet", "llx_facturedet", "rowid"),
                                             ("fk_user_author", "llx_user", "rowid")]),
    "llx_commande": ("rowid", [("fk_soc", "llx_societe", "rowid"), ("fk_user_author", "llx_user", "rowid")]),
    "llx_commandedet": ("rowid", [("fk_commande", "llx_commande", "rowid"), ("fk_product", "llx_product", "rowid")]),
    "llx_propal": ("rowid", [("fk_soc", "llx_societe", "rowid"), ("fk_user_author", "llx_user", "rowid")]),
    "llx_propaldet": ("rowid", [("fk_propal", "llx_propal", "rowid"), ("fk_product", "llx_product", "rowid")]),
    "llx_facture_fourn": ("rowid", [("fk_soc", "llx_societe", "rowid"), ("fk_user_author", "llx_user", "rowid")]),
    "llx_facture_fourn_det": ("rowid", [("fk_facture_fourn", "llx_facture_fourn", "rowid"),
                                        ("fk_product", "llx_product", "rowid")]),
    "llx_actioncomm": ("id", [("fk_soc", "llx_societe", "rowid"), ("fk_user_author", "llx_user", "rowid"),
                              ("fk_contact", "llx_socpeople", "rowid")]),
    "llx_const": ("rowid", []),
    "llx_ecm_files": ("rowid", [("fk_user_c", "llx_user", "rowid")]),
    "llx_website": ("rowid", []),
    "llx_website_page": ("rowid", [("fk_website", "llx_website", "rowid")]),
    "llx_blockedlog": ("rowid", [("fk_user", "llx_user", "rowid")]),
}

CORE_INDEXES = """
create index idx_societe_nom on llx_societe (nom);
create index idx_societe_socialnetworks on llx_societe using gin (socialnetworks);
create index idx_socpeople_fk_soc on llx_socpeople (fk_soc);
create index idx_socpeople_email_lower on llx_socpeople (lower(email));
create index idx_product_label on llx_product (label);
create index idx_stock_mouvement_fk_product on llx_stock_mouvement (fk_product);
create index idx_stock_mouvement_datem on llx_stock_mouvement (datem);
create index idx_facture_fk_soc on llx_facture (fk_soc);
create index idx_facture_unpaid on llx_facture (fk_soc, datef) where paye = 0;
create index idx_facturedet_fk_facture on llx_facturedet (fk_facture);
create index idx_facturedet_fk_product on llx_facturedet (fk_product);
create index idx_paiement_facture_fk_facture on llx_paiement_facture (fk_facture);
create index idx_bank_fk_account on llx_bank (fk_account);
create index idx_accounting_bookkeeping_doc_date on llx_accounting_bookkeeping (doc_date);
create index idx_accounting_bookkeeping_numero_compte on llx_accounting_bookkeeping (numero_compte, entity);
create index idx_accounting_bookkeeping_fk_doc on llx_accounting_bookkeeping (fk_doc);
create index idx_commandedet_fk_commande on llx_commandedet (fk_commande);
create index idx_propaldet_fk_propal on llx_propaldet (fk_propal);
create index idx_facture_fourn_det_fk_facture_fourn on llx_facture_fourn_det (fk_facture_fourn);
create index idx_actioncomm_datep on llx_actioncomm (datep);
create index idx_ecm_files_filepath on llx_ecm_files (filepath);

create view view_invoice_totals as
  select s.rowid as fk_soc, s.nom, count(f.rowid) as invoices, coalesce(sum(f.total_ttc), 0) as total_ttc
  from llx_societe s left join llx_facture f on f.fk_soc = s.rowid
  group by s.rowid, s.nom;
create view view_unpaid_invoices as
  select f.rowid, f.ref, f.datef, f.total_ttc, s.nom as customer, c.label as country
  from llx_facture f join llx_societe s on s.rowid = f.fk_soc left join llx_c_country c on c.rowid = s.fk_pays
  where f.paye = 0 and f.fk_statut = 1;
create materialized view mv_monthly_turnover as
  select date_trunc('month', datef)::date as month, count(*) as invoices, sum(total_ht) as total_ht
  from llx_facture where fk_statut > 0 group by 1 order by 1;

create trigger llx_facture_blockedlog after update of fk_statut on llx_facture
  for each row execute function llx_blockedlog_on_invoice_status();
"""

PGBOUNCER_SQL = """
do $$ begin
  if not exists (select 1 from pg_roles where rolname = 'pgbouncer') then
    create role pgbouncer nologin;
  end if;
end $$;
create schema pgbouncer;
create or replace function pgbouncer.user_lookup(in i_username text, out uname text, out phash text)
returns record language plpgsql security definer as $$
begin
  select usename, passwd from pg_catalog.pg_shadow where usename = i_username into uname, phash;
  return;
end
$$;
revoke all on function pgbouncer.user_lookup(text) from public;
grant execute on function pgbouncer.user_lookup(text) to pgbouncer;
grant usage on schema pgbouncer to pgbouncer;
"""


class _Model:
    """Every llx_ table: its key column, rows, whether it has tms, and its foreign keys."""

    def __init__(self, factor: float):
        self.f = factor
        self.n = {
            "llx_c_country": len(COUNTRIES), "llx_c_currencies": len(CURRENCIES), "llx_c_paiement": len(PAYMENT_MODES),
            "llx_c_tva": 20, "llx_user": 50, "llx_societe": _rows(3000, factor), "llx_socpeople": _rows(5000, factor),
            "llx_product": _rows(1000, factor), "llx_entrepot": len(WAREHOUSES), "llx_projet": _rows(300, factor),
            "llx_facture": _rows(20000, factor), "llx_stock_mouvement": _rows(100000, factor),
            "llx_commande": _rows(2000, factor), "llx_propal": _rows(1500, factor),
            "llx_facture_fourn": _rows(1500, factor), "llx_bank_account": 3, "llx_bank": _rows(10000, factor),
            "llx_accounting_account": 500, "llx_actioncomm": _rows(5000, factor), "llx_const": 300,
            "llx_ecm_files": 400, "llx_website": 2, "llx_website_page": 12, "llx_blockedlog": 0,
        }
        self.n["llx_societe"] = max(self.n["llx_societe"], len(NON_ASCII_NAMES))
        self.n["llx_product_stock"] = self.n["llx_product"] * self.n["llx_entrepot"]
        self.n["llx_facturedet"] = self.n["llx_facture"] * LINES_PER_INVOICE
        self.n["llx_paiement"] = self.n["llx_paiement_facture"] = self.n["llx_facture"] * 3 // 4
        self.n["llx_commandedet"] = self.n["llx_commande"] * 5
        self.n["llx_propaldet"] = self.n["llx_propal"] * 4
        self.n["llx_facture_fourn_det"] = self.n["llx_facture_fourn"] * 4
        self.n["llx_accounting_bookkeeping"] = min(_rows(100000, factor), self.n["llx_facturedet"])
        self.pk = {t: k for t, (k, _) in CORE_KEYS.items()}
        self.fks = [(t, c, rt, rk) for t, (_, fks) in CORE_KEYS.items() for c, rt, rk in fks]
        self.tms = {t for t in CORE_KEYS if t not in ("llx_c_country", "llx_c_currencies", "llx_c_paiement",
                                                      "llx_c_tva", "llx_paiement_facture", "llx_facturedet",
                                                      "llx_commandedet", "llx_propaldet", "llx_facture_fourn_det")}
        self.generic: list[tuple[str, str | None, bool]] = []  # (table, parent, soc)
        self.dicts: list[str] = []
        self.extrafields: list[tuple[str, str]] = []  # (table, parent)

        for i, line in enumerate(l for l in MODULE_TABLES.split("\n") if l.strip()):
            words = line.split()
            name = "llx_" + words[0]
            parent = next(("llx_" + w[7:] for w in words[1:] if w.startswith("parent=")), None)
            soc = "soc" in words[1:]
            self.generic.append((name, parent, soc))
            self.pk[name] = "rowid"
            self.tms.add(name)
            if parent is not None:
                self.n[name] = 0 if parent not in self.n or self.n[parent] == 0 else min(2 * self.n[parent], [3, 25, 120, 400][i % 4])
            else:
                self.n[name] = [0, 4, 30, 150, 12][i % 5]
            for col, ref in (("fk_soc", "llx_societe") if soc else (None, None),
                             ("fk_parent", parent), ("fk_user_creat", "llx_user")):
                if col and ref:
                    self.fks.append((name, col, ref, self.pk[ref]))
        for i, d in enumerate(DICTIONARIES):
            name = "llx_c_" + d
            self.dicts.append(name)
            self.pk[name] = "rowid"
            self.n[name] = 5 + (i * 7) % 30
        for parent in EXTRAFIELD_PARENTS:
            table = "llx_" + parent
            if table not in self.pk:
                raise ValueError(f"extrafields parent {table} is not defined")
            name = table + "_extrafields"
            self.extrafields.append((name, table))
            self.pk[name] = "rowid"
            self.tms.add(name)
            self.n[name] = min(self.n[table], 2000 if self.n[table] > 1000 else 60)
            self.fks.append((name, "fk_object", table, self.pk[table]))

    def llx_tables(self) -> list[str]:
        return [t for t in self.pk if t.startswith("llx_")]


def _generic_ddl(m: _Model) -> str:
    out = []
    for name, parent, soc in m.generic:
        cols = ["rowid serial primary key", "ref varchar(128) not null", "entity integer not null default 1",
                "label varchar(255)", "description text"]
        if parent:
            cols.append("fk_parent integer")
        if soc:
            cols.append("fk_soc integer")
        cols += ["amount numeric(24,8) default 0", "qty real", "date_start date", "date_creation timestamp",
                 "tms timestamp default current_timestamp", "fk_user_creat integer",
                 "status smallint not null default 0", "active boolean not null default true", "note_public text",
                 "extraparams jsonb", "import_key varchar(14)"]
        out.append(f"create table {name} (\n  " + ",\n  ".join(cols) + ");")
        out.append(f"create unique index {_idx('uk', name, 'ref')} on {name} (ref, entity);")
        if parent:
            out.append(f"create index {_idx('idx', name, 'fk_parent')} on {name} (fk_parent);")
    for name in m.dicts:
        out.append(f"create table {name} (rowid serial primary key, code varchar(32) not null, label varchar(255), "
                   f"entity integer not null default 1, active smallint not null default 1, module varchar(32), "
                   f"position integer not null default 0, "
                   f"constraint {_idx('uk', name)} unique (code, entity));")
    for name, parent in m.extrafields:
        out.append(f"create table {name} (rowid serial primary key, tms timestamp default current_timestamp, "
                   f"fk_object integer not null, import_key varchar(14), custom_ref varchar(64), "
                   f"custom_note text, custom_amount numeric(24,8), custom_date date, custom_flag boolean);")
        out.append(f"create unique index {_idx('idx', name, 'fk_object')} on {name} (fk_object);")
    return "\n".join(out)


def _core_data(m: _Model) -> tuple[list[str], list[str]]:
    """INSERT statements for the core tables as two independent lists that may run concurrently
    (keys are added afterwards; only the payments read the invoices, and they share a list)."""
    n = m.n
    U, S, P, W, F = n["llx_user"], n["llx_societe"], n["llx_product"], n["llx_entrepot"], n["llx_facture"]
    names = _sql_array(NON_ASCII_NAMES)
    labels = _sql_array(LABELS)
    countries = ", ".join(f"({quote_literal(c)}, {quote_literal(i)}, {quote_literal(l)}, {int(c in ('FR', 'DE', 'ES', 'IT', 'BE', 'PT', 'PL', 'SE', 'DK', 'AT', 'CZ', 'GR'))})"
                          for c, i, l in COUNTRIES)
    stmts = [
        f"insert into llx_c_country (code, code_iso, label, eec) values {countries};",
        "insert into llx_c_currencies (code_iso, label, unicode) values "
        + ", ".join(f"({quote_literal(c)}, {quote_literal(l)}, {quote_literal(u)})" for c, l, u in CURRENCIES) + ";",
        "insert into llx_c_paiement (code, libelle, type, module, position) values "
        + ", ".join(f"({quote_literal(c)}, {quote_literal(l)}, 2, 'facture', {i})" for i, (c, l) in enumerate(PAYMENT_MODES))
        + ";",
        "insert into llx_c_tva (fk_pays, code, taux, note) select 1 + (g - 1) / 2, '', "
        "case when g % 2 = 0 then 20.0 else 5.5 end, 'Taux réduit / normal' from generate_series(1, 20) g;",
        f"""insert into llx_user (login, pass_crypted, api_key, lastname, firstname, email, admin, fk_user, birth,
              salary, signature, photo, datec, tms, datelastlogin)
            select 'user' || g, '$2y$10$' || md5('pw' || g), case when g % 5 = 0 then md5('api' || g) end,
              ({names})[1 + g % {len(NON_ASCII_NAMES)}], 'Prénom' || g, 'user' || g || '@example.test',
              (g = 1)::int, case when g > 1 then 1 + g % 5 end, date '1970-01-01' + g * 211,
              (2500 + g * 37.123)::numeric(24,8), '-- ' || 'Signé: ' || g || E'\\nDirection générale',
              decode(repeat(md5('photo' || g), 8), 'hex'), timestamp '2015-01-01' + g * interval '3 days',
              timestamp '2020-01-01', timestamp '2024-01-01' + g * interval '5 hours'
            from generate_series(1, {U}) g;""",
        f"""insert into llx_societe (nom, name_alias, statut, code_client, code_fournisseur, address, zip, town, fk_pays,
              phone, email, url, siren, siret, tva_intra, capital, client, fournisseur, note_private, note_public,
              multicurrency_code, socialnetworks, datec, tms, fk_user_creat, import_key)
            select case when g <= {len(NON_ASCII_NAMES)} then ({names})[g]
                        else ({names})[1 + g % {len(NON_ASCII_NAMES)}] || ' n°' || g end,
              case when g % 4 = 0 then 'Alias ' || g end, 0, 'CU' || lpad(g::text, 6, '0'),
              case when g % 5 = 0 then 'SU' || lpad(g::text, 6, '0') end,
              g || ', rue de l''Église', lpad((g * 37 % 99999)::text, 5, '0'), 'Ville-' || g % 97,
              1 + g % {len(COUNTRIES)}, '+33 1 ' || lpad((g * 7919 % 100000000)::text, 8, '0'),
              'contact' || g || '@example.test', 'https://www.example.test/' || g, lpad((g * 13)::text, 9, '0'),
              lpad((g * 13)::text, 14, '0'), 'FR' || lpad((g * 17 % 100000000000)::text, 11, '0'),
              (g * 1234.56789)::numeric(24,8), g % 3, (g % 5 = 0)::int,
              case when g % 10 = 0 then {quote_literal(NOTE_WITH_CONTROLS)} end,
              case when g % 7 = 0 then repeat('Note publique — client fidèle. ', 1 + g % 20) end,
              ('{{EUR,USD,GBP,JPY,CHF}}'::text[])[1 + g % 5],
              case when g % 3 = 0 then jsonb_build_object('linkedin', 'societe-' || g, 'twitter', '@soc' || g,
                                                          'tags', jsonb_build_array('é', '日本', g)) end,
              timestamp '2012-03-01' + g * interval '1 hour', timestamp '2020-01-01', 1 + g % {U},
              case when g % 50 = 0 then 'IMP' || g end
            from generate_series(1, {S}) g;""",
        f"""insert into llx_socpeople (datec, tms, fk_soc, civility, lastname, firstname, address, zip, town, fk_pays,
              birthday, poste, phone, email, note_public, fk_user_creat)
            select timestamp '2013-01-01' + g * interval '50 minutes', timestamp '2020-01-01', 1 + g % {S},
              ('{{MR,MME,DR}}'::text[])[1 + g % 3], 'Nom-' || g || ' ' || ({names})[1 + g % {len(NON_ASCII_NAMES)}],
              'Contact', g || ' avenue Jean-Jaurès', '75' || lpad((g % 1000)::text, 3, '0'), 'Paris',
              1 + g % {len(COUNTRIES)}, date '1960-01-01' + g % 15000, 'Responsable achats',
              '+49 89 ' || g, 'Contact.' || g || '@Example.test',
              case when g % 9 = 0 then 'Préfère être contacté le matin ☀️' end, 1 + g % {U}
            from generate_series(1, {n['llx_socpeople']}) g;""",
        f"""insert into llx_product (ref, datec, tms, label, description, note, price, price_ttc, price_min, tva_tx,
              tosell, tobuy, fk_product_type, duration, weight, barcode, stock, pmp, fk_user_author)
            select 'PROD-' || lpad(g::text, 5, '0'), timestamp '2014-01-01' + g * interval '1 day',
              timestamp '2020-01-01', ({labels})[1 + g % {len(LABELS)}] || ' #' || g,
              repeat('Description détaillée du produit ' || g || ' — garantie 2 ans. ', 1 + g % 12), null,
              ((g % 997) + 0.12345678)::numeric(24,8), ((g % 997) * 1.2 + 0.14814814)::numeric(24,8),
              (g % 500)::numeric(24,8), 20.0, 1, (g % 3 > 0)::int, (g % 4 = 0)::int,
              case when g % 4 = 0 then '1y' end, g * 0.25, '3760' || lpad(g::text, 9, '0'), (g % 300)::real,
              ((g % 400) + 0.5)::numeric(24,8), 1 + g % {U}
            from generate_series(1, {P}) g;""",
        "insert into llx_entrepot (ref, description, lieu, town, fk_pays, datec, tms, fk_user_author) values "
        + ", ".join(f"({quote_literal(w)}, 'Dépôt principal', {quote_literal(w[:64])}, 'Ville', {i + 1}, "
                    f"timestamp '2015-06-01', timestamp '2020-01-01', 1)" for i, w in enumerate(WAREHOUSES)) + ";",
        f"""insert into llx_product_stock (tms, fk_product, fk_entrepot, reel)
            select timestamp '2020-01-01', p, e, ((p * e) % 250)::real
            from generate_series(1, {P}) p cross join generate_series(1, {W}) e order by p, e;""",
        f"""insert into llx_stock_mouvement (tms, datem, fk_product, batch, eatby, sellby, fk_entrepot, value, price,
              type_mouvement, fk_user_author, label, inventorycode, fk_origin, origintype)
            select timestamp '2020-01-01', timestamp '2018-01-01' + g * interval '7 minutes', 1 + (g * 31) % {P},
              case when g % 7 = 0 then 'LOT-' || (g / 7) end, case when g % 7 = 0 then date '2026-01-01' + g % 700 end,
              null, 1 + g % {W}, ((g % 21) - 10)::real, ((g % 1000) / 3.0)::numeric(24,8), g % 4, 1 + g % {U},
              ('{{"Correction du stock","Expédition client","Réception fournisseur","Transfert inter-entrepôts"}}'::text[])[1 + g % 4]
                || ' — PROD-' || lpad((1 + (g * 31) % {P})::text, 5, '0'),
              'INV' || (g / 1000), case when g % 3 = 0 then 1 + g % {F} end,
              case when g % 3 = 0 then 'facture' end
            from generate_series(1, {n['llx_stock_mouvement']}) g;""",
        f"""insert into llx_projet (fk_soc, datec, tms, dateo, datee, ref, title, description, fk_user_creat, public,
              fk_statut, budget_amount, note_private)
            select 1 + g % {S}, timestamp '2016-01-01' + g * interval '5 days', timestamp '2020-01-01',
              date '2016-01-01' + g * 5, date '2016-06-01' + g * 5, 'PJ' || lpad(g::text, 5, '0'),
              'Projet ' || ({labels})[1 + g % {len(LABELS)}], repeat('Étape ' || g || '. ', 10), 1 + g % {U},
              g % 2, g % 3, (g * 1000.5)::numeric(24,8), case when g % 4 = 0 then {quote_literal(NOTE_WITH_CONTROLS)} end
            from generate_series(1, {n['llx_projet']}) g;""",
    ]
    other, stmts = stmts, []
    # documents with lines: line k of document g has qty k and subprice ((g*k) % 500) + 10.5; totals match.
    def doc(head, line, fk, count, per, ref_prefix, date_col, extra_cols="", extra_vals=""):
        total = f"(select sum((((g * k) % 500) + 10.5) * k) from generate_series(1, {per}) k)"
        stmts.append(f"""insert into {head} (ref, fk_soc, {date_col}, tms, fk_statut, total_ht, total_tva, total_ttc,
                  fk_user_author, note_public{extra_cols})
                select '{ref_prefix}' || to_char(date '2019-01-01' + g % 2000, 'YYMM') || '-' || lpad(g::text, 5, '0'),
                  1 + (g * 7) % {S}, date '2019-01-01' + g % 2000, timestamp '2020-01-01',
                  case when g % 10 = 0 then 0 else 1 + g % 2 end, {total}, round({total} * 0.2, 8),
                  round({total} * 1.2, 8), 1 + g % {U},
                  case when g % 8 = 0 then 'Merci pour votre confiance — ありがとうございます 🙏' end{extra_vals}
                from generate_series(1, {count}) g;""")
        stmts.append(f"""insert into {line} ({fk}, fk_product, label, description, tva_tx, qty, subprice, total_ht,
                  total_tva, total_ttc, rang)
                select g, 1 + (g * k) % {P}, ({labels})[1 + (g + k) % {len(LABELS)}],
                  case when k = 1 then 'Prestation réalisée du ' || to_char(date '2019-01-01' + g % 2000, 'DD/MM/YYYY')
                       when k = 2 then E'Détail:\\n- poste 1\\n- poste 2\\t(forfait)' end,
                  20.000, k, (((g * k) % 500) + 10.5)::numeric(24,8), ((((g * k) % 500) + 10.5) * k)::numeric(24,8),
                  round(((((g * k) % 500) + 10.5) * k) * 0.2, 8), round(((((g * k) % 500) + 10.5) * k) * 1.2, 8), k
                from generate_series(1, {count}) g cross join generate_series(1, {per}) k order by g, k;""")

    doc("llx_facture", "llx_facturedet", "fk_facture", F, LINES_PER_INVOICE, "FA", "datef",
        ", datec, type, paye, fk_projet, fk_cond_reglement, fk_mode_reglement, multicurrency_code, "
        "date_lim_reglement, model_pdf, last_main_doc, extraparams",
        f", timestamp '2019-01-01' + g * interval '2 hours', case when g % 50 = 0 then 2 else 0 end, "
        f"(g % 3 > 0)::int, case when g % 10 = 0 then 1 + g % {n['llx_projet']} end, 1, 1 + g % {len(PAYMENT_MODES)}, "
        f"'EUR', date '2019-01-31' + g % 2000, 'sponge', "
        f"'facture/FA' || to_char(date '2019-01-01' + g % 2000, 'YYMM') || '-' || lpad(g::text, 5, '0') || '.pdf', "
        f"case when g % 20 = 0 then jsonb_build_object('online_signature', jsonb_build_object('ip', '192.0.2.' || g % 250, 'date', g)) end")
    doc("llx_commande", "llx_commandedet", "fk_commande", n["llx_commande"], 5, "CO", "date_commande",
        ", date_creation", ", timestamp '2019-01-01' + g * interval '8 hours'")
    doc("llx_propal", "llx_propaldet", "fk_propal", n["llx_propal"], 4, "PR", "datep",
        ", datec, fin_validite", ", timestamp '2019-01-01' + g * interval '12 hours', timestamp '2019-02-01' + g * interval '12 hours'")
    doc("llx_facture_fourn", "llx_facture_fourn_det", "fk_facture_fourn", n["llx_facture_fourn"], 4, "SI", "datef",
        ", ref_supplier, datec", ", 'FOURN-' || g || '/' || (g % 13), timestamp '2019-01-01' + g * interval '12 hours'")

    stmts += [
        "select setval('llx_facture_ref_seq', (select max(rowid) + 1000 from llx_facture));",
        f"""insert into llx_paiement (ref, datec, tms, datep, amount, multicurrency_amount, fk_paiement, num_paiement,
              note, fk_user_creat, statut)
            select 'PAY' || lpad(f.rowid::text, 6, '0'), f.datec + interval '1 day', timestamp '2020-01-01',
              f.datef + interval '15 days', f.total_ttc, f.total_ttc, f.fk_mode_reglement,
              case when f.fk_mode_reglement = 2 then 'CHQ-' || f.rowid end,
              case when f.rowid % 11 = 0 then 'Règlement partiel — solde à suivre' end, f.fk_user_author, 1
            from llx_facture f where f.rowid <= {n['llx_paiement']} order by f.rowid;""",
        f"""insert into llx_paiement_facture (fk_paiement, fk_facture, amount, multicurrency_amount)
            select g, g, f.total_ttc, f.total_ttc from generate_series(1, {n['llx_paiement_facture']}) g
            join llx_facture f on f.rowid = g order by g;""",
    ]
    documents, stmts = stmts, other
    stmts += [
        """insert into llx_bank_account (datec, tms, ref, label, bank, code_banque, number, iban_prefix, bic,
              currency_code, comment) values
            (timestamp '2015-01-01', timestamp '2020-01-01', 'CCP', 'Compte courant', 'Crédit Agricole', '30006',
             '00010123456', 'FR7630006000011234567890189', 'AGRIFRPP', 'EUR', 'Compte principal'),
            (timestamp '2015-01-01', timestamp '2020-01-01', 'DEU', 'Geschäftskonto', 'Sparkasse München', '70150000',
             '1234567890', 'DE89370400440532013000', 'SSKMDEMM', 'EUR', 'Konto für Überweisungen'),
            (timestamp '2015-01-01', timestamp '2020-01-01', 'JPY', '普通預金', '三菱UFJ銀行', '0005', '1234567',
             null, 'BOTKJPJT', 'JPY', '円建て口座');""",
        f"""insert into llx_bank (datec, tms, datev, dateo, amount, label, fk_account, fk_user_author, fk_type,
              num_chq, rappro, note)
            select timestamp '2018-01-01' + g * interval '90 minutes', timestamp '2020-01-01',
              date '2018-01-01' + g / 16, date '2018-01-01' + g / 16,
              (case when g % 3 = 0 then -1 else 1 end * ((g * 7919) % 100000) / 100.0)::numeric(24,8),
              ('{{"(CustomerInvoicePayment)","(SupplierInvoicePayment)","Virement reçu","Prélèvement SEPA","Frais bancaires"}}'::text[])[1 + g % 5],
              1 + g % 3, 1 + g % {U}, ('{{VIR,PRE,CB,CHQ,LIQ}}'::text[])[1 + g % 5],
              case when g % 5 = 3 then 'CHQ' || g end, (g % 4 > 0)::int,
              case when g % 13 = 0 then 'Rapprochement manuel — écart de 0,01 €' end
            from generate_series(1, {n['llx_bank']}) g;""",
        f"""insert into llx_accounting_account (datec, tms, fk_pcg_version, pcg_type, account_number, account_parent,
              label, labelshort)
            select timestamp '2015-01-01', timestamp '2020-01-01', 'PCG18-ASSOC',
              ('{{ASSET,LIABILITY,EXPENSE,INCOME,CAPITAL}}'::text[])[1 + g % 5],
              (1 + g % 7)::text || lpad(g::text, 7, '0'), case when g > 10 then 1 + g % 10 else 0 end,
              'Compte ' || g || ' — ' || ({labels})[1 + g % {len(LABELS)}], 'C' || g
            from generate_series(1, {n['llx_accounting_account']}) g;""",
        f"""insert into llx_accounting_bookkeeping (piece_num, doc_date, doc_type, doc_ref, fk_doc, fk_docdet,
              thirdparty_code, subledger_account, subledger_label, numero_compte, label_compte, label_operation,
              debit, credit, montant, sens, multicurrency_amount, multicurrency_code, lettering_code, date_lettering,
              fk_user_author, date_creation, tms, code_journal, journal_label, date_validated)
            select 1 + (g - 1) / {LINES_PER_INVOICE}, date '2019-01-01' + ((1 + (g - 1) / {LINES_PER_INVOICE}) % 2000),
              'customer_invoice', 'FA' || lpad((1 + (g - 1) / {LINES_PER_INVOICE})::text, 5, '0'),
              1 + (g - 1) / {LINES_PER_INVOICE}, g,
              'CU' || lpad((1 + (g * 7) % {S})::text, 6, '0'), '411' || lpad((g % 999)::text, 5, '0'),
              'Client n°' || (g % 999), case when g % 2 = 0 then '70600000' else '41100000' end,
              case when g % 2 = 0 then 'Prestations de services' else 'Clients — ventes de biens' end,
              'Facture ' || (1 + (g - 1) / {LINES_PER_INVOICE}) || ' — ligne ' || g,
              case when g % 2 = 1 then ((g % 5000) + 0.25)::numeric(24,8) else 0 end,
              case when g % 2 = 0 then ((g % 5000) + 0.25)::numeric(24,8) else 0 end,
              ((g % 5000) + 0.25)::numeric(24,8), case when g % 2 = 1 then 'D' else 'C' end,
              ((g % 5000) + 0.25)::numeric(24,8), 'EUR', case when g % 4 = 0 then 'AAA' || (g / 4) end,
              case when g % 4 = 0 then timestamp '2020-06-01' + g * interval '1 minute' end, 1 + g % {U},
              timestamp '2019-01-02' + g * interval '3 minutes', timestamp '2020-01-01', 'VT', 'Journal des ventes',
              case when g % 3 = 0 then timestamp '2021-01-01' end
            from generate_series(1, {n['llx_accounting_bookkeeping']}) g;""",
        f"""insert into llx_actioncomm (ref, datep, datep2, fk_action, code, datec, tms, fk_user_author, fk_soc,
              fk_contact, label, note, percent, durationp, location, email_msgid)
            select 'AC' || g, timestamp '2018-01-01' + g * interval '4 hours',
              timestamp '2018-01-01' + g * interval '4 hours' + interval '30 minutes', 1 + g % 5,
              ('{{AC_TEL,AC_RDV,AC_EMAIL,AC_OTH_AUTO,AC_BILL_VALIDATE}}'::text[])[1 + g % 5],
              timestamp '2018-01-01' + g * interval '4 hours', timestamp '2020-01-01', 1 + g % {U}, 1 + g % {S},
              case when g % 2 = 0 then 1 + g % {n['llx_socpeople']} end,
              ('{{"Appel téléphonique","Rendez-vous client","Courriel envoyé","Facture validée","会議"}}'::text[])[1 + g % 5]
                || ' #' || g,
              case when g % 6 = 0 then 'Compte rendu: ' || repeat('discussion tarifaire, délais, qualité. ', 1 + g % 30) end,
              case when g % 2 = 0 then 100 else -1 end, 1800, case when g % 4 = 0 then 'Salle Ébène — 2ᵉ étage' end,
              case when g % 5 = 2 then '<' || md5(g::text) || '@mail.example.test>' end
            from generate_series(1, {n['llx_actioncomm']}) g;""",
        f"""insert into llx_const (name, value, type, visible, note, tms)
            select 'MAIN_SETTING_' || g, case when g % 10 = 0 then 'Valeur accentuée ' || g else g::text end,
              case when g % 10 = 0 then 'chaine' else 'yesno' end, (g % 2)::smallint,
              case when g % 25 = 0 then 'Paramètre — ne pas modifier' end, timestamp '2020-01-01'
            from generate_series(1, {n['llx_const'] - 2}) g;""",
        """insert into llx_const (name, value, type, note, tms) values
            ('MAIN_INFO_SOCIETE_NOM', 'Société Démo — 日本支社 🎉', 'chaine', null, timestamp '2020-01-01'),
            ('MAIN_BIG_JSON_CONFIG', (select '{"rules": [' || string_agg(format('{"id": %s, "label": "Règle n°%s — 規則", "enabled": %s}',
                                      g, g, (g % 2 = 0)::text), ', ' order by g) || ']}' from generate_series(1, 2500) g),
             'json', 'Configuration volumineuse (>100 Ko)', timestamp '2020-01-01');""",
        f"""insert into llx_ecm_files (ref, label, share, filepath, filename, src_object_type, src_object_id,
              fullpath_orig, description, keywords, position, gen_or_uploaded, date_c, tms, fk_user_c, content)
            select md5('ref' || g), md5('label' || g), case when g % 9 = 0 then md5('share' || g) end,
              'facture/FA' || lpad(g::text, 5, '0'), 'FA' || lpad(g::text, 5, '0') || case when g % 17 = 0 then ' – copie é.pdf' else '.pdf' end,
              'facture', g, 'FA' || g || '.pdf', case when g % 5 = 0 then 'Scan signé 🖊️' end,
              case when g % 3 = 0 then 'facture,client,payé' end, g, ('{{generated,uploaded}}'::text[])[1 + g % 2],
              timestamp '2019-01-01' + g * interval '1 day', timestamp '2020-01-01', 1 + g % {U},
              case when g = 1 then (select string_agg(set_byte('\\x00'::bytea, 0, b), ''::bytea order by r, b)
                                    from generate_series(1, 4) r cross join generate_series(0, 255) b)
                   when g % 50 = 0 then (select string_agg(sha256(int4send(g * 100000 + j)), ''::bytea order by j)
                                         from generate_series(1, 8192) j)
                   else decode(repeat(md5(g::text), 32 + g % 200), 'hex') end
            from generate_series(1, {n['llx_ecm_files']}) g;""",
        """insert into llx_website (ref, description, maincolor, lang, otherlang, virtualhost, date_creation, tms) values
            ('vitrine', 'Site vitrine — présentation', '#0055a4', 'fr', 'en,de,ja', 'https://www.example.test', timestamp '2019-01-01', timestamp '2020-01-01'),
            ('shop', 'Boutique en ligne 🛒', '#ef4135', 'fr', 'en', 'https://shop.example.test', timestamp '2019-01-01', timestamp '2020-01-01');""",
        f"""insert into llx_website_page (fk_website, pageurl, title, description, lang, keywords, date_creation, tms,
              content, htmlheader)
            select 1 + g % 2, 'page-' || g, 'Page ' || g || ' — Bienvenue', 'Présentation n°' || g,
              ('{{fr,en,de,ja}}'::text[])[1 + g % 4], 'erp,dolibarr,gestion', timestamp '2019-01-01', timestamp '2020-01-01',
              (select string_agg(format('<section id="s%s"><h2>Bienvenue chez Société Démo — 日本語 🎉 (%s)</h2>'
                                        '<p>Facturation, comptabilité, stocks: «tout-en-un». Ünïcödé ✓ — %s</p></section>',
                                        j, g, md5((g * 10000 + j)::text)), E'\\n' order by j)
               from generate_series(1, 800 + g * 40) j),
              '<meta charset="utf-8"><title>Démo</title>'
            from generate_series(1, {n['llx_website_page']}) g;""",
        """insert into llx_blockedlog (entity, date_creation, tms, action, amounts, element, fk_user, user_fullname,
              fk_object, ref_object, date_object, signature, object_data, certified)
            select 1, timestamp '2019-01-01' + g * interval '1 day', timestamp '2020-01-01', 'BILL_PAYED',
              (g * 10.5)::numeric(24,8), 'facture', 1, 'Administrateur Système', g, 'FA' || lpad(g::text, 5, '0'),
              timestamp '2019-01-01' + g * interval '1 day', encode(sha256(int4send(g)), 'hex'),
              jsonb_build_object('ref', 'FA' || g, 'amount', g * 10.5)::text, 1
            from generate_series(1, 100) g;""",
        """insert into schema_migrations (version, applied_at, description)
            select '2024.' || lpad(g::text, 3, '0'), timestamp '2024-01-01' + g * interval '1 day', 'migration ' || g
            from generate_series(1, 40) g;""",
    ]
    return documents, stmts


def _generic_data(m: _Model) -> list[str]:
    n = m.n
    S, U = n["llx_societe"], n["llx_user"]
    labels = _sql_array(LABELS)
    stmts = []
    for name, parent, soc in m.generic:
        rows = n[name]
        if not rows:
            continue
        short = name[4:].upper()[:20]
        cols = ["ref", "label", "description", "amount", "qty", "date_start", "date_creation", "tms",
                "fk_user_creat", "status", "active", "note_public", "extraparams"]
        vals = [f"'{short}-' || lpad(g::text, 5, '0')", f"({labels})[1 + g % {len(LABELS)}]",
                "case when g % 3 = 0 then 'Élément généré n°' || g || E'\\nSecond line' end",
                "(g * 3.14159265)::numeric(24,8)", "(g % 10)::real", "date '2020-01-01' + g",
                "timestamp '2020-01-01' + g * interval '1 hour'", "timestamp '2020-01-01'", f"1 + g % {U}",
                "(g % 3)::smallint", "(g % 4 > 0)", "case when g % 5 = 0 then 'Note publique ✓' end",
                "case when g % 4 = 0 then jsonb_build_object('g', g, 'tag', 'étiquette') end"]
        if parent:
            cols.append("fk_parent")
            vals.append(f"1 + g % {n[parent]}")
        if soc:
            cols.append("fk_soc")
            vals.append(f"1 + (g * 13) % {S}")
        stmts.append(f"insert into {name} ({', '.join(cols)}) select {', '.join(vals)} "
                     f"from generate_series(1, {rows}) g;")
    for name in m.dicts:
        code = name[6:].upper()[:10]
        stmts.append(f"insert into {name} (code, label, active, module, position) "
                     f"select '{code}_' || g, ({labels})[1 + g % {len(LABELS)}] || ' (' || g || ')', "
                     f"(g % 7 > 0)::int, case when g % 2 = 0 then 'core' end, g "
                     f"from generate_series(1, {n[name]}) g;")
    for name, parent in m.extrafields:
        if n[name]:
            stmts.append(f"insert into {name} (tms, fk_object, custom_ref, custom_note, custom_amount, custom_date, "
                         f"custom_flag) select timestamp '2020-01-01', g, 'X-' || g, "
                         f"case when g % 2 = 0 then 'Champ personnalisé — 自定义字段 ' || g end, "
                         f"(g * 1.5)::numeric(24,8), date '2021-01-01' + g, g % 2 = 0 "
                         f"from generate_series(1, {n[name]}) g;")
    return stmts


def _keys_and_triggers(m: _Model) -> list[str]:
    stmts = []
    for table, col, ref, refcol in m.fks:
        stmts.append(f"alter table {table} add constraint {_idx('fk', table, col)} "
                     f"foreign key ({col}) references {ref} ({refcol});")
    for table in sorted(m.tms):
        stmts.append(f"create trigger update_customer_modtime before update on {table} "
                     f"for each row execute procedure update_modified_column_tms();")
    return stmts


def generate_erp_database(pg: PostgresServer, db: str, scale: str = "small", target_bytes: int | None = None,
                          owner: str | None = None, seed: int = 1) -> dict:
    """Create (if missing) and fill `db` with the Dolibarr-like schema; return a summary.

    scale: "small" (≥ 295 llx_ tables, biggest tables ≥ 10^5 rows, well under 30 s on 2 cores) or
    "tiny" (same objects, 1/20 of the rows). target_bytes: after the `scale` data, add rows of
    incompressible bytea/base64 text to llx_ecm_files until `pg_dump -Fc` is about that size
    (measured once for the base, payload estimated from the known compression of random data; the
    summary's `dump_bytes_estimate` says what to expect, within a few percent).
    owner: a role that will own every llx_ object (SET ROLE; it must be able to create in `db`,
    e.g. its owner); the pgbouncer schema stays the superuser's, as pgbouncer's own install does.
    The database must not already hold the schema. Raises PsqlError on any SQL failure.

    Summary keys: database, scale, seconds, tables, llx_tables, views, matviews, sequences, indexes,
    functions, triggers, foreign_keys, rows (total), rows_by_table, biggest_table (name, rows),
    database_bytes (pg_database_size), payload_bytes (target mode), dump_bytes_estimate (target mode).
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r} (one of {', '.join(SCALES)})")
    started = time.monotonic()
    if pg.scalar("postgres", f"select count(*) from pg_database where datname = {quote_literal(db)}") != "1":
        pg.create_database(db, owner=owner)
    model = _Model(SCALES[scale])
    llx = model.llx_tables()
    if len(llx) < MIN_LLX_TABLES:
        raise AssertionError(f"the model defines only {len(llx)} llx_ tables, fewer than {MIN_LLX_TABLES}")

    prologue = (f"set role {quote_ident(owner)};\n" if owner else "") + "set client_min_messages = warning;\n"
    # Three phases, as Dolibarr's own install does: tables, then data, then keys, indexes and
    # triggers (each index and key built once instead of maintained row by row). The data goes in
    # over two sessions at once (two cores); each loader is one transaction.
    pg.psql(db, prologue + CORE_DDL + _generic_ddl(model), single_transaction=True)
    documents, others = _core_data(model)
    loaders = [documents + _generic_data(model), others]
    with concurrent.futures.ThreadPoolExecutor(len(loaders)) as pool:
        for f in [pool.submit(pg.psql, db, prologue + "\n".join(stmts), single_transaction=True) for stmts in loaders]:
            f.result()
    pg.psql(db, prologue + "\n".join(_keys_and_triggers(model)) + CORE_INDEXES, single_transaction=True)
    pg.psql(db, "set client_min_messages = warning;\n" + PGBOUNCER_SQL, single_transaction=True)

    summary: dict = {"database": db, "scale": scale}
    if target_bytes:
        base_dump = dump_size(pg, db)
        payload = _add_payload(pg, db, max(0, target_bytes - base_dump), seed)
        summary.update(payload_bytes=payload["raw_bytes"], dump_bytes_estimate=base_dump + payload["dump_bytes_estimate"])
    summary.update(pg.object_counts(db))
    counts = pg.query(db, " union all ".join(
        f"select {quote_literal(t)} as t, count(*) as n from {t}" for t in [*llx, "schema_migrations"]))
    rows_by_table = {r["t"]: int(r["n"]) for r in counts}
    biggest = max(rows_by_table.items(), key=lambda kv: kv[1])
    summary.update(rows=sum(rows_by_table.values()), rows_by_table=rows_by_table, biggest_table=biggest,
                   database_bytes=int(pg.scalar(db, f"select pg_database_size({quote_literal(db)})")),
                   seconds=round(time.monotonic() - started, 2))
    return summary


# -- size-targeted payload --------------------------------------------------------------------------
PAYLOAD_ROW_BYTEA = 240 * 1024   # random bytes per row
PAYLOAD_ROW_TEXT = 16 * 1024     # characters of base64 (of random bytes) per row
DUMP_RATIO_BYTEA = 1.14          # dump bytes per random bytea byte: COPY writes hex (2x), zlib -6 keeps 57%
DUMP_RATIO_BASE64 = 0.76         # dump bytes per base64 character under zlib -6


def _add_payload(pg: PostgresServer, db: str, want_dump_bytes: int, seed: int) -> dict:
    """Stream rows of incompressible data into llx_ecm_files (COPY through psql, never in memory)."""
    import base64

    per_row_dump = PAYLOAD_ROW_BYTEA * DUMP_RATIO_BYTEA + PAYLOAD_ROW_TEXT * DUMP_RATIO_BASE64
    nrows = int(want_dump_bytes // per_row_dump) if want_dump_bytes > 0 else 0
    if nrows == 0:
        return {"raw_bytes": 0, "dump_bytes_estimate": 0, "rows": 0}
    start = int(pg.scalar(db, "select coalesce(max(rowid), 0) from llx_ecm_files"))
    rng = random.Random(seed)

    def rows():
        batch = []
        for i in range(1, nrows + 1):
            g = start + i
            blob = rng.randbytes(PAYLOAD_ROW_BYTEA).hex()
            text = base64.b64encode(rng.randbytes(PAYLOAD_ROW_TEXT * 3 // 4)).decode()
            batch.append(f"ecm-bench-{g}\tScan {g}.pdf\tecm/bench/{g // 1000}\tscan-{g:07d}.pdf\tecm\t{text}\t"
                         f"2024-01-01 00:00:00\t2024-01-01 00:00:00\t\\\\x{blob}\n")
            if len(batch) == 16:
                yield "".join(batch).encode()
                batch = []
        if batch:
            yield "".join(batch).encode()

    pg.copy_in(db, "copy llx_ecm_files (ref, label, filepath, filename, src_object_type, description, date_c, tms, "
                   "content) from stdin", rows())
    raw = nrows * (PAYLOAD_ROW_BYTEA + PAYLOAD_ROW_TEXT)
    return {"raw_bytes": raw, "dump_bytes_estimate": int(nrows * per_row_dump), "rows": nrows}


def dump_size(pg: PostgresServer, db: str, extra_args: tuple = ()) -> int:
    """Bytes of `pg_dump -Fc db` (streamed and counted, not stored). Raises on a pg_dump failure."""
    proc = subprocess.Popen([pg.bin("pg_dump"), "-Fc", "-w", *extra_args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=pg.client_env(db))
    total = 0
    while chunk := proc.stdout.read(1 << 20):
        total += len(chunk)
    err = proc.stderr.read()
    if proc.wait() != 0:
        raise RuntimeError(f"pg_dump of {db} failed (exit {proc.returncode}): {err.decode('utf-8', 'replace')[-2000:]}")
    return total
