// nicsim._core: thin bindings over the sim/ scenario API; the facade is python/nicsim/.
#include "bind.h"

PYBIND11_MODULE(_core, m) {
  using namespace nicsim::python;
  m.doc() = "nicsim core bindings (private; use the nicsim package)";
  register_errors(m);
  register_params(m);
  register_network(m);
  register_apps(m);
  register_host(m);
  register_sockets(m);
  register_regs(m);
  register_timeline(m);
  register_switch(m);
  register_tap(m);
}
