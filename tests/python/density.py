"""classfit density, reproduced from a class model .npz with NumPy and SciPy only.

usage: python3 density.py model.npz X.npy VARIANT out.npy
VARIANT: exact (log of the mean over traces), mean-log or paper (mean over traces of the log).
The same code is in docs/python.md.
"""
import json
import sys

import numpy as np
from scipy.special import logsumexp
from scipy.stats import multivariate_t


def log_density(model_path, X, variant):
    z = np.load(model_path)
    meta = json.loads(z["meta"].tobytes())
    pooling = meta["pooling"][variant]
    w = z[pooling["weights"]]  # "weights" (exact, mean-log) or "paper_weights"
    per_trace = []
    for t in range(meta["traces"]):
        rows = np.flatnonzero((z["trace"] == t) & (w > 0))
        terms = [
            np.log(w[k])
            + multivariate_t(
                loc=z["means"][k], shape=z["scale_chol"][k] @ z["scale_chol"][k].T, df=z["df"][k]
            ).logpdf(X)
            for k in rows
        ]
        per_trace.append(logsumexp(np.stack(terms), axis=0))  # log p_t(x)
    L = np.stack(per_trace)  # (traces, points)
    if pooling["pool"] == "log-mean-exp":  # exact: log of the mean of p_t over traces
        return logsumexp(L, axis=0) - np.log(L.shape[0])
    return L.mean(axis=0)  # mean-log, paper: the mean of log p_t over traces


if __name__ == "__main__":
    model, data, variant, out = sys.argv[1:5]
    X = np.atleast_2d(np.load(data)).astype(np.float64)
    np.save(out, log_density(model, X, variant))
