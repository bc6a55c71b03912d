/** Test helpers for plugin authors (`@aihub/core/testing`). */
export { startTestGateway, type TestGateway, type TestGatewayOptions } from './startTestGateway';
export { asCaller, identityPlugin, testTenancy, type TestHeaders, type TestTenancy } from './identity';
export { createBackend, waitFor, REDIS_URL, type Backend, type BackendKind } from './backend';
export { probePlugin, metricValue } from './probe';
export { decodeOtlpTraces, startOtlpReceiver, type ExportedSpan, type OtlpReceiver } from './otlp';
