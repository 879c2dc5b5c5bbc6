# `mpdrill script-from-pcap` end to end: capture (mpdrill run --pcap), convert, replay.
mpdrill_add_test(script_from_pcap_test script_from_pcap_test.cc
                 LIBS mpdrill::tests_support mpdrill::sandbox LABELS netns)
add_dependencies(script_from_pcap_test mpdrill)
