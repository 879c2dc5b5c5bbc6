# The interop matrix (docs/interop.md; included by tests/CMakeLists.txt): mpdrill-interop makes
# the traffic and the captures of each cell, ci/interop.sh judges them with `mpdrill check`.
add_executable(mpdrill-interop interop_main.cc interop_cell.cc interop_peer.cc)
target_link_libraries(mpdrill-interop PRIVATE mpdrill_check_test_support mpdrill::sandbox
                      mpdrill::base)

# The host <-> host part of the matrix (label netns: root; it exits 77, skipped, without).
add_test(NAME interop_matrix_host
         COMMAND bash ${PROJECT_SOURCE_DIR}/ci/interop.sh ${PROJECT_BINARY_DIR})
set_tests_properties(interop_matrix_host PROPERTIES LABELS netns SKIP_RETURN_CODE 77
                                                    TIMEOUT 240)
add_dependencies(mpdrill-interop mpdrill)
