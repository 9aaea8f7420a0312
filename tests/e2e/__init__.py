"""End-to-end tests: real commands in fresh Pythons (CLI runs, interrupts), R, Julia, two-process runs, the
shared scenarios and the seed example."""
