# Libraries `mpdrill agent` needs (included by cli/CMakeLists.txt).
target_sources(mpdrill PRIVATE cmd_agent.cc)
target_link_libraries(mpdrill PRIVATE mpdrill::agent)
