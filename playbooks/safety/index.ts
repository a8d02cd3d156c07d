/**
 * The safety layer of automated response: the never-block list and protected accounts (S6), block
 * TTLs with repeat escalation (S7), the rate limit, active cap and circuit breaker (S8), and the
 * approval policy (S9) of reliability.md.
 */
export { approvalReasons, INTERNAL_RANGES, isInternal } from './approval.js';
export { BREAKER_ID, BREAKER_RULE_ID } from './breaker.js';
export { parseIpv4Routes, parseIpv6Routes, parseResolvConf, readHostFacts, type HostFacts, type HostFactSources } from './host-facts.js';
export { accountNames, BUILTIN_NEVER_BLOCK, checkSafetyConfig, type NeverBlockItem, type SafetyConfig, type TargetCheck } from './never-block.js';
export { createSafety, STORE_LIST_CACHE_MS, type Safety, type SafetyOptions } from './safety.js';
export { canonicalTarget, MAX_TTL_SECONDS, nextOffense, policyTtlMs, ttlSeconds } from './ttl.js';
