"""The executor: the pure orchestration core (``core``), its messages and state, and the shell around it."""
