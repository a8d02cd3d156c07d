import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblem, type Problem } from '../../core/errors.js';
import { loadPlaybooks, MAX_PLAYBOOK_FILE_BYTES, parsePlaybooks, type DriverRef } from './load.js';

const TESTDATA = new URL('./testdata/', import.meta.url).pathname;
const fixture = (name: string): { text: string; file: string } => ({ text: readFileSync(join(TESTDATA, name), 'utf8'), file: name });

const DRIVERS: DriverRef[] = [
  { id: 'edge-nft', type: 'nftables', actions: ['block-ip', 'unblock-ip'] },
  { id: 'feed', type: 'feed', actions: ['block-ip', 'unblock-ip'] },
  { id: 'mailer', type: 'smtp', actions: ['notify'] },
];

/** `line:col message` of each problem, for exact assertions. */
const located = (problems: readonly Problem[]): string[] => problems.map((p) => `${p.location?.line}:${p.location?.col} ${p.message}`);

const dirs: string[] = [];
function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wp-playbooks-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const minimal = (id: string, title = 'T'): string =>
  `id: ${id}\ntitle: ${title}\ntrigger: { on: alert }\nsteps:\n  - id: tell\n    action: notify\n    with: { subject: s, message: m }\n`;

describe('parsePlaybooks: a good file', () => {
  const { text, file } = fixture('good.yml');
  const loaded = parsePlaybooks(text, file, { drivers: DRIVERS });

  it('loads every document with no problem', () => {
    expect(loaded.problems).toEqual([]);
    expect(loaded.playbooks.map((p) => p.id)).toEqual(['contain-host', 'on-incident']);
  });

  it('applies defaults, converts durations, keeps conditions and approval', () => {
    const [playbook] = loaded.playbooks;
    expect(playbook?.source).toEqual({ file: 'good.yml', line: 2 });
    expect(playbook?.trigger).toMatchObject({ on: 'alert', rules: ['rule-one', 'rule-two'], tags: ['attack.t1110'], minSeverity: 'medium' });
    const [block, disable, tell] = playbook?.steps ?? [];
    // duration: 2h becomes the TTL the step asks for; timeout: 45s the per-driver limit.
    expect(block?.with).toEqual({ address: '{{ alert.entities.source.ip }}', ttlSeconds: 7200, reason: '{{ alert.ruleTitle }} ({{ alert.tags | join: ", " }})' });
    expect(block).toMatchObject({ drivers: ['edge-nft', 'feed'], timeoutMs: 45_000, approval: 'auto', dryRun: false, continueOnError: false });
    expect(disable).toMatchObject({ dryRun: true, continueOnError: true, approval: { requiredIf: { field: 'alert.entities.user.name', in: ['alice', 'bob'] } } });
    expect(disable?.when).toEqual({ any: [{ field: 'alert.entities.user.name', matches: 'svc-*' }, { field: 'alert.count', gte: 5 }] });
    expect(tell?.approval).toBe('required');
    expect(loaded.playbooks[1]).toMatchObject({ enabled: true, dryRun: false, trigger: { on: 'incident', minSeverity: 'critical' } });
  });

  it('freezes what it returns', () => {
    const playbook = loaded.playbooks[0];
    expect(Object.isFrozen(playbook)).toBe(true);
    expect(Object.isFrozen(playbook?.steps[0]?.with)).toBe(true);
    expect(Object.isFrozen(playbook?.trigger.when)).toBe(true);
  });
});

describe('parsePlaybooks: every problem with its line and column', () => {
  it('reports each problem of bad.yml where it is, and loads nothing from it', () => {
    const { text, file } = fixture('bad.yml');
    const loaded = parsePlaybooks(text, file, { drivers: DRIVERS });
    expect(loaded.playbooks).toEqual([]);
    expect(loaded.problems.every((p) => p.location?.file === 'bad.yml')).toBe(true);
    expect(located(loaded.problems)).toEqual([
      '1:5 "id" has an invalid value "Bad_Id" (expected lower-case letters, digits and -, at most 63 characters)',
      '2:8 "title" must not be empty',
      '3:1 unknown key "colour"',
      '5:7 "trigger.on" must be one of "alert", "incident", got "alerts"',
      '6:16 "trigger.minSeverity" must be one of "informational", "low", "medium", "high", "critical", got "urgent"',
      '7:10 "trigger.rules" must not be empty',
      '9:12 "steps.block.status" starts with "steps"; a path starts with one of alert, incident',
      '14:15 driver "nowhere" is not configured (response.drivers has edge-nft, feed, mailer)',
      '14:24 driver "mailer" (type smtp) does not serve block-ip; it serves notify',
      '15:14 "timeout" must be a duration such as 30s, 5m or 4h (not templated), got 30',
      '16:5 action block-ip needs the input "reason" under with:',
      '17:16 {{ alert.entities.source.ip | trim }}: unknown filter "trim"; the filters are default, upper, lower, json, first, join',
      '18:7 unknown input "adress" of action block-ip; it takes address, reason, duration',
      '19:7 "ttlSeconds" is set by the runner from the safety policy; write duration: 4h to ask for a shorter block',
      '20:17 "duration" must lie between 1m and 366d, got "10s"',
      '21:9 step id "block" is already used by step 1; step ids must be unique in a playbook',
      '22:13 unknown action "disable-acount"; the actions are block-ip, unblock-ip, disable-account, enable-account, notify, create-ticket',
      '23:15 "approval" must be auto, required, or requiredIf: <condition>; got "sometimes"',
      '28:14 prefix /33 is longer than 32 bits: 10.0.0.0/33',
      '29:7 unknown key "size" in a condition; a condition has all, any, not, or field with equals, in, cidr, exists, gte, lte, matches',
      '31:16 "{{" at character 1 is not closed with "}}"',
      '32:16 "steps.later.result" reads step "later", which is not an earlier step of this playbook (earlier steps: block)',
      '33:17 input "severity" of action notify must be one of "informational", "low", "medium", "high", "critical", got "urgent"',
      '36:5 action notify needs the input "message" under with:',
      '37:16 {{ constructor.constructor }}: "constructor.constructor" names "constructor", which is never a field',
    ]);
    expect(loaded.problems.find((p) => p.message.includes('adress'))?.path).toBe('steps.0.with.adress');
  });

  it('reports YAML syntax errors and duplicate keys with their position', () => {
    const broken = fixture('broken-yaml.yml');
    expect(located(parsePlaybooks(broken.text, broken.file).problems)).toEqual(['3:1 Flow sequence in block collection must be sufficiently indented and end with a ]']);
    const duplicate = fixture('duplicate-key.yml');
    const problems = parsePlaybooks(duplicate.text, duplicate.file).problems;
    expect(located(problems)).toEqual(['3:1 Map keys must be unique']);
    expect(formatProblem(problems[0] as Problem)).toBe('duplicate-key.yml:3:1: Map keys must be unique');
  });

  it('refuses empty steps, and rules on an incident trigger', () => {
    const { text, file } = fixture('empty-steps.yml');
    expect(located(parsePlaybooks(text, file).problems)).toEqual([
      '3:26 "rules" applies to alert triggers only (an incident has no rule): use tags, minSeverity or when',
      '4:8 "steps" must not be empty',
    ]);
  });

  it('reads YAML 1.2: `on` is a key, not a boolean; `yes` is not true', () => {
    const loaded = parsePlaybooks(minimal('one').replace('title: T', 'title: T\nenabled: yes'), 'x.yml');
    expect(located(loaded.problems)).toEqual(['3:10 "enabled" expected boolean, got "yes"']);
  });

  it('keeps the good documents of a file whose other document is broken', () => {
    const loaded = parsePlaybooks(`${minimal('good-one')}---\n${minimal('bad-one').replace('notify', 'nothing')}`, 'x.yml');
    expect(loaded.playbooks.map((p) => p.id)).toEqual(['good-one']);
    expect(located(loaded.problems)).toEqual([expect.stringMatching(/^14:13 unknown action "nothing"/)]);
  });

  it('refuses a second playbook with the same id in one text', () => {
    const loaded = parsePlaybooks(`${minimal('same')}---\n${minimal('same', 'Other')}`, 'x.yml');
    expect(loaded.playbooks.map((p) => p.title)).toEqual(['T']);
    expect(located(loaded.problems)).toEqual(['9:1 playbook id "same" is already used on line 1; ids must be unique']);
  });

  it('checks driver names only when the configured drivers are given', () => {
    const text = minimal('named').replace('action: notify', 'action: notify\n    drivers: [pager]');
    expect(parsePlaybooks(text, 'x.yml').problems).toEqual([]);
    expect(located(parsePlaybooks(text, 'x.yml', { drivers: DRIVERS }).problems)).toEqual(['7:15 driver "pager" is not configured (response.drivers has edge-nft, feed, mailer)']);
    expect(located(parsePlaybooks(text, 'x.yml', { drivers: [] }).problems)).toEqual(['7:15 driver "pager" is not configured (response.drivers has none)']);
  });

  it('never resolves hostile keys: __proto__ in with: is an unknown input, at the top an unknown key', () => {
    const text = minimal('hostile').replace('with: { subject: s, message: m }', 'with: { subject: s, message: m, __proto__: { polluted: true } }') + '__proto__: { x: 1 }\n';
    const loaded = parsePlaybooks(text, 'x.yml');
    expect(located(loaded.problems)).toEqual([
      '7:37 unknown input "__proto__" of action notify; it takes subject, message, severity, link, to',
      '8:1 unknown key "__proto__"',
    ]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('bounds the size: more than 50 steps, a template over 4 KiB, a text over 1 MiB, an alias bomb', () => {
    const steps = Array.from({ length: 51 }, (_, i) => `  - id: s${i}\n    action: notify\n    with: { subject: s, message: m }\n`).join('');
    const many = parsePlaybooks(`id: many\ntitle: T\ntrigger: { on: alert }\nsteps:\n${steps}`, 'x.yml');
    expect(located(many.problems)).toEqual(['5:3 "steps" has 51 items; at most 50 are allowed']);

    const long = parsePlaybooks(minimal('long').replace('message: m', `message: "${'x'.repeat(4097)}"`), 'x.yml');
    expect(located(long.problems)).toEqual(['7:34 the value has 4097 bytes; a value of with: is limited to 4096']);

    const huge = parsePlaybooks(`# ${'x'.repeat(MAX_PLAYBOOK_FILE_BYTES)}\n`, 'huge.yml');
    expect(located(huge.problems)).toEqual([`1:1 the text has ${MAX_PLAYBOOK_FILE_BYTES + 3} bytes; playbook files are limited to ${MAX_PLAYBOOK_FILE_BYTES}`]);

    const lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    for (let i = 0; i < 8; i += 1) lines.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`);
    const bomb = parsePlaybooks(lines.join('\n') + '\n', 'bomb.yml');
    expect(bomb.playbooks).toEqual([]);
    expect(located(bomb.problems)).toEqual([expect.stringMatching(/^1:1 the YAML cannot be read: .*alias/i)]);
  });
});

describe('loadPlaybooks: directories', () => {
  it('reads *.yml and *.yaml directly in each directory, not sub-directories or other files', () => {
    const dir = tempDir({ 'a.yml': minimal('a'), 'b.yaml': minimal('b'), 'README.md': 'no', '.hidden.yml': minimal('hidden') });
    mkdirSync(join(dir, 'testdata'));
    writeFileSync(join(dir, 'testdata', 'c.yml'), 'id: [broken');
    const loaded = loadPlaybooks({ dirs: [dir] });
    expect(loaded.problems).toEqual([]);
    expect(loaded.playbooks.map((p) => p.id)).toEqual(['a', 'b']);
    expect(loaded.playbooks[0]?.source).toEqual({ file: join(dir, 'a.yml'), line: 1 });
  });

  it('lets a later directory replace an earlier one, and says so', () => {
    const shipped = tempDir({ 'one.yml': minimal('one', 'Shipped'), 'two.yml': minimal('two') });
    const local = tempDir({ 'mine.yml': minimal('one', 'Mine') });
    const loaded = loadPlaybooks({ dirs: [shipped, local] });
    expect(loaded.problems).toEqual([]);
    expect(loaded.playbooks.map((p) => `${p.id}:${p.title}`)).toEqual(['one:Mine', 'two:T']);
    expect(loaded.replaced).toEqual([{ id: 'one', source: { file: join(shipped, 'one.yml'), line: 1 }, by: { file: join(local, 'mine.yml'), line: 1 } }]);
  });

  it('a broken replacement disables the playbook it meant to replace, too', () => {
    const shipped = tempDir({ 'one.yml': minimal('one', 'Shipped') });
    const local = tempDir({ 'mine.yml': minimal('one', 'Mine').replace('notify', 'notfy') });
    const loaded = loadPlaybooks({ dirs: [shipped, local] });
    expect(loaded.playbooks).toEqual([]);
    expect(loaded.replaced.map((r) => r.id)).toEqual(['one']);
    expect(loaded.problems.map(formatProblem)).toEqual([expect.stringMatching(new RegExp(`^${join(local, 'mine.yml')}:6:13: unknown action "notfy"`))]);
  });

  it('refuses a duplicate id within one directory (the first stays)', () => {
    const dir = tempDir({ 'a.yml': minimal('same', 'First'), 'b.yml': minimal('same', 'Second') });
    const loaded = loadPlaybooks({ dirs: [dir] });
    expect(loaded.playbooks.map((p) => p.title)).toEqual(['First']);
    expect(loaded.problems.map(formatProblem)).toEqual([`${join(dir, 'b.yml')}:1:1: playbook id "same" is already used by ${join(dir, 'a.yml')}:1; ids must be unique (this one is left out)`]);
  });

  it('loads disabled ids with enabled: false and reports ids that do not exist', () => {
    const dir = tempDir({ 'a.yml': minimal('a'), 'b.yml': minimal('b') });
    const loaded = loadPlaybooks({ dirs: [dir], disabled: ['b', 'nope'] });
    expect(loaded.playbooks.map((p) => `${p.id}:${p.enabled}`)).toEqual(['a:true', 'b:false']);
    expect(loaded.problems.map((p) => p.message)).toEqual(['response.disabledPlaybooks names "nope", but no playbook has that id']);
  });

  it('reports a missing directory and an oversized file, and loads the rest', () => {
    const dir = tempDir({ 'a.yml': minimal('a'), 'big.yml': `# ${'x'.repeat(MAX_PLAYBOOK_FILE_BYTES)}\n` });
    const loaded = loadPlaybooks({ dirs: [join(dir, 'missing'), dir] });
    expect(loaded.playbooks.map((p) => p.id)).toEqual(['a']);
    expect(loaded.problems.map(formatProblem)).toEqual([
      `${join(dir, 'missing')}:1:1: cannot read the playbook directory ${join(dir, 'missing')}: ENOENT`,
      `${join(dir, 'big.yml')}:1:1: the file has ${MAX_PLAYBOOK_FILE_BYTES + 3} bytes; playbook files are limited to ${MAX_PLAYBOOK_FILE_BYTES}`,
    ]);
  });
});
