"""The end-of-line sequence: one unit, 60 s or less at time scale 1 (``--profile eol``)."""
