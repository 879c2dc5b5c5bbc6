# Libraries `mpdrill run` needs (included by cli/CMakeLists.txt).
target_sources(mpdrill PRIVATE cmd_run.cc)
target_link_libraries(mpdrill PRIVATE mpdrill::run mpdrill::suite mpdrill::parser)
