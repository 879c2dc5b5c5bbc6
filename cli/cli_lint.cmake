# Libraries `mpdrill lint` needs (included by cli/CMakeLists.txt).
target_link_libraries(mpdrill PRIVATE mpdrill::parser)
