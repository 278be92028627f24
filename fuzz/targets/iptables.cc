// Fuzz target (d): the iptables rule parser and table engine (stack/src/net/netfilter). The
// input is up to 16 command lines, run in order against a fresh host. Each either succeeds or
// throws IptablesError and then changes nothing (iptables-save before and after are equal);
// listing the tables afterwards works whatever was loaded.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fake_eth.h"
#include "fake_platform.h"
#include "nicsim/kern/kernel.h"
#include "nicsim/net/nf_tables.h"
#include "nicsim/net/stack.h"

using namespace nicsim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  test::FakePlatform p;
  kern::Kernel k(p, "fuzz");
  test::FakeEth eth0(k, kern::MacAddr{{2, 0, 0, 0, 0, 0x10}});
  k.net().register_netdev(eth0.dev);
  {
    net::Stack st(k);
    net::Netfilter& nf = st.netfilter();
    const std::string text(reinterpret_cast<const char*>(data), size);
    size_t pos = 0;
    for (int line = 0; line < 16 && pos <= text.size(); ++line) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      const std::string cmd = text.substr(pos, end - pos);
      pos = end + 1;
      const std::string before = nf.save(true);
      try {
        nf.iptables(cmd);
      } catch (const net::IptablesError& e) {
        if (nf.save(true) != before) {
          std::fprintf(stderr, "iptables: the rejected command `%s' (%s) changed the tables\n", cmd.c_str(), e.what());
          std::abort();
        }
      }
    }
    for (const char* l : {"-L -v -n", "-S", "-t nat -L -n", "-t nat -S"}) (void)nf.iptables(l);
  }
  k.net().unregister_netdev(eth0.dev);
  return 0;
}
