/**
 * ATT&CK tactics from Sigma tags. SigmaHQ writes them `attack.<tactic>`, once with underscores
 * (`attack.credential_access`) and, since its 2024 tag convention, with hyphens
 * (`attack.credential-access`); both name the same tactic. Technique, group and software tags
 * (`attack.t1110`, `attack.g0016`, `attack.s0002`) are not tactics and are ignored.
 */

/**
 * The enterprise ATT&CK tactics, spelled as the report shows them. `stealth` and
 * `defense_impairment` are the two tactics ATT&CK v18 split defense evasion into; the shipped
 * SigmaHQ rules already carry them, so they are counted like the others.
 */
export const TACTICS = [
  'reconnaissance',
  'resource_development',
  'initial_access',
  'execution',
  'persistence',
  'privilege_escalation',
  'defense_evasion',
  'stealth',
  'defense_impairment',
  'credential_access',
  'discovery',
  'lateral_movement',
  'collection',
  'command_and_control',
  'exfiltration',
  'impact',
] as const;

/** One tactic name. */
export type Tactic = (typeof TACTICS)[number];

const KNOWN: ReadonlySet<string> = new Set(TACTICS);
const PREFIX = 'attack.';

/** The distinct tactics named by a rule's tags, in tag order. */
export function tacticsOf(tags: readonly string[]): Tactic[] {
  const found = new Set<Tactic>();
  for (const tag of tags) {
    const lower = tag.toLowerCase();
    if (!lower.startsWith(PREFIX)) continue;
    const name = lower.slice(PREFIX.length).replaceAll('-', '_');
    if (KNOWN.has(name)) found.add(name as Tactic);
  }
  return [...found];
}
