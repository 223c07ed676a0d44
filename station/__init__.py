"""The production line's station: ``lektrico-hil eol`` and the record commands.  (helper A: cli, eol flow)"""
