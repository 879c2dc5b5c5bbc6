# Benchmark tools (docs/performance.md). Included from bench/CMakeLists.txt and, until the
# top-level CMakeLists.txt adds bench/, from fuzz/codec_fuzzers.cmake: the guard keeps one copy.
include_guard(GLOBAL)

# mpdrill-mkbig: replicates real capture frames into a large pcap for ci/bench.sh.
add_executable(mpdrill-mkbig ${CMAKE_CURRENT_LIST_DIR}/mkbig.cc)
target_link_libraries(mpdrill-mkbig PRIVATE PkgConfig::libpcap)
set_target_properties(mpdrill-mkbig PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
