# Agent protocol and wire link fuzz targets (included by fuzz/CMakeLists.txt), e.g.
#   build/fuzz/fuzz/agent_protocol_fuzzer -max_len=4096 corpus/agent_protocol_fuzzer
mpdrill_add_fuzzer(agent_protocol_fuzzer agent_protocol_fuzzer.cc LIBS mpdrill::agent)
mpdrill_add_fuzzer(wire_frame_fuzzer wire_frame_fuzzer.cc LIBS mpdrill::wire)
