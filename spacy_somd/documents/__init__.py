"""Documents in: readers of JATS (PubMed Central) XML, TEI (GROBID, Softcite corpora), PDF,
plain text and Markdown into :class:`Document` objects of :class:`Paragraph` objects, and
a dispatch over a file or a folder of mixed files (:func:`read_documents`). What cannot be
read is a :class:`Rejected` with its position and reason, never left out in silence."""

from spacy_somd.documents.model import KINDS, Annotation, Document, Paragraph, Read, Rejected
from spacy_somd.documents.read import document_files, read_documents, read_file

__all__ = ["KINDS", "Annotation", "Document", "Paragraph", "Read", "Rejected", "document_files", "read_documents", "read_file"]
