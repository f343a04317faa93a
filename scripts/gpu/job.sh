#!/usr/bin/env bash
# One screening job on GPU 0: train, then score model-last on the held-out fold and its two
# variants (benchmarks/robustness.py, on the CPU). Output: $OUT/NAME.log, $OUT/NAME.scores
# usage: job.sh NAME CONFIG FOLD SEED NEGATIVE_RATIO [config overrides...]
name=$1 config=$2 fold=$3 seed=$4 negative_ratio=$5
shift 5
out=training/gpu/$name
start=$(date +%s)
OMP_NUM_THREADS=2 python -m spacy_somd train "$config" "$out" --corpus corpus --fold "$fold" --n-folds 4 \
  --negative-ratio "$negative_ratio" --gpu-id 0 --system.seed "$seed" --paths.backbone .gpu/minilm "$@" \
  > "$OUT/$name.log" 2>&1
trained=$(date +%s)
OMP_NUM_THREADS=2 python benchmarks/robustness.py "$out/model-last" --corpus-dir .gpu/somd2025 --corpus corpus \
  --fold "$fold" --out "training/robustness-$name" >> "$OUT/$name.log" 2>&1
echo "$name train_s $((trained - start)) score_s $(( $(date +%s) - trained )) $(grep "| $out" "$OUT/$name.log")" > "$OUT/$name.scores"
