# The agent and the wire link together (engine/agent + engine/wire; docs/agent.md, docs/wire.md).
mpdrill_add_test(wire_agent_test wire_agent_test.cc
                 LIBS mpdrill::agent mpdrill::wire mpdrill::sandbox mpdrill::parser
                 LABELS netns)
add_dependencies(wire_agent_test mpdrill)

# `mpdrill run --target=wire:` end to end through ci/wire_target.sh (docs/wire.md). Serial: one
# test writes a fake WARN into the kernel log, which runs going on at the same time (TUN or
# wire: one kernel) would rightly take as their own.
add_executable(wire_run_test wire_run_test.cc)
target_link_libraries(wire_run_test PRIVATE mpdrill::tests_support GTest::gtest GTest::gmock
                                            GTest::gtest_main)
target_compile_definitions(wire_run_test PRIVATE MPDRILL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                                 MPDRILL_BINARY_DIR="${PROJECT_BINARY_DIR}")
gtest_discover_tests(wire_run_test DISCOVERY_MODE PRE_TEST
                     PROPERTIES LABELS netns RUN_SERIAL TRUE)
add_dependencies(wire_run_test mpdrill)
