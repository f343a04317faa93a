"""Opt-in int8 inference: PyTorch dynamic quantization of the transformer backbone's
linear layers, applied when a pipeline's weights are loaded. Turn it on at load time:

    spacy.load(model, config={"nlp": {"after_pipeline_creation": {"@callbacks": "spacy_somd.quantize_backbone.v1"}}})

A vote (``somd_vote``) has each member's backbone quantized. ``predict --int8`` and
``annotate --int8`` load with :func:`load_config`.
``{"@callbacks": "spacy_somd.quantize_backbone.v1", "layers": "feed_forward"}`` quantizes
only the feed-forward layers; ``"weights": "per_channel"`` gives every output row of a weight
matrix its own int8 scale (one scale per matrix by default). Inference only: a quantized backbone cannot be trained, nor saved and loaded again."""

import warnings
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Literal, Set

from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.util import registry

if TYPE_CHECKING:  # torch and spacy_transformers are imported on use: the CLI imports this module, and a CNN pipeline runs without them
    import torch
    from spacy_transformers import Transformer

Layers = Literal["all", "feed_forward"]
Weights = Literal["per_tensor", "per_channel"]
# the feed-forward (MLP) linear layers of a BERT-style encoder block: BERT's and DeBERTa's
# ``intermediate.dense`` and the block's ``output.dense`` (not ``attention.output.dense``)
FEED_FORWARD = ("intermediate.dense", "output.dense")


def int8_config(layers: Layers = "all", weights: Weights = "per_tensor") -> Dict[str, Any]:
    """The ``spacy.load`` config that loads a pipeline with its backbone int8."""
    return {"nlp": {"after_pipeline_creation": {"@callbacks": "spacy_somd.quantize_backbone.v1", "layers": layers, "weights": weights}}}


def load_config(int8: bool) -> Dict[str, Any]:
    """The ``spacy.load`` config of the ``--int8`` option of ``predict`` and ``annotate``
    (empty unless ``int8``): every linear layer int8, one scale per output row, the
    setting that cost least on average in ``benchmarks/quantization.py`` over single
    pipelines and votes."""
    return int8_config("all", "per_channel") if int8 else {}


def feed_forward_names(module: "torch.nn.Module") -> Set[str]:
    """The names of ``module``'s feed-forward linear layers (see ``FEED_FORWARD``)."""
    import torch

    return {
        name
        for name, sub in module.named_modules()
        if isinstance(sub, torch.nn.Linear) and name.endswith(FEED_FORWARD) and not name.endswith("attention.output.dense")
    }


def quantize_linear_layers(module: "torch.nn.Module", layers: Layers = "all", weights: Weights = "per_tensor") -> "torch.nn.Module":
    """``module`` with its ``nn.Linear`` layers (``all``, or only the ``feed_forward``
    ones) replaced, in place, by their dynamically quantized int8 counterparts (weights
    int8 with one scale per matrix or per output row, activations quantized per batch)."""
    import torch
    from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

    qconfigs = {"per_tensor": default_dynamic_qconfig, "per_channel": per_channel_dynamic_qconfig}
    if weights not in qconfigs:
        raise ValueError(f"spacy_somd.quantize_backbone.v1: weights must be 'per_tensor' or 'per_channel', not {weights!r}")
    if layers == "all":
        names = {name for name, sub in module.named_modules() if isinstance(sub, torch.nn.Linear)}
    elif layers == "feed_forward":
        names = feed_forward_names(module)
        if not names:
            raise ValueError("spacy_somd.quantize_backbone.v1: the backbone has no feed-forward layers named like BERT's")
    else:
        raise ValueError(f"spacy_somd.quantize_backbone.v1: layers must be 'all' or 'feed_forward', not {layers!r}")
    spec = {name: qconfigs[weights] for name in names}
    with warnings.catch_warnings():  # torch.ao.quantization is deprecated in favour of torchao
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return quantize_dynamic(module, spec, dtype=torch.qint8, inplace=True)


def transformer_pipes(nlp: Language) -> List["Transformer"]:
    """The pipeline's ``transformer`` pipes."""
    from spacy_transformers import Transformer

    return [pipe for _, pipe in nlp.pipeline if isinstance(pipe, Transformer)]


def quantize_backbones(pipes: Iterable["Transformer"], layers: Layers, weights: Weights) -> None:
    """Quantize the (loaded) backbone of each pipe, in place."""
    for pipe in pipes:
        quantize_linear_layers(pipe.model.transformer, layers, weights)  # type: ignore[attr-defined]  # TransformerModel


def member_holders(nlp: Language) -> List[Any]:
    """The pipeline's components that hold whole pipelines as ``members`` (``somd_vote``),
    found by that attribute, so that the transformer needs to know no such component."""
    return [pipe for _, pipe in nlp.pipeline if isinstance(getattr(pipe, "members", None), list)]


def quantize_members(vote: Any, layers: Layers, weights: Weights) -> None:
    """Quantize the backbones of a (loaded) vote's members, in place."""
    pipes = [pipe for member in vote.members for pipe in transformer_pipes(member)]
    if not pipes:
        raise ValueError(f"spacy_somd.quantize_backbone.v1: no member of the vote {vote.name!r} has a transformer component")
    quantize_backbones(pipes, layers, weights)


def after_loading(pipe: Pipe, action: Callable[[], None]) -> None:
    """Make ``pipe`` call ``action`` right after ``from_disk``/``from_bytes`` has loaded it
    (a backbone, or a vote's members, does not exist before)."""
    for method in ("from_disk", "from_bytes"):
        load = getattr(pipe, method)

        def load_then_act(*args, load=load, **kwargs) -> Pipe:
            loaded = load(*args, **kwargs)
            action()
            return loaded

        setattr(pipe, method, load_then_act)


@registry.callbacks("spacy_somd.quantize_backbone.v1")
def make_quantize_backbone(layers: Layers = "all", weights: Weights = "per_tensor") -> Callable[[Language], Language]:
    """An ``[nlp] after_pipeline_creation`` callback: every ``transformer`` pipe's backbone
    is quantized to int8 (dynamic quantization) once loaded, and so is every backbone of a
    ``somd_vote``'s members: all its ``nn.Linear`` layers,
    or with ``layers = "feed_forward"`` only those of the feed-forward blocks (the
    attention projections stay fp32: less speed-up, less accuracy lost); each weight matrix
    gets one int8 scale, or with ``weights = "per_channel"`` one per output row."""

    def quantize_backbone(nlp: Language) -> Language:
        pipes = transformer_pipes(nlp)
        votes = member_holders(nlp)
        if not pipes and not votes:
            raise ValueError("spacy_somd.quantize_backbone.v1: the pipeline has no transformer component and no somd_vote")
        for pipe in pipes:
            after_loading(pipe, partial(quantize_backbones, [pipe], layers, weights))
        for vote in votes:
            after_loading(vote, partial(quantize_members, vote, layers, weights))
        return nlp

    return quantize_backbone
