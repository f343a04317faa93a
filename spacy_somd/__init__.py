"""spacy-somd: software mention detection components for spaCy."""

import importlib
import importlib.abc
import importlib.util
import sys
from typing import TYPE_CHECKING, Any, Optional, Sequence

from spacy_somd.about import __version__

if TYPE_CHECKING:
    from spacy_somd.pipeline.confidence import entity_confidences
    from spacy_somd.pipeline.relations.records import Relation, ensure_relation_extensions, relation_records

# The Python API, imported on first use: importing the package itself stays light (no spaCy).
_API = {
    "Relation": ".pipeline.relations.records",
    "relation_records": ".pipeline.relations.records",
    "ensure_relation_extensions": ".pipeline.relations.records",
    "entity_confidences": ".pipeline.confidence",
}

__all__ = ["Relation", "__version__", "ensure_relation_extensions", "entity_confidences", "relation_records"]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _register_extensions() -> bool:
    """Register ``doc._.somd_relations``, ``span._.somd_attributes``, ``span._.somd_software``
    and the rest of the API's extensions; False where a module they need is still being
    imported (spaCy imported by one of this package's own modules), to be tried again."""
    try:
        from spacy_somd.pipeline.relations.records import ensure_relation_extensions
    except ImportError:
        return False
    ensure_relation_extensions()
    return True


class _AfterSpacy(importlib.abc.MetaPathFinder):
    """Registers the extensions once spaCy is imported: importing this package stays light,
    and the extensions exist on any pipeline, a blank one too. It finds no module itself;
    it wraps spaCy's loader, and retries at the next imports where registering had to wait."""

    def __init__(self) -> None:
        self.busy = False

    def find_spec(self, fullname: str, path: Optional[Sequence[str]], target: Any = None) -> Any:
        if self.busy:
            return None
        self.busy = True
        try:
            if fullname == "spacy":
                spec = importlib.util.find_spec(fullname)
                if spec is not None and spec.loader is not None:
                    exec_module = spec.loader.exec_module

                    def exec_then_register(module: Any) -> None:
                        exec_module(module)
                        self.try_register()

                    spec.loader.exec_module = exec_then_register  # type: ignore[method-assign]
                return spec
            if "spacy" in sys.modules and not fullname.startswith("spacy"):
                self.try_register()
            return None
        finally:
            self.busy = False

    def try_register(self) -> None:
        self.busy = True
        try:
            if _register_extensions() and self in sys.meta_path:
                sys.meta_path.remove(self)
        finally:
            self.busy = False


_spacy_ready = "spacy" in sys.modules and hasattr(sys.modules["spacy"], "blank")
if not (_spacy_ready and _register_extensions()) and not any(isinstance(finder, _AfterSpacy) for finder in sys.meta_path):
    sys.meta_path.insert(0, _AfterSpacy())
