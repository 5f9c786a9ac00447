"""Amazon Ion *text*, as Kestra writes its internal-storage files: one value per line.

The one reader/writer of the project: storage tasks, ForEachItem, file previews, the ``toIon`` /
``fromIon`` expressions and the serdes plugins all go through :func:`read_ion` / :func:`write_ion`
(files, streamed one value at a time) or :func:`dumps` / :func:`loads` (single values).

Python values map to Kestra's Java types as Kestra's ``IonModule`` does: ``date`` ↔ ``LocalDate``
(an Ion timestamp ``2021-01-01``), an aware ``datetime`` in UTC ↔ ``Instant`` (``…T10:00:00.000Z``),
other offsets ↔ ``ZonedDateTime::"…+02:00"``, a naive ``datetime`` ↔ ``LocalDateTime::"…"``, ``time``
↔ ``LocalTime::"…"`` / ``OffsetTime::"…"``, ``Decimal`` ↔ Ion decimal (``1.5``, ``10.``, ``1d-7``),
``float`` ↔ Ion float (``1.5e0``), ``bytes`` ↔ blob.
"""

from kestra_stream.ion._reader import IonError, loads, read_ion
from kestra_stream.ion._writer import dumps, write_ion

__all__ = ["IonError", "dumps", "loads", "read_ion", "write_ion"]
