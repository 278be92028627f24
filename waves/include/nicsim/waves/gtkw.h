// GTKWave save files (.gtkw): open a dump with its signals already grouped and formatted.
//
// A window's FST gets a <stem>.gtkw next to it (sim::Testbench::trace_window writes it), so
// `gtkwave out/demo/nic_a.gtkw` shows the NIC with groups CSR bus, TX DMA, RX DMA, MAC TX,
// MAC RX and Interrupts/MSI, vectors in hex. The signal list is one description file,
// waves/presets/nic_top.sigs (embedded at build time), in this syntax:
//
//   # comment
//   group CSR bus (AXI-Lite)          a group (GTKWave folds it: @800200 -name ... @1000200 -name)
//   s_axil_wdata[31:0]                 a vector (shown in hex), path relative to the NIC's scope
//   s_axil_wvalid                      one bit (binary)
//   u_csr.itr_o[15:0] ITR              an alias after the name (shown as ITR: +{ITR} in the .gtkw)
//
// GTKWave shows a signal by its name's last component, or by its alias: an alias may not
// contain '.' (GTKWave would cut it there), and no two signals may show the same name. A
// signal without an alias whose last component repeats another's is shown by its path with
// '/' for '.' (u_tx_dma/run, u_rx_dma/run).
//
// Names and ranges must be what Verilator writes in the FST; tests/python/test_waves.py
// checks every one against a real dump of the NIC.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nicsim::waves {

struct GtkwSignal {
  std::string path;   // relative to the scope, '.'-separated, without range
  int msb = 0, lsb = 0;
  bool vector = false;  // has a [msb:lsb] range: shown in hex
  std::string alias;    // display name, empty for the signal's own
};

struct GtkwGroup {
  std::string name;
  std::vector<GtkwSignal> signals;
};

// Parses the description syntax above; throws std::invalid_argument naming the line, or the
// name two signals would share.
std::vector<GtkwGroup> parse_signal_groups(const std::string& text);

// The name GTKWave shows for each signal, in order (see the rules above); throws
// std::invalid_argument if two are the same.
std::vector<std::string> gtkw_display_names(const std::vector<GtkwGroup>& groups);

// The save file's zoom (GTKWave's "*" line) that shows span time units across the wave area.
double gtkw_zoom_for(uint64_t span);

// The NIC preset (waves/presets/nic_top.sigs, relative to nic_top's scope).
const std::vector<GtkwGroup>& nic_signal_groups();

struct GtkwView {
  std::string dumpfile;    // the FST/VCD the save file opens (absolute is safest)
  std::string savefile;    // the .gtkw itself
  std::string scope;       // prefix of every signal, e.g. "a_nic.nic_top" (NicCore::trace_scope(); no trailing '.')
  uint64_t timestart = 0;  // left edge of the view, in the dump's time unit (ps for our FSTs)
  uint64_t span = 0;       // time across the wave area when it opens (same unit); 0: GTKWave's default zoom
};

// The save file text: header lines (with a zoom line when view.span is set), then each group's
// signals (vectors @22 hex, bits @28).
std::string gtkw_text(const std::vector<GtkwGroup>& groups, const GtkwView& view);

// Every signal of the groups as GTKWave names it: scope.path[msb:lsb] (what the .gtkw lists).
std::vector<std::string> gtkw_signal_names(const std::vector<GtkwGroup>& groups, const std::string& scope);

// Writes gtkw_text to view.savefile; throws std::runtime_error if the file cannot be written.
void write_gtkw(const std::vector<GtkwGroup>& groups, const GtkwView& view);

// <dir>/<stem>.gtkw for a dump path.
std::string gtkw_path_for(const std::string& dump_path);

}  // namespace nicsim::waves
