// SHA-256 through OpenSSL's EVP digest API.
#include "nicsim/apps/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <stdexcept>

namespace nicsim::apps {

void Sha256::Free::operator()(evp_md_ctx_st* c) const { EVP_MD_CTX_free(c); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) throw std::bad_alloc();
  reset();
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::reset() {
  if (EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("EVP_DigestInit_ex(sha256) failed");
}

void Sha256::update(const void* data, size_t n) {
  if (n && EVP_DigestUpdate(ctx_.get(), data, n) != 1) throw std::runtime_error("EVP_DigestUpdate failed");
}

std::array<uint8_t, 32> Sha256::digest() {
  std::array<uint8_t, 32> out{};
  unsigned len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &len) != 1 || len != out.size())
    throw std::runtime_error("EVP_DigestFinal_ex failed");
  reset();
  return out;
}

std::string Sha256::hex() {
  const auto d = digest();
  std::string s(64, '0');
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < d.size(); ++i) {
    s[2 * i] = kHex[d[i] >> 4];
    s[2 * i + 1] = kHex[d[i] & 15];
  }
  return s;
}

std::string Sha256::hex_of(const void* data, size_t n) {
  Sha256 h;
  h.update(data, n);
  return h.hex();
}

}  // namespace nicsim::apps
