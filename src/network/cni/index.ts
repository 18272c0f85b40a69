// The CNI runtime: configuration lists, plugin invocation, results, the attachment cache, GC,
// Corral's default network and pod bandwidth annotations.
export * from './attachment.js';
export * from './bandwidth.js';
export * from './config.js';
export * from './default-network.js';
export * from './errors.js';
export { DEFAULT_BIN_DIRS, DEFAULT_TIMEOUT_MS, type CniCommand } from './invoke.js';
export { podIPs, resultForVersion, parseResult } from './result.js';
export type { CniDNS, CniIPConfig, CniInterface, CniResult, CniRoute } from './result.js';
export * from './runtime.js';
export { SUPPORTED_VERSIONS } from './version.js';
