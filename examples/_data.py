"""What the data-driven examples share: where the data files are, and skipping
cleanly (exit status 77, automake's "skipped") when one is absent."""
import os
import sys
from pathlib import Path

#: Exit status of an example whose data file is missing.
EXIT_SKIPPED = 77
#: ``../shared/data`` beside the repository.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def add_data_dir_argument(parser, data_file):
    """``--data-dir``: default ``$FASTNN_DATA_DIR``, else :data:`DEFAULT_DATA_DIR`."""
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("FASTNN_DATA_DIR") or DEFAULT_DATA_DIR),
                        help=f"folder holding {data_file} (default: $FASTNN_DATA_DIR, "
                             "else %(default)s)")


def data_file_or_none(data_dir, data_file):
    """The data file's path, or None after one line on stderr saying it is missing."""
    path = data_dir / data_file
    if path.is_file():
        return path
    print(f"skipped: {path} not found; pass --data-dir or set FASTNN_DATA_DIR to the "
          f"folder holding {data_file}", file=sys.stderr)
    return None
