"""What the package's trainable pipes share."""
from spacy.pipeline import TrainablePipe
from thinc.api import Optimizer


class ScaledPipe(TrainablePipe):
    """A trainable pipe whose own layers (not those of an upstream component it listens
    to) learn at the optimizer's rate times ``cfg["learn_rate_scale"]``: a freshly
    initialized head can learn faster than a pretrained backbone."""

    def finish_update(self, sgd: Optimizer) -> None:
        scale = self.cfg["learn_rate_scale"]
        for node in self.model.walk():
            for shim in node.shims:
                shim.finish_update(sgd)
            for name in node.param_names:
                if node.has_grad(name):
                    param, _ = sgd((node.id, name), node.get_param(name), node.get_grad(name), lr_scale=scale)
                    node.set_param(name, param)
