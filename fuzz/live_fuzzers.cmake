# Live-kernel fuzz target (included by fuzz/CMakeLists.txt): MPTCP connections to the running
# kernel over tun0 in a namespace of its own, every packet through the reference model.
# Needs root and /dev/net/tun (else it says "live_fuzzer: skipped: <why>" and ctest skips).
#   build/fuzz/fuzz/live_fuzzer -max_len=512 -max_total_time=600 corpus/live_fuzzer
mpdrill_add_fuzzer(live_fuzzer live_fuzzer.cc LIVE
                   LIBS mpdrill::run mpdrill::codec mpdrill::crypto mpdrill::sandbox
                        mpdrill::capture)
set_tests_properties(fuzz_replay.live_fuzzer PROPERTIES LABELS netns RUN_SERIAL TRUE
                     SKIP_REGULAR_EXPRESSION "live_fuzzer: skipped")
