"""The load generator of serve_bench.py: a small, bounded Open Inference Protocol (KServe v2) client
over REST or gRPC, the same for every server. Run in .venv-kserve (numpy, aiohttp):

    python loadgen.py --url http://127.0.0.1:8000 --model NAME --input X.npy --input-name data
        --concurrency C --duration S [--warmup W] [--json-tensors] [--save-output OUT.npy]
    python loadgen.py --grpc 127.0.0.1:8001 --model NAME --input X.npy ...

C workers (asyncio tasks) send the same request back to back: a closed loop, each worker waits
for its answer before sending the next. REST (`--url`, one keep-alive connection per worker): the
request carries the input with the binary tensor extension (`Inference-Header-Content-Length`,
`binary_data_size`) and asks for binary outputs (`binary_data_output`); `--json-tensors` sends and
asks for JSON numbers instead. gRPC (`--grpc HOST:PORT`, one HTTP/2 channel shared by the workers,
as tritonclient.grpc does): `inference.GRPCInferenceService/ModelInfer` with the input in
`raw_input_contents`, through the stubs KServe ships (Triton's and KServe's field numbers agree).
After one checked request and `--warmup` seconds (not counted) it counts `--duration` seconds of
wall time: each request that *completes* inside the window counts, its latency is send -> last
byte read.
Everything stops by itself: the whole run is bounded by warmup + duration + `--timeout`.

Prints one JSON line: throughput (requests/s x batch), latency_ms p50/p90/p99/mean, requests,
errors (and the first error's text), cpu_util of this process, window_epoch (the timed window's start
and end, Unix seconds). `--save-output` writes the first
response's first output (checked against MXNet by serve_bench.py).
"""
import argparse
import asyncio
import json
import resource
import sys
import time

import aiohttp
import numpy as np

DTYPES = {"FP32": np.float32, "FP16": np.float16, "FP64": np.float64, "INT64": np.int64, "INT32": np.int32}


def request_body(name, x, json_tensors):
    """(body bytes, headers) of one inference request for input `name` = x."""
    if json_tensors:
        body = {"inputs": [{"name": name, "shape": list(x.shape), "datatype": "FP32",
                            "data": x.reshape(-1).tolist()}]}
        return json.dumps(body).encode(), {"Content-Type": "application/json"}
    raw = np.ascontiguousarray(x, dtype=np.float32).tobytes()
    header = json.dumps({
        "inputs": [{"name": name, "shape": list(x.shape), "datatype": "FP32",
                    "parameters": {"binary_data_size": len(raw)}}],
        "parameters": {"binary_data_output": True},
    }).encode()
    return header + raw, {"Content-Type": "application/octet-stream",
                          "Inference-Header-Content-Length": str(len(header))}


def decode_response(body, headers):
    """The outputs of a v2 response as {name: array} (binary extension or JSON data)."""
    length = headers.get("Inference-Header-Content-Length")
    json_len = int(length) if length is not None else len(body)
    doc = json.loads(body[:json_len])
    offset = json_len
    outputs = {}
    for out in doc.get("outputs", []):
        dtype = DTYPES.get(out["datatype"], np.float32)
        size = (out.get("parameters") or {}).get("binary_data_size")
        if size is not None:
            arr = np.frombuffer(body[offset:offset + size], dtype=dtype)
            offset += size
        else:
            arr = np.asarray(out["data"], dtype=dtype)
        outputs[out["name"]] = arr.reshape(out["shape"])
    return outputs


class RestClient:
    def __init__(self, args, x):
        self.body, self.headers = request_body(args.input_name, x, args.json_tensors)
        self.url = "%s/v2/models/%s/infer" % (args.url.rstrip("/"), args.model)
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=args.concurrency, force_close=False),
            timeout=aiohttp.ClientTimeout(total=args.timeout))

    async def infer(self):
        """(ok, outputs or error text)."""
        async with self.session.post(self.url, data=self.body, headers=self.headers) as r:
            payload = await r.read()
            if r.status != 200:
                return False, "HTTP %d: %s" % (r.status, payload[:300].decode("utf-8", "replace"))
            return True, (payload, r.headers)

    def outputs(self, answer):
        return decode_response(*answer)

    async def close(self):
        await self.session.close()


class GrpcClient:
    def __init__(self, args, x):
        import grpc
        argv, sys.argv = sys.argv, sys.argv[:1]  # importing kserve parses sys.argv (its server's flags)
        try:
            from kserve.protocol.grpc import grpc_predict_v2_pb2 as pb, grpc_predict_v2_pb2_grpc as pb_grpc
        finally:
            sys.argv = argv
        self.grpc, self.pb = grpc, pb
        limit = 256 << 20
        self.channel = grpc.aio.insecure_channel(args.grpc, options=[
            ("grpc.max_send_message_length", limit), ("grpc.max_receive_message_length", limit)])
        self.stub = pb_grpc.GRPCInferenceServiceStub(self.channel)
        tensor = pb.ModelInferRequest.InferInputTensor(name=args.input_name, datatype="FP32", shape=list(x.shape))
        self.request = pb.ModelInferRequest(model_name=args.model, inputs=[tensor],
                                            raw_input_contents=[np.ascontiguousarray(x, dtype=np.float32).tobytes()])
        self.timeout = args.timeout

    async def infer(self):
        try:
            return True, await self.stub.ModelInfer(self.request, timeout=self.timeout)
        except self.grpc.aio.AioRpcError as e:
            return False, "gRPC %s: %s" % (e.code().name, (e.details() or "")[:300])

    def outputs(self, response):
        result = {}
        for i, out in enumerate(response.outputs):
            dtype = DTYPES.get(out.datatype, np.float32)
            if i < len(response.raw_output_contents):
                arr = np.frombuffer(response.raw_output_contents[i], dtype=dtype)
            else:
                arr = np.asarray(out.contents.fp32_contents, dtype=dtype)
            result[out.name] = arr.reshape(list(out.shape))
        return result

    async def close(self):
        await self.channel.close()


async def run(args):
    x = np.load(args.input)
    batch = x.shape[0]
    client = GrpcClient(args, x) if args.grpc else RestClient(args, x)
    latencies = []
    errors = []
    first = {}

    cpu = {}
    try:
        # One request first: it must succeed (and is the output checked), else stop early.
        ok, answer = await client.infer()
        if not ok:
            return {"error": answer}
        first["outputs"] = client.outputs(answer)
        window_start = time.perf_counter() + args.warmup
        window_end = window_start + args.duration

        async def worker():
            while True:
                start = time.perf_counter()
                if start >= window_end:
                    return
                try:
                    ok, answer = await client.infer()
                except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                    ok, answer = False, repr(e)
                end = time.perf_counter()
                if not ok:
                    errors.append(answer)
                    if len(errors) > 100:
                        return
                    continue
                if window_start <= end <= window_end:
                    latencies.append((start, end - start))

        async def cpu_marks():
            await asyncio.sleep(max(0.0, window_start - time.perf_counter()))
            cpu["start"], cpu["start_epoch"] = resource.getrusage(resource.RUSAGE_SELF), time.time()
            await asyncio.sleep(max(0.0, window_end - time.perf_counter()))
            cpu["end"], cpu["end_epoch"] = resource.getrusage(resource.RUSAGE_SELF), time.time()

        await asyncio.wait_for(asyncio.gather(cpu_marks(), *[worker() for _ in range(args.concurrency)]),
                               timeout=args.warmup + args.duration + args.timeout)
    finally:
        await client.close()

    lat = np.asarray([d for _, d in latencies]) * 1e3
    result = {
        "concurrency": args.concurrency,
        "requests": len(lat),
        "errors": len(errors),
        "throughput": len(lat) * batch / args.duration,
        "duration_s": args.duration,
        "protocol": "grpc" if args.grpc else "rest",
        "tensors": "raw" if args.grpc else "json" if args.json_tensors else "binary",
    }
    if errors:
        result["first_error"] = errors[0]
    if len(lat):
        result["latency_ms"] = {"p50": float(np.percentile(lat, 50)), "p90": float(np.percentile(lat, 90)),
                                "p99": float(np.percentile(lat, 99)), "mean": float(lat.mean())}
    if "end" in cpu:
        used = sum(getattr(cpu["end"], f) - getattr(cpu["start"], f) for f in ("ru_utime", "ru_stime"))
        result["cpu_util"] = used / args.duration
        result["window_epoch"] = [cpu["start_epoch"], cpu["end_epoch"]]
    if args.save_output and first.get("outputs"):
        name, value = next(iter(first["outputs"].items()))
        np.save(args.save_output, value)
        result["output_name"] = name
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="REST: http://HOST:PORT")
    where.add_argument("--grpc", help="gRPC: HOST:PORT")
    ap.add_argument("--model", required=True)
    ap.add_argument("--input", required=True, help=".npy file, float32")
    ap.add_argument("--input-name", default="data")
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--timeout", type=float, default=60.0, help="per request, and the run's slack")
    ap.add_argument("--json-tensors", action="store_true")
    ap.add_argument("--save-output")
    args = ap.parse_args()
    try:
        result = asyncio.run(run(args))
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
        result = {"error": repr(e)}
    print(json.dumps(result), flush=True)
    sys.exit(0 if "error" not in result else 1)


if __name__ == "__main__":
    main()
