// SHA-256, streaming, for checking bulk transfers end to end: OpenSSL's libcrypto (EVP).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

struct evp_md_ctx_st;

namespace nicsim::apps {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // Starts a new message.
  void reset();
  void update(const void* data, size_t n);
  // The digest of everything given since the last reset(); then starts a new message.
  std::array<uint8_t, 32> digest();
  // digest() as 64 lower-case hex digits.
  std::string hex();

  // The digest of one buffer, as hex.
  static std::string hex_of(const void* data, size_t n);

 private:
  struct Free {
    void operator()(evp_md_ctx_st* c) const;
  };
  std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

}  // namespace nicsim::apps
