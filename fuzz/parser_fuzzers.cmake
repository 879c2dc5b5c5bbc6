# Parser fuzz targets (included by fuzz/CMakeLists.txt). Dictionary: fuzz/parser.dict, e.g.
#   build/fuzz/fuzz/parser_fuzzer -dict=fuzz/parser.dict -max_len=4096 corpus/parser_fuzzer
mpdrill_add_fuzzer(parser_fuzzer parser_fuzzer.cc LIBS mpdrill::parser)
mpdrill_add_fuzzer(parser_roundtrip_fuzzer parser_roundtrip_fuzzer.cc LIBS mpdrill::parser)
