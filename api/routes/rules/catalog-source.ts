import type { Clock } from '../../../core/clock.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import type { CorrelationStore } from '../../../core/stores/correlation-store.js';
import { buildCatalog, readRuleChanges, ruleChangeStamp, type RuleBase, type RuleCatalog, type RuleChanges } from '../../../engine/rules/index.js';

/** What the rules routes need from the composition root (cli/): the rule files on disk and a store factory. */
export interface RulesDependencies {
  /** Reads the shipped and configured rules and pipelines; called once, at the first request that needs them. */
  readonly base: () => Promise<RuleBase>;
  /** A fresh correlation store following the clock, for trying correlations on sample events; without it they are not tried. */
  readonly newCorrelationStore?: (clock: Clock) => CorrelationStore;
  /** Rule file paths are shown relative to this folder (the package root), so the API does not reveal the install path. */
  readonly root?: string;
  /**
   * Turns one raw log line into the ECS event ingest would store (syslog header, vendor parser,
   * enrichment), so rules can be tried on pasted lines; without it only `events` are accepted.
   */
  readonly parseLine?: (line: string) => Record<string, unknown>;
}

/**
 * The API's view of the rule catalog, rebuilt when the switches or uploads in the case store
 * change (the same stamp ingest polls) and otherwise reused: a list request costs two one-record
 * reads. Concurrent requests share one rebuild.
 */
export class CatalogSource {
  private base: Promise<RuleBase> | undefined;
  private cached: { stamp: string; catalog: RuleCatalog; changes: RuleChanges } | undefined;
  private building: Promise<{ catalog: RuleCatalog; changes: RuleChanges }> | undefined;

  constructor(
    private readonly deps: RulesDependencies,
    private readonly cases: CaseStore,
  ) {}

  /** The rule files on disk, read once (a failed read is tried again at the next request). */
  ruleBase(): Promise<RuleBase> {
    this.base ??= this.deps.base().catch((error: unknown) => {
      this.base = undefined;
      throw error;
    });
    return this.base;
  }

  /** The catalog as the store holds it now, and the switches and uploads it was built from. */
  async current(): Promise<{ catalog: RuleCatalog; changes: RuleChanges }> {
    const stamp = await ruleChangeStamp(this.cases);
    if (this.cached?.stamp === stamp) return this.cached;
    this.building ??= this.rebuild().finally(() => {
      this.building = undefined;
    });
    return this.building;
  }

  private async rebuild(): Promise<{ catalog: RuleCatalog; changes: RuleChanges }> {
    const base = await this.ruleBase();
    const changes = await readRuleChanges(this.cases);
    const catalog = buildCatalog(base, changes.customRules, changes.states);
    this.cached = { stamp: changes.stamp, catalog, changes };
    return this.cached;
  }
}
