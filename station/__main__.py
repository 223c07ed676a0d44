"""``python -m station`` is ``lektrico-hil`` (for a checkout where the console script is not installed)."""
from station.cli import main

raise SystemExit(main())
