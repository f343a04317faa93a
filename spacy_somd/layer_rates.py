"""Layer-wise learning rates of the backbone (layer-wise learning-rate decay, Howard and
Ruder's discriminative fine-tuning): the top encoder block (and the pooler above it) learns
at the optimizer's rate, each block below at the rate of the block above times
``layer_decay``, the embeddings below the lowest block. The lower blocks hold the most
general features of pretraining, and move least."""
import re
from typing import Dict, Tuple, cast

import torch
from spacy_transformers.layers.hf_shim import HFShim
from thinc.api import Optimizer
from thinc.types import FloatsXd

from .frozen import encoder_blocks

BLOCK_PARAMETER = re.compile(r"encoder\.layer\.(\d+)\.")


def blocks_above(name: str, n_blocks: int) -> int:
    """How many encoder blocks lie above the backbone parameter ``name``: 0 for the top
    block and for what sits on the encoder (the pooler), ``n_blocks`` for the embeddings."""
    block = BLOCK_PARAMETER.match(name)
    if block is not None:
        return n_blocks - 1 - int(block.group(1))
    return n_blocks if name.startswith("embeddings.") else 0


def layer_scales(module: torch.nn.Module, layer_decay: float) -> Dict[str, float]:
    """Each parameter's learning-rate factor: ``layer_decay`` to the blocks above it."""
    n_blocks = len(encoder_blocks(module, "layer_decay"))
    return {name: layer_decay ** blocks_above(name, n_blocks) for name, _ in module.named_parameters()}


class LayerDecayShim(HFShim):
    """spacy-transformers' shim whose update scales each parameter's learning rate by
    :func:`layer_scales` (``layer_decay`` set by :func:`decaying`): thinc's own update, with
    the optimizer given each parameter's ``lr_scale``."""

    layer_decay: float

    def finish_update(self, optimizer: Optimizer) -> None:
        scales = layer_scales(self._model, self.layer_decay)

        def scaled(key: Tuple[int, str], weights: FloatsXd, gradient: FloatsXd, *, lr_scale: float = 1.0):
            return optimizer(key, weights, gradient, lr_scale=lr_scale * scales[key[1]])

        super().finish_update(cast(Optimizer, scaled))


def decaying(shim: HFShim, layer_decay: float) -> None:
    """Turn the backbone's shim into a :class:`LayerDecayShim` with ``layer_decay`` (in
    place: the model keeps its shim, and copies of it, which thinc deep-copies, keep the
    class and the setting)."""
    shim.__class__ = LayerDecayShim
    shim.layer_decay = layer_decay  # type: ignore[attr-defined]  # set on the class just assigned
