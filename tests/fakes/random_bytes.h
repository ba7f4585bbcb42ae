// random_bytes: `size` incompressible bytes, the same for the same `seed` (std::mt19937_64), for
// tests that need data no codec shrinks and whose failures reproduce.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

namespace erp::testing {

inline std::string random_bytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::string data(size, '\0');
  for (char& c : data) c = static_cast<char>(random() & 0xff);
  return data;
}

}  // namespace erp::testing
