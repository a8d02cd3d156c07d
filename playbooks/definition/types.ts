/**
 * A playbook as loaded from YAML (docs/specs/playbooks.md is the reference for authors). The
 * loader (`load.ts`) checks the YAML against the schema, every template and condition, and every
 * action and driver named, and reports problems with file:line:column.
 */
import type { Severity } from '../../core/cases/types.js';
import type { ActionId } from '../actions/types.js';

/**
 * A condition over the template context (`alert.*`, `incident.*`, `steps.<id>.*`). Field paths are
 * dotted; a key that itself contains dots (`alert.entities.source.ip`) is found by the longest
 * key that matches. Structured, not an expression language: nothing in it is evaluated as code.
 */
export type Condition =
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition }
  | FieldCondition;

/**
 * A test of one field; every test given must hold. A field that is not set satisfies only
 * `exists: false`; a field holding a list satisfies a test when any of its items does. Text
 * compares case-insensitively, numbers (and numeric text: entity values are strings) numerically.
 */
export interface FieldCondition {
  readonly field: string;
  readonly equals?: string | number | boolean;
  /** Equal to one of these (strings compare case-insensitively). */
  readonly in?: readonly (string | number)[];
  /** The field is an address inside one of these prefixes. */
  readonly cidr?: readonly string[];
  readonly exists?: boolean;
  readonly gte?: number;
  readonly lte?: number;
  /** A glob (`*`, `?`), case-insensitive. */
  readonly matches?: string;
}

/** When a playbook runs. Every part given must hold. */
export interface PlaybookTrigger {
  /** `alert`: on each new alert; `incident`: on each new incident. */
  readonly on: 'alert' | 'incident';
  /**
   * Rule keys; any of them is the alert's `ruleId`. The rule key is the Sigma `id` when the rule
   * has one, else its `name`: alerts carry nothing else, so a rule with an id is named by its id.
   * Alert triggers only.
   */
  readonly rules?: readonly string[];
  /** Rule tags (alert.tags, e.g. `attack.t1110`); any of them. */
  readonly tags?: readonly string[];
  /** At least this severity (alert's, or incident's). */
  readonly minSeverity?: Severity;
  readonly when?: Condition;
}

/** Whether a step waits for a person. */
export type ApprovalPolicy = 'auto' | 'required' | { readonly requiredIf: Condition };

/** One step. */
export interface PlaybookStep {
  /** Unique in the playbook: [a-z0-9-]. Later steps read `steps.<id>.result`. */
  readonly id: string;
  readonly action: ActionId;
  /**
   * The action's input, each string a template: `{{ alert.entities.source.ip }}`, with filters
   * `| default: "x"`, `| upper`, `| lower`, `| json`, `| first`, `| join: ", "`. Unknown fields
   * render as an error, not as "". For actions that keep a block (block-ip, disable-account) the
   * YAML's `duration: 4h` arrives here as `ttlSeconds` (14400): the TTL the step asks for, which
   * the runner hands to safety (`blockTtl`) and which safety caps.
   */
  readonly with: Readonly<Record<string, unknown>>;
  /** Driver instance ids; absent: every enabled instance serving the action. */
  readonly drivers?: readonly string[];
  /** @defaultValue "auto" (the safety policy may still require approval) */
  readonly approval: ApprovalPolicy;
  /** The step runs only when this holds; otherwise it is `skipped`. */
  readonly when?: Condition;
  /** Per driver call; YAML `timeout: 45s`. @defaultValue response.stepTimeoutMs */
  readonly timeoutMs?: number;
  /** The step only pretends (so does every step when the playbook, the run or the config says so). */
  readonly dryRun: boolean;
  /** A failed step ends the run unless this is set. */
  readonly continueOnError: boolean;
}

/** A playbook. */
export interface Playbook {
  /** [a-z0-9-], unique across every directory loaded. */
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly author?: string;
  readonly enabled: boolean;
  /** Every step only pretends. */
  readonly dryRun: boolean;
  readonly trigger: PlaybookTrigger;
  readonly steps: readonly PlaybookStep[];
  /** Where it was loaded from. */
  readonly source: { readonly file: string; readonly line: number };
}
