"""Root conftest: nothing to add.  The fixtures, options and report hooks come from the installed
``lektrico_hil`` plugin (fixtures/plugin.py, a ``pytest11`` entry point), as they do for a lab's own
tests outside this project."""
