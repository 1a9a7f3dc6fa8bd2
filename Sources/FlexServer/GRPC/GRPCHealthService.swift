import GRPCCore

/// The standard gRPC health check (`grpc.health.v1.Health/Check`), which Kubernetes' gRPC probes and
/// `grpc_health_probe` call: SERVING once the server is ready (its start-up loads done, as
/// `v2/health/ready`), NOT_SERVING before. The whole server ("") and the inference service answer;
/// another name is NOT_FOUND, as the health protocol specifies. Runs on the RPC's task.
struct GRPCHealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    let state: ServerState

    static let services = ["", Inference_GRPCInferenceService.descriptor.fullyQualifiedService]

    func check(request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext) async throws -> Grpc_Health_V1_HealthCheckResponse {
        guard Self.services.contains(request.service) else {
            throw RPCError(code: .notFound, message: "unknown service '\(request.service)': this server's health covers '' (the server) and '\(Self.services[1])'")
        }
        return .with { $0.status = state.isReady ? .serving : .notServing }
    }
}
