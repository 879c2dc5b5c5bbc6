# Live-kernel fuzz target (included by fuzz/CMakeLists.txt): MPTCP connections to the running
# kernel over tun0 in a namespace of its own, every packet through the reference model.
# Needs root and /dev/net/tun (else it says "live_fuzzer: skipped: <why>" and ctest skips).
#   build/fuzz/fuzz/live_fuzzer -max_len=512 -max_total_time=600 corpus/live_fuzzer

# Its input layout, decoded into steps (fuzz/live_input.h): the harness executes them, the
# finding script writer (fuzz/live_script.h, `mpdrill fuzz minimize`) writes them as a script.
add_library(mpdrill_fuzz_live live_hooks.cc live_input.cc live_mib.cc live_script.cc live_wait.cc)
add_library(mpdrill::fuzz_live ALIAS mpdrill_fuzz_live)
target_include_directories(mpdrill_fuzz_live PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(mpdrill_fuzz_live PUBLIC mpdrill::base mpdrill::run
                                        PRIVATE mpdrill::codec mpdrill::crypto mpdrill::model)
mpdrill_add_test(live_input_test live_input_test.cc LIBS mpdrill::fuzz_live)
mpdrill_add_test(live_hooks_test live_hooks_test.cc LIBS mpdrill::fuzz_live)
mpdrill_add_test(live_mib_test live_mib_test.cc LIBS mpdrill::fuzz_live)
mpdrill_add_test(live_wait_test live_wait_test.cc LIBS mpdrill::fuzz_live mpdrill::codec)
mpdrill_add_test(live_script_test live_script_test.cc LIBS mpdrill::fuzz_live mpdrill::parser)

mpdrill_add_fuzzer(live_fuzzer live_fuzzer.cc live_env.cc LIVE
                   LIBS mpdrill::fuzz_live mpdrill::run mpdrill::codec mpdrill::crypto
                        mpdrill::sandbox mpdrill::capture)
set_tests_properties(fuzz_replay.live_fuzzer PROPERTIES LABELS netns RUN_SERIAL TRUE
                     SKIP_REGULAR_EXPRESSION "live_fuzzer: skipped")

# Written scripts run: `mpdrill fuzz script` + `mpdrill run --model=warn` (root, TUN).
add_test(NAME fuzz_script.run
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/live_script_run_test.sh ${PROJECT_SOURCE_DIR}
                 ${PROJECT_BINARY_DIR})
set_tests_properties(fuzz_script.run PROPERTIES LABELS netns RUN_SERIAL TRUE SKIP_RETURN_CODE 77)
add_dependencies(live_script_test live_fuzzer mpdrill)

# Inputs mean the same under the wait rule and the old 2 ms quiet (live_wait.h; root, TUN).
add_test(NAME fuzz_wait.same_traces
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/live_wait_run_test.sh ${PROJECT_SOURCE_DIR}
                 ${PROJECT_BINARY_DIR})
set_tests_properties(fuzz_wait.same_traces PROPERTIES LABELS netns RUN_SERIAL TRUE
                     SKIP_RETURN_CODE 77)
