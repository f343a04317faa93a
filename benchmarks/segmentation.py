"""How the raw-text tokenizer and the sentence boundaries of configs/default.cfg agree with
the corpus (run from the project folder; reads the corpus folder given, default
../shared/somd2025):

    python benchmarks/segmentation.py [CORPUS_DIR]

- corpus lines (tokens joined by single spaces) that come out as exactly their tokens;
- raw-looking text (no space before , . ; : ) ] % ? ! and after ( [) that does;
- corpus lines split into more than one sentence, and the gold relations and entities
  such a split cuts; pairs of consecutive lines joined that are split where they meet.
"""

import re
import sys
from pathlib import Path
from typing import List

import spacy
from spacy.util import load_config

from spacy_somd.corpus.format import Sentence, bio_to_spans, read_corpus_dir
from spacy_somd.pipeline.relations.candidates import sentence_ids

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.cfg"


def raw_text(words: List[str]) -> str:
    """The corpus tokens written as running text."""
    text = re.sub(r" ([,.;:)\]%?!])", r"\1", " ".join(words))
    return re.sub(r"([(\[]) ", r"\1", text)


def sentences_of(nlp: spacy.language.Language, sentence: Sentence) -> List[int]:
    """Each corpus token's sentence number by the pipeline's sentence boundaries."""
    return sentence_ids(nlp.get_pipe("sentencizer")(spacy.tokens.Doc(nlp.vocab, words=sentence.words)))


def main(corpus_dir: Path) -> None:
    config = load_config(CONFIG)
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": config["nlp"]["tokenizer"]}})
    settings = {key: value for key, value in config["components"]["sentencizer"].items() if key != "factory"}
    nlp.add_pipe("somd_sentencizer", name="sentencizer", config=settings)
    sentences, _ = read_corpus_dir(corpus_dir)
    n = len(sentences)
    same = sum([t.text for t in nlp.make_doc(" ".join(s.words))] == s.words for s in sentences)
    raw = sum([t.text for t in nlp.make_doc(raw_text(s.words))] == s.words for s in sentences)
    print(f"corpus lines tokenized as written: {same} of {n}")
    print(f"raw-looking text tokenized as the corpus: {raw} of {n}")
    split = cut_relations = cut_entities = 0
    for s in sentences:
        ids = sentences_of(nlp, s)
        if len(set(ids)) > 1:
            split += 1
            cut_relations += sum(ids[head] != ids[tail] for _, head, tail in s.relations)
            cut_entities += sum(ids[start] != ids[end - 1] for start, end, _ in bio_to_spans(s.labels))
    relations = sum(len(s.relations) for s in sentences)
    print(f"corpus lines split into several sentences: {split} of {n} (cutting {cut_relations} of {relations} relations and {cut_entities} entities)")
    joined = 0
    for a, b in zip(sentences, sentences[1:]):
        ids = sentences_of(nlp, Sentence(0, a.words + b.words))
        joined += ids[len(a.words) - 1] != ids[len(a.words)]
    print(f"two consecutive lines joined, split where they meet: {joined} of {n - 1}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/somd2025"))
