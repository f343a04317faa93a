"""Task-adaptive pretraining of the backbone (Gururangan et al., 2020): masked-language-model
training on the task's own unlabelled text before the pipeline is trained on it.

The text is the corpus's sentences outside the held-out fold (the fold that scores the
pipeline is never read) and any further texts files, such as the shared task's unlabelled
``test_texts.txt``. A fresh MLM head learns first with the encoder frozen (a random head's
gradients would otherwise disturb the pretrained encoder), then head and encoder train
together. Only the loss at the masked pieces is computed. The adapted encoder and its
tokenizer are saved as a model folder for ``[paths] backbone``, with ``adaptation.json``
saying how it was made.
"""
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Mapping, Optional, Sequence

from .corpus import read_corpus_dir
from .corpus.folds import fold_of
from .prediction import read_texts

if TYPE_CHECKING:
    import torch

ADAPTATION_FILE = "adaptation.json"


@dataclass(frozen=True)
class AdaptationSettings:
    """The schedule of an adaptation: ``steps`` batches of ``batch_size`` sentences (at
    most ``max_pieces`` word pieces each), of which the first ``head_share`` train the
    MLM head alone; ``mask_share`` of the pieces masked; AdamW at ``learn_rate`` with a
    linear warm-up over a tenth of the steps and a linear decay to 0."""

    steps: int = 400
    batch_size: int = 32
    learn_rate: float = 1e-4
    head_share: float = 0.25
    mask_share: float = 0.15
    max_pieces: int = 128
    weight_decay: float = 0.01
    seed: int = 0

    def check(self) -> None:
        """Refuse settings that cannot describe a schedule, naming the setting."""
        for name in ("steps", "batch_size", "max_pieces"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        for name in ("head_share", "mask_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], not {getattr(self, name)}")
        if self.learn_rate <= 0:
            raise ValueError(f"learn_rate must be positive, not {self.learn_rate}")


def adaptation_texts(corpus_dir: Path, fold: Optional[int], n_folds: int, texts_files: Sequence[Path] = ()) -> List[str]:
    """The corpus's sentences outside fold ``fold`` (all of them for None), then the
    lines of each texts file, as space-joined tokens."""
    sentences = read_corpus_dir(corpus_dir).sentences
    texts = [" ".join(s.words) for s in sentences if fold is None or fold_of(s.line, n_folds) != fold]
    for path in texts_files:
        texts += [" ".join(s.words) for s in read_texts(Path(path)) if s.words]
    return texts


def learn_rate_factor(step: int, steps: int) -> float:
    """The schedule's factor at ``step``: a linear warm-up over a tenth of the steps, then
    a linear decay to 0 at ``steps``."""
    warmup = max(1, steps // 10)
    return min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup)))


def adapt_backbone(
    backbone: str, texts: Sequence[str], out: Path, settings: AdaptationSettings = AdaptationSettings(),
    on_step: Optional[Callable[[int, float], None]] = None,
) -> List[float]:
    """Adapt ``backbone`` (a model folder or hub name with a BERT-style MLM head) to
    ``texts`` and save the encoder and tokenizer to ``out``; the loss of every step,
    also given to ``on_step(step, loss)``."""
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer, DataCollatorForLanguageModeling

    settings.check()
    if not texts:
        raise ValueError("no text to adapt the backbone to")
    torch.manual_seed(settings.seed)  # the new head's initial weights and the masks
    order_rng = random.Random(settings.seed)
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    model = AutoModelForMaskedLM.from_pretrained(backbone)
    head = mlm_head(model)
    encoder = model.base_model
    pieces = [tokenizer(text, truncation=True, max_length=settings.max_pieces)["input_ids"] for text in texts]
    collate = DataCollatorForLanguageModeling(tokenizer, mlm_probability=settings.mask_share)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learn_rate, weight_decay=settings.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: learn_rate_factor(step, settings.steps))
    head_steps = int(settings.steps * settings.head_share)
    model.train()
    encoder.requires_grad_(head_steps == 0)
    order: List[int] = []
    losses = []
    for step in range(settings.steps):
        if step == head_steps:
            encoder.requires_grad_(True)
        if len(order) < settings.batch_size:
            order += order_rng.sample(range(len(pieces)), len(pieces))
        batch = collate([{"input_ids": pieces[i]} for i in order[: settings.batch_size]])
        order = order[settings.batch_size:]
        hidden = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        masked = batch["labels"] != -100
        loss = torch.nn.functional.cross_entropy(head(hidden[masked]), batch["labels"][masked])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        if on_step is not None:
            on_step(step, losses[-1])
    save_encoder(backbone, encoder.state_dict(), out)
    tokenizer.save_pretrained(out)
    return losses


def save_encoder(backbone: str, weights: Mapping[str, "torch.Tensor"], out: Path) -> None:
    """The backbone as it loads (with any pooler the MLM model leaves out) holding the
    adapted encoder ``weights``, saved to ``out``."""
    from transformers import AutoModel

    model = AutoModel.from_pretrained(backbone)
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if unexpected or any(not name.startswith("pooler.") for name in missing):
        raise ValueError(f"{backbone}: the adapted weights do not fit the backbone (missing {missing}, unexpected {unexpected})")
    model.save_pretrained(out)


def mlm_head(model) -> "torch.nn.Module":
    """The module that maps a masked-language model's hidden states to vocabulary logits
    (BERT's ``cls``, RoBERTa's ``lm_head``)."""
    for name in ("cls", "lm_head"):
        head = getattr(model, name, None)
        if head is not None:
            return head
    raise ValueError(f"{type(model).__name__}: no MLM head called on hidden states (cls or lm_head) to adapt with")


def write_record(out: Path, backbone: str, corpus_dir: Path, fold: Optional[int], n_folds: int,
                 texts_files: Sequence[Path], n_texts: int, settings: AdaptationSettings, losses: Sequence[float]) -> None:
    """``adaptation.json``: what the adapted backbone was made from and how."""
    record = {
        "backbone": backbone, "corpus": str(corpus_dir), "held_out_fold": fold, "n_folds": n_folds,
        "texts_files": [str(p) for p in texts_files], "sentences": n_texts, "settings": asdict(settings),
        "first_loss": losses[0], "last_loss": losses[-1],
    }  # fmt: skip
    (Path(out) / ADAPTATION_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
