"""The mutation test: every catalogued firmware defect must turn the conformance suites red."""
