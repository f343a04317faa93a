"""SOMD corpus I/O: the three line-aligned files (:mod:`.format`), Sentences <-> Docs
(:mod:`.docs`), the folds and their splits (:mod:`.folds`), the registered reader
(:mod:`.reader`), corpus counts (:mod:`.stats`) and the pinned corpus files
(:mod:`.download`)."""
from .docs import LINE_ATTR, RELATIONS_ATTR, doc_bio, doc_to_lines, ensure_extensions, sentence_to_doc
from .download import SOMD2025_SHA256, SOMD2025_URL, fetch_corpus
from .folds import (
    FOLD_MANIFEST,
    check_extra_corpus,
    check_fold_settings,
    fold_docbins,
    fold_files,
    fold_manifest,
    fold_path,
    parse_fold,
    read_fold_docs,
    select_fold,
)
from .format import (
    ENTITY_TYPES,
    FILE_NAMES,
    RELATION_TYPES,
    ReadResult,
    Sentence,
    SomdFormatError,
    bio_to_spans,
    parse_labels,
    parse_relations,
    read_corpus_dir,
    read_somd,
)
from .reader import create_fold_corpus, gold_tokenized_example
from .stats import CorpusStats

__all__ = [
    "ENTITY_TYPES", "FILE_NAMES", "FOLD_MANIFEST", "LINE_ATTR", "RELATIONS_ATTR", "RELATION_TYPES",
    "SOMD2025_SHA256", "SOMD2025_URL", "CorpusStats", "ReadResult", "Sentence", "SomdFormatError",
    "bio_to_spans", "check_extra_corpus", "check_fold_settings", "create_fold_corpus", "doc_bio", "doc_to_lines",
    "ensure_extensions", "fetch_corpus", "fold_docbins", "fold_files", "fold_manifest", "fold_path",
    "gold_tokenized_example", "parse_fold", "parse_labels", "parse_relations", "read_corpus_dir", "read_fold_docs",
    "read_somd", "select_fold", "sentence_to_doc",
]  # fmt: skip
