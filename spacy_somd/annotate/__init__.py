"""``annotate``: software mentions of whole literatures, from JSONL or Parquet records or
from documents (JATS, TEI, PDF, text: a record per paragraph) to partitioned Parquet or
JSONL output, on one machine (``local``) or a Ray cluster (``ray``), with the software
identities of the whole output in tables beside it."""

from spacy_somd.annotate.inputs import InputError
from spacy_somd.annotate.outputs import read_output
from spacy_somd.annotate.run import Settings, annotate_input

__all__ = ["InputError", "Settings", "annotate_input", "read_output"]
