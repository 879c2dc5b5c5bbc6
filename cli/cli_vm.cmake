# Libraries `mpdrill vm` needs (included by cli/CMakeLists.txt).
target_sources(mpdrill PRIVATE cmd_vm.cc)
target_link_libraries(mpdrill PRIVATE mpdrill::vm)
