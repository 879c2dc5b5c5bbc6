# End-to-end tests of `mpdrill run` (engine/run): real scripts against the running kernel in
# private namespaces. Label "netns": they need root and /dev/net/tun (else they skip).
mpdrill_add_test(run_cli_test run_cli_test.cc LIBS mpdrill::tests_support mpdrill::sandbox
                 LABELS netns)
add_dependencies(run_cli_test mpdrill)
# The live reference model in `mpdrill run` (--model=off|warn|fail), end to end.
mpdrill_add_test(run_model_test run_model_test.cc LIBS mpdrill::tests_support mpdrill::sandbox
                 LABELS netns)
add_dependencies(run_model_test mpdrill)
