# `mpdrill check` tests (owned by the model/check work; included by tests/CMakeLists.txt).
add_library(mpdrill_check_test_support STATIC check_pcap.cc corrupting_bridge.cc
            ${PROJECT_SOURCE_DIR}/engine/capture/test_frames.cc)
target_include_directories(mpdrill_check_test_support PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(mpdrill_check_test_support PUBLIC mpdrill::tests_support mpdrill::model
                      mpdrill::codec mpdrill::sandbox PkgConfig::libpcap)
target_compile_definitions(mpdrill_check_test_support PRIVATE
                           MPDRILL_BINARY_DIR="${PROJECT_BINARY_DIR}")

# Rule by rule: sequences that break exactly one rule, written to pcap, run through the binary.
mpdrill_add_test(check_rules_test check_rules_test.cc
                 LIBS mpdrill_check_test_support mpdrill::crypto)
add_dependencies(check_rules_test mpdrill)

# The corrupting middlebox of the MP_FAIL scenarios: its frame logic, without a network.
mpdrill_add_test(corrupting_bridge_test corrupting_bridge_test.cc LIBS mpdrill_check_test_support)

# Real kernel traffic (mkcapture scenarios and the checker's own scenarios) must check clean.
add_executable(check_real_test check_real_test.cc check_scenarios.cc)
target_link_libraries(check_real_test PRIVATE mpdrill_check_test_support mpdrill::sandbox
                      GTest::gtest GTest::gmock GTest::gtest_main)
target_compile_definitions(check_real_test PRIVATE MPDRILL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                                   MPDRILL_BINARY_DIR="${PROJECT_BINARY_DIR}")
gtest_discover_tests(check_real_test DISCOVERY_MODE PRE_TEST
                     PROPERTIES LABELS netns
                                FIXTURES_REQUIRED mpdrill_real_captures
                                ENVIRONMENT "MPDRILL_CAPTURE_CACHE=${MPDRILL_CAPTURE_CACHE}")
add_dependencies(check_real_test mpdrill mpdrill-mkcapture)
