#!/usr/bin/env bash
# Copies the kit to a temporary folder, puts each lesson's solution.ts in place of its
# exercise.ts (what a learner who "gives up" would do), runs npm test there and requires
# the progress line to say that every exercise is done. npm test runs only the lessons' checks
# there; the rest (servers, examples, site) does not depend on exercise.ts (npm run test:kit).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar --exclude=./node_modules --exclude=./.git --exclude=./.playground -cf - . | tar -xf - -C "$work"
ln -s "$PWD/node_modules" "$work/node_modules"
count=0
for solution in lessons/[0-9]*/solution.ts; do
  cp "$solution" "$work/${solution%solution.ts}exercise.ts"
  count=$((count + 1))
done
output=$(cd "$work" && npm test 2>&1) || { echo "$output" | tail -60; echo "FAIL: npm test failed with the solutions in place"; exit 1; }
echo "$output" | tail -$((count + 4))
if ! grep -q "Exercises: $count of $count done" <<<"$output"; then
  echo "FAIL: expected 'Exercises: $count of $count done' with every solution in place"
  exit 1
fi
echo "OK: $count of $count exercises pass with their reference solutions"
