"""Arrays written by numpy itself, for `tests/numpy_files.rs`: every element type densely
reads, both byte orders, C and Fortran order, `.npz` archives stored and compressed, and a
type densely refuses. `expected.json` holds each array's shape and values in C order (as
`tolist()` gives them), for the test to compare exactly.

    ~/keras-env/bin/python tools/numpy_fixtures.py
"""

import json
from pathlib import Path

import numpy as np

out = Path(__file__).resolve().parent.parent / "tests/fixtures/numpy"
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(7)

arrays = {
    "f32_c": rng.standard_normal((4, 3)).astype(np.float32),
    "f64_fortran": np.asfortranarray(rng.standard_normal((3, 2, 4))),
    "f32_big_endian": rng.standard_normal((2, 5)).astype(">f4"),
    "u8_images": rng.integers(0, 256, (5, 2, 3), dtype=np.uint8),
    "u8_fortran": np.asfortranarray(rng.integers(0, 256, (3, 4), dtype=np.uint8)),
    "i32_labels": rng.integers(0, 3, (6,), dtype=np.int32),
    "i64_labels": rng.integers(0, 10, (7,)),
    "i64_column": rng.integers(0, 2, (4, 1)),
    "f64_whole_labels": np.array([0.0, 2.0, 1.0, 2.0]),
    "bool_flags": np.array([True, False, False, True, True]),
    "i16_unsupported": np.arange(4, dtype=np.int16),
}
expected = {}
for name, array in arrays.items():
    np.save(out / f"{name}.npy", array)
    values = array.astype(np.float64) if array.dtype != np.bool_ else array.astype(np.uint8)
    expected[name] = {
        "shape": list(array.shape),
        "dtype": str(array.dtype),
        "fortran": bool(np.isfortran(array)) and array.ndim > 1,
        "values": np.ascontiguousarray(values).ravel().tolist(),
    }
np.savez(out / "stored.npz", x=arrays["f32_c"], y=arrays["i32_labels"][:4])
np.savez_compressed(out / "compressed.npz", images=arrays["u8_images"], flags=arrays["bool_flags"])
(out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
print(f"{len(arrays)} arrays and 2 archives -> {out}")
