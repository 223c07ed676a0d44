"""The production line's station: ``lektrico-hil eol`` (the operator's end-of-line flow) and the record commands."""
