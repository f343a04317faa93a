"""The model card of a packaged pipeline: what it finds, its training data and licence, its
scores and how they were measured, its speed and memory on a stated machine, its known
limits and its intended use. Every number comes from the scores and benchmark files given
(`spacy evaluate` output, the cross-validation mean of :func:`~.manifest.mean_scores`, the
measurement of :mod:`.benchmark`); nothing is written in by hand."""

from typing import Any, Dict, List, Mapping, Optional

from spacy.language import Language

from spacy_somd.labels import ENTITY_TYPES, RELATION_TYPES

TRAINING_DATA = (
    "The SOMD 2025 Phase I training data: 1,149 sentences from scholarly articles with their software mentions, "
    "attributes and relations, derived from SoMeSci (Schindler et al. 2021). The annotations are licensed CC BY 4.0; "
    "the pipeline carries that licence."
)
INTENDED_USE = (
    "Finding software mentions, their attributes and relations in English scholarly text (methods sections, "
    "acknowledgements) for research on software in science: counting and linking software use across a literature, "
    "with spot checks of the output. Not for decisions about individual authors or articles without reading them."
)
LIMITS = [
    "Uncased: the default pipeline's backbone (all-MiniLM-L6-v2) lower-cases its input and the CNN pipeline embeds lower-cased "
    "forms beside word shapes, so names that differ only in case look alike.",
    "Trained on single sentences that mostly mention software: precision on whole articles is low, with many false mentions "
    "in the mention-free sentences of real articles. Filter on `doc.cats['SOFTWARE']` or check samples before counting.",
    "English scholarly text only; the corpus's tokenization conventions (`SomdTokenizer`) are assumed.",
    "Relations are found only within a sentence.",
]
SCORE_ROWS = {
    "token_f": "Token F (the SOMD 2025 seed system's token-level metric)",
    "ents_f": "Entity F (exact spans)",
    "rel_f": "Relation F (end to end)",
    "somd_macro_f": "SOMD macro F (mean of entity and relation macro F)",
    "cats_macro_f": "Sentence categories macro F",
}


def what_it_finds(nlp: Language) -> str:
    """The entity, relation and category labels that the pipeline predicts."""
    labels = {name: list(getattr(pipe, "labels", ()) or ()) for name, pipe in nlp.pipeline}
    entities = next((v for k, v in labels.items() if "ner" in k and v), list(ENTITY_TYPES))
    relations = next((v for k, v in labels.items() if "relation" in k and v), list(RELATION_TYPES))
    categories = next((v for k, v in labels.items() if "textcat" in k and v), [])
    return (
        f"Entities ({len(entities)}): {', '.join(entities)}. Relations ({len(relations)}, from an attribute to its software, "
        f"in `doc._.somd_relations`): {', '.join(relations)}. Sentence categories (`doc.cats`): {', '.join(categories) or 'none'}."
    )


def scores_section(scores: Mapping[str, Any], scored_on: str) -> str:
    """The headline scores (with their standard deviation over folds when cross-validated)
    and what they were measured on."""
    deviations = scores.get("cv_std", {})
    rows = []
    for key, title in SCORE_ROWS.items():
        value = scores.get(key)
        if isinstance(value, (int, float)):
            spread = f" ± {deviations[key] * 100:.2f}" if key in deviations else ""
            rows.append(f"| {title} | {value * 100:.2f}{spread} |")
    how = f"Measured on {scored_on}." if scored_on else ""
    return "\n".join([how, "", "| score | % |", "| --- | ---: |", *rows]).strip()


def speed_section(benchmark: Optional[Mapping[str, Any]]) -> str:
    """Speed and peak memory from a :mod:`.benchmark` measurement, with its machine."""
    if not benchmark:
        return "Not measured for this build."
    return (
        f"{benchmark['words_per_second']:,.0f} words/s and a peak memory (RSS) of {benchmark['peak_rss_mb']:,.0f} MB, "
        f"loading the pipeline and annotating {benchmark['words']:,} words ({benchmark['texts']}) in one process on "
        f"{benchmark['machine']} ({benchmark.get('date', 'date not recorded')}, spaCy {benchmark.get('spacy', '?')})."
    )


def card_sections(nlp: Language, scores: Mapping[str, Any], scored_on: str, benchmark: Optional[Mapping[str, Any]] = None) -> Dict[str, str]:
    """The model card's sections by title (Markdown bodies)."""
    return {
        "What it finds": what_it_finds(nlp),
        "Training data and licence": TRAINING_DATA,
        "Scores": scores_section(scores, scored_on),
        "Speed and memory": speed_section(benchmark),
        "Known limits": "\n".join(f"- {limit}" for limit in LIMITS),
        "Intended use": INTENDED_USE,
    }


def card_markdown(sections: Mapping[str, str]) -> List[str]:
    """The sections as level-3 Markdown sections (the notes of the packaged README)."""
    return [f"### {title}\n\n{body}" for title, body in sections.items()]
