// libsystemc.so's main() refers to sc_main. nicsim programs have their own main() and drive
// the kernel through Testbench, so this weak definition only satisfies the linker (needed
// when linking with sanitizers, which keep every shared library's references).
#include <cstdio>

extern "C" int __attribute__((weak)) sc_main(int, char**) {
  std::fprintf(stderr, "nicsim: no sc_main; this program drives SystemC itself\n");
  return 1;
}
