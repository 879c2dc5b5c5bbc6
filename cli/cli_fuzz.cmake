# `mpdrill fuzz` (included by cli/CMakeLists.txt): live_fuzzer findings as scripts.
target_sources(mpdrill PRIVATE cmd_fuzz.cc)
target_link_libraries(mpdrill PRIVATE mpdrill::fuzz_live mpdrill::run)
# `mpdrill fuzz campaign`: live_fuzzer in VMs (campaign/).
target_sources(mpdrill PRIVATE cmd_fuzz_campaign.cc)
target_link_libraries(mpdrill PRIVATE mpdrill::campaign)
