// NetworkPolicy (networking.k8s.io/v1) enforced with an nftables table on the node.
export { compilePolicy, compileRuleset, type CompileOptions, type Compiled } from './compile.js';
export { PolicyEngine, type PolicyEngineOptions, type PolicyEngineStats } from './engine.js';
export { PolicyError } from './errors.js';
export { checkBridgeNetfilter, nftRunner, type NftRunner } from './nft.js';
export { selectorMatches } from './selector.js';
export type * from './types.js';
export { validateNetworkPolicy } from './validate.js';
