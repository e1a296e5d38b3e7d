"""`edgedigits bench`: accuracy, parity, statistics and speed of every artifact against its Keras original.

  metrics   pure functions of prediction arrays (accuracy, Wilson CI, exact McNemar, confusion, agreement)
  latency   the one timing procedure (warm-up, perf_counter_ns, minimum count and time)
  shift     seeded perturbed copies of the evaluation images
  datasets  the evaluation set: MNIST test, or the user's own `--data`
  evaluate  bench one runtime target and score it against Keras
  rows      the targets a manifest yields, and the report row of each measured target
  validate  option checks, before any data is loaded
  run       discover model folders, bench them all, decide the exit code
"""
