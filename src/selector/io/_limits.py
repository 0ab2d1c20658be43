"""Resource limits on input: what a loader refuses before it spends time or memory.

Every limit is checked early and cheaply (the file's size from the file system, a
workbook's member sizes from the zip's central directory, a Parquet file's sizes from its
footer, the header line before any row is parsed, cell lengths in one vectorised pass),
and every refusal is one :class:`~selector.InvalidInputError` whose message shows at most
the first characters of a value.

==========================  ===========  ===============================================
limit                       value        why
==========================  ===========  ===============================================
``file_bytes``              1 GiB        a million proposals are about 240 MB of CSV
``decompressed_bytes``      2 GiB        the whole of an .xlsx (or Parquet data) unpacked
``inflate_ratio``           100          a zip member unpacking to more than 100× its
                                         packed size is a "zip bomb" (as Apache POI rules)
``cell_chars``              32,767       Excel's own limit for one cell
``header_chars``            256          one column header
``header_line_bytes``       65,536       the header line of a CSV file
``columns``                 1,000        columns of one file
``json_depth``              16           nesting of a JSON document (records are 2 deep,
                                         an indicator list 4)
==========================  ===========  ===============================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from selector._errors import InputProblem, InvalidInputError

__all__ = ["LIMITS", "Limits", "read_limited"]


@dataclass(frozen=True)
class Limits:
    """The resource limits of the loaders (see the module docstring)."""

    file_bytes: int = 1 << 30
    decompressed_bytes: int = 2 << 30
    inflate_ratio: int = 100
    cell_chars: int = 32_767
    header_chars: int = 256
    header_line_bytes: int = 65_536
    columns: int = 1_000
    json_depth: int = 16


#: The limits in force.
LIMITS = Limits()


def read_limited(path: Path, source: str) -> bytes:
    """The bytes of ``path``, refused (before reading) when larger than ``file_bytes``."""
    try:
        size = path.stat().st_size
        if size > LIMITS.file_bytes:
            raise InvalidInputError(InputProblem.of(
                "io.limit.file", size=f"{size:,}", limit=f"{LIMITS.file_bytes:,}"), source)
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInputError(InputProblem.of("io.read.no_file"), source) from None
    except IsADirectoryError:
        raise InvalidInputError(InputProblem.of("io.read.directory"), source) from None
    except OSError as exc:
        raise InvalidInputError(InputProblem.of("io.read.unreadable",
                                                reason=str(exc.strerror or exc)), source) from None
