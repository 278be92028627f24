// The parameter scheme (nicsim/kern/param.h): ranges enforced on every assignment, text
// forms, set by name, errors that name the parameter and its range; CpuCosts on it.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "nicsim/kern/kernel.h"
#include "nicsim/kern/param.h"

namespace nicsim::kern {
namespace {

struct Knobs {
  Param<uint32_t> ring{256, "ring", "descriptors", 16, 4096, "descriptors per ring"};
  Param<int> weight{64, "weight", "packets", 1, 64, "poll budget"};
  Param<uint64_t> any{7, "any", "a count without limits"};
  Param<bool> on{true, "on", "a switch"};
  template <class V>
  void visit(V&& v) {
    v(ring);
    v(weight);
    v(any);
    v(on);
  }
};

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ParamError& e) {
    return e.what();
  }
  return "";
}

TEST(Param, AssignmentChecksTheRangeAndKeepsTheOldValue) {
  Knobs k;
  k.ring = 16;
  k.ring = 4096;
  EXPECT_EQ(k.ring(), 4096u);
  EXPECT_EQ(error_of([&] { k.ring = 15; }), "parameter 'ring' = 15 is out of range 16..4096 descriptors");
  EXPECT_EQ(error_of([&] { k.ring = 4097; }), "parameter 'ring' = 4097 is out of range 16..4096 descriptors");
  EXPECT_EQ(k.ring(), 4096u);
  EXPECT_EQ(error_of([&] { k.weight = 0; }), "parameter 'weight' = 0 is out of range 1..64 packets");
  k.any = ~0ull;  // unbounded: any value of the type
  EXPECT_EQ(k.any(), ~0ull);
}

TEST(Param, CopyingAFieldCopiesTheValueNotTheName) {
  Knobs a, b;
  b.weight = 8;
  a.weight = b.weight;
  EXPECT_EQ(a.weight(), 8);
  EXPECT_STREQ(a.weight.name, "weight");
  EXPECT_EQ(error_of([&] { a.weight = b.ring; }), "parameter 'weight' = 256 is out of range 1..64 packets");
}

TEST(Param, SetByNameParsesTextAndChecks) {
  Knobs k;
  set_param(k, "ring", "1Ki");
  EXPECT_EQ(k.ring(), 1024u);
  set_param(k, "ring", "0x20");
  EXPECT_EQ(k.ring(), 32u);
  set_param(k, "on", "off");
  EXPECT_FALSE(k.on());
  EXPECT_EQ(error_of([&] { set_param(k, "ring", "8"); }), "parameter 'ring' = 8 is out of range 16..4096 descriptors");
  EXPECT_EQ(error_of([&] { set_param(k, "ring", "-1"); }), "negative value: '-1'");
  EXPECT_EQ(error_of([&] { set_param(k, "ring", "5000000000"); }), "integer out of range: '5000000000'");
  EXPECT_EQ(error_of([&] { set_param(k, "weight", "-3"); }), "parameter 'weight' = -3 is out of range 1..64 packets");
  EXPECT_EQ(error_of([&] { set_param(k, "on", "maybe"); }), "not a bool: 'maybe' (true/false, 1/0, on/off, yes/no)");
  EXPECT_EQ(error_of([&] { set_param(k, "mtu", "9000"); }), "unknown parameter 'mtu' (valid: ring, weight, any, on)");
  EXPECT_EQ(k.ring(), 32u);
}

TEST(Param, DescribeListsUnitRangeAndHelp) {
  Knobs k;
  const auto list = describe(k);
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0].name, "ring");
  EXPECT_EQ(list[0].value, "256");
  EXPECT_EQ(list[0].unit, "descriptors");
  EXPECT_EQ(list[0].range, "16..4096 descriptors");
  EXPECT_EQ(list[2].unit, "count");
  EXPECT_EQ(list[2].range, "");
  EXPECT_EQ(list[3].value, "true");
  EXPECT_EQ(list[3].unit, "bool");
}

TEST(Param, CpuCostsAreNanosecondsWithinASecond) {
  CpuCosts c;
  for (const auto& i : describe(c)) {
    EXPECT_FALSE(i.help.empty()) << i.name;
    EXPECT_EQ(i.range, i.name == "per_kbyte_copy_ns" ? "0..1000000000 ns/KiB" : "0..1000000000 ns") << i.name;
  }
  EXPECT_EQ(c.irq_ns(), 1000u);
  set_param(c, "irq_ns", "2000");
  EXPECT_EQ(c.irq_ns(), 2000u);
  EXPECT_EQ(error_of([&] { c.syscall_ns = 2'000'000'000; }),
            "parameter 'syscall_ns' = 2000000000 is out of range 0..1000000000 ns");
  // visit() reaches every field, e.g. to scale or zero the whole model.
  CpuCosts zero;
  zero.visit([](auto& p) { p = 0; });
  for (const auto& i : describe(zero)) EXPECT_EQ(i.value, "0") << i.name;
}

}  // namespace
}  // namespace nicsim::kern
