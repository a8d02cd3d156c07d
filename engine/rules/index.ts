/**
 * The rule catalog of a running Watchpost: the shipped and configured rule files plus those
 * uploaded through the API, with the on/off switches applied; how the API validates an upload
 * and tries rules on sample events; and how ingest notices that the switches or uploads changed.
 */
export { buildCatalog, customRuleFile, customTexts, readRuleBase } from './catalog.js';
export type { CatalogEntry, OriginText, RuleBase, RuleBaseSources, RuleCatalog, RuleOrigin } from './catalog.js';
export { MAX_CUSTOM_RULES, MAX_RULE_STATES, readRuleChanges, ruleChangeStamp } from './changes.js';
export type { RuleChanges } from './changes.js';
export { prepareSamples, ruleSubset, testRulesOnSamples } from './sample-test.js';
export type { SampleEventResult, SampleTestOptions, SampleTestResult } from './sample-test.js';
export { MAX_CUSTOM_RULE_BYTES, ruleSetProblems, validateCustomRule } from './validate.js';
export type { CustomRuleValidation } from './validate.js';
