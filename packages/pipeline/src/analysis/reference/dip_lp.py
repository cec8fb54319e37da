# Reference dip statistic by linear programming: min over mode positions (data points) of the sup distance
# between the ECDF and a continuous unimodal CDF with kinks at the data points.
import numpy as np, json
from scipy.optimize import linprog
def dip_lp(x):
    x = np.sort(np.asarray(x, float)); n = len(x)
    best = np.inf
    for m in range(1, n + 1):  # mode at the m-th point (1-based)
        nv = n + 1  # F_1..F_n, t
        A = []; b = []
        def row(): return np.zeros(nv)
        for i in range(n):
            for target in (i / n, (i + 1) / n):
                r = row(); r[i] = 1; r[n] = -1; A.append(r); b.append(target)
                r = row(); r[i] = -1; r[n] = -1; A.append(r); b.append(-target)
            if i + 1 < n:
                r = row(); r[i] = 1; r[i + 1] = -1; A.append(r); b.append(0)
        for i in range(1, n - 1):  # triple (i-1, i, i+1), 0-based; 1-based indices i..i+2
            a, c, e = i - 1, i, i + 1
            h1 = x[c] - x[a]; h2 = x[e] - x[c]
            # slope1 = (F_c - F_a)/h1, slope2 = (F_e - F_c)/h2
            if e + 1 <= m:  # all three at or left of the mode: slope1 <= slope2
                r = row(); r[c] += 1 / h1; r[a] -= 1 / h1; r[e] -= 1 / h2; r[c] += 1 / h2; A.append(r); b.append(0)
            if a + 1 >= m:  # all three at or right of the mode: slope1 >= slope2
                r = row(); r[c] -= 1 / h1; r[a] += 1 / h1; r[e] += 1 / h2; r[c] -= 1 / h2; A.append(r); b.append(0)
        cobj = np.zeros(nv); cobj[n] = 1
        res = linprog(cobj, A_ub=np.array(A), b_ub=np.array(b), bounds=[(0, 1)] * n + [(0, None)], method="highs")
        if res.status == 0: best = min(best, res.fun)
    return max(best, 1 / (2 * n))
rng = np.random.default_rng(20261128)
cases = []
for k in range(8):
    n = int(rng.integers(6, 16))
    if k % 2 == 0: x = rng.uniform(0, 1, n)
    else: x = np.concatenate([rng.normal(0, 0.3, n // 2), rng.normal(3, 0.3, n - n // 2)])
    x = np.round(x, 3)
    if len(set(x)) < n: continue
    cases.append({"x": [float(v) for v in x], "dip": float(dip_lp(x))})
print(json.dumps(cases))
