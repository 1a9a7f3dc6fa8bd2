"""End-to-end checks of a running `flexeg serve` with unmodified tritonclient (PyPI).

Run by FlexServerTests (TritonClientTests.swift), which starts the server and passes its ports:

    .venv-serve/bin/python Tests/FlexServerTests/EndToEnd/tritonclient_e2e.py \
        --scenario placements --url 127.0.0.1:PORT --metrics-url 127.0.0.1:MPORT --demo-dir Sources/flexeg/DemoModels

Scenarios:
  placements  explicit mode on a 16-core inf1.6xlarge: the seed's A@0 B@2 C@6 D@9, remapped to C@0 A@3
              D@5 B@9 without restart, the bad placement B@2 C@5 (switches on core 5 in /metrics), the
              failing start index (old version keeps serving; a new model leaves nothing behind),
              loads/unloads that do not disturb other models, unload with requests in flight.
  ncg         NEURONCORE_GROUP_SIZES=2,4,3,4: A B C D at groups 0 1 2 3, and a group that does not exist.
  abuse       500 connections at once, half of them sending half a request and hanging up, 64
              concurrent inferences meanwhile; then the server still serves everything, correctly;
              then bodies framed by hand: chunked, and a binary request sent in pieces.
  soak        explicit mode: A@0, B@2, C@6 serve 3 client threads for --duration seconds while D is
              loaded at 9 and unloaded in a loop; zero failures on A B C; D's requests succeed or fail
              as unavailable; after D's last unload the cores' memory is back to the baseline and
              the server's RSS within 64 MiB of it.
  grpc        tritonclient.grpc, explicit mode: every RPC (live, ready, metadata, config, infer with raw
              and typed contents, stream infer, statistics, index, load with a config, unload), errors.
  sharedmemory  Triton's system shared memory extension through tritonclient.utils.shared_memory, over
              HTTP and gRPC: inputs and outputs (at an offset) in registered regions, status, the errors
              a client can make, unregister one and all.

Every check is an assert with a message; the script exits non-zero on the first failure. Loops are
bounded; everything is on loopback.
"""
import argparse
import json
import re
import sys
import threading
import urllib.request

import numpy as np
import tritonclient.http as http
from tritonclient.utils import InferenceServerException

MODELS = {"A": ("model_a", 2), "B": ("model_b", 4), "C": ("model_c", 3), "D": ("model_d", 4)}
TOLERANCE = 1e-4


def start_config(index):
    return json.dumps({"parameters": {"NEURON_CORE_START_INDEX": {"string_value": str(index)}}})


class Checks:
    def __init__(self, args):
        self.url = args.url
        self.client = self.new_client()
        self.metrics_url = "http://" + args.metrics_url + "/metrics"
        self.demo_dir = args.demo_dir
        self.pairs = {}
        for name, (folder, _) in MODELS.items():
            base = f"{args.demo_dir}/{folder}"
            self.pairs[name] = (np.load(f"{base}/in_data.npy"), np.load(f"{base}/out_0.npy"))

    def new_client(self):
        # tritonclient.http runs on gevent: one client per thread.
        return http.InferenceServerClient(self.url, concurrency=8, network_timeout=120)

    def infer(self, name, binary=True, client=None):
        x, expected = self.pairs[name]
        inp = http.InferInput("data", list(x.shape), "FP32")
        inp.set_data_from_numpy(x, binary_data=binary)
        out = http.InferRequestedOutput(f"{name.lower()}_prob_output", binary_data=binary)
        result = (client or self.client).infer(name, [inp], outputs=[out], request_id=f"{name}-req")
        assert result.get_response()["id"] == f"{name}-req", result.get_response()
        y = result.as_numpy(f"{name.lower()}_prob_output")
        error = np.linalg.norm(y - expected) / np.linalg.norm(expected)
        assert error <= TOLERANCE, f"model {name}: relative L2 error {error} against MXNet > {TOLERANCE}"
        return y

    def cores(self, name):
        return self.client.get_model_metadata(name)["neuron_cores"]

    def index(self):
        return {e["name"]: e for e in self.client.get_model_repository_index()}

    def metrics(self):
        with urllib.request.urlopen(self.metrics_url, timeout=30) as response:
            return response.read().decode()

    def metric(self, text, name, **labels):
        pattern = re.escape(name) + r"\{([^}]*)\} (\S+)"
        for match in re.finditer(pattern, text):
            found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(match.group(2))
        return None

    def place(self, placements):
        for name, start in placements:
            self.client.load_model(name, config=start_config(start))
        for name, start in placements:
            want = list(range(start, start + MODELS[name][1]))
            assert self.cores(name) == want, f"{name}: cores {self.cores(name)}, wanted {want}"
            assert self.index()[name]["neuron_cores"] == want
            config = self.client.get_model_config(name)
            assert config["parameters"]["NEURON_CORE_START_INDEX"]["string_value"] == str(start), config
            for binary in (True, False):
                self.infer(name, binary)


def placements(c):
    assert c.client.is_server_live() and c.client.is_server_ready()
    assert all(e["state"] == "UNAVAILABLE" for e in c.index().values()), c.index()
    assert not c.client.is_model_ready("A")

    # 1. The seed's disjoint placement.
    c.place([("A", 0), ("B", 2), ("C", 6), ("D", 9)])
    text = c.metrics()
    for name, start in [("A", 0), ("B", 2), ("C", 6), ("D", 9)]:
        cores = f"{start}-{start + MODELS[name][1] - 1}"
        assert c.metric(text, "flexeg_model_neuroncores", model=name, neuroncores=cores) == 1, f"{name} {cores}\n{text}"
    switches_before = c.metric(text, "flexeg_neuroncore_switches_total", neuroncore="5")
    assert switches_before == 0, text

    # 2. Remapped without a restart: each load moves the model (old version serves until the new is ready).
    c.place([("C", 0), ("A", 3), ("D", 5), ("B", 9)])
    assert c.index()["C"]["neuron_cores"] == [0, 1, 2]

    # 3. The bad placement: B (2-5) and C (5-7) share NeuronCore 5; requests to both switch it.
    c.place([("A", 0), ("B", 2), ("C", 5), ("D", 9)])
    before = c.metric(c.metrics(), "flexeg_neuroncore_switches_total", neuroncore="5")
    for _ in range(6):
        c.infer("B")
        c.infer("C")
    text = c.metrics()
    after = c.metric(text, "flexeg_neuroncore_switches_total", neuroncore="5")
    assert after >= before + 10, f"switches on core 5: {before} -> {after}"
    assert c.metric(text, "flexeg_neuroncore_switches_total", neuroncore="0") == 0, text
    states = {c.metric(text, "flexeg_model_neuroncores", model=m, state=s) and s for m in ("B", "C") for s in ("READY", "STANDBY")}
    assert "STANDBY" in states, f"one of B, C must be STANDBY on shared core 5:\n{text}"

    # 4. The failing start index: A needs 2 cores, 15 leaves 1. The old version keeps serving.
    try:
        c.client.load_model("A", config=start_config(15))
        raise AssertionError("loading A at 15 of 16 cores succeeded")
    except InferenceServerException as error:
        message = str(error)
        assert "valid start indexes: 0-14" in message, message
    assert c.cores("A") == [0, 1]
    c.infer("A")
    assert c.index()["A"]["state"] == "READY"

    # A model that was not loaded and does not fit leaves nothing behind.
    c.client.unload_model("D")
    assert not c.client.is_model_ready("D")
    assert c.index()["D"]["state"] == "UNAVAILABLE"
    try:
        c.client.load_model("D", config=start_config(13))
        raise AssertionError("loading D at 13 succeeded")
    except InferenceServerException as error:
        assert "valid start indexes: 0-12" in str(error), str(error)
    entry = c.index()["D"]
    assert entry["state"] == "UNAVAILABLE" and "valid start indexes" in entry["reason"], entry
    text = c.metrics()
    for core in range(13, 16):
        assert c.metric(text, "flexeg_neuroncore_memory_used_bytes", neuroncore=str(core)) == 0, f"core {core}\n{text}"
    assert c.metric(text, "flexeg_model_neuroncores", model="D") is None, text

    # 5. Loads and unloads of one model never fail another model's requests.
    failures, done = [], threading.Event()

    def hammer(name):
        client, count = c.new_client(), 0
        while not done.is_set() and count < 400:
            try:
                c.infer(name, client=client)
            except Exception as error:  # noqa: BLE001 - any failure is the test's failure
                failures.append(f"{name}: {error}")
            count += 1

    threads = [threading.Thread(target=hammer, args=(n,)) for n in ("A", "B", "C")]
    for t in threads:
        t.start()
    try:
        for round_ in range(5):
            c.client.load_model("D", config=start_config(9 if round_ % 2 == 0 else 10))
            c.infer("D")
            c.client.unload_model("D")
    finally:
        done.set()
        for t in threads:
            t.join(timeout=120)
    assert not failures, failures[:5]

    # 6. Unload with requests in flight: each either completes with MXNet's output or fails cleanly.
    c.client.load_model("D", config=start_config(9))
    x, expected = c.pairs["D"]
    inp = http.InferInput("data", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    pending = [c.client.async_infer("D", [inp]) for _ in range(8)]
    c.client.unload_model("D")
    completed = 0
    for request in pending:
        try:
            y = request.get_result().as_numpy("d_prob_output")
            assert np.linalg.norm(y - expected) / np.linalg.norm(expected) <= TOLERANCE
            completed += 1
        except InferenceServerException as error:
            assert "unloaded" in str(error) or "not ready" in str(error) or "not loaded" in str(error), str(error)
    assert not c.client.is_model_ready("D")
    print(f"unload with 8 in flight: {completed} completed, {8 - completed} refused cleanly")

    # Statistics and unload of everything: memory back to zero.
    stats = c.client.get_inference_statistics("B")["model_stats"][0]
    assert int(stats["inference_count"]) > 0 and int(stats["inference_stats"]["fail"]["count"]) == 0, stats
    for name in ("A", "B", "C"):
        c.client.unload_model(name)
    text = c.metrics()
    for core in range(16):
        assert c.metric(text, "flexeg_neuroncore_memory_used_bytes", neuroncore=str(core)) == 0, f"core {core}\n{text}"
    assert all(e["state"] == "UNAVAILABLE" for e in c.index().values()), c.index()


def ncg(c):
    for group, name in enumerate("ABCD"):
        c.client.load_model(name, config=start_config(group))
    want = {"A": [0, 1], "B": [2, 3, 4, 5], "C": [6, 7, 8], "D": [9, 10, 11, 12]}
    for name, cores in want.items():
        assert c.cores(name) == cores, f"{name}: {c.cores(name)} != {cores}"
        c.infer(name)
    try:
        c.client.load_model("A", config=start_config(4))
        raise AssertionError("loading A on group 4 succeeded")
    except InferenceServerException as error:
        assert "does not exist" in str(error) and "NEURONCORE_GROUP_SIZES" in str(error), str(error)
    try:
        c.client.load_model("B", config=start_config(0))
        raise AssertionError("loading B (4 cores) on group 0 (2 cores) succeeded")
    except InferenceServerException as error:
        assert "groups that fit: 1, 3" in str(error) or "groups that fit" in str(error), str(error)
    assert c.cores("B") == [2, 3, 4, 5]
    c.infer("B")


def grpc(c, url):
    import queue

    import tritonclient.grpc as grpcclient

    g = grpcclient.InferenceServerClient(url)
    assert g.is_server_live() and g.is_server_ready()
    # The standard gRPC health service (Kubernetes' gRPC probes), through grpcio-health-checking's
    # stub: the server and the inference service SERVING, another name NOT_FOUND, Watch (which
    # Triton does not serve either) UNIMPLEMENTED.
    import grpc as grpclib
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    with grpclib.insecure_channel(url) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "inference.GRPCInferenceService"):
            status = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10).status
            assert status == health_pb2.HealthCheckResponse.SERVING, (service, status)
        for call, code, text in [(lambda: health.Check(health_pb2.HealthCheckRequest(service="nosuch"), timeout=10),
                                   grpclib.StatusCode.NOT_FOUND, "unknown service 'nosuch'"),
                                  (lambda: next(health.Watch(health_pb2.HealthCheckRequest(), timeout=10)),
                                   grpclib.StatusCode.UNIMPLEMENTED, "")]:
            try:
                call()
                raise AssertionError(f"expected {code}")
            except grpclib.RpcError as error:
                assert error.code() == code and text in (error.details() or ""), (error.code(), error.details())
    meta = g.get_server_metadata()
    assert meta.name == "flexeg" and "binary_tensor_data" in meta.extensions, meta
    assert not g.is_model_ready("A")
    g.load_model("A", config=start_config(3))
    g.load_model("B")
    assert g.is_model_ready("A") and g.is_model_ready("A", "1") and not g.is_model_ready("A", "2")
    index = {m.name: m for m in g.get_model_repository_index().models}
    assert index["A"].state == "READY" and index["C"].state == "UNAVAILABLE", index
    assert c.cores("A") == [3, 4], c.cores("A")
    metadata = g.get_model_metadata("A")
    assert metadata.inputs[0].name == "data" and list(metadata.inputs[0].shape) == [1, 3, 32, 32], metadata
    config = g.get_model_config("A").config
    assert config.parameters["NEURON_CORE_START_INDEX"].string_value == "3", config
    assert config.input[0].data_type == 11 and list(config.input[0].dims) == [1, 3, 32, 32], config  # TYPE_FP32

    x, expected = c.pairs["A"]
    def check(result, name="A"):
        y = result.as_numpy(f"{name.lower()}_prob_output")
        error = np.linalg.norm(y - c.pairs[name][1]) / np.linalg.norm(c.pairs[name][1])
        assert error <= TOLERANCE, f"{name}: {error}"

    # Raw contents (tritonclient's default) and typed fp32_contents.
    inp = grpcclient.InferInput("data", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    result = g.infer("A", [inp], request_id="g1", outputs=[grpcclient.InferRequestedOutput("a_prob_output")])
    assert result.get_response().id == "g1"
    check(result)
    from tritonclient.grpc import service_pb2
    request = service_pb2.ModelInferRequest(model_name="A", id="typed")
    tensor = request.inputs.add(name="data", datatype="FP32", shape=list(x.shape))
    tensor.contents.fp32_contents.extend(x.flatten().tolist())
    response = g._client_stub.ModelInfer(request)
    y = np.frombuffer(response.raw_output_contents[0], dtype=np.float32)
    assert np.linalg.norm(y - expected.flatten()) / np.linalg.norm(expected) <= TOLERANCE

    # Errors: wrong shape, unknown model, failing start index (old version keeps serving).
    bad = grpcclient.InferInput("data", [1, 3], "FP32")
    bad.set_data_from_numpy(np.zeros((1, 3), dtype=np.float32))
    for model, inputs, text in [("A", [bad], "takes [1, 3, 32, 32]"), ("nope", [inp], "unknown model 'nope'")]:
        try:
            g.infer(model, inputs)
            raise AssertionError(f"infer on {model} succeeded")
        except InferenceServerException as error:
            assert text in str(error), str(error)
    try:
        g.load_model("A", config=start_config(15))
        raise AssertionError("loading A at 15 succeeded")
    except InferenceServerException as error:
        assert "valid start indexes: 0-14" in str(error), str(error)
    assert c.cores("A") == [3, 4]

    # Streaming: responses in order, errors in-band, the stream goes on.
    results = queue.Queue()
    g.start_stream(callback=lambda result, error: results.put((result, error)))
    g.async_stream_infer("A", [inp], request_id="s1")
    g.async_stream_infer("A", [bad], request_id="s2")
    inp_b = grpcclient.InferInput("data", list(c.pairs["B"][0].shape), "FP32")
    inp_b.set_data_from_numpy(c.pairs["B"][0])
    g.async_stream_infer("B", [inp_b], request_id="s3")
    got = [results.get(timeout=60) for _ in range(3)]
    g.stop_stream()
    assert got[0][1] is None and got[0][0].get_response().id == "s1", got[0]
    check(got[0][0])
    assert got[1][1] is not None and "takes [1, 3, 32, 32]" in str(got[1][1]), got[1]
    assert got[2][1] is None
    check(got[2][0], "B")

    stats = g.get_inference_statistics("A").model_stats[0]
    assert stats.inference_stats.success.count == 3 and stats.inference_stats.fail.count == 2, stats  # g1, typed, s1; bad shape, s2
    # A has no batch dimension: each of its three executions served batch size 1.
    assert [(b.batch_size, b.compute_infer.count) for b in stats.batch_stats] == [(1, 3)], stats.batch_stats
    assert stats.batch_stats[0].compute_infer.ns > 0, stats.batch_stats
    assert len(g.get_inference_statistics().model_stats) == 2
    g.unload_model("A")
    assert not g.is_model_ready("A")
    assert {m.name: m.state for m in g.get_model_repository_index().models}["A"] == "UNAVAILABLE"

    # A model the repository lacks, uploaded with load_model(files=...): C's checkpoint as "E" on
    # cores 13-15 over gRPC (bytes), then reloaded over REST (base64) on 10-12; then unloaded.
    folder = MODELS["C"][0]
    files = {}
    for suffix in ("symbol.json", "0000.params"):
        with open(f"{c.demo_dir}/{folder}/{folder}-{suffix}", "rb") as f:
            files[f"file:1/model-{suffix}"] = f.read()
    def upload_config(start):
        return json.dumps({"input": [{"name": "data", "data_type": "TYPE_FP32", "dims": [1, 3, 32, 32]}],
                           "parameters": {"NEURON_CORES": {"string_value": "3"}, "NEURON_CORE_START_INDEX": {"string_value": str(start)}}})
    x_c, expected_c = c.pairs["C"]
    for client, start in ((g, 13), (c.client, 10)):
        client.load_model("E", config=upload_config(start), files=files)
        assert c.cores("E") == [start, start + 1, start + 2], c.cores("E")
        inp_c = grpcclient.InferInput("data", list(x_c.shape), "FP32")
        inp_c.set_data_from_numpy(x_c)
        y = g.infer("E", [inp_c]).as_numpy("c_prob_output")
        assert np.linalg.norm(y - expected_c) / np.linalg.norm(expected_c) <= TOLERANCE
    try:
        g.load_model("F", files=files)
        raise AssertionError("an upload without a config loaded")
    except InferenceServerException as error:
        assert 'needs a "config" parameter' in str(error), str(error)
    g.unload_model("E")
    assert not g.is_model_ready("E")


def shared_memory(c, grpc_url):
    import tritonclient.grpc as grpcclient
    import tritonclient.utils.shared_memory as shm

    g = grpcclient.InferenceServerClient(grpc_url)
    assert "system_shared_memory" in c.client.get_server_metadata()["extensions"]
    c.client.load_model("A")
    x, expected = c.pairs["A"]
    out_bytes = expected.nbytes
    handles = [shm.create_shared_memory_region("in", "/flexeg_e2e_in", x.nbytes),
               shm.create_shared_memory_region("out", "/flexeg_e2e_out", 128)]
    try:
        in_handle, out_handle = handles
        shm.set_shared_memory_region(in_handle, [x])
        c.client.register_system_shared_memory("in", "/flexeg_e2e_in", x.nbytes)
        g.register_system_shared_memory("out", "/flexeg_e2e_out", 128)
        status = {r["name"]: r for r in c.client.get_system_shared_memory_status()}
        assert set(status) == {"in", "out"} and status["in"]["byte_size"] == x.nbytes and status["out"]["key"] == "/flexeg_e2e_out", status
        grpc_status = g.get_system_shared_memory_status().regions
        assert set(grpc_status) == {"in", "out"} and grpc_status["out"].byte_size == 128, grpc_status

        def check(y, what):
            error = np.linalg.norm(y.reshape(expected.shape) - expected) / np.linalg.norm(expected)
            assert error <= TOLERANCE, f"{what}: relative L2 error {error} against MXNet"

        # HTTP: input from "in", output written to "out" at 0.
        inp = http.InferInput("data", list(x.shape), "FP32")
        inp.set_shared_memory("in", x.nbytes)
        out = http.InferRequestedOutput("a_prob_output")
        out.set_shared_memory("out", out_bytes)
        result = c.client.infer("A", [inp], outputs=[out])
        # As Triton answers: the output named, shaped, with neither data nor parameters (Triton's
        # C++ client reads an output with parameters as binary data).
        output = result.get_output("a_prob_output")
        assert output == {"name": "a_prob_output", "datatype": "FP32", "shape": list(expected.shape)}, output
        check(shm.get_contents_as_numpy(out_handle, np.float32, list(expected.shape)), "HTTP output in shared memory")
        # gRPC: the same input; the output at offset 64 of "out".
        ginp = grpcclient.InferInput("data", list(x.shape), "FP32")
        ginp.set_shared_memory("in", x.nbytes)
        gout = grpcclient.InferRequestedOutput("a_prob_output")
        gout.set_shared_memory("out", out_bytes, offset=64)
        result = g.infer("A", [ginp], outputs=[gout])
        # As Triton answers: one raw_output_contents entry per output, empty for one in shared memory
        # (Triton's C++ client indexes them by output).
        response = result.get_response()
        assert [o.name for o in response.outputs] == ["a_prob_output"] and not response.outputs[0].parameters, response.outputs
        assert list(response.raw_output_contents) == [b""], [len(c) for c in response.raw_output_contents]
        check(shm.get_contents_as_numpy(out_handle, np.float32, list(expected.shape), offset=64), "gRPC output in shared memory")
        # A shared memory input with the output in the response, both protocols.
        check(c.client.infer("A", [inp]).as_numpy("a_prob_output"), "HTTP output in the response")
        check(g.infer("A", [ginp]).as_numpy("a_prob_output"), "gRPC output in the response")

        # The errors a client can make each name what to fix, and the server serves on.
        small = http.InferRequestedOutput("a_prob_output")
        small.set_shared_memory("out", out_bytes - 4)
        short_input = http.InferInput("data", list(x.shape), "FP32")
        short_input.set_shared_memory("in", x.nbytes - 4)
        missing = http.InferInput("data", list(x.shape), "FP32")
        missing.set_shared_memory("nope", x.nbytes)
        for inputs, outputs, text in [([inp], [small], "Give it at least 40"),
                                      ([short_input], None, f"is {x.nbytes} bytes"),
                                      ([missing], None, "'nope', which is not registered")]:
            try:
                c.client.infer("A", inputs, outputs=outputs)
                raise AssertionError(f"infer succeeded; expected an error with {text!r}")
            except InferenceServerException as error:
                assert text in str(error), str(error)
        for register, text in [(lambda: c.client.register_system_shared_memory("in", "/flexeg_e2e_in", 8), "already registered"),
                               (lambda: g.register_system_shared_memory("ghost", "/flexeg_e2e_no_such_key", 8), "cannot open"),
                               (lambda: c.client.register_system_shared_memory("big", "/flexeg_e2e_out", 129), "which has 128 bytes")]:
            try:
                register()
                raise AssertionError(f"register succeeded; expected an error with {text!r}")
            except InferenceServerException as error:
                assert text in str(error), str(error)
        try:
            c.client.get_system_shared_memory_status("nope")
            raise AssertionError("status of an unknown region succeeded")
        except InferenceServerException as error:
            assert "'nope'" in str(error), str(error)
        c.infer("A")

        stats = c.client.get_inference_statistics("A")["model_stats"][0]["inference_stats"]
        assert stats["success"]["count"] == 5 and stats["fail"]["count"] == 3, stats
        g.unregister_system_shared_memory("in")
        assert [r["name"] for r in c.client.get_system_shared_memory_status()] == ["out"]
        c.client.unregister_system_shared_memory()
        assert c.client.get_system_shared_memory_status() == [] and len(g.get_system_shared_memory_status().regions) == 0
    finally:
        for handle in handles:
            shm.destroy_shared_memory_region(handle)


def abuse(c, url):
    import socket
    host, port = url.split(":")
    sockets = []
    try:
        for i in range(500):
            s = socket.create_connection((host, int(port)), timeout=10)
            if i % 2 == 0:
                s.sendall(b"POST /v2/models/A/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"inputs\": [")
            sockets.append(s)
        failures = []

        def worker(name):
            client = c.new_client()
            for _ in range(4):
                try:
                    c.infer(name, client=client)
                except Exception as error:  # noqa: BLE001
                    failures.append(f"{name}: {error}")

        threads = [threading.Thread(target=worker, args=("ABCD"[i % 4],)) for i in range(16)]
        for t in threads:
            t.start()
        for i, s in enumerate(sockets):
            if i % 2 == 0:
                s.close()  # hang up mid-request
        for t in threads:
            t.join(timeout=120)
        assert not failures, failures[:5]
    finally:
        for s in sockets:
            s.close()
    assert c.client.is_server_ready()
    for name in "ABCD":
        c.infer(name)


def framing(c, url):
    """Bodies as raw HTTP/1.1 frames them: chunked transfer encoding (no Content-Length), and a
    binary request whose JSON header length is not a multiple of 64, sent in pieces with pauses so
    the server gathers it from several reads. Both must give MXNet's outputs."""
    import socket
    import time
    host, port = url.split(":")
    x, expected = c.pairs["A"]

    def exchange(pieces):
        with socket.create_connection((host, int(port)), timeout=60) as s:
            for piece in pieces:
                s.sendall(piece)
                time.sleep(0.05)
            reply = b""
            while b"\r\n\r\n" not in reply:
                reply += s.recv(65536)
            head, body = reply.split(b"\r\n\r\n", 1)
            fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
            length = int(fields[b"Content-Length"])
            while len(body) < length:
                body += s.recv(65536)
            return head.split(b"\r\n")[0], fields, body

    def check_output(values, what):
        error = np.linalg.norm(values - expected) / np.linalg.norm(expected)
        assert error <= TOLERANCE, f"{what}: relative L2 error {error} against MXNet > {TOLERANCE}"

    request = json.dumps({"inputs": [{"name": "data", "shape": list(x.shape), "datatype": "FP32",
                                      "data": x.flatten().tolist()}]}).encode()
    chunks = [request[i:i + 5000] for i in range(0, len(request), 5000)]
    framed = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"
    status, _, body = exchange([b"POST /v2/models/A/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                                framed[:len(framed) // 2], framed[len(framed) // 2:]])
    assert status.endswith(b"200 OK"), (status, body[:200])
    check_output(np.array(json.loads(body)["outputs"][0]["data"], dtype=np.float32), "chunked JSON request")

    header = json.dumps({"inputs": [{"name": "data", "shape": list(x.shape), "datatype": "FP32",
                                     "parameters": {"binary_data_size": x.nbytes}}],
                         "parameters": {"binary_data_output": True}}).encode()
    header += b" " * ((64 - len(header) % 64) % 64 + 37)  # JSON allows trailing spaces; 37 past a 64-byte boundary
    data = header + x.astype(np.float32).tobytes()
    head = b"POST /v2/models/A/infer HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nInference-Header-Content-Length: %d\r\n\r\n" % (len(data), len(header))
    status, fields, body = exchange([head + data[:100], data[100:len(header) + 999], data[len(header) + 999:]])
    assert status.endswith(b"200 OK"), (status, body[:200])
    json_length = int(fields[b"Inference-Header-Content-Length"])
    check_output(np.frombuffer(body[json_length:], dtype=np.float32), "binary request in pieces")


def rss(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))


def soak(c, duration, pid):
    import time
    for name, start in [("A", 0), ("B", 2), ("C", 6)]:
        c.client.load_model(name, config=start_config(start))
        c.infer(name)
    def core_memory():
        text = c.metrics()
        return [c.metric(text, "flexeg_neuroncore_memory_used_bytes", neuroncore=str(i)) for i in range(16)]
    baseline_memory, baseline_rss = core_memory(), rss(pid)
    failures, counts, d_outcomes, done = [], {}, {"ok": 0, "unavailable": 0}, threading.Event()

    def hammer(name):
        client, count = c.new_client(), 0
        while not done.is_set():
            try:
                c.infer(name, client=client)
                count += 1
            except Exception as error:  # noqa: BLE001
                failures.append(f"{name}: {error}")
        counts[name] = count

    def d_client():
        client = c.new_client()
        while not done.is_set():
            try:
                c.infer("D", client=client)
                d_outcomes["ok"] += 1
            except InferenceServerException as error:
                text = str(error)
                assert "unloaded" in text or "not ready" in text or "not loaded" in text or "UNLOADING" in text or "LOADING" in text, text
                d_outcomes["unavailable"] += 1

    threads = [threading.Thread(target=hammer, args=(n,)) for n in "ABC"] + [threading.Thread(target=d_client)]
    for t in threads:
        t.start()
    cycles, end = 0, time.time() + duration
    try:
        while time.time() < end:
            c.client.load_model("D", config=start_config(9))
            time.sleep(0.05)
            c.client.unload_model("D")
            cycles += 1
    finally:
        done.set()
        for t in threads:
            t.join(timeout=120)
    assert not failures, failures[:5]
    assert cycles >= 3 and all(counts.get(n, 0) > 0 for n in "ABC"), (cycles, counts)
    after_memory, after_rss = core_memory(), rss(pid)
    assert after_memory == baseline_memory, f"core memory {baseline_memory} -> {after_memory}"
    assert after_rss - baseline_rss < 64 << 20, f"RSS grew {baseline_rss} -> {after_rss}"
    print(f"soak {duration}s: {cycles} load/unload cycles of D; A B C {counts}; D {d_outcomes}; "
          f"RSS {baseline_rss >> 20} -> {after_rss >> 20} MiB")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", choices=["placements", "ncg", "grpc", "abuse", "soak", "sharedmemory"], required=True)
    parser.add_argument("--grpc-url")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--url", required=True)
    parser.add_argument("--metrics-url", required=True)
    parser.add_argument("--demo-dir", required=True)
    args = parser.parse_args()
    checks = Checks(args)
    if args.scenario == "grpc":
        grpc(checks, args.grpc_url)
    elif args.scenario == "sharedmemory":
        shared_memory(checks, args.grpc_url)
    elif args.scenario == "soak":
        soak(checks, args.duration, args.server_pid)
    elif args.scenario == "abuse":
        abuse(checks, args.url)
        framing(checks, args.url)
    else:
        {"placements": placements, "ncg": ncg}[args.scenario](checks)
    print(f"tritonclient {args.scenario}: all checks passed")


if __name__ == "__main__":
    sys.exit(main())
