"""The peer server of serve_bench.py: a KServe Python model server (Open Inference Protocol v2 over
REST, with the binary tensor extension) whose models run in ONNX Runtime. Run in .venv-kserve:

    python kserve_ort_server.py --model NAME=FILE.onnx [--model ...] --threads 1 --http_port 8080

`--http_port`, `--grpc_port`, `--workers` etc. are KServe's own ModelServer flags (it reads
sys.argv itself). The per-request logging is switched off (`--enable_latency_logging false`,
uvicorn's access log disabled), as flexeg serve logs loads, unloads and errors only. Outputs are
returned raw (binary) when the request asks for it: REST `binary_data_output`, gRPC raw inputs.
ORT: CPU provider, intra_op_num_threads=T, inter_op_num_threads=1, sequential execution,
ORT_ENABLE_ALL, as Benchmarks/runners/ort_runner.py runs it. predict() is synchronous, so KServe
calls it on its event loop: one inference at a time, like one ORT session on one thread.
"""
import argparse
import logging
import sys
import uuid

for flag, value in (("--enable_latency_logging", "false"),):
    if flag not in sys.argv:
        sys.argv += [flag, value]

import kserve  # noqa: E402  (reads sys.argv at import)
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
from kserve import InferOutput, InferRequest, InferResponse  # noqa: E402


class OrtModel(kserve.Model):
    def __init__(self, name, path, threads):
        super().__init__(name)
        self.path = path
        self.threads = threads
        self.session = None

    def load(self):
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(self.path, options, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.ready = True
        return self.ready

    def predict(self, payload: InferRequest, headers=None):
        feeds = {}
        for item in payload.inputs:
            feeds[item.name] = item.as_numpy()
        results = self.session.run(None, feeds)
        binary = payload.use_binary_outputs
        outputs = []
        for name, value in zip(self.output_names, results):
            value = np.ascontiguousarray(value, dtype=np.float32)
            out = InferOutput(name=name, shape=list(value.shape), datatype="FP32")
            out.set_data_from_numpy(value, binary_data=bool(binary))
            outputs.append(out)
        return InferResponse(model_name=self.name, infer_outputs=outputs, response_id=payload.id or str(uuid.uuid4()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", action="append", required=True, help="NAME=FILE.onnx")
    ap.add_argument("--threads", type=int, default=1, help="ORT intra-op threads")
    args, _ = ap.parse_known_args()
    models = []
    for spec in args.model:
        name, _, path = spec.partition("=")
        model = OrtModel(name, path, args.threads)
        model.load()
        models.append(model)
    server = kserve.ModelServer()
    # No log line per request (flexeg serve logs loads, unloads and errors only).
    for name in ("uvicorn.access", "kserve.trace"):
        logging.getLogger(name).disabled = True
    server.start(models)


if __name__ == "__main__":
    main()
