// Precompiled for the GoogleTest binaries that link the simulator (nicsim_sim): the unit set plus
// SystemC and the network builder, which pulls in the host, NIC and link models.
#pragma once
#include "pch_unit.h"

#include "nicsim/sim/network.h"
