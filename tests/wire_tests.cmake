# The agent and the wire link together (engine/agent + engine/wire; docs/agent.md, docs/wire.md).
mpdrill_add_test(wire_agent_test wire_agent_test.cc
                 LIBS mpdrill::agent mpdrill::wire mpdrill::sandbox mpdrill::parser
                 LABELS netns)
add_dependencies(wire_agent_test mpdrill)
