# Libraries `mpdrill script-from-pcap` needs (included by cli/CMakeLists.txt).
target_sources(mpdrill PRIVATE cmd_script_from_pcap.cc)
target_link_libraries(mpdrill PRIVATE mpdrill::capture)
