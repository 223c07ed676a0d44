"""Bench profiles shipped with the project (a package only so that an installed plugin finds them)."""
