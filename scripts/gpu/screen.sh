#!/usr/bin/env bash
# Runs on the GPU machine: every line of SPECS (job.sh's arguments) as a job at once, then
# gathers the score rows into $OUT/summary.txt and the logs' last lines into $OUT/tails.txt
# (the device tool brings back few files). Six jobs of the default config's 750 steps share
# an H100 in about 330 s, scoring included 450 s.
# usage (device tool, carrying .gpu): bash scripts/gpu/screen.sh SPECS
set -u
source scripts/gpu/setup.sh
while read -r line; do
  # shellcheck disable=SC2086
  [ -n "$line" ] && bash scripts/gpu/job.sh $line &
done < "$1"
wait
cd "$OUT" && cat ./*.scores > summary.txt && tail -n 4 ./*.log > tails.txt && rm -f ./*.scores ./*.log
