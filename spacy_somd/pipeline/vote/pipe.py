"""``somd_vote``: pipelines trained alike (other seeds) voting, as one component, and
:func:`assemble_ensemble`, which builds the pipeline that holds them."""

from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, cast

import spacy
import srsly
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import load_model_from_config, minibatch
from spacy.vocab import Vocab
from thinc.api import Config

from spacy_somd.labels import RELATIONS_ATTR, ensure_extensions
from spacy_somd.pipeline.vote.majority import set_vote, token_copy

MEMBER_DIR = "member"


def check_member(first: Language, member: Language, number: int) -> None:
    """Raise ``ValueError`` unless ``member`` tokenizes and annotates as ``first`` does:
    the same tokenizer settings, components and labels."""
    if member.config["nlp"]["tokenizer"] != first.config["nlp"]["tokenizer"]:
        raise ValueError(f"somd_vote: member {number}'s tokenizer settings differ from member 0's: the members must tokenize alike")
    if member.pipe_names != first.pipe_names:
        raise ValueError(f"somd_vote: member {number} has the components {member.pipe_names}, member 0 {first.pipe_names}")
    for name in first.pipe_names:
        labels = getattr(first.get_pipe(name), "labels", ())
        if tuple(getattr(member.get_pipe(name), "labels", ())) != tuple(labels):
            raise ValueError(f"somd_vote: member {number}'s {name!r} has other labels than member 0's")


class SeedVote(Pipe):
    """Several pipelines trained alike (the same config, other seeds) annotating each doc;
    their vote (:mod:`spacy_somd.pipeline.vote.majority`) sets the doc's entities, relations,
    categories and sentences. Scored by the first member's scorers, so ``spacy
    evaluate`` gives the scores a member would. Each member runs on its own copy of the
    doc's tokens: N members take about N times one pipeline's time and memory."""

    def __init__(self, vocab: Vocab, name: str = "somd_vote", members: Sequence[Language] = ()) -> None:
        self.vocab = vocab
        self.name = name
        self.members: List[Language] = []
        for member in members:
            self.add_member(member)

    def add_member(self, member: Language) -> None:
        """Add a pipeline; it must tokenize and annotate as the first member does."""
        if self.members:
            check_member(self.members[0], member, len(self.members))
        self.members.append(member)

    def require_members(self) -> None:
        if len(self.members) < 2:
            raise ValueError(f"somd_vote {self.name!r} has {len(self.members)} members: a vote needs two or more (add_member, or load a saved ensemble)")

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        """Each batch annotated by every member in turn, then voted."""
        self.require_members()
        for batch in minibatch(stream, batch_size):
            annotated = [list(member.pipe([token_copy(member.vocab, doc) for doc in batch], batch_size=batch_size)) for member in self.members]
            for k, doc in enumerate(batch):
                yield set_vote(doc, [docs[k] for docs in annotated])

    def score(self, examples: Iterable[Example], **kwargs: Any) -> Dict[str, Any]:
        """The scores of the first member's components (entities and tokens, relations and
        the SOMD score, categories, sentences) on the voted docs."""
        self.require_members()
        examples = list(examples)
        scores: Dict[str, Any] = {}
        for _, component in self.members[0].pipeline:
            if hasattr(component, "score"):
                scores.update(component.score(examples, **kwargs))
        return scores

    def to_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> None:
        """Each member saved whole in ``member0``, ``member1``, ... under ``path``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for number, member in enumerate(self.members):
            member.to_disk(path / f"{MEMBER_DIR}{number}")

    def from_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> "SeedVote":
        path = Path(path)
        self.members = []
        for number in range(len(list(path.glob(f"{MEMBER_DIR}*")))):
            member_path = path / f"{MEMBER_DIR}{number}"
            if not member_path.is_dir():
                raise ValueError(f"somd_vote: {path} holds no {member_path.name}: the members must be numbered 0, 1, ... without a gap")
            self.add_member(spacy.load(member_path))
        self.require_members()
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps([{"config": m.config.to_str(), "bytes": m.to_bytes()} for m in self.members])

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = ()) -> "SeedVote":
        self.members = []
        for saved in srsly.msgpack_loads(bytes_data):
            member = load_model_from_config(Config().from_str(saved["config"]), auto_fill=False, validate=False)
            self.add_member(member.from_bytes(saved["bytes"]))
        self.require_members()
        return self


def seed_votes(nlp: Language) -> List[SeedVote]:
    """The pipeline's ``somd_vote`` components (found by class, whatever their names)."""
    return [component for _, component in nlp.pipeline if isinstance(component, SeedVote)]


@Language.factory("somd_vote", assigns=["doc.ents", "doc.sents", "doc.cats", f"doc._.{RELATIONS_ATTR}"])
def make_seed_vote(nlp: Language, name: str) -> SeedVote:
    ensure_extensions()
    return SeedVote(nlp.vocab, name)


def assemble_ensemble(members: Sequence[Language], name: Optional[str] = None) -> Language:
    """A pipeline of the first member's tokenizer and one ``somd_vote`` holding the
    ``members`` (two or more pipelines of one config, other seeds). Its config keeps the
    first member's ``[paths]`` and ``[somd]`` (what packaging reads), the package name
    followed by ``_vote``."""
    if len(members) < 2:
        raise ValueError(f"an ensemble needs two or more pipelines, not {len(members)}")
    first = members[0]
    config: Dict[str, Any] = {"nlp": {"tokenizer": first.config["nlp"]["tokenizer"], "batch_size": first.batch_size}}
    config.update({section: dict(first.config[section]) for section in ("paths", "somd") if section in first.config})
    if "package_name" in config.get("somd", {}):
        config["somd"]["package_name"] += "_vote"
    nlp = spacy.blank(str(first.lang), config=config)
    vote = cast(SeedVote, nlp.add_pipe("somd_vote"))
    for member in members:
        vote.add_member(member)
    nlp.meta.update({key: first.meta[key] for key in ("name", "version", "description", "license", "sources") if key in first.meta})
    if name:
        nlp.meta["name"] = name
    nlp.meta["ensemble"] = [f"{m.meta.get('name', '')} {m.meta.get('version', '')}".strip() for m in members]
    return nlp
