"""What document-level consistency (``annotate --consistency``) does to the software found
in whole articles annotated by another team (run from the project folder):

    python benchmarks/consistency.py MODEL ../shared/softcite/softcite_working.tei.xml --output /tmp/softcite.jsonl

annotates the paragraphs of a TEI corpus with inline ``<rs type="software">`` mentions
(the Softcite corpus file) once, without consistency (an OUTPUT already written is read
again), applies the consistency rules to a copy of its records, and prints the exact-span
precision, recall and F1 of the software names (Application, PlugIn,
ProgrammingEnvironment, OperatingSystem against ``software``) over the paragraphs of kind
``body`` (Softcite annotated those only), before and after, with the names propagated and
dropped."""

import argparse
import copy
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

from spacy_somd.annotate.consistency import apply_document
from spacy_somd.annotate.outputs import read_output
from spacy_somd.annotate.run import Settings, annotate_input
from spacy_somd.documents.tei import read_tei
from spacy_somd.labels import SOFTWARE_TYPES

Spans = Dict[str, Optional[Set[Tuple[int, int]]]]


def gold_spans(corpus: Path) -> Tuple[Spans, Dict[str, str]]:
    """The software spans of each paragraph (None for paragraphs not annotated) and the texts."""
    gold: Spans = {}
    texts: Dict[str, str] = {}
    for document in read_tei(corpus):
        for p in getattr(document, "paragraphs", []):
            key = f"{document.id}#{p.index}"
            texts[key] = p.text
            gold[key] = {(a.start, a.end) for a in p.annotations if a.type == "software"} if p.kind == "body" else None
    return gold, texts


def score(records: List[Dict[str, Any]], gold: Spans) -> Dict[str, Any]:
    tp = fp = fn = 0
    for record in records:
        expected = gold.get(record["id"])
        if expected is None:
            continue
        found = {(e["start"], e["end"]) for e in record["entities"] if e["label"] in SOFTWARE_TYPES}
        tp, fp, fn = tp + len(found & expected), fp + len(found - expected), fn + len(expected - found)
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": 2 * p * r / max(p + r, 1e-9)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--output", type=Path, required=True, help="The annotate output (.jsonl), written unless it exists")
    args = parser.parse_args()
    if not args.output.exists():
        start = time.perf_counter()
        annotate_input(args.model, args.corpus, args.output, Settings(partition_size=500), lambda *rest: None)
        print(f"annotated in {time.perf_counter() - start:.0f} s")
    gold, texts = gold_spans(args.corpus)
    records = read_output(args.output)
    changed = copy.deepcopy(records)
    documents: Dict[str, List[Dict[str, Any]]] = {}
    for record in changed:
        documents.setdefault(record["document"], []).append(record)
    for members in documents.values():
        apply_document([(record, texts[record["id"]], True) for record in members])
    propagated = sum(bool(e.get("propagated")) for r in changed for e in r["entities"])
    dropped = sum(len(r["dropped"]) for r in changed)
    print(f"{len(documents)} documents, {sum(g is not None for g in gold.values())} annotated paragraphs")
    print("| consistency | precision | recall | F1 | true positives | false positives | false negatives |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, result in (("off", score(records, gold)), (f"on ({propagated} propagated, {dropped} dropped)", score(changed, gold))):
        print(f"| {name} | {result['precision']:.3f} | {result['recall']:.3f} | {result['f1']:.3f} | {result['tp']} | {result['fp']} | {result['fn']} |")


if __name__ == "__main__":
    main()
