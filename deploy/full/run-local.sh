#!/bin/bash
# Runs one protocol of the full-scale study on this machine exactly as a Slurm array runs it:
# each array index in turn calls deploy/slurm/classfit-shards.sbatch with the variables Slurm
# would set, then the shares are merged with the merge command the manifests use. Finished
# units are kept under WORK/units, so an interrupted run resumes when started again.
#
#   deploy/full/run-local.sh memorization deploy/full/memorization-resnet.json 3 /tmp/full/mem-resnet
set -euo pipefail
PROTOCOL=${1:?protocol} CONFIG=${2:?config} SHARDS=${3:?number of shares} WORK=${4:?work dir}
mkdir -p "$WORK"
for ((k = 0; k < SHARDS; k++)); do
  SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=$((SHARDS - 1)) \
    SLURM_ARRAY_TASK_COUNT=$SHARDS PROTOCOL=$PROTOCOL CONFIG=$CONFIG WORK=$WORK \
    bash deploy/slurm/classfit-shards.sbatch
done
node packages/host-node/dist/cli.js shard merge --out "$WORK/results/$PROTOCOL.npz" \
  "$WORK"/shares/"$PROTOCOL"-*-of-"$SHARDS".npz
