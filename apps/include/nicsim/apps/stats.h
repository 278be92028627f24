// The figures every traffic program reports, computed in one place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nicsim::apps {

// Nearest-rank percentile p in (0, 100] of the samples; 0 for none.
uint64_t percentile(std::vector<uint64_t> samples, double p);

// The latency summary every result carries (latency_p50/p90/p99/max_us) from samples in ns.
template <class Result>
void set_latency_summary(Result& r, const std::vector<uint64_t>& lat_ns) {
  r.latency_p50_us = double(percentile(lat_ns, 50)) / 1000.0;
  r.latency_p90_us = double(percentile(lat_ns, 90)) / 1000.0;
  r.latency_p99_us = double(percentile(lat_ns, 99)) / 1000.0;
  r.latency_max_us = double(percentile(lat_ns, 100)) / 1000.0;
}

// Payload bits per simulated nanosecond (= Gb/s) of `bytes` moved in [start_ns, end_ns];
// 0 for an empty interval.
double goodput_gbps(uint64_t bytes, uint64_t start_ns, uint64_t end_ns);

// The byte at `offset` of the pseudo-random stream `seed`: deterministic, so a sender and a
// receiver agree on the payload without sharing memory.
void fill_stream(uint64_t seed, uint64_t offset, uint8_t* dst, size_t n);

}  // namespace nicsim::apps
