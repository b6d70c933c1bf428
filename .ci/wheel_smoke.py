"""Import-and-compute smoke test for an installed wheel, run from outside the source tree."""
import os
import sys

import numpy as np

import convkit
from convkit import ops

here = os.path.dirname(os.path.abspath(convkit.__file__))
assert "site-packages" in here, f"convkit imported from {here}, not from the installed wheel"

x = np.asarray([0, 0, 0, 1, 1, 0, 0, 0], dtype=np.float32).reshape(1, 8, 1)
k = np.asarray([0, 1, 0], dtype=np.float32).reshape(3, 1, 1)
y = ops.conv(x, k)
assert y.ravel().tolist() == [0, 0, 1, 1, 0, 0], y.ravel()

img = np.zeros((1, 8, 8, 1), np.float32)
img[0, :, 3:5, 0] = 1
vk = np.zeros((3, 3, 1, 1), np.float32)
vk[:, 1, 0, 0] = 1
m = ops.conv(img, vk)[0, :, :, 0]
assert (m == np.array([0, 0, 3, 3, 0, 0], np.float32)).all(), m

for isa in convkit.available_isas():
    convkit._set_isa(isa)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 9, 9, 5)).astype(np.float32)
    w = rng.standard_normal((3, 3, 5, 7)).astype(np.float32)
    got = ops.conv(a, w, padding="same", activation="relu")
    assert got.shape == (2, 9, 9, 7) and np.isfinite(got).all() and (got >= 0).all()
convkit._set_isa("auto")

model = convkit.Sequential()
model.add(convkit.layers.Conv1D(1, 3, input_shape=(8, 1)))
model.set_weights([np.asarray([[[0]], [[1]], [[0]]]), np.asarray([0.0])])
out = model.predict(x, verbose=0)
assert out.ravel().tolist() == [0, 0, 1, 1, 0, 0], out
print("wheel smoke test passed:", convkit.cpu_info()["isa"], "from", here, file=sys.stderr)
