"""The demo hospital (`make run`, `flask seed-demo`): it only ever adds the
records it creates, and never changes one it did not."""
