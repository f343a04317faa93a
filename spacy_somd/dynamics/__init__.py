"""Training dynamics: recording per-instance logits during training (:mod:`.recording`) and
their analysis, AUM, confidence, variability and the fake-class threshold (:mod:`.analysis`)."""
from .analysis import DynamicsFormatError, GroupDynamics, assigned_probabilities, aum_threshold, lowest_count, margins, mean_and_std, read_dynamics
from .recording import FAKE_LABEL, DynamicsRecorder, Instance, is_threshold_sample

__all__ = [
    "FAKE_LABEL", "DynamicsFormatError", "DynamicsRecorder", "GroupDynamics", "Instance",
    "assigned_probabilities", "aum_threshold", "is_threshold_sample", "lowest_count", "margins",
    "mean_and_std", "read_dynamics",
]  # fmt: skip
