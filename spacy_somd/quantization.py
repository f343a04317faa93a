"""Opt-in int8 inference: PyTorch dynamic quantization of the transformer backbone's
linear layers, applied when a pipeline's weights are loaded. Turn it on at load time:

    spacy.load(model, config={"nlp": {"after_pipeline_creation": {"@callbacks": "spacy_somd.quantize_backbone.v1"}}})

Inference only: a quantized backbone cannot be trained, nor saved and loaded again."""
import warnings
from typing import Callable

import torch
from spacy.language import Language
from spacy.util import registry
from spacy_transformers import Transformer


def quantize_linear_layers(module: torch.nn.Module) -> torch.nn.Module:
    """``module`` with every ``nn.Linear`` replaced, in place, by its dynamically
    quantized int8 counterpart (weights int8, activations quantized per batch)."""
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():  # torch.ao.quantization is deprecated in favour of torchao
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return quantize_dynamic(module, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


def quantize_when_loaded(pipe: Transformer) -> None:
    """Make the pipe quantize its backbone right after ``from_disk``/``from_bytes`` has
    loaded the weights (the backbone does not exist before)."""
    for method in ("from_disk", "from_bytes"):
        load = getattr(pipe, method)

        def load_and_quantize(*args, load=load, **kwargs) -> Transformer:
            loaded = load(*args, **kwargs)
            quantize_linear_layers(pipe.model.transformer)  # type: ignore[attr-defined]  # TransformerModel
            return loaded

        setattr(pipe, method, load_and_quantize)


@registry.callbacks("spacy_somd.quantize_backbone.v1")
def make_quantize_backbone() -> Callable[[Language], Language]:
    """An ``[nlp] after_pipeline_creation`` callback: every ``transformer`` pipe's backbone
    is quantized to int8 (``nn.Linear`` layers, dynamic quantization) once loaded."""

    def quantize_backbone(nlp: Language) -> Language:
        pipes = [pipe for _, pipe in nlp.pipeline if isinstance(pipe, Transformer)]
        if not pipes:
            raise ValueError("spacy_somd.quantize_backbone.v1: the pipeline has no transformer component")
        for pipe in pipes:
            quantize_when_loaded(pipe)
        return nlp

    return quantize_backbone
