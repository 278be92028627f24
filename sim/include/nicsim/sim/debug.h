// Named debug categories, switched on at run time: NICSIM_DEBUG=pci,dma,link (or "all").
//
// NICSIM_DPRINTF(cat, fmt, ...) costs one load and one predicted branch when the category
// is off: the arguments are not evaluated. Lines go to stderr (or NICSIM_DEBUG_FILE) as
//   <time ns> <category> <source>: message
#pragma once

#include <cstdint>
#include <string>

namespace nicsim::sim::debug {

enum Category : uint32_t {
  kPci = 1u << 0,    // config space, MMIO routing, bus mastering
  kMmio = 1u << 1,   // every MMIO request and completion
  kDma = 1u << 2,    // DMA requests, protection faults
  kMsi = 1u << 3,    // MSI requests and interrupt delivery
  kAxi = 1u << 4,    // AXI protocol checks of the adapters
  kLink = 1u << 5,   // Ethernet link: frames, faults, link state
  kPcap = 1u << 6,   // pcap writers
  kWaves = 1u << 7,  // waveform windows
  kHost = 1u << 8,   // SimPlatform: IRQs, timers, allocations
  kTb = 1u << 9,     // testbench and run control
  kNic = 1u << 10,   // NIC core: reset, quantum, RTL errors
  kSwitch = 1u << 11,  // Ethernet switch: drops, quantum
  kAll = 0xFFFFFFFFu,
};

// Bit set of enabled categories (initialised from NICSIM_DEBUG before main).
extern uint32_t g_enabled;

inline bool on(Category c) { return (g_enabled & c) != 0; }
// Parse "pci,dma" / "all" / "" into a bit set; unknown names are reported on stderr.
uint32_t parse(const std::string& spec);
// Replace the enabled set (tests, Python). Returns the previous set.
uint32_t set(uint32_t mask);
const char* name(Category c);
// The time printed in front of every line: set by the testbench (ps), 0 until then.
using TimeSource = uint64_t (*)();
void set_time_source(TimeSource fn);

// While this thread has a capture, print() appends its lines there instead of writing them
// (a NIC stepped on a worker thread: its lines are written at its turn, so the log reads the
// same whatever the number of threads). nullptr ends it. write() writes captured lines.
void set_capture(std::string* buf);
void write(const std::string& lines);

void print(Category c, const char* who, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

}  // namespace nicsim::sim::debug

#define NICSIM_DPRINTF(cat, who, ...)                                              \
  do {                                                                             \
    if (__builtin_expect(::nicsim::sim::debug::on(::nicsim::sim::debug::cat), 0)) \
      ::nicsim::sim::debug::print(::nicsim::sim::debug::cat, who, __VA_ARGS__);    \
  } while (0)
