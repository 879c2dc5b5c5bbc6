# The agent and the wire link together (engine/agent + engine/wire; docs/agent.md, docs/wire.md).
mpdrill_add_test(wire_agent_test wire_agent_test.cc
                 LIBS mpdrill::agent mpdrill::wire mpdrill::sandbox mpdrill::parser
                 LABELS netns)
add_dependencies(wire_agent_test mpdrill)

# `mpdrill run --target=wire:` end to end through ci/wire_target.sh (docs/wire.md).
mpdrill_add_test(wire_run_test wire_run_test.cc LIBS mpdrill::tests_support LABELS netns)
add_dependencies(wire_run_test mpdrill)
