// Stand-ins for a stored db stream in unit tests of its readers (DumpSource, download_dump):
// bytes shaped like pg_dump's custom format, their zstd frame (DB_COMPRESSION=zstd), and the
// manifest record that describes what was stored.
#pragma once

#include <cstddef>
#include <string>

#include "catalog/manifest.h"

namespace erp::testing {

// The custom format's signature, then compressible "table data", at least `size` bytes.
std::string dump_archive_bytes(std::size_t size = 2'000'000);
// One zstd frame of `data`, as ZstdSink writes it (level 3).
std::string zstd_frame(const std::string& data);
// A committed stream record for `stored` (its size and SHA-256) under `key`.
catalog::StreamRecord stored_dump_record(std::string key, std::string compression,
                                         const std::string& stored);

}  // namespace erp::testing
