"""Simulated twins of the bench instruments, reachable over the same transports as the real ones."""
