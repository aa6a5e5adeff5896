// SPDX-License-Identifier: Apache-2.0
// libsystemc.so defines main() and leaves sc_main undefined, so every executable linking it must define sc_main.
// Ours define their own main() (it always wins over the library's, shared/reference/systemc.md §1) and never call
// sc_elab_and_sim, so this sc_main only satisfies the linker.
#include <cstdio>

extern "C" int sc_main(int, char**) {
  std::fputs("hpusim: sc_main is not an entry point of this program\n", stderr);
  return 1;
}
