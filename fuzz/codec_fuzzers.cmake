# Codec fuzz targets (included by fuzz/CMakeLists.txt); docs/fuzzing.md. Each harness has a
# dictionary beside it and a corpus in corpus/<name>/ extracted from real captures, e.g.
#   build/fuzz/fuzz/dss_fuzzer -dict=fuzz/dss.dict -max_len=64 corpus/dss_fuzzer
# ci/fuzz.sh runs them for a bounded time.

# Shared contract checks and structure-aware mutators of the codec harnesses.
add_library(mpdrill_fuzz_codec codec_mutator.cc)
add_library(mpdrill::fuzz_codec ALIAS mpdrill_fuzz_codec)
target_include_directories(mpdrill_fuzz_codec PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(mpdrill_fuzz_codec PUBLIC mpdrill::codec)

mpdrill_add_fuzzer(mp_capable_fuzzer mp_capable_fuzzer.cc LIBS mpdrill::fuzz_codec)
mpdrill_add_fuzzer(dss_fuzzer dss_fuzzer.cc LIBS mpdrill::fuzz_codec)
mpdrill_add_fuzzer(add_addr_fuzzer add_addr_fuzzer.cc LIBS mpdrill::fuzz_codec)
mpdrill_add_fuzzer(option_list_fuzzer option_list_fuzzer.cc
                   LIBS mpdrill::fuzz_codec mpdrill::capture)

mpdrill_add_test(codec_mutator_test codec_mutator_test.cc LIBS mpdrill::fuzz_codec)

# Seeds from real captures: mpdrill-extract-seeds --out corpus --crafted caps/*.pcap
add_executable(mpdrill-extract-seeds extract_seeds.cc)
target_link_libraries(mpdrill-extract-seeds PRIVATE mpdrill::fuzz_codec mpdrill::capture
                                                    OpenSSL::Crypto)
mpdrill_add_test(extract_seeds_test extract_seeds_test.cc
                 ${PROJECT_SOURCE_DIR}/engine/capture/test_frames.cc
                 LIBS PkgConfig::libpcap)
target_include_directories(extract_seeds_test PRIVATE ${PROJECT_SOURCE_DIR})
add_dependencies(extract_seeds_test mpdrill-extract-seeds)

# bench/ (mpdrill-mkbig for ci/bench.sh) until the top-level CMakeLists.txt adds it itself;
# bench/bench.cmake has an include guard, so both ways can coexist.
include(${PROJECT_SOURCE_DIR}/bench/bench.cmake OPTIONAL)
