// What every regression takes from its environment: the seed (NICSIM_SEED overrides a test's
// default, so a printed seed reproduces a failure) and the running test's name (the output
// folder of its run).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace nicsim::test {

inline uint64_t test_seed(uint64_t dflt) {
  const char* s = std::getenv("NICSIM_SEED");
  return s ? std::strtoull(s, nullptr, 0) : dflt;
}

// What a randomized test prints with every failure (SCOPED_TRACE(seed_note(seed))).
inline std::string seed_note(uint64_t seed) {
  return "seed " + std::to_string(seed) + " (NICSIM_SEED=" + std::to_string(seed) + " reproduces)";
}

// "Suite.Test" of the running test ("test" outside one).
inline std::string current_test_name() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return info ? std::string(info->test_suite_name()) + "." + info->name() : "test";
}

}  // namespace nicsim::test
