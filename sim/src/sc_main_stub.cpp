// libsystemc.so's main() refers to sc_main. nicsim programs have their own main() and drive
// the kernel through Testbench, so this weak definition only satisfies the linker (needed
// when linking with sanitizers, which keep every shared library's references).
// Default visibility: the Python module is built with hidden symbols, and libsystemc.so
// resolves sc_main against it when the module is loaded.
#include <cstdio>

extern "C" int __attribute__((weak, visibility("default"))) sc_main(int, char**) {
  std::fprintf(stderr, "nicsim: no sc_main; this program drives SystemC itself\n");
  return 1;
}
