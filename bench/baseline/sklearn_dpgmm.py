#!/usr/bin/python3
"""Baseline for bench/density-quality.mjs: scikit-learn's variational DP-GMM per class.

For each class c: fit BayesianGaussianMixture(weight_concentration_prior_type="dirichlet_process",
covariance_type="full") on the training rows of c, then write the log-density (score_samples)
of every test row of c. Data exchange is .npy (float64 rows, integer labels).

  /usr/bin/python3 bench/baseline/sklearn_dpgmm.py --train Z.npy --train-labels y.npy \
      --test ZH.npy --test-labels yh.npy --out S_sklearn.npy [--components 20] [--seed 0]
"""
import argparse
import json
import sys
import time

import numpy as np
from sklearn.mixture import BayesianGaussianMixture


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--train", required=True)
    p.add_argument("--train-labels", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--test-labels", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--components", type=int, default=20, help="truncation level (upper bound on K)")
    p.add_argument("--max-iter", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    x, y = np.load(a.train), np.load(a.train_labels)
    xt, yt = np.load(a.test), np.load(a.test_labels)
    out = np.full(xt.shape[0], np.nan)
    info = []
    for c in np.unique(y):
        t0 = time.perf_counter()
        m = BayesianGaussianMixture(
            n_components=a.components,
            weight_concentration_prior_type="dirichlet_process",
            covariance_type="full",
            max_iter=a.max_iter,
            random_state=a.seed,
        ).fit(x[y == c])
        out[yt == c] = m.score_samples(xt[yt == c])
        k_eff = int(np.sum(m.weights_ > 1e-2))
        info.append({"label": int(c), "converged": bool(m.converged_), "n_iter": int(m.n_iter_),
                     "effective_K": k_eff, "seconds": time.perf_counter() - t0})
    np.save(a.out, out)
    json.dump(info, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
