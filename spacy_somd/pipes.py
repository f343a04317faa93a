"""What the package's trainable pipes share."""
from typing import Tuple

from spacy.pipeline import TrainablePipe
from thinc.api import Optimizer

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


class ScaledPipe(TrainablePipe):
    """A trainable pipe with its labels in ``cfg["labels"]``, whose own layers (not those
    of an upstream component it listens to) learn at the optimizer's rate times
    ``cfg["learn_rate_scale"]``: a freshly initialized head can learn faster than a
    pretrained backbone."""

    @property
    def labels(self) -> Tuple[str, ...]:
        return tuple(self.cfg["labels"])

    def finish_update(self, sgd: Optimizer) -> None:
        scale = self.cfg["learn_rate_scale"]
        for node in self.model.walk():
            for shim in node.shims:
                shim.finish_update(sgd)
            for name in node.param_names:
                if node.has_grad(name):
                    param, _ = sgd((node.id, name), node.get_param(name), node.get_grad(name), lr_scale=scale)
                    node.set_param(name, param)
