// ethtool(8) for the devices of one kernel: -k (show features), -K (change them, with
// netdev_update_features's dependencies), -S (the driver's statistics), -a / -A (802.3x pause
// parameters, as the netlink ethtool prints and parses them), -c / -C (interrupt coalescing), with
// ethtool's output format and error messages.
//
//   kern::ethtool(k, "-K eth0 tso off gro on");   // "" (or "Actual changes:..." if they differ)
//   kern::ethtool(k, "-k eth0");                  // "Features for eth0:\nrx-checksumming: on\n..."
//   kern::ethtool(k, "-A eth0 rx on tx on");      // "" (the driver resets the link if it changed)
//   kern::ethtool(k, "-a eth0");                  // "Pause parameters for eth0:\nAutonegotiate:\toff\n..."
//   kern::ethtool(k, "-C eth0 rx-usecs 50");      // "" (rx-usecs 1: dynamic moderation again)
//   kern::ethtool(k, "-c eth0");                  // "Coalesce parameters for eth0:\n...rx-usecs:\t50\n..."
//
// Differs from ethtool: only the features this model has are listed (the others as
// "off [fixed]" where ethtool would list them too); errors are an EthtoolError carrying the
// text ethtool prints on stderr and its exit status.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace nicsim::kern {

class Kernel;
class NetDevice;

// struct ethtool_pauseparam: pause autonegotiation and the two directions of 802.3x.
struct EthtoolPauseParam {
  bool autoneg = false;
  bool rx_pause = false;  // honour received PAUSE frames
  bool tx_pause = false;  // send PAUSE frames
};

// struct ethtool_coalesce, the part a driver here can have: rx-usecs (ethtool -c / -C).
struct EthtoolCoalesce {
  uint32_t rx_coalesce_usecs = 0;
};
// ethtool_ops::supported_coalesce_params bits (ETHTOOL_COALESCE_*): the parameters -c shows
// (the others print "n/a") and -C may change (the others: "cannot modify an unsupported parameter").
constexpr uint32_t ETHTOOL_COALESCE_RX_USECS = 1u << 0;

// The part of struct ethtool_ops beyond NetDeviceOps::get_ethtool_stats: a driver that has it
// implements it beside NetDeviceOps (ethtool finds it on dev.ops); without it -a / -A fail
// with EOPNOTSUPP. 0 or -errno (-EINVAL for what the device cannot do).
class EthtoolOps {
 public:
  virtual ~EthtoolOps() = default;
  virtual int get_pauseparam(NetDevice& dev, EthtoolPauseParam& p) = 0;  // ethtool -a
  virtual int set_pauseparam(NetDevice& dev, const EthtoolPauseParam& p) = 0;  // ethtool -A
  // ethtool -c / -C; without them: EOPNOTSUPP.
  virtual uint32_t supported_coalesce_params() const { return 0; }
  virtual int get_coalesce(NetDevice& dev, EthtoolCoalesce& c);
  virtual int set_coalesce(NetDevice& dev, const EthtoolCoalesce& c);
};

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
