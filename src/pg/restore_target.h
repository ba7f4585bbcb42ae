// What a restore asks of its target database before it touches it (SPEC §6): who else is
// connected, and whose objects to drop. Each call runs on a session the caller opened with
// the RESTORE_PG* settings.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "pg/pg_session.h"

namespace erp::pg {

// Another session connected to the target database.
struct OtherSession {
  std::string pid;
  std::string user;              // "" when this role may not see it
  std::string application_name;  // e.g. "Dolibarr", "psql"
  std::string client_address;    // "" for a local socket or when hidden
};

// Every other client session connected to the session's current database.
Result<std::vector<OtherSession>> other_sessions(PgSession& session);

// DROP OWNED BY `role` CASCADE: every object the role owns in this database, and its grants.
// Relations and large objects are dropped first in batches (see the .cc for why), so a partly
// finished call leaves a partly emptied database: call it only once a restore is decided.
Result<void> drop_owned(PgSession& session, const std::string& role);

// The session's current_user (whom DROP OWNED drops when no RESTORE_ROLE is set).
Result<std::string> current_user(PgSession& session);

}  // namespace erp::pg
