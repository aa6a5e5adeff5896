// SPDX-License-Identifier: Apache-2.0
// Sanitizer settings every hpusim executable carries, so that they hold however it is started (ctest, a test that
// runs the CLI, a user): SystemC 2.3.4's coroutine switches lose ASan's fake stacks, so stack-use-after-return
// detection must stay off (shared/reference/systemc.md §2.1). Compiled in only under -fsanitize; the environment
// (ASAN_OPTIONS, UBSAN_OPTIONS) still overrides these.
#if defined(__SANITIZE_ADDRESS__)
#define HPUSIM_ASAN_DEFAULTS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HPUSIM_ASAN_DEFAULTS 1
#endif
#endif

#ifdef HPUSIM_ASAN_DEFAULTS
extern "C" const char* __asan_default_options() { return "detect_stack_use_after_return=0:detect_leaks=1"; }
extern "C" const char* __ubsan_default_options() { return "print_stacktrace=1:halt_on_error=1"; }
#endif
