"""What a parse worker's answers must hold: for each payload, read through a NameTable as the
server reads them, the names, timestamps, values and rejects of the in-process parser."""

from carbon_compat.name_ids import NameTable
from carbon_compat.parse_worker import POINTS


def assert_same_as_in_process(answers, payloads, parse) -> None:
    """`answers` to requests 1, 2, ... carrying `payloads`; `parse(payload)` -> (batch, rejects)."""
    table = NameTable()
    for seq, (ans, payload) in enumerate(zip(answers, payloads, strict=True), start=1):
        assert (ans.seq, ans.kind) == (seq, POINTS)
        table.update(ans.reset, ans.new_names)
        batch, rejects = parse(payload)
        assert table.names_of(ans.ids) == batch.names
        assert ans.timestamps.tolist() == batch.timestamps.tolist()
        assert ans.values.tolist() == batch.values.tolist()
        assert ans.rejects.counts == rejects.counts
