// Long runs (label `slow`): many frames through two NICs, for several seeds.
#include "fixture.h"

namespace nicsim::test {
namespace {

class NicSoak : public ::testing::TestWithParam<uint64_t> {};

// 50,000 frames each way per seed, every one checked.
TEST_P(NicSoak, FiftyThousandFramesEachWay) {
  const uint64_t seed = test_seed(GetParam());
  SCOPED_TRACE(seed_note(seed));
  TwoNics t;
  exchange_frames(t, 50'000, seed);
}

INSTANTIATE_TEST_SUITE_P(Seeds, NicSoak, ::testing::Values(101, 202, 303));

}  // namespace
}  // namespace nicsim::test
