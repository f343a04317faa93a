"""Softcite's software mentions with what the article did with each (``used``,
``contribution``, ``shared``) as Docs for the usage flags of ``somd_software_usage``.

One Doc per sentence that mentions software, tokenized by the pipeline's tokenizer: its
software mentions are ``doc.ents`` (untyped in Softcite: labelled ``label``,
``Application`` by default) and its gold flags the span group ``doc.spans["somd_usage"]``:
one span per software entity and flag that holds, labelled with the flag (``used``,
``created`` for Softcite's ``contribution``, ``shared``). A doc that has the group annotates
all its software entities: a flag without a span is false. A doc without the group has no
gold flags (nothing is trained or scored on it).
"""

from typing import Iterable, List

from spacy.language import Language
from spacy.tokens import Doc, Span

from spacy_somd.corpus.softcite import Article, Mention
from spacy_somd.labels import LINE_ATTR, USAGE_FLAGS, USAGE_KEY, ensure_extensions

# Softcite's name of each flag
SOFTCITE_FLAGS = {"used": "used", "created": "contribution", "shared": "shared"}
DEFAULT_LABEL = "Application"


def mention_flags(mention: Mention) -> List[str]:
    """The flags that hold for a software mention, in the order of ``USAGE_FLAGS``."""
    return [flag for flag in USAGE_FLAGS if getattr(mention, SOFTCITE_FLAGS[flag])]


def set_usage_gold(doc: Doc, spans: Iterable[Span], flags: Iterable[Iterable[str]]) -> None:
    """Annotate ``doc``'s software entities with their gold flags (each entity's flags in
    ``flags``): the span group ``somd_usage``, one span per (entity, flag)."""
    group = [Span(doc, span.start, span.end, label=flag) for span, span_flags in zip(spans, flags) for flag in span_flags]
    unknown = sorted({span.label_ for span in group} - set(USAGE_FLAGS))
    if unknown:
        raise ValueError(f"usage flags must be among {', '.join(USAGE_FLAGS)}, not {unknown}")
    doc.spans[USAGE_KEY] = group


def usage_docs(nlp: Language, articles: Iterable[Article], label: str = DEFAULT_LABEL, where: str = "contexts") -> List[Doc]:
    """Reference docs of every sentence of ``articles`` that mentions software: the
    software mentions as entities labelled ``label`` (a mention's characters widened to
    whole tokens), their flags in ``doc.spans["somd_usage"]``, ``doc._.somd_line`` the
    sentence's number among them. Two software mentions that share a token are an error
    naming ``where``, the article and the sentence."""
    ensure_extensions()
    docs: List[Doc] = []
    for article in articles:
        for index, sentence in enumerate(article.sentences, 1):
            mentions = [m for m in sentence.mentions if m.type == "software"]
            if not mentions:
                continue
            doc = nlp.make_doc(sentence.text)
            spans: List[Span] = []
            for mention in mentions:
                span = doc.char_span(mention.start, mention.end, label=label, alignment_mode="expand")
                if span is None or (spans and span.start < spans[-1].end):
                    raise ValueError(
                        f"{where}: {article.id}, sentence {index}: the software mention {mention.id!r} "
                        f"{sentence.text[mention.start : mention.end]!r} cannot be a token span of its own (it shares a token with another)"
                    )
                spans.append(span)
            doc.ents = spans
            set_usage_gold(doc, doc.ents, [mention_flags(m) for m in mentions])
            doc._.set(LINE_ATTR, len(docs))
            docs.append(doc)
    return docs


def predicted_doc(nlp: Language, reference: Doc, with_entities: bool = True) -> Doc:
    """The doc prediction starts from: the reference's words and spaces (the tokens the
    gold was drawn on) and, with ``with_entities``, its entities (the gold software spans
    given, as the relation extractor is scored with the gold entities)."""
    words = [t.text for t in reference]
    spaces = [bool(t.whitespace_) for t in reference]
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    if with_entities:
        doc.ents = [Span(doc, ent.start, ent.end, label=ent.label) for ent in reference.ents]
    return doc
