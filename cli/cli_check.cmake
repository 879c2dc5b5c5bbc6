# Libraries `mpdrill check` needs (included by cli/CMakeLists.txt).
target_link_libraries(mpdrill PRIVATE mpdrill::model mpdrill::capture mpdrill::codec)
