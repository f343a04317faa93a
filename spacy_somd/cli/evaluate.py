"""Evaluation commands: ``report`` (an evaluation's scores as tables),
``evaluate-gold-entities`` (relation scores with the gold entities given),
``evaluate-softcite`` (whole real articles, Softcite's) and ``visualize`` (predictions as
displaCy HTML)."""

import json
from pathlib import Path
from typing import List, Optional

import typer
from tqdm import tqdm
from wasabi import msg

from spacy_somd.annotate.predict import read_input
from spacy_somd.cli._util import GPU_HELP, app, fail, load_pipeline, read_json
from spacy_somd.corpus.docs import sentence_to_doc
from spacy_somd.corpus.format import SomdFormatError
from spacy_somd.corpus.softcite import SPLITS
from spacy_somd.evaluation.displacy import render_relations
from spacy_somd.evaluation.gold_entities import score_docbin_on_gold_entities
from spacy_somd.evaluation.report import FAMILIES, flatten_scores, percent, print_scores, score_tables
from spacy_somd.evaluation.softcite import TABLE_HEADER, evaluate_softcite, score_table, score_tei
from spacy_somd.io import write_atomic


@app.command()
def report(
    metrics_file: Path = typer.Argument(..., help="JSON written by `spacy evaluate --per-component --output`"),
    gold_entities: Optional[Path] = typer.Option(None, help="JSON written by `evaluate-gold-entities`"),
) -> None:
    """Print an evaluation's scores as tables.

    Token-level, entity-level, relations (end to end, and with gold entities), the SOMD
    score and the sentence categories, in percent as spaCy prints its own scores."""
    scores = flatten_scores(read_json(metrics_file))
    gold = None if gold_entities is None else read_json(gold_entities)
    if not score_tables(scores, gold):
        fail(f"{metrics_file}: no scores to report (no {', '.join(f'{family}_*' for family in FAMILIES)} scores)")
    print_scores(scores, gold)


@app.command("evaluate-gold-entities")
def evaluate_gold_entities(
    model: str = typer.Argument(..., help="A trained pipeline: a folder or an installed package"),
    data_path: Path = typer.Argument(..., help="A DocBin with gold entities and relations (e.g. the held-out fold)"),
    output: Path = typer.Option(..., help="JSON file to save the scores to"),
    gpu_id: int = typer.Option(-1, help=GPU_HELP),
) -> None:
    """Score the relations given the gold entities.

    The relation component's classification quality, apart from entity recognition
    errors."""
    if not data_path.is_file():
        fail(f"{data_path}: file not found")
    nlp = load_pipeline(model, gpu_id)
    try:
        scores = score_docbin_on_gold_entities(nlp, data_path)
    except FileNotFoundError as err:
        fail(str(err))
    except ValueError as err:
        fail(str(err) if str(err).startswith(str(data_path)) else f"{model}: {err}")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(scores, indent=2), encoding="utf-8")
    msg.good(f"Relation F with gold entities: {percent(scores['rel_f'])} (saved to {output})")


@app.command("evaluate-softcite")
def evaluate_softcite_cli(
    model: str = typer.Argument(..., help="A trained pipeline: a folder or an installed package"),
    data: Path = typer.Argument(
        ..., help="Softcite's software-contexts.json.gz (whole articles) or the folder that holds it, or softcite_working.tei.xml (annotated paragraphs)"
    ),
    split: str = typer.Option(
        "test", help=f"The articles to score on: {', '.join(SPLITS)} (split by article; never train or select on test), or all (TEI only)"
    ),
    output: Optional[Path] = typer.Option(None, help="JSON file to save the scores to"),
    gate: List[float] = typer.Option(
        [], help="Whole articles: also score with this sentence gate, entities dropped where the SOFTWARE probability is below it (repeat for several)"
    ),
    batch_size: int = typer.Option(64, help="Sentences (paragraphs) per batch"),
    gpu_id: int = typer.Option(-1, help=GPU_HELP),
) -> None:
    """Score a pipeline on real articles that Softcite annotated.

    Whole articles (the contexts file), sentence by sentence, or the annotated paragraphs
    (the TEI file): exact and overlapping P/R/F1 for software, version, publisher and URL,
    micro and macro, the false mentions per 1,000 sentences that mention no software, and
    (TEI) versions, publishers and URLs attached to the right software."""
    tei = data.suffix == ".xml"
    if split not in SPLITS and not (tei and split == "all"):
        fail(f"--split must be one of {', '.join(SPLITS)}{' or all' if tei else ''}, not {split!r}")
    if tei and gate:
        fail("--gate is for whole articles (the contexts file): the TEI file holds only paragraphs that mention software")
    nlp = load_pipeline(model, gpu_id)
    try:
        results = {"paragraphs": score_tei(nlp, data, split, batch_size)} if tei else evaluate_softcite(nlp, data, split, [None, *gate], batch_size)
    except (FileNotFoundError, ValueError, OSError) as err:
        fail(str(err))
    if output is not None:
        write_atomic(output, json.dumps(results, indent=2).encode("utf-8"))
    msg.table(score_table(results), header=TABLE_HEADER, divider=True)
    first = next(iter(results.values()))
    if tei:
        attachment = first["attachment"]
        msg.info(
            f"Attachment of versions, publishers and URLs to their software: P {percent(attachment['p'])}, R {percent(attachment['r'])}, F {percent(attachment['f'])}"
        )
    counted = f"{first['paragraphs']} paragraphs" if tei else f"{first['articles']} {split} articles, {first['sentences']} sentences"
    msg.good(counted + (f" (saved to {output})" if output else ""))


@app.command()
def visualize(
    model: str = typer.Argument(..., help="A trained pipeline: a folder or an installed package"),
    texts_file: Path = typer.Argument(..., help="Sentences in the corpus format (one a line), or a .spacy DocBin"),
    out_html: Path = typer.Argument(..., help="HTML file to write"),
    batch_size: int = typer.Option(64, help="Sentences per batch"),
    gpu_id: int = typer.Option(-1, help=GPU_HELP),
) -> None:
    """Render predictions as displaCy HTML.

    The predicted entities and relations (labelled arcs from each attribute to its
    software) of every sentence, as one HTML page."""
    nlp = load_pipeline(model, gpu_id)
    try:
        sentences = list(read_input(texts_file))
    except (SomdFormatError, FileNotFoundError) as err:
        fail(str(err))
    pipe = nlp.pipe((sentence_to_doc(nlp.vocab, sentence) for sentence in sentences), batch_size=batch_size)
    docs = list(tqdm(pipe, total=len(sentences), desc="visualize", unit=" sentences", leave=False))
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.write_text(render_relations(docs), encoding="utf-8")
    msg.good(f"Rendered {len(docs)} sentences to {out_html}")
