"""What the package's trainable pipes share."""

from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

import srsly
from spacy.pipeline import TrainablePipe
from spacy.training import Example, validate_examples
from thinc.api import Optimizer, set_dropout_rate

# the tok2vec of the pipes' default models (the project's configs set their own)
DEFAULT_TOK2VEC_STR = """
[model.tok2vec]
@architectures = "spacy.HashEmbedCNN.v2"
pretrained_vectors = null
width = 96
depth = 2
embed_size = 2000
window_size = 1
maxout_pieces = 3
subword_features = true
"""

# What reading a damaged file raises: missing files, msgpack's "Unpack failed", bad JSON
# (ValueError), and thinc's errors on a model message of another shape.
DESERIALIZATION_ERRORS = (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError)


class ScaledPipe(TrainablePipe):
    """A trainable pipe with its labels in ``cfg["labels"]``, whose own layers (not those
    of an upstream component it listens to) learn at the optimizer's rate times
    ``cfg["learn_rate_scale"]``: a freshly initialized head can learn faster than a
    pretrained backbone.

    As spaCy's ``textcat``: labels are strings kept in the string store, they cannot be
    added once the model's output width is set, and ``label_data`` feeds ``spacy init
    labels``. Loading names the component and the file that cannot be read, and refuses
    labels that do not match the model's output width. Loading takes from the saved cfg
    only what training set (``learned_cfg``); the settings come from the pipeline's config,
    so that ``spacy.load(..., config=...)`` overrides them."""

    learned_cfg: Tuple[str, ...] = ("labels",)

    @property
    def labels(self) -> Tuple[str, ...]:
        return tuple(self.cfg["labels"])

    @property
    def label_data(self) -> List[str]:
        return list(self.labels)

    @property
    def n_outputs(self) -> int:
        """The model's output width that the labels need."""
        return len(self.labels)

    def output_width(self) -> Optional[int]:
        """The model's output width, once it is set (by initialization or loading)."""
        layer = self.model.get_ref("output_layer") if self.model.has_ref("output_layer") else self.model
        return layer.maybe_get_dim("nO")

    def add_label(self, label: str) -> int:
        """Add a label before initialization; 0 if it is there already, else 1."""
        if not isinstance(label, str):
            raise ValueError(f"{self.name}: a label must be a string, not {label!r}")
        if label in self.labels:
            return 0
        self._allow_extra_label()
        self.cfg["labels"].append(label)
        self.vocab.strings.add(label)
        return 1

    def _allow_extra_label(self) -> None:
        width = self.output_width()
        if width is not None and width <= self.n_outputs:
            raise ValueError(f"{self.name}: the model is initialized with {width} outputs for the labels {list(self.labels)}; it cannot take another label")

    def check_output_width(self, source: str) -> None:
        """Refuse a model whose output width does not match the labels (``source`` says
        where both came from)."""
        width = self.output_width()
        if width is not None and width != self.n_outputs:
            raise ValueError(
                f"{self.name}: {source} do not belong together: the labels {list(self.labels)} need {self.n_outputs} outputs, the model has {width}"
            )

    def update(
        self, examples: Iterable[Example], *, drop: float = 0.0, sgd: Optional[Optimizer] = None, losses: Optional[Dict[str, float]] = None
    ) -> Dict[str, float]:
        """spaCy's update: the component's :meth:`step` (forward, loss, backward and, when
        training dynamics are on, their recording), then the optimizer's step."""
        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, f"{type(self).__name__}.update")
        set_dropout_rate(self.model, drop)
        loss = self.step(examples)
        if loss is None:
            return losses
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def step(self, examples: List[Example]) -> Optional[float]:
        """Backpropagate the loss of one batch and return it (None: nothing to learn from,
        and so no optimizer step)."""
        raise NotImplementedError

    def finish_update(self, sgd: Optimizer) -> None:
        scale = self.cfg["learn_rate_scale"]
        for node in self.model.walk():
            for shim in node.shims:
                shim.finish_update(sgd)
            for name in node.param_names:
                if node.has_grad(name):
                    param, _ = sgd((node.id, name), node.get_param(name), node.get_grad(name), lr_scale=scale)
                    node.set_param(name, param)

    def read_part(self, source: Union[str, Path], read: Callable[[], Any]) -> None:
        """Run ``read``; a damaged or missing part becomes one error naming the
        component and ``source``."""
        try:
            read()
        except DESERIALIZATION_ERRORS as error:
            reason = "no such file" if isinstance(error, FileNotFoundError) else str(error) or type(error).__name__
            raise self.unreadable(source, reason) from error

    def unreadable(self, source: Union[str, Path], reason: str) -> ValueError:
        return ValueError(f"{self.name}: cannot read {source}: {reason}")

    def load_cfg(self, saved: Dict[str, Any]) -> None:
        """Take the learned entries of a saved cfg (the settings stay the factory's)."""
        self.cfg.update({key: value for key, value in saved.items() if key in self.learned_cfg})

    def from_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> "ScaledPipe":
        path = Path(path)
        readers: Dict[str, Callable[[Path], Any]] = {
            "cfg": lambda p: self.load_cfg(srsly.json_loads(p.read_text(encoding="utf8"))),
            "vocab": lambda p: self.vocab.from_disk(p, exclude=exclude),
            "model": lambda p: self.model.from_bytes(p.read_bytes()),
        }
        for key, read in readers.items():
            if key not in exclude:
                self.read_part(path / key, partial(read, path / key))
        self.check_output_width(f"{path / 'cfg'} and {path / 'model'}")
        return self

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()) -> "ScaledPipe":
        msg: Dict[str, Any] = {}
        self.read_part("its bytes", lambda: msg.update(srsly.msgpack_loads(bytes_data)))
        readers: Dict[str, Callable[[bytes], Any]] = {
            "cfg": lambda b: self.load_cfg(srsly.json_loads(b)),
            "vocab": lambda b: self.vocab.from_bytes(b, exclude=exclude),
            "model": lambda b: self.model.from_bytes(b),
        }
        for key, read in readers.items():
            if key not in exclude:
                if key not in msg:
                    raise self.unreadable(f"its {key} bytes", "missing")
                self.read_part(f"its {key} bytes", partial(read, msg[key]))
        self.check_output_width("its cfg and model bytes")
        return self
