/**
 * The rule catalog: the rule files on disk (shipped and configured, read once) plus the rule
 * files uploaded through the API, loaded together into one RuleSet, with the on/off switches of
 * the API and the config applied. The API lists and explains it; the ingest process runs its
 * active part. Loading everything together (not the uploads alone) is what lets an uploaded
 * correlation reference a shipped rule, a meta-filter apply to uploads, and a duplicate id across
 * the two be reported.
 */
import type { CustomRule, RuleState } from '../../core/cases/types.js';
import { buildRuleSet, readRuleFiles, type RuleText } from '../sigma/load.js';
import { loadPipelines, type Pipeline } from '../sigma/pipeline.js';
import type { CorrelationRule, DetectionRule, RuleProblem, RuleSet } from '../sigma/types.js';

/** Where a rule file comes from. */
export type RuleOrigin = 'shipped' | 'config' | 'custom';

/** A rule file's text and where it comes from. */
export interface OriginText extends RuleText {
  readonly origin: RuleOrigin;
}

/** The rule content on disk, read once per process. */
export interface RuleBase {
  readonly texts: readonly OriginText[];
  readonly pipelines: readonly Pipeline[];
  /** Problems of reading the files and pipelines. */
  readonly problems: readonly RuleProblem[];
  /** The config's `detection.disabledRules`: keys, ids, names or titles. */
  readonly disabledRules: readonly string[];
}

/** Which files {@link readRuleBase} reads. */
export interface RuleBaseSources {
  /** The shipped rule folders (empty when `detection.shippedRules` is off). */
  readonly shipped: readonly string[];
  /** `detection.paths`. */
  readonly config: readonly string[];
  /** Pipeline folders: the shipped one, then `detection.pipelines`. */
  readonly pipelines: readonly string[];
  /** Left out of the shipped folders (rules/sigmahq/unsupported). */
  readonly exclude: readonly string[];
  readonly disabledRules: readonly string[];
}

/** The file name an uploaded rule loads under: what its problems point at. */
export function customRuleFile(id: string): string {
  return `custom/${id}.yml`;
}

/**
 * Reads the shipped and configured rule files and the pipelines. A configured path inside a
 * shipped folder is not read twice (the second copy would clash with the first by id).
 */
export async function readRuleBase(sources: RuleBaseSources): Promise<RuleBase> {
  const problems: RuleProblem[] = [];
  const pipelines: Pipeline[] = [];
  for (const dir of sources.pipelines) {
    const loaded = await loadPipelines(dir);
    pipelines.push(...loaded.pipelines);
    problems.push(...loaded.problems);
  }
  const shipped = await readRuleFiles(sources.shipped, sources.exclude, problems);
  const config = await readRuleFiles(sources.config, [...sources.exclude, ...sources.shipped], problems);
  return {
    texts: [...shipped.map((t) => ({ ...t, origin: 'shipped' as const })), ...config.map((t) => ({ ...t, origin: 'config' as const }))],
    pipelines,
    problems,
    disabledRules: sources.disabledRules,
  };
}

/** One loaded rule as the API lists it. */
export interface CatalogEntry {
  readonly rule: DetectionRule | CorrelationRule;
  readonly origin: RuleOrigin;
  /** The uploaded file's id, for custom rules. */
  readonly customId?: string;
  /** The rule's own switch: the API's when it set one, else off when the config disables it. */
  readonly enabled: boolean;
  /** Who decided `enabled`: the API (a RuleState), the config (disabledRules), or nobody (on by default). */
  readonly switchedBy: 'api' | 'config' | 'default';
  /** Whether the detector runs it: enabled, and for a correlation every rule it needs is active too. */
  readonly active: boolean;
}

/** The loaded rules, their switches, and what the detector runs. */
export interface RuleCatalog {
  /** Every rule that loaded, enabled or not. */
  readonly all: RuleSet;
  /** The active rules only: what the detector runs. */
  readonly active: RuleSet;
  /** Loaded rules in load order. */
  readonly entries: readonly CatalogEntry[];
  readonly base: RuleBase;
  /** The entry of a rule key, or undefined. */
  entry(key: string): CatalogEntry | undefined;
  /** The text of a loaded file (its path, or `custom/<id>.yml`), or undefined. */
  text(file: string): OriginText | undefined;
}

/** The rule texts of the uploads, in id order so every process loads them alike. */
export function customTexts(customRules: readonly Pick<CustomRule, 'id' | 'text'>[]): OriginText[] {
  return [...customRules].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((c) => ({ file: customRuleFile(c.id), text: c.text, origin: 'custom' as const }));
}

/**
 * Loads the base and the uploads into one RuleSet and applies the switches: a RuleState decides
 * for its rule; otherwise a rule named (by key, id, name or title) in `disabledRules` is off. A
 * correlation over a rule that is off is not run, since it would never see that rule's matches.
 */
export function buildCatalog(base: RuleBase, customRules: readonly Pick<CustomRule, 'id' | 'text'>[], states: readonly RuleState[]): RuleCatalog {
  const texts = [...base.texts, ...customTexts(customRules)];
  const byFile = new Map(texts.map((t) => [t.file, t]));
  const all = buildRuleSet(texts, base.pipelines, [...base.problems]);
  const stateOf = new Map(states.map((s) => [s.id, s]));
  const configOff = new Set(base.disabledRules);
  const named = (rule: DetectionRule | CorrelationRule): boolean =>
    configOff.has(rule.key) || (rule.id !== undefined && configOff.has(rule.id)) || (rule.name !== undefined && configOff.has(rule.name)) || configOff.has(rule.title);
  const switchOf = (rule: DetectionRule | CorrelationRule): Pick<CatalogEntry, 'enabled' | 'switchedBy'> => {
    const state = stateOf.get(rule.key);
    if (state !== undefined) return { enabled: state.enabled, switchedBy: 'api' };
    return named(rule) ? { enabled: false, switchedBy: 'config' } : { enabled: true, switchedBy: 'default' };
  };

  const rules = all.rules.filter((rule) => switchOf(rule).enabled);
  const activeKeys = new Set(rules.map((rule) => rule.key));
  // Correlations may chain: one is active when it is on and each rule it names is active. Inner
  // correlations come first in the loader's order, but repeat until nothing changes to be sure.
  const candidates = all.correlations.filter((rule) => switchOf(rule).enabled);
  const correlations: CorrelationRule[] = [];
  for (let changed = true; changed; ) {
    changed = false;
    for (const rule of candidates) {
      if (activeKeys.has(rule.key) || !rule.rules.every((key) => activeKeys.has(key))) continue;
      activeKeys.add(rule.key);
      correlations.push(rule);
      changed = true;
    }
  }
  const order = new Map(all.correlations.map((rule, i) => [rule.key, i]));
  correlations.sort((a, b) => (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0));
  const active: RuleSet = Object.freeze({ ...all, rules: Object.freeze(rules), correlations: Object.freeze(correlations) });

  const entries: CatalogEntry[] = [...all.rules, ...all.correlations].map((rule) => {
    const origin = byFile.get(rule.source.file)?.origin ?? 'config';
    const customId = origin === 'custom' ? rule.source.file.slice('custom/'.length, -'.yml'.length) : undefined;
    return { rule, origin, ...(customId !== undefined ? { customId } : {}), ...switchOf(rule), active: activeKeys.has(rule.key) };
  });
  const byKey = new Map(entries.map((e) => [e.rule.key, e]));
  return {
    all,
    active,
    entries,
    base,
    entry: (key) => byKey.get(key),
    text: (file) => byFile.get(file),
  };
}
