# `mpdrill fuzz campaign` end to end in a Debian-kernel guest (tests/vm_fixture.h): label "vm",
# serial like vm_test; three boots.
add_executable(fuzz_campaign_vm_test fuzz_campaign_vm_test.cc)
target_link_libraries(fuzz_campaign_vm_test PRIVATE mpdrill::base GTest::gtest GTest::gtest_main)
target_include_directories(fuzz_campaign_vm_test PRIVATE ${PROJECT_SOURCE_DIR})
target_compile_definitions(fuzz_campaign_vm_test PRIVATE MPDRILL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                                         MPDRILL_BINARY_DIR="${PROJECT_BINARY_DIR}")
gtest_discover_tests(fuzz_campaign_vm_test DISCOVERY_MODE PRE_TEST
                     PROPERTIES LABELS vm RUN_SERIAL TRUE TIMEOUT 300)
add_dependencies(fuzz_campaign_vm_test mpdrill live_fuzzer)
