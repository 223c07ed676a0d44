"""The virtual charger's firmware: configuration, RPC methods and charging behaviour.

It is written the way a firmware team would write it, from the vendor's RPC list, and deliberately
shares no tables with ``reference/spec``: if the suite's transcription and the firmware disagree, a
test goes red instead of both agreeing on the same slip.
"""
