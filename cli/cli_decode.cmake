# Libraries `mpdrill decode` needs (included by cli/CMakeLists.txt).
target_link_libraries(mpdrill PRIVATE mpdrill::capture mpdrill::codec)

mpdrill_add_test(decode_test decode_test.cc ${PROJECT_SOURCE_DIR}/engine/capture/test_frames.cc
                 LIBS mpdrill::codec PkgConfig::libpcap)
# The test runs the built binary.
add_dependencies(decode_test mpdrill)
