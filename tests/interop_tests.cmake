# The interop matrix (docs/interop.md; included by tests/CMakeLists.txt): mpdrill-interop makes
# the traffic and the captures of each cell, ci/interop.sh judges them with `mpdrill check`.
# The mpdrill peer (interop_live.cc) runs live_fuzzer with inputs it encodes.
add_executable(mpdrill-interop interop_main.cc interop_cell.cc interop_peer.cc
                               interop_vm_peer.cc interop_live.cc)
target_link_libraries(mpdrill-interop PRIVATE mpdrill_check_test_support mpdrill::sandbox mpdrill::agent
                      mpdrill::fuzz_live mpdrill::base)

# The host <-> host part of the matrix and host <-> the mpdrill peer (label netns: root; it
# exits 77, skipped, without).
add_test(NAME interop_matrix_host
         COMMAND ${CMAKE_COMMAND} -E env "INTEROP_IP=4 6"
                 bash ${PROJECT_SOURCE_DIR}/ci/interop.sh ${PROJECT_BINARY_DIR})
set_tests_properties(interop_matrix_host PROPERTIES LABELS netns SKIP_RETURN_CODE 77
                                                    TIMEOUT 240)
# The host <-> Debian 6.1 VM part (label vm: one boot per pair, about 2 min; skipped, 77,
# without root or a kernel package from ci/fetch_kernel.sh).
add_test(NAME interop_matrix_vm
         COMMAND ${CMAKE_COMMAND} -E env "INTEROP_PAIRS=host:vm vm:host"
                 "INTEROP_OUT=${PROJECT_BINARY_DIR}/interop-vm"
                 bash ${PROJECT_SOURCE_DIR}/ci/interop.sh ${PROJECT_BINARY_DIR})
set_tests_properties(interop_matrix_vm PROPERTIES LABELS vm RUN_SERIAL TRUE SKIP_RETURN_CODE 77
                                                  TIMEOUT 480)
add_dependencies(mpdrill-interop mpdrill live_fuzzer)

# ci/interop.py's verdicts (clean, known, FAIL, skipped) on cells made by the test: no root.
add_test(NAME interop_judge_test COMMAND python3 ${PROJECT_SOURCE_DIR}/tests/interop_judge_test.py)

# The mpdrill peer's inputs (conforming, within live_fuzzer's 24 steps) and its log parsing.
mpdrill_add_test(interop_live_test interop_live_test.cc interop_live.cc
                 LIBS mpdrill::fuzz_live mpdrill::sandbox mpdrill::base)
