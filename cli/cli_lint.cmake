# Libraries `mpdrill lint` needs (included by cli/CMakeLists.txt).
target_link_libraries(mpdrill PRIVATE mpdrill::parser)

mpdrill_add_test(lint_test lint_test.cc)
# The test runs the built binary.
add_dependencies(lint_test mpdrill)
