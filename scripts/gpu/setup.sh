# Sourced on the GPU machine from the repository root: unpacks .gpu/ (scripts/gpu/build_kit.sh),
# puts it on the path and converts the corpus once.
mkdir -p /tmp/site /tmp/whl
[ -f /tmp/site/.done ] || { tar xJf .gpu/site.tar.xz -C /tmp/site && touch /tmp/site/.done; }
[ -n "$(ls -d /tmp/whl/spacy_somd-*.dist-info 2>/dev/null)" ] || python -m zipfile -e .gpu/spacy_somd-*.whl /tmp/whl
export PYTHONPATH=$PWD:/tmp/site:/tmp/whl
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
[ -f corpus/fold0.spacy ] || python -m spacy_somd convert .gpu/somd2025 corpus --n-folds 4 > /dev/null
