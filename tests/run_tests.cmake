# End-to-end tests of `mpdrill run` (engine/run): real scripts against the running kernel in
# private namespaces. Label "netns": they need root and /dev/net/tun (else they skip).
mpdrill_add_test(run_cli_test run_cli_test.cc LIBS mpdrill::tests_support mpdrill::sandbox
                 LABELS netns)
add_dependencies(run_cli_test mpdrill)
mpdrill_add_test(run_mptcp_test run_mptcp_test.cc LIBS mpdrill::tests_support mpdrill::sandbox
                 LABELS netns)
add_dependencies(run_mptcp_test mpdrill)

# The project's own MPTCP conformance suite (scripts/mptcp) against this kernel, every script
# in each IP variant its name implies. Serial: its timing tolerances assume an unloaded run.
# Exit 3 (no root / no TUN: mpdrill says which) is a skip.
add_test(NAME scripts_mptcp_suite
         COMMAND mpdrill run ${PROJECT_SOURCE_DIR}/scripts/mptcp)
set_tests_properties(scripts_mptcp_suite PROPERTIES LABELS netns RUN_SERIAL TRUE
                                                    SKIP_RETURN_CODE 3 TIMEOUT 300)

# The live reference model in `mpdrill run` (--model=off|warn|fail), end to end.
mpdrill_add_test(run_model_test run_model_test.cc LIBS mpdrill::tests_support mpdrill::sandbox
                 LABELS netns)
add_dependencies(run_model_test mpdrill)

# The kernel's ksft_runner.sh with mpdrill as `packetdrill` on its PATH (skips without
# ../shared/upstream/kernel-tcp, root or TUN).
mpdrill_add_test(ksft_runner_test ksft_runner_test.cc LIBS mpdrill::tests_support
                 LABELS netns)
add_dependencies(ksft_runner_test mpdrill)
# `mpdrill run` as a CI suite runner: reports fed to real consumers (prove/TAP::Parser,
# xmllint + junit.xsd, the kernel's kunit_parser.py, json), kernel health from /dev/kmsg,
# retries and FLAKY, -j, the progress line. Serial: its kernel-warning tests write a fake WARN
# into the host's kernel log, which every mpdrill run active then (health on by default) would
# take as its own — including the other tests of this binary and of the suite.
add_executable(run_reports_test run_reports_test.cc)
target_link_libraries(run_reports_test PRIVATE mpdrill::tests_support mpdrill::sandbox
                      mpdrill::health GTest::gtest GTest::gmock GTest::gtest_main)
target_compile_definitions(run_reports_test PRIVATE MPDRILL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                                    MPDRILL_BINARY_DIR="${PROJECT_BINARY_DIR}")
gtest_discover_tests(run_reports_test DISCOVERY_MODE PRE_TEST
                     PROPERTIES LABELS netns RUN_SERIAL TRUE)
add_dependencies(run_reports_test mpdrill)
