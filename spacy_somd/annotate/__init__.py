"""``annotate``: software mentions of whole literatures, from JSONL or Parquet records to
partitioned Parquet or JSONL output, on one machine (``local``) or a Ray cluster (``ray``)."""
from .inputs import InputError
from .outputs import read_output
from .run import Settings, annotate_input

__all__ = ["InputError", "Settings", "annotate_input", "read_output"]
