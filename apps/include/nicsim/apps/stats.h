// The figures every traffic program reports, computed in one place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nicsim::apps {

// Nearest-rank percentile p in (0, 100] of the samples; 0 for none.
uint64_t percentile(std::vector<uint64_t> samples, double p);

// Payload bits per simulated nanosecond (= Gb/s) of `bytes` moved in [start_ns, end_ns];
// 0 for an empty interval.
double goodput_gbps(uint64_t bytes, uint64_t start_ns, uint64_t end_ns);

// The byte at `offset` of the pseudo-random stream `seed`: deterministic, so a sender and a
// receiver agree on the payload without sharing memory.
void fill_stream(uint64_t seed, uint64_t offset, uint8_t* dst, size_t n);

}  // namespace nicsim::apps
