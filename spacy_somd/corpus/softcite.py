"""Softcite's whole articles (``software-contexts.json.gz``): PubMed Central articles split
into sentences in reading order, every software mention marked by character offsets, most
sentences mentioning no software at all. The articles are split once, by a hash of their
id, into ``train``, ``dev`` and ``test`` (a fixed fifth, never trained or selected on).

The file's span types and the SOMD labels they correspond to:

============  =====================================================  ============
``type``      SOMD labels                                            field
============  =====================================================  ============
software      Application, PlugIn, ProgrammingEnvironment,           software
              OperatingSystem (untyped in Softcite)
version       Version, Release                                       version
publisher     Developer                                              publisher
url           URL                                                    url
unknown       mostly programming languages and operating systems:    (none)
              neither scored nor penalised
============  =====================================================  ============
"""

import gzip
import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span

from spacy_somd.labels import LINE_ATTR, PARTIAL_ATTR, SOFTWARE_TYPES, ensure_extensions

CONTEXTS_FILE = "software-contexts.json.gz"
SPAN_TYPES = ("software", "version", "publisher", "url", "unknown")
FIELDS = ("software", "version", "publisher", "url")
# the field a Softcite span type is scored as (``unknown``: none)
FIELD_OF_TYPE: Dict[str, Optional[str]] = {"software": "software", "version": "version", "publisher": "publisher", "url": "url", "unknown": None}
# the field a SOMD entity label is scored as (labels not listed: none)
FIELD_OF_LABEL: Dict[str, str] = {
    **{label: "software" for label in SOFTWARE_TYPES},
    "Version": "version",
    "Release": "version",
    "Developer": "publisher",
    "URL": "url",
}
SPLITS = ("train", "dev", "test")
# a fifth of the articles is the test split; of the others, one in eight the development split
TEST_BUCKETS, DEV_BUCKETS = 5, 8


@dataclass(frozen=True)
class Mention:
    """A span of a sentence: character offsets into its text, the Softcite type, the
    span's id, and (software spans only) what the article did with it."""

    start: int
    end: int
    type: str
    id: str
    used: Optional[bool] = None
    contribution: Optional[bool] = None
    shared: Optional[bool] = None


@dataclass(frozen=True)
class ContextSentence:
    text: str
    mentions: Tuple[Mention, ...]


@dataclass(frozen=True)
class Article:
    id: str
    sentences: Tuple[ContextSentence, ...]


def article_split(article_id: str) -> str:
    """The split of an article (``train``, ``dev`` or ``test``), fixed by a hash of its id:
    the same article is in the same split on every machine and in every run."""
    value = int.from_bytes(hashlib.sha256(article_id.encode("utf-8")).digest()[:8], "big")
    if value % TEST_BUCKETS == 0:
        return "test"
    return "dev" if (value // TEST_BUCKETS) % DEV_BUCKETS == 0 else "train"


def contexts_path(path: Path) -> Path:
    """The contexts file: ``path`` itself or ``software-contexts.json.gz`` in the folder ``path``."""
    path = Path(path)
    found = path / CONTEXTS_FILE if path.is_dir() else path
    if not found.is_file():
        raise FileNotFoundError(f"{found}: no such file (Softcite's {CONTEXTS_FILE}, or a folder that holds it)")
    return found


def read_contexts(path: Path, splits: Iterable[str] = SPLITS) -> Iterator[Article]:
    """The articles of the given splits of a Softcite contexts file (gzip or plain JSON), in
    file order, each span checked: a span outside its sentence, of an unknown type or whose
    ``rawForm`` is not the text it covers is an error naming the article, the sentence and
    the span."""
    path = contexts_path(path)
    wanted = set(splits)
    if not wanted <= set(SPLITS):
        raise ValueError(f"splits must be among {', '.join(SPLITS)}, not {sorted(wanted - set(SPLITS))}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as file:
            data = json.load(file)
        documents = data["documents"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: not a Softcite contexts file ({err!r})") from None
    for number, document in enumerate(documents, 1):
        article_id = str(document.get("pmcid") or "")
        if not article_id:
            raise ValueError(f"{path}: document {number} has no pmcid")
        if article_split(article_id) in wanted:
            yield Article(article_id, tuple(_sentence(path, article_id, i, text) for i, text in enumerate(document.get("texts") or [], 1)))


def _sentence(path: Path, article_id: str, index: int, item: Dict) -> ContextSentence:
    text = item.get("text")
    where = f"{path}: {article_id}, sentence {index}"
    if not isinstance(text, str):
        raise ValueError(f"{where}: no text")
    mentions = []
    for span in item.get("entity_spans") or []:
        start, end, kind = span.get("start"), span.get("end"), span.get("type")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise ValueError(f"{where}: span {span.get('id')!r} [{start}, {end}) is not inside the sentence ({len(text)} characters)")
        if kind not in SPAN_TYPES:
            raise ValueError(f"{where}: span {span.get('id')!r} has the type {kind!r}, not one of {', '.join(SPAN_TYPES)}")
        if "rawForm" in span and span["rawForm"] != text[start:end]:
            raise ValueError(f"{where}: span {span.get('id')!r} says {span['rawForm']!r} but covers {text[start:end]!r}")
        flags = [span.get(name) for name in ("used", "contribution", "shared")] if kind == "software" else [None] * 3
        mentions.append(Mention(start, end, kind, str(span.get("id", "")), *flags))
    return ContextSentence(text, tuple(sorted(mentions, key=lambda m: (m.start, m.end))))


# --- what is not software: mention-free sentences of real articles as training negatives

NEGATIVE_SELECTIONS = ("random", "lookalike")
# what makes a sentence look like one that mentions software to a model trained on SOMD:
# capitalised or mixed-case words, acronyms, words with digits, a name in brackets, an
# author-year citation, a version-like number
_LOOKALIKE = (
    re.compile(r"\b[A-Z][a-z]*[A-Z]\w*"),  # mixed case: MTOR, vmPFC, iPhone, ImageJ
    re.compile(r"\b[A-Za-z]+\d[\w.-]*"),  # letters with digits: CD4, HEK293, E2F1
    re.compile(r"\(\s*[A-Z][\w&.-]*(?:\s+[\w&.-]+){0,3}\s*[,)]"),  # a name in brackets: (Qiagen), (Bio-Rad, ...
    re.compile(r"\b[A-Z][a-z]+(?: et al\.?)?,? (?:19|20)\d\d\b"),  # author-year: Engwerda 2007, Battke et al., 2010
    re.compile(r"\b\d+\.\d+(?:\.\d+)?\b"),  # version-like numbers: 2.0, 1.4.2
    re.compile(r"\b(?:Fig|Figs|Table|Appendix|Supplementary)\b"),
)


def lookalike_score(text: str) -> int:
    """How much a sentence looks like one that mentions software: the number of the
    patterns above that it matches (0 to 6; a long sentence does not score more for
    being long)."""
    return sum(1 for pattern in _LOOKALIKE if pattern.search(text))


def mention_free_sentences(articles: Iterable[Article]) -> List[Tuple[str, int, str]]:
    """(article id, sentence index, text) of every sentence that mentions nothing, not even
    an ``unknown`` span, and holds at least one letter."""
    return [
        (article.id, i, sentence.text)
        for article in articles
        for i, sentence in enumerate(article.sentences)
        if not sentence.mentions and any(ch.isalpha() for ch in sentence.text)
    ]


def select_negatives(candidates: Sequence[Tuple[str, int, str]], count: int, selection: str, seed: int) -> List[Tuple[str, int, str]]:
    """``count`` of the candidates (all if fewer): drawn at random with ``seed``
    (``random``), or (``lookalike``) half the ones that look most like software-mentioning
    sentences and half at random from the rest, so that ordinary sentences stay in view."""
    if selection not in NEGATIVE_SELECTIONS:
        raise ValueError(f"selection must be one of {', '.join(NEGATIVE_SELECTIONS)}, not {selection!r}")
    if count < 0:
        raise ValueError(f"the number of negatives must be 0 or more, not {count}")
    if count >= len(candidates):
        return list(candidates)
    rng = random.Random(seed)
    if selection == "random":
        return [candidates[i] for i in sorted(rng.sample(range(len(candidates)), count))]
    ties = list(range(len(candidates)))
    rng.shuffle(ties)
    ranked = sorted(range(len(candidates)), key=lambda i: (-lookalike_score(candidates[i][2]), ties[i]))
    hard = ranked[: count // 2]
    rest = ranked[count // 2 :]
    chosen = hard + rng.sample(rest, count - len(hard))
    return [candidates[i] for i in sorted(chosen)]


def negative_docs(nlp: Language, sentences: Iterable[Tuple[str, int, str]], first_line: int) -> List[Doc]:
    """Docs of mention-free sentences, tokenized by the pipeline's tokenizer, with no
    entities (every token gold ``O``) and no categories, numbered from ``first_line``."""
    ensure_extensions()
    docs = []
    for line, (_, _, text) in enumerate(sentences, first_line):
        doc = nlp.make_doc(text)
        doc.set_ents([], default="outside")
        doc._.set(LINE_ATTR, line)
        docs.append(doc)
    return docs


# --- what is software in real articles: the annotated sentences, typed only where Softcite types

# the SOMD label a Softcite span trains as; software (untyped in Softcite) and unknown
# spans are missing values: their tokens are neither an entity type nor O
TRAINING_LABEL: Dict[str, Optional[str]] = {"software": None, "version": "Version", "publisher": "Developer", "url": "URL", "unknown": None}


def mention_sentences(articles: Iterable[Article]) -> List[Tuple[str, int, ContextSentence]]:
    """(article id, sentence index, sentence) of every sentence with a mention."""
    return [(article.id, i, sentence) for article in articles for i, sentence in enumerate(article.sentences) if sentence.mentions]


def positive_doc(nlp: Language, sentence: ContextSentence) -> Tuple[Doc, int]:
    """A partially annotated Doc of a sentence that mentions software (``doc._.somd_partial``):
    its versions, publishers and URLs as Version, Developer and URL entities; the tokens of
    its software spans (which Softcite does not type), of its ``unknown`` spans and of any
    span that does not fall on token boundaries missing (no gold: never a guessed type);
    the other tokens O; ``doc.cats`` SOFTWARE 1 and no other category (the software types
    are not known). Also returns the number of spans left missing for their boundaries."""
    ensure_extensions()
    doc = nlp.make_doc(sentence.text)
    entities, missing, misaligned = [], [], 0
    for mention in sentence.mentions:
        label = TRAINING_LABEL[mention.type]
        span = doc.char_span(mention.start, mention.end, label=label or "")
        if span is None:
            misaligned += label is not None
            span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
        elif label is not None:
            entities.append(span)
            continue
        if span is not None and len(span):
            missing.append(span)
    taken = {i for span in missing for i in range(span.start, span.end)}
    entities = [span for span in entities if not taken & set(range(span.start, span.end))]
    doc.set_ents(_non_overlapping(entities), missing=_non_overlapping(missing), default="outside")
    doc.cats = {"SOFTWARE": 1.0}
    doc._.set(PARTIAL_ATTR, True)
    return doc, misaligned


def _non_overlapping(spans: List[Span]) -> List[Span]:
    kept: List[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -len(s))):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept
