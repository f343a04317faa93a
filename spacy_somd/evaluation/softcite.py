"""A pipeline on real articles: Softcite's whole articles (``software-contexts.json.gz``, see
:mod:`spacy_somd.corpus.softcite`) annotated sentence by sentence in reading order, and
scored per field (software = the four software types, version = Version or Release,
publisher = Developer, URL) with exact and overlapping spans, micro and macro, and the false
mentions per 1,000 mention-free sentences: what precision looks like where most sentences
mention no software.

A prediction that overlaps a span of Softcite's ``unknown`` type (mostly programming
languages and operating systems) and matches no scored span is neither right nor wrong.
With ``gate``, a sentence whose SOFTWARE category probability is below it loses its
entities (the sentence gate, measured against no gate)."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from spacy.language import Language
from spacy.tokens import Doc
from tqdm import tqdm

from spacy_somd.corpus.softcite import (
    FIELD_OF_LABEL,
    FIELD_OF_TYPE,
    FIELDS,
    SPLITS,
    Article,
    ContextSentence,
    Mention,
    article_split,
    contexts_path,
    read_contexts,
)
from spacy_somd.documents.model import Document
from spacy_somd.labels import RELATIONS_ATTR

# a span of one sentence: (start, end, field)
FieldSpan = Tuple[int, int, str]
SOFTWARE_CATEGORY = "SOFTWARE"


@dataclass
class FieldCounts:
    """True positives, predictions and gold spans of one field, exact and overlapping."""

    exact_tp: int = 0
    overlap_tp: int = 0
    predicted: int = 0
    gold: int = 0

    def prf(self, tp: int) -> Dict[str, float]:
        p = tp / self.predicted if self.predicted else 0.0
        r = tp / self.gold if self.gold else 0.0
        return {"p": p, "r": r, "f": 2 * p * r / (p + r) if p + r else 0.0}


@dataclass
class ArticleScores:
    """The counts of a set of annotated sentences; :meth:`scores` turns them into P/R/F1."""

    fields: Dict[str, FieldCounts] = field(default_factory=lambda: {name: FieldCounts() for name in FIELDS})
    sentences: int = 0
    mention_free: int = 0
    false_in_mention_free: int = 0
    ignored: int = 0

    def add(self, sentence: ContextSentence, predicted: Sequence[FieldSpan]) -> None:
        """Count one sentence's predictions against its gold spans."""
        self.sentences += 1
        gold = [(m.start, m.end, FIELD_OF_TYPE[m.type]) for m in sentence.mentions if FIELD_OF_TYPE[m.type]]
        unknown = [(m.start, m.end) for m in sentence.mentions if FIELD_OF_TYPE[m.type] is None]
        if not sentence.mentions:
            self.mention_free += 1
            self.false_in_mention_free += len(predicted)
        for name in FIELDS:
            gold_spans = [(s, e) for s, e, f in gold if f == name]
            pred_spans = [(s, e) for s, e, f in predicted if f == name]
            exact = set(gold_spans) & set(pred_spans)
            matched_pred, matched_gold = overlap_matches(pred_spans, gold_spans)
            # a prediction on an unknown span that matches nothing scored is left out
            left_out = [p for i, p in enumerate(pred_spans) if i not in matched_pred and any(p[0] < e and s < p[1] for s, e in unknown)]
            self.ignored += len(left_out)
            counts = self.fields[name]
            counts.exact_tp += len(exact)
            counts.overlap_tp += len(matched_gold)
            counts.predicted += len(pred_spans) - len(left_out)
            counts.gold += len(gold_spans)

    def scores(self) -> Dict[str, Any]:
        """Per field, micro and macro P/R/F1 (exact and overlapping spans), and the false
        mentions per 1,000 mention-free sentences."""
        result: Dict[str, Any] = {"sentences": self.sentences, "mention_free_sentences": self.mention_free, "ignored_on_unknown": self.ignored}
        total = FieldCounts()
        for name, counts in self.fields.items():
            result[name] = {"exact": counts.prf(counts.exact_tp), "overlap": counts.prf(counts.overlap_tp), "predicted": counts.predicted, "gold": counts.gold}
            total.exact_tp += counts.exact_tp
            total.overlap_tp += counts.overlap_tp
            total.predicted += counts.predicted
            total.gold += counts.gold
        for match in ("exact", "overlap"):
            result[f"micro_{match}"] = total.prf(getattr(total, f"{match}_tp"))
            present = [result[name][match] for name in FIELDS if self.fields[name].gold]
            result[f"macro_{match}"] = {k: sum(s[k] for s in present) / len(present) if present else 0.0 for k in ("p", "r", "f")}
        result["false_per_1000_mention_free"] = 1000 * self.false_in_mention_free / self.mention_free if self.mention_free else 0.0
        return result


def one_to_one(pairs: Iterable[Tuple[int, int]]) -> Tuple[Set[int], Set[int]]:
    """A greedy one-to-one matching over candidate (prediction, gold) index pairs, in the
    order given: the indices of the matched predictions and of the matched gold items."""
    used_pred: Set[int] = set()
    used_gold: Set[int] = set()
    for i, j in pairs:
        if i not in used_pred and j not in used_gold:
            used_pred.add(i)
            used_gold.add(j)
    return used_pred, used_gold


def overlap_matches(predicted: Sequence[Tuple[int, int]], gold: Sequence[Tuple[int, int]]) -> Tuple[Set[int], Set[int]]:
    """A one-to-one matching of overlapping spans (greedy, largest overlap first): the
    indices of the matched predictions and of the matched gold spans."""
    pairs = sorted(
        ((min(pe, ge) - max(ps, gs), i, j) for i, (ps, pe) in enumerate(predicted) for j, (gs, ge) in enumerate(gold) if ps < ge and gs < pe), reverse=True
    )
    return one_to_one((i, j) for _, i, j in pairs)


def score_articles(
    nlp: Language, articles: Sequence[Article], batch_size: int = 64, gates: Sequence[Optional[float]] = (None,), progress: bool = True
) -> Dict[str, Dict[str, Any]]:
    """The scores of the pipeline on the articles' sentences, for each gate of ``gates``
    (None: no gate), keyed ``"none"`` or the gate's value. The pipeline runs once; the
    gates only filter its predictions."""
    if any(gate is not None for gate in gates) and not any(SOFTWARE_CATEGORY in getattr(nlp.get_pipe(name), "labels", ()) for name in nlp.pipe_names):
        raise ValueError(f"a sentence gate needs the {SOFTWARE_CATEGORY} category, but no component of the pipeline ({', '.join(nlp.pipe_names)}) has it")
    sentences = [sentence for article in articles for sentence in article.sentences]
    keyed = {("none" if gate is None else f"{gate:g}"): (gate, ArticleScores()) for gate in gates}
    docs = nlp.pipe((s.text for s in sentences), batch_size=batch_size)
    for sentence, doc in tqdm(zip(sentences, docs), total=len(sentences), disable=not progress, desc="sentences", unit="sent"):
        spans = [(ent.start_char, ent.end_char, FIELD_OF_LABEL[ent.label_]) for ent in doc.ents if ent.label_ in FIELD_OF_LABEL]
        for gate, counts in keyed.values():
            kept = spans if gate is None or doc.cats.get(SOFTWARE_CATEGORY, 1.0) >= gate else []
            counts.add(sentence, kept)
    return {key: {"gate": gate, "articles": len(articles), **counts.scores()} for key, (gate, counts) in keyed.items()}


def score_table(results: Dict[str, Dict[str, Any]], match: str = "exact") -> List[List[str]]:
    """Rows of a table of :func:`score_articles` results (or of :func:`score_tei`'s): gate,
    each field's F1, micro P/R/F1, macro F1 and the false mentions per 1,000 mention-free
    sentences (percent)."""
    rows = []
    for key, scores in results.items():
        micro = scores[f"micro_{match}"]
        row = [key] + [f"{100 * scores[name][match]['f']:.1f}" for name in FIELDS]
        row += [f"{100 * micro[k]:.1f}" for k in ("p", "r", "f")]
        row += [f"{100 * scores[f'macro_{match}']['f']:.1f}", f"{scores['false_per_1000_mention_free']:.0f}"]
        rows.append(row)
    return rows


TABLE_HEADER = ["gate / data", *(f"{name} F1" for name in FIELDS), "micro P", "micro R", "micro F1", "macro F1", "false / 1,000 free"]


def evaluate_softcite(
    nlp: Language, path: Path, split: str = "test", gates: Sequence[Optional[float]] = (None,), batch_size: int = 64, progress: bool = True
) -> Dict[str, Dict[str, Any]]:
    """:func:`score_articles` on the articles of one split (``train``, ``dev`` or ``test``)
    of a Softcite contexts file (the file or its folder)."""
    for gate in gates:
        if gate is not None and not 0.0 <= gate <= 1.0:
            raise ValueError(f"a sentence gate is a SOFTWARE probability in [0, 1], not {gate}")
    articles = list(read_contexts(path, splits=(split,)))
    if not articles:
        raise ValueError(f"{contexts_path(path)}: no article of the {split} split")
    return score_articles(nlp, articles, batch_size, gates, progress)


# --- Softcite's annotated paragraphs (softcite_working.tei.xml): spans and their attachment

# the TEI ``<rs>`` types as the contexts file's span types (a person who made the software
# is its publisher, Developer in SOMD)
TEI_TYPES = {"software": "software", "version": "version", "publisher": "publisher", "person": "publisher", "url": "url"}
# a link of an attribute to its software: (attribute start, end, field, software start, end)
Link = Tuple[int, int, str, int, int]


@dataclass
class LinkCounts:
    """Attributes attached to their software (Version_of, Developer_of, URL_of), a link
    matching when both its spans overlap those of a gold link of the same field."""

    matched_predicted: int = 0
    matched_gold: int = 0
    predicted: int = 0
    gold: int = 0

    def add(self, predicted: Sequence[Link], gold: Sequence[Link]) -> None:
        pairs = sorted(
            (i, j) for i, p in enumerate(predicted) for j, g in enumerate(gold) if p[2] == g[2] and p[0] < g[1] and g[0] < p[1] and p[3] < g[4] and g[3] < p[4]
        )
        used_p, used_g = one_to_one(pairs)
        self.matched_predicted += len(used_p)
        self.matched_gold += len(used_g)
        self.predicted += len(predicted)
        self.gold += len(gold)

    def scores(self) -> Dict[str, float]:
        p = self.matched_predicted / self.predicted if self.predicted else 0.0
        r = self.matched_gold / self.gold if self.gold else 0.0
        return {"p": p, "r": r, "f": 2 * p * r / (p + r) if p + r else 0.0, "predicted": self.predicted, "gold": self.gold}


def tei_paragraphs(documents: Iterable[object], split: str) -> List[Tuple[ContextSentence, List[Link]]]:
    """The annotated body paragraphs of the Softcite TEI documents of ``split`` (``all``:
    every document) as sentences with their spans, and their gold links."""
    found = []
    for document in documents:
        if not isinstance(document, Document) or (split != "all" and article_split(document.id) != split):
            continue
        for paragraph in document.paragraphs:
            if paragraph.kind != "body":
                continue
            kept = [a for a in paragraph.annotations if a.type in TEI_TYPES]
            mentions = tuple(sorted((Mention(a.start, a.end, TEI_TYPES[a.type], a.id or "") for a in kept), key=lambda m: (m.start, m.end)))
            software = {a.id: a for a in kept if a.type == "software" and a.id}
            links = [
                (a.start, a.end, TEI_TYPES[a.type], software[a.corresp].start, software[a.corresp].end)
                for a in kept
                if a.type != "software" and a.corresp in software
            ]
            found.append((ContextSentence(paragraph.text, mentions), links))
    return found


def predicted_links(doc: Doc) -> List[Link]:
    """The predicted attachments of a doc: each relation from a version, developer or URL
    entity to a software entity, as a :data:`Link`."""
    entities = {ent.start: ent for ent in doc.ents}
    links = []
    for relation in doc._.get(RELATIONS_ATTR) or []:
        head, tail = entities.get(relation["head"]), entities.get(relation["tail"])
        if head is None or tail is None or FIELD_OF_LABEL.get(tail.label_) != "software":
            continue
        field_name = FIELD_OF_LABEL.get(head.label_)
        if field_name in ("version", "publisher", "url"):
            links.append((head.start_char, head.end_char, field_name, tail.start_char, tail.end_char))
    return links


def score_tei(nlp: Language, path: Path, split: str = "test", batch_size: int = 16, progress: bool = True) -> Dict[str, Any]:
    """The pipeline on Softcite's annotated paragraphs (a TEI corpus file such as
    ``softcite_working.tei.xml``) of the documents of ``split`` (``all``: every document;
    none of them is trained on), paragraph by paragraph: the span scores of
    :class:`ArticleScores` (only paragraphs with a mention are in the file, so precision
    here is optimistic) and the attachment of versions, publishers and URLs to their
    software."""
    from spacy_somd.documents.tei import read_tei

    if split not in (*SPLITS, "all"):
        raise ValueError(f"split must be one of {', '.join(SPLITS)} or all, not {split!r}")
    paragraphs = tei_paragraphs(read_tei(Path(path)), split)
    if not paragraphs:
        raise ValueError(f"{path}: no annotated body paragraph of a document of the {split} split")
    spans, links = ArticleScores(), LinkCounts()
    docs = nlp.pipe((paragraph.text for paragraph, _ in paragraphs), batch_size=batch_size)
    for (paragraph, gold_links), doc in tqdm(zip(paragraphs, docs), total=len(paragraphs), disable=not progress, desc="paragraphs", unit="par"):
        spans.add(paragraph, [(ent.start_char, ent.end_char, FIELD_OF_LABEL[ent.label_]) for ent in doc.ents if ent.label_ in FIELD_OF_LABEL])
        links.add(predicted_links(doc), gold_links)
    return {"paragraphs": len(paragraphs), **spans.scores(), "attachment": links.scores()}
