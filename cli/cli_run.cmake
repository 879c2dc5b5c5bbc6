# Libraries `mpdrill run` needs (included by cli/CMakeLists.txt).
target_sources(mpdrill PRIVATE cmd_run.cc)
target_link_libraries(mpdrill PRIVATE mpdrill::run mpdrill::suite mpdrill::parser mpdrill::remote)
# packetdrill-bin/packetdrill -> mpdrill: put that directory on PATH and packetdrill-based
# runners (the kernel's ksft_runner.sh, run_all.py) run mpdrill as packetdrill (docs/run.md).
add_custom_command(TARGET mpdrill POST_BUILD
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packetdrill-bin
  COMMAND ${CMAKE_COMMAND} -E create_symlink $<TARGET_FILE:mpdrill>
          ${CMAKE_BINARY_DIR}/packetdrill-bin/packetdrill
  VERBATIM)
