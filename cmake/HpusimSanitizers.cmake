# AddressSanitizer + UndefinedBehaviorSanitizer for everything we compile (shared/reference/systemc.md §2).
# libsystemc is not instrumented but announces its coroutine switches to ASan through weak symbols.
# detect_stack_use_after_return must stay off: SystemC 2.3.4's annotations lose the fake stack on a switch.
if(HPUSIM_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    list(APPEND _san --param=asan-use-after-return=0)
  elseif(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    list(APPEND _san -fsanitize-address-use-after-return=never)
  endif()
  add_compile_options(${_san})
  add_link_options(-fsanitize=address,undefined)
endif()
