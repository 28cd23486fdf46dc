"""Structural check of exported ONNX files with the onnx package's checker (Debian's python3-onnx 1.12).

    MODELGEN_ONNX_DUMP=/tmp/onnx dotnet test tests/ModelGen.Onnx.Tests -c Release --filter FullyQualifiedName~ComputesWhatPredictComputes
    /usr/bin/python3 tests/ModelGen.Onnx.Tests/Checker/check_onnx.py /tmp/onnx > tests/ModelGen.Onnx.Tests/Checker/onnx_checker.txt

For every *.onnx file in the folder: onnx.checker.check_model with full_check (which also runs strict shape
inference), the IR and opset versions, the graph's inputs and outputs with their shapes, and the operators used.
The tests do not need Python; the committed output records the last run.
"""
import glob
import os
import sys

import onnx
from onnx import checker, shape_inference


def dims(value):
    return "[" + ", ".join(d.dim_param or str(d.dim_value) for d in value.type.tensor_type.shape.dim) + "]"


def main(folder):
    print(f"onnx {onnx.__version__}, newest opset it knows: {onnx.defs.onnx_opset_version()}")
    failures = 0
    for path in sorted(glob.glob(os.path.join(folder, "*.onnx"))):
        name = os.path.basename(path)[: -len(".onnx")]
        model = onnx.load(path)
        try:
            checker.check_model(model, full_check=True)
            shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
            verdict = "pass"
        except Exception as error:  # the checker's own exception types differ between versions
            verdict = "FAIL " + str(error).splitlines()[0]
            failures += 1
        opsets = ",".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in model.opset_import)
        inputs = " ".join(f"{i.name}{dims(i)}" for i in model.graph.input)
        outputs = " ".join(f"{o.name}{dims(o)}" for o in model.graph.output)
        ops = ",".join(sorted({n.op_type for n in model.graph.node}))
        print(f"{name}: {verdict}; ir {model.ir_version}, {opsets}; inputs {inputs}; outputs {outputs}; ops {ops}")
    print(f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
