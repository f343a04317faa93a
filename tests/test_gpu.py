"""GPU checks, run where CuPy sees a CUDA GPU (skipped elsewhere, CI included): the
configs train on the GPU (gpu.cfg with its mixed precision), every custom component
computes on the GPU's arrays, and what a pipeline predicts or annotates on the GPU is
what the same pipeline gives on the CPU."""

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
import spacy
from spacy.language import Language
from thinc.api import CupyOps, require_cpu
from thinc.util import has_cupy_gpu

from spacy_somd.annotate.outputs import read_output
from spacy_somd.labels import RELATIONS_ATTR
from spacy_somd.pipeline.confidence import CONFIDENCE_ATTR
from spacy_somd.training.reader import create_fold_corpus
from tests.builders import DEV_FOLD, run, spacy_train

pytestmark = [pytest.mark.slow, pytest.mark.gpu, pytest.mark.skipif(not has_cupy_gpu, reason="needs a CUDA GPU and CuPy")]
CUSTOM = ("ner", "somd_relation_extractor", "somd_textcat")
TOLERANCE = 1e-4  # CPU and GPU float32 sums differ in their last bits


@pytest.fixture(scope="module")
def gpu_trained(tmp_path_factory, tiny_corpus_docbins, tiny_bert) -> Path:
    """configs/default.cfg trained on GPU 0 (tiny BERT); its model-last folder."""
    out = tmp_path_factory.mktemp("gpu_default")
    return spacy_train("default.cfg", out, tiny_corpus_docbins, "--paths.backbone", str(tiny_bert), gpu_id=0)


def load(model: Path, gpu: bool, confidence: bool = False) -> Language:
    """The pipeline on GPU 0 or on the CPU (the current ops are set for the process)."""
    if gpu:
        spacy.require_gpu(0)
    else:
        require_cpu()
    nlp = spacy.load(model)
    if confidence:
        nlp.add_pipe("somd_entity_confidence", config={"beam_width": 4})
    return nlp


@pytest.fixture(autouse=True)
def back_on_cpu():
    """Every test leaves the process on the CPU, as the other tests expect it."""
    yield
    require_cpu()


def annotations(nlp: Language, texts: List[str]) -> List[Dict[str, Any]]:
    docs = list(nlp.pipe(texts, batch_size=4))
    return [
        {
            "ents": [(e.start, e.end, e.label_) for e in doc.ents],
            "confidences": [e._.get(CONFIDENCE_ATTR) for e in doc.ents] if doc.ents and doc.ents[0].has_extension(CONFIDENCE_ATTR) else [],
            "relations": doc._.get(RELATIONS_ATTR),
            "cats": doc.cats,
        }
        for doc in docs
    ]


def assert_close(gpu: Any, cpu: Any, where: str = "") -> None:
    """Equal structures; floats within TOLERANCE."""
    if isinstance(cpu, float):
        assert gpu == pytest.approx(cpu, abs=TOLERANCE), where
    elif isinstance(cpu, dict):
        assert sorted(gpu) == sorted(cpu), where
        for key in cpu:
            assert_close(gpu[key], cpu[key], f"{where}/{key}")
    elif isinstance(cpu, (list, tuple)):
        assert len(gpu) == len(cpu), f"{where}: {gpu} != {cpu}"
        for i, (g, c) in enumerate(zip(gpu, cpu)):
            assert_close(g, c, f"{where}[{i}]")
    else:
        assert gpu == cpu, where


def heldout_texts(docbins: Path, nlp: Language) -> List[str]:
    return [eg.reference.text for eg in create_fold_corpus(docbins, fold=DEV_FOLD, split="heldout")(nlp)]


def test_default_cfg_trains_on_the_gpu_and_predicts_there_as_on_the_cpu(gpu_trained, tiny_corpus_docbins):
    nlp = load(gpu_trained, gpu=True, confidence=True)
    for name in ("transformer", *CUSTOM):
        assert isinstance(nlp.get_pipe(name).model.ops, CupyOps), name
    texts = heldout_texts(tiny_corpus_docbins, nlp)
    on_gpu = annotations(nlp, texts)
    assert any(doc["ents"] for doc in on_gpu) and all(doc["cats"] for doc in on_gpu)
    on_cpu = annotations(load(gpu_trained, gpu=False, confidence=True), texts)
    assert_close(on_gpu, on_cpu)


def test_custom_components_compute_on_cupy_arrays(gpu_trained, tiny_corpus_docbins):
    import cupy

    nlp = load(gpu_trained, gpu=True)
    docs = [nlp.make_doc(text) for text in heldout_texts(tiny_corpus_docbins, nlp)]
    for name in ("sentencizer", "transformer", "ner"):
        docs = list(nlp.get_pipe(name).pipe(docs))
    assert isinstance(nlp.get_pipe("somd_textcat").predict(docs), cupy.ndarray)
    rel = nlp.get_pipe("somd_relation_extractor")
    rel.cfg["seen_type_pairs_only"] = False
    pairs, probs = rel.predict(docs)
    assert sum(map(len, pairs)) > 0 and isinstance(probs, cupy.ndarray) and probs.shape[0] == sum(map(len, pairs))


def test_gpu_cfg_trains_with_mixed_precision(tmp_path, tiny_corpus_docbins, tiny_deberta):
    """gpu.cfg as written (mixed precision and gradient scaling, which need a CUDA GPU)."""
    model = spacy_train("gpu.cfg", tmp_path / "out", tiny_corpus_docbins, "--paths.backbone", str(tiny_deberta), gpu_id=0)
    nlp = load(model, gpu=True)
    assert nlp.config["components"]["transformer"]["model"]["mixed_precision"] is True
    texts = heldout_texts(tiny_corpus_docbins, nlp)
    assert any(doc["ents"] for doc in annotations(nlp, texts))


def test_annotate_on_the_gpu_writes_what_the_cpu_writes(gpu_trained, tmp_path):
    records = tmp_path / "records.jsonl"
    texts = ["We used SPSS version 22 (IBM) for the analysis. Images were processed with ImageJ.", "Data were stored at -80 degrees."]
    records.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(texts * 5)), encoding="utf-8")
    outputs = {}
    for gpu_id in ("0", "-1"):
        out = tmp_path / f"gpu{gpu_id}.jsonl"
        run(["spacy_somd", "annotate", str(gpu_trained), str(records), str(out), "--gpu-id", gpu_id, "--partition-size", "4"])
        outputs[gpu_id] = list(read_output(out))
    assert len(outputs["0"]) == 10
    assert_close(outputs["0"], outputs["-1"])
