"""``io.kestra.plugin.core.storage.*``: internal storage utilities."""

from kestra_stream.plugins.core.storage.concat import Concat
from kestra_stream.plugins.core.storage.delete import Delete
from kestra_stream.plugins.core.storage.items import DeduplicateItems, FilterItems, Reverse
from kestra_stream.plugins.core.storage.local_files import LocalFiles
from kestra_stream.plugins.core.storage.purge_execution import PurgeCurrentExecutionFiles
from kestra_stream.plugins.core.storage.size import Size
from kestra_stream.plugins.core.storage.split import Split
from kestra_stream.plugins.core.storage.write import Write

__all__ = [
    "Concat",
    "DeduplicateItems",
    "Delete",
    "FilterItems",
    "LocalFiles",
    "PurgeCurrentExecutionFiles",
    "Reverse",
    "Size",
    "Split",
    "Write",
]
