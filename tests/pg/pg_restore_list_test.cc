#include "pg/pg_restore_list.h"

#include <doctest/doctest.h>

namespace erp::pg {

TEST_CASE("parse_toc counts TABLE entries, not TABLE DATA or other kinds") {
  const auto toc = parse_toc(
      ";\n; Archive created at 2026-11-30 02:00:00 UTC\n;     dbname: dolibarr\n;\n"
      "215; 1259 16385 TABLE public llx_societe erp\n"
      "216; 1259 16390 TABLE public llxaudit erp\n"
      "217; 1259 16395 SEQUENCE public llx_societe_rowid_seq erp\n"
      "3400; 0 16385 TABLE DATA public llx_societe erp\n"
      "3401; 0 0 SEQUENCE SET public llx_societe_rowid_seq erp\n"
      "3500; 2606 16400 CONSTRAINT public llx_societe llx_societe_pkey erp\n"
      "3600; 2606 16410 FK CONSTRAINT public llx_facture fk_facture_soc erp\n"
      "218; 1259 16420 TABLE sales llx_order erp\n"
      "220; 1255 16430 FUNCTION pgbouncer user_lookup(text) postgres\n");
  CHECK(toc.entries == 9);
  CHECK(toc.tables == 3);
  CHECK(toc.llx_tables == 2);
}

TEST_CASE("an empty listing has no tables") {
  CHECK(parse_toc("").tables == 0);
  CHECK(parse_toc(";\n; nothing\n").entries == 0);
}

}  // namespace erp::pg
