import { describe, expect, it } from 'vitest';
import type { Alert, Incident } from '../../core/cases/types.js';
import { hasCode, UserError } from '../../core/errors.js';
import { checkTemplate, renderInputs, type TemplateContext } from './template.js';

const alert: Alert = {
  id: 'a-1',
  dedupKey: 'k',
  ruleId: 'f88732c5-e5a2-43e1-83cc-a0caa5f0a7bc',
  ruleTitle: 'SSH Brute Force From One Address',
  severity: 'medium',
  riskScore: 50,
  status: 'new',
  count: 3,
  firstSeen: '2026-11-24T10:00:00.000Z',
  lastSeen: '2026-11-24T10:04:00.000Z',
  entities: { 'source.ip': '203.0.113.7', 'user.name': 'Alice', 'host.name': 'web-1', source: 'not-an-object' },
  eventIds: ['e1', 'e2'],
  explanation: { selections: [], matches: [{ field: 'source.ip', value: '203.0.113.7' }] },
  tags: ['attack.credential-access', 'attack.t1110.001'],
  createdAt: '2026-11-24T10:00:00.000Z',
  updatedAt: '2026-11-24T10:04:00.000Z',
};
const incident = { id: 'i-1', title: 'Brute force', severity: 'critical', alertIds: [], tags: [] } as unknown as Incident;

const context: TemplateContext = {
  alert,
  incident,
  playbook: { id: 'pb', title: 'Playbook' },
  run: { id: 'pb.a-1' },
  steps: { block: { status: 'succeeded', result: { changed: true, drivers: ['nft'] } } },
};

const render = (value: unknown): unknown => renderInputs({ value }, context)['value'];

function renderError(value: unknown): UserError {
  try {
    render(value);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('rendered without an error');
}

describe('renderInputs', () => {
  it('resolves dotted entity keys by the longest key that matches', () => {
    expect(render('{{ alert.entities.source.ip }}')).toBe('203.0.113.7');
    expect(render('block {{alert.entities.source.ip}} now')).toBe('block 203.0.113.7 now');
    expect(render('{{ alert.entities.user.name }}@{{ alert.entities.host.name }}')).toBe('Alice@web-1');
  });

  it('keeps the type of a value that is exactly one tag, and writes text otherwise', () => {
    expect(render('{{ alert.count }}')).toBe(3);
    expect(render('  {{ alert.count }} ')).toBe(3);
    expect(render('{{ alert.tags }}')).toEqual(['attack.credential-access', 'attack.t1110.001']);
    expect(render('{{ steps.block.result }}')).toEqual({ changed: true, drivers: ['nft'] });
    expect(render('n={{ alert.count }}')).toBe('n=3');
    expect(render('tags: {{ alert.tags }}')).toBe('tags: attack.credential-access, attack.t1110.001');
    expect(render('r={{ steps.block.result }}')).toBe('r={"changed":true,"drivers":["nft"]}');
    expect(render('{{ alert.eventIds.1 }}')).toBe('e2');
  });

  it('copies objects out of the context', () => {
    const result = render('{{ steps.block.result }}') as { drivers: string[] };
    result.drivers.push('changed');
    expect(context.steps['block']?.result).toEqual({ changed: true, drivers: ['nft'] });
  });

  it('applies filters left to right', () => {
    expect(render('{{ alert.entities.user.name | lower }}')).toBe('alice');
    expect(render('{{ alert.entities.user.name | upper }}')).toBe('ALICE');
    expect(render('{{ alert.tags | first }}')).toBe('attack.credential-access');
    expect(render('{{ alert.tags | join: " + " }}')).toBe('attack.credential-access + attack.t1110.001');
    expect(render("{{ alert.tags | join: ', ' | upper }}")).toBe('ATTACK.CREDENTIAL-ACCESS, ATTACK.T1110.001');
    expect(render('{{ alert.tags | upper }}')).toEqual(['ATTACK.CREDENTIAL-ACCESS', 'ATTACK.T1110.001']);
    expect(render('{{ alert.explanation.matches | json }}')).toBe('[{"field":"source.ip","value":"203.0.113.7"}]');
    expect(render('{{ alert.entities.dns.question.name | default: "none" }}')).toBe('none');
    expect(render('{{ alert.entities.missing | upper | default: "n/a" }}')).toBe('n/a');
    expect(render('{{ alert.incidentId | default: 0 }}')).toBe(0);
    expect(render('{{ incident.tags | join: ", " | default: "no tags" }}')).toBe('no tags');
    expect(render('{{ alert.eventIds | first | default: "x" }}')).toBe('e1');
    expect(render('{{ incident.alertIds | first | default: "none" }}')).toBe('none');
    expect(render('{{ alert.id | default: "say \\"hi\\"" }}')).toBe('a-1');
    expect(render('{{ alert.missing | default: "say \\"hi\\" }}" }}')).toBe('say "hi" }}');
  });

  it('renders strings at any depth of arrays and objects, and leaves other values alone', () => {
    const out = renderInputs({ to: ['{{ alert.entities.user.name | lower }}@example.org', 'soc@example.org'], nested: { n: '{{ alert.count }}', flag: true, none: null }, port: 22 }, context);
    expect(out).toEqual({ to: ['alice@example.org', 'soc@example.org'], nested: { n: 3, flag: true, none: null }, port: 22 });
  });

  it('never renders a missing value as an empty string: a UserError names the template', () => {
    const error = renderError('block {{ alert.entities.destination.ip }}');
    expect(hasCode(error, 'WATCHPOST_ERR_ACTION_INPUT')).toBe(true);
    expect(error.message).toBe('the template {{ alert.entities.destination.ip }} in with.value has no value: alert.entities.destination.ip is not set (add | default: "..." if it may be absent)');
    expect(renderError('{{ alert.tags.9 }}').code).toBe('WATCHPOST_ERR_ACTION_INPUT');
    expect(renderError('{{ alert.entities.source.ip.more }}').code).toBe('WATCHPOST_ERR_ACTION_INPUT');
    expect(renderError('{{ consoleUrl }}/alerts').message).toContain('consoleUrl is not set');
    expect(() => renderInputs({ deep: { list: ['{{ incident.entity.value }}'] } }, context)).toThrow('in with.deep.list[0]');
  });

  it('never reaches prototypes or code, whatever the template names', () => {
    for (const hostile of [
      '{{constructor.constructor}}',
      '{{ alert.constructor }}',
      '{{ alert.__proto__ }}',
      '{{ alert.entities.__proto__.polluted }}',
      '{{ alert.toString }}',
      '{{ alert.entities.hasOwnProperty }}',
      '{{ steps.block.result.constructor.name }}',
      '{{ alert.tags.length }}',
    ]) {
      expect(() => render(hostile), hostile).toThrow(UserError);
    }
    expect(() => render('{{ alert.id; process.exit(1) }}')).toThrow(UserError);
    expect(() => render('{{ alert.id + 1 }}')).toThrow(UserError);
  });

  it('treats a context key named __proto__ as absent', () => {
    const entities = JSON.parse('{"__proto__": {"x": "y"}, "source.ip": "192.0.2.1"}') as Record<string, string>;
    const hostile: TemplateContext = { ...context, alert: { ...alert, entities } };
    expect(() => renderInputs({ v: '{{ alert.entities.__proto__.x }}' }, hostile)).toThrow(UserError);
    expect(renderInputs({ v: '{{ alert.entities.source.ip }}' }, hostile)).toEqual({ v: '192.0.2.1' });
  });

  it('keeps a with: key named __proto__ as data', () => {
    const values = JSON.parse('{"__proto__": {"polluted": "{{ alert.id }}"}}') as Record<string, unknown>;
    const out = renderInputs(values, context);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('checkTemplate', () => {
  it('accepts plain text and good tags', () => {
    expect(checkTemplate('no tags at all }}')).toEqual([]);
    expect(checkTemplate('{{ alert.entities.source.ip | default: "x" | upper }} and {{ steps.block-1.status }}')).toEqual([]);
  });

  it.each([
    ['{{ alert.id', '"{{" at character 1 is not closed with "}}"'],
    ['x {{ }}', '{{ }} names no field'],
    ['{{ alert.id | trim }}', '{{ alert.id | trim }}: unknown filter "trim"; the filters are default, upper, lower, json, first, join'],
    ['{{ alert.id | default }}', '{{ alert.id | default }}: the filter "default" needs an argument, as in default: "unknown"'],
    ['{{ alert.id | upper: "x" }}', '{{ alert.id | upper: "x" }}: the filter "upper" takes no argument'],
    ['{{ alert.id | join: x }}', '{{ alert.id | join: x }}: the argument of "join" must be a quoted string or a number, got "x"'],
    ['{{ alert.id | default: "x }}', 'the quote at character 24 is not closed'],
    ['{{ alert..id }}', '{{ alert..id }}: "alert..id" is not a field path (dotted names of letters, digits, _, - and @)'],
    ['{{ alert["id"] }}', '{{ alert["id"] }}: "alert["id"]" is not a field path (dotted names of letters, digits, _, - and @)'],
    ['{{ process.env.HOME }}', '{{ process.env.HOME }}: "process.env.HOME" starts with "process"; a path starts with one of alert, incident, playbook, run, steps, consoleUrl'],
    ['{{ constructor.constructor }}', '{{ constructor.constructor }}: "constructor.constructor" names "constructor", which is never a field'],
    ['{{ alert.{{ id }} }}', '"{{" inside the tag that starts at character 1'],
    ['{{ alert.id | }}', '{{ alert.id | }}: an empty filter after "|"'],
  ])('reports %s', (template, message) => {
    expect(checkTemplate(template)).toEqual([{ message }]);
  });

  it('refuses a value over 4 KiB', () => {
    expect(checkTemplate('x'.repeat(4096))).toEqual([]);
    expect(checkTemplate('é'.repeat(2049))).toEqual([{ message: 'the value has 4098 bytes; a value of with: is limited to 4096' }]);
  });
});
