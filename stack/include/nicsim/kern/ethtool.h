// ethtool(8) for the devices of one kernel: -k (show features), -K (change them, with
// netdev_update_features's dependencies) and -S (the driver's statistics), with ethtool's
// output format and error messages.
//
//   kern::ethtool(k, "-K eth0 tso off gro on");   // "" (or "Actual changes:..." if they differ)
//   kern::ethtool(k, "-k eth0");                  // "Features for eth0:\nrx-checksumming: on\n..."
//
// Differs from ethtool: only the features this model has are listed (the others as
// "off [fixed]" where ethtool would list them too); errors are an EthtoolError carrying the
// text ethtool prints on stderr and its exit status.
#pragma once

#include <stdexcept>
#include <string>

namespace nicsim::kern {

class Kernel;

class EthtoolError : public std::runtime_error {
 public:
  EthtoolError(const std::string& msg, int status) : std::runtime_error(msg), status_(status) {}
  int status() const { return status_; }  // ethtool's exit status

 private:
  int status_;
};

// One ethtool command line (without "ethtool"). Returns what ethtool prints on stdout;
// throws EthtoolError otherwise. Runs on the host CPU (the driver may touch registers).
std::string ethtool(Kernel& k, const std::string& args);

}  // namespace nicsim::kern
