# End-to-end tests that boot a Debian kernel package (ci/fetch_kernel.sh puts it in
# build/kernels) under qemu through the built `mpdrill` (tests/vm_fixture.h). Label "vm";
# serial, so that the emulated CPUs do not take the cores the timing-sensitive netns tests
# need. Each case boots at most once unless its file says otherwise.
function(mpdrill_add_vm_test name)
  cmake_parse_arguments(V "" "" "LIBS;DEPENDS" ${ARGN})
  add_executable(${name} ${name}.cc)
  target_link_libraries(${name} PRIVATE mpdrill::base ${V_LIBS} GTest::gtest GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(${name} PRIVATE MPDRILL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                             MPDRILL_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
                       PROPERTIES LABELS vm RUN_SERIAL TRUE TIMEOUT 300)
  add_dependencies(${name} mpdrill ${V_DEPENDS})
endfunction()

# `mpdrill vm` itself.
mpdrill_add_vm_test(vm_test LIBS mpdrill::tests_support)
# `mpdrill vm --tap --control-port`: one boot in a private namespace with an agent in the
# guest (root), and the refusal in the host's namespace (no boot).
mpdrill_add_vm_test(vm_net_test LIBS mpdrill::agent mpdrill::sandbox mpdrill::vm)
# scripts/mptcp over `mpdrill run --target=wire:` to a guest with the agent inside.
mpdrill_add_vm_test(wire_vm_test)
# `mpdrill fuzz campaign` in a guest: three boots.
mpdrill_add_vm_test(fuzz_campaign_vm_test DEPENDS live_fuzzer)
