"""The backbone's lowest layers kept as pretrained: no gradients, no updates (the seed's
recipe froze the two lowest encoder blocks of its DeBERTa)."""
from typing import Callable, List

import torch
from thinc.api import Model

Forward = Callable[[Model, object, bool], object]


def encoder_blocks(module: torch.nn.Module, setting: str) -> torch.nn.ModuleList:
    """The encoder blocks of a BERT-style backbone (``encoder.layer``), lowest first;
    refused, naming the ``setting`` that needs them, when it has none."""
    blocks = getattr(getattr(module, "encoder", None), "layer", None)
    if not isinstance(blocks, torch.nn.ModuleList):
        raise ValueError(f"{setting}: the backbone {type(module).__name__} has no encoder.layer blocks (those of BERT-style models)")
    return blocks


def frozen_parameters(module: torch.nn.Module, layers: int, embeddings: bool) -> List[torch.nn.Parameter]:
    """The parameters of the lowest ``layers`` encoder blocks, and of the embeddings if
    ``embeddings``; refused when that would be the whole backbone or more blocks than it has."""
    blocks = encoder_blocks(module, "frozen_layers")
    if layers > len(blocks):
        raise ValueError(f"frozen_layers = {layers}, but the backbone has only {len(blocks)} encoder blocks")
    if layers == len(blocks) and embeddings:
        raise ValueError(
            "frozen_layers and frozen_embeddings freeze the whole backbone: put the transformer "
            "in [training] frozen_components instead"
        )
    parts: List[torch.nn.Module] = list(blocks[:layers])
    if embeddings:
        parts.append(module.get_submodule("embeddings"))
    return [parameter for part in parts for parameter in part.parameters()]


def freezing(forward: Forward, layers: int, embeddings: bool) -> Forward:
    """``forward`` of spacy-transformers' backbone wrapper that, before each training
    step, turns off the gradients of the frozen parameters (so the optimizer, which
    updates only parameters with a gradient, leaves them as loaded; set on every step, as
    loading a pipeline builds a new backbone)."""

    def frozen_forward(model: Model, inputs: object, is_train: bool) -> object:
        if is_train:
            backbone = model.shims[0]._hfmodel.transformer  # type: ignore[attr-defined]  # HFShim
            for parameter in frozen_parameters(backbone, layers, embeddings):
                parameter.requires_grad_(False)
        return forward(model, inputs, is_train)

    return frozen_forward
