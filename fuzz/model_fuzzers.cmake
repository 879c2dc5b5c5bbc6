# Reference-model fuzz target (included by fuzz/CMakeLists.txt), e.g.
#   build/fuzz/fuzz/model_fuzzer -max_len=8192 corpus/model_fuzzer
mpdrill_add_fuzzer(model_fuzzer model_fuzzer.cc LIBS mpdrill::model mpdrill::crypto)
