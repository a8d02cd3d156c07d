/**
 * The demo's plan: the attack lines of every scenario at their times, merged with benign lines
 * at the requested rate, as a lazy sequence (only the attacks, a few dozen lines, are held at
 * once), the same for the same seed except for the times written into the lines.
 */
import { seededRandom } from './random.js';
import { createFiller } from './render.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import { BENIGN_TEMPLATES, type BenignTemplate, type SenderId, type SourceType } from './templates.js';

/** One line to send `at` ms after the start; its time placeholders are filled when it is sent. */
export interface PlannedLine {
  readonly at: number;
  readonly sender: SenderId;
  readonly source: SourceType;
  /** The scenario id of an attack line; absent for benign traffic. */
  readonly scenario?: string;
  readonly text: string;
}

/** What {@link planTraffic} plans. */
export interface TrafficOptions {
  readonly seed: number;
  /** Lines sent only before this, in ms after the start. */
  readonly durationMs: number;
  /** Benign lines per second, on average. */
  readonly rate: number;
}

/** The scenarios with the address each attacker got for this seed. */
export interface Attackers {
  /** Scenario id → attacker address, for the scenarios that have one. */
  readonly byScenario: ReadonlyMap<string, string>;
}

/** Draws one distinct address per attacking scenario from its range (hosts .100 to .250). */
export function drawAttackers(seed: number, scenarios: readonly Scenario[] = SCENARIOS): Attackers {
  const random = seededRandom(seed ^ 0x5eed0a7a);
  const byScenario = new Map<string, string>();
  const taken = new Set<string>();
  for (const scenario of scenarios) {
    if (scenario.attackerNet === undefined) continue;
    let address: string;
    do address = `${scenario.attackerNet}.${random.int(100, 250)}`;
    while (taken.has(address));
    taken.add(address);
    byScenario.set(scenario.id, address);
  }
  return { byScenario };
}

/** Every attack line, sorted by time (stable: steps keep their order at equal times). */
export function planAttacks(seed: number, attackers: Attackers, scenarios: readonly Scenario[] = SCENARIOS): PlannedLine[] {
  const filler = createFiller(seededRandom(seed ^ 0x0a77ac4), new Set(attackers.byScenario.values()));
  const lines: PlannedLine[] = [];
  for (const scenario of scenarios) {
    const attacker = attackers.byScenario.get(scenario.id);
    for (const step of scenario.steps) {
      const repeat = step.repeat ?? 1;
      for (let index = 0; index < repeat; index += 1) {
        const values: Record<string, string> = attacker !== undefined ? { attacker } : {};
        for (const [name, cycle] of Object.entries(step.cycle ?? {})) values[name] = cycle[index % cycle.length] as string;
        lines.push({ at: step.at + index * (step.every ?? 0), sender: step.sender, source: scenario.source, scenario: scenario.id, text: filler.fill(step.text, values) });
      }
    }
  }
  return lines.sort((a, b) => a.at - b.at);
}

/** Picks templates in proportion to their weights. */
function weightedPicker(templates: readonly BenignTemplate[]): (draw: number) => BenignTemplate {
  const total = templates.reduce((sum, template) => sum + template.weight, 0);
  return (draw) => {
    let left = draw * total;
    for (const template of templates) {
      left -= template.weight;
      if (left < 0) return template;
    }
    return templates[templates.length - 1] as BenignTemplate;
  };
}

/**
 * The whole stream: benign lines with exponential gaps (a Poisson stream of `rate` a second)
 * and the attack lines at their times, in time order, until `durationMs`.
 */
export function* planTraffic(options: TrafficOptions, attackers: Attackers = drawAttackers(options.seed)): Generator<PlannedLine> {
  const attacks = planAttacks(options.seed, attackers).filter((line) => line.at < options.durationMs);
  const random = seededRandom(options.seed);
  const filler = createFiller(random, new Set(attackers.byScenario.values()));
  const pick = weightedPicker(BENIGN_TEMPLATES);
  const meanGapMs = 1000 / options.rate;
  let next = 0;
  let attack = 0;
  for (;;) {
    next += -Math.log(1 - random.next()) * meanGapMs;
    while (attack < attacks.length && (attacks[attack] as PlannedLine).at <= next) {
      yield attacks[attack] as PlannedLine;
      attack += 1;
    }
    if (next >= options.durationMs) break;
    const template = pick(random.next());
    yield { at: Math.round(next), sender: template.sender, source: template.source, text: filler.fill(template.text) };
  }
  while (attack < attacks.length) {
    yield attacks[attack] as PlannedLine;
    attack += 1;
  }
}
