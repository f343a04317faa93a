"""spacy-somd: software mention detection components for spaCy."""
from .about import __version__

__all__ = ["__version__"]
