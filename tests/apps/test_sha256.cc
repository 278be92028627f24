// apps::Sha256 (OpenSSL EVP) against the FIPS 180-4 / NIST example digests, streaming.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nicsim/apps/sha256.h"

namespace nicsim::apps {
namespace {

TEST(AppsSha256, KnownAnswers) {
  EXPECT_EQ(Sha256::hex_of("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::hex_of("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(Sha256::hex_of(two_blocks.data(), two_blocks.size()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(AppsSha256, StreamingEqualsOneShot) {
  // One million 'a' (the FIPS long example) fed in uneven pieces, then the hasher is reused.
  const std::vector<char> a(1000000, 'a');
  Sha256 h;
  size_t off = 0, piece = 1;
  while (off < a.size()) {
    const size_t n = std::min(piece, a.size() - off);
    h.update(a.data() + off, n);
    off += n;
    piece = piece * 3 + 1;
  }
  EXPECT_EQ(h.hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  h.update("abc", 3);  // digest() started a new message
  EXPECT_EQ(h.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(AppsSha256, DigestBytesMatchHex) {
  Sha256 h;
  h.update("abc", 3);
  const auto d = h.digest();
  EXPECT_EQ(d[0], 0xba);
  EXPECT_EQ(d[31], 0xad);
}

}  // namespace
}  // namespace nicsim::apps
