"""`strata bench`: seeded Carbon load against any Graphite stack, and what it measures.

generator (names, values, time, payloads; pure) -> senders (processes) -> targets (spawned
strata / carbon-cache + graphite-web, or an address) -> runner (phases) -> stats (pure) ->
report (table, JSON, offline HTML).  The command line is in `cli`.
"""
