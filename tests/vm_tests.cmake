# `mpdrill vm` end to end: a Debian kernel package (ci/fetch_kernel.sh puts it in
# build/kernels) booted under qemu. Label "vm"; serial, so that the emulated CPUs do not
# take the cores the timing-sensitive netns tests need. Each case boots at most once.
add_executable(vm_test vm_test.cc)
target_link_libraries(vm_test PRIVATE mpdrill::base mpdrill::tests_support GTest::gtest
                                      GTest::gtest_main)
target_compile_definitions(vm_test PRIVATE MPDRILL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                           MPDRILL_BINARY_DIR="${PROJECT_BINARY_DIR}")
gtest_discover_tests(vm_test DISCOVERY_MODE PRE_TEST
                     PROPERTIES LABELS vm RUN_SERIAL TRUE TIMEOUT 300)
add_dependencies(vm_test mpdrill)

# `mpdrill vm --tap --control-port`: one boot in a private namespace with an agent in the
# guest (root), and the refusal in the host's namespace (no boot).
add_executable(vm_net_test vm_net_test.cc)
target_link_libraries(vm_net_test PRIVATE mpdrill::base mpdrill::agent mpdrill::sandbox mpdrill::vm
                                          GTest::gtest GTest::gtest_main)
target_include_directories(vm_net_test PRIVATE ${PROJECT_SOURCE_DIR})
target_compile_definitions(vm_net_test PRIVATE MPDRILL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                               MPDRILL_BINARY_DIR="${PROJECT_BINARY_DIR}")
gtest_discover_tests(vm_net_test DISCOVERY_MODE PRE_TEST
                     PROPERTIES LABELS vm RUN_SERIAL TRUE TIMEOUT 300)
add_dependencies(vm_net_test mpdrill)
