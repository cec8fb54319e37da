# Reference 1- vs 2-component Gaussian mixtures for bimodality.test.ts:
# scikit-learn GaussianMixture, covariance_type="tied" (one shared variance), many restarts.
# Run: /usr/bin/python3 gmm_sklearn.py
import json
import numpy as np
from sklearn.mixture import GaussianMixture
cases = {
    "twoGroups": [-1.2, -0.9, -1.05, -0.8, -1.3, -1.0, 2.1, 2.4, 1.9, 2.2],
    "oneGroup": [0.1, -0.4, 0.35, 0.9, -0.7, 0.2, -0.15, 0.5, -0.3, 0.05],
}
out = {}
for name, x in cases.items():
    X = np.asarray(x).reshape(-1, 1)
    g1 = GaussianMixture(1, covariance_type="tied", reg_covar=0, tol=1e-14, max_iter=10000).fit(X)
    g2 = GaussianMixture(2, covariance_type="tied", reg_covar=0, tol=1e-14, max_iter=10000, n_init=50, random_state=0).fit(X)
    out[name] = {
        "bic1": g1.bic(X), "bic2": g2.bic(X),
        "ll2": g2.score(X) * len(x),
        "means2": sorted(g2.means_.ravel().tolist()), "var2": float(g2.covariances_.ravel()[0]),
    }
print(json.dumps(out, indent=1))
