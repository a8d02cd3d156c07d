import { describe, expect, it } from 'vitest';
import { eventContext } from '../query/event-context.js';
import { entitiesOf } from './entities.js';

describe('entitiesOf', () => {
  it('takes the first string or number of each entity field the event holds', () => {
    const event = {
      source: { ip: '203.0.113.7', port: 4444 },
      'destination.ip': '198.51.100.2',
      user: { name: '' },
      host: { name: ['web-1', 'web-1.example.com'] },
      file: { hash: { sha256: 'ab'.repeat(32) } },
      process: { name: null },
      message: 'not an entity',
    };
    expect(entitiesOf(eventContext(event))).toEqual({
      'source.ip': '203.0.113.7',
      'destination.ip': '198.51.100.2',
      'host.name': 'web-1',
      'file.hash.sha256': 'ab'.repeat(32),
    });
  });

  it('cuts a value past 4096 characters and reads only the fields asked for', () => {
    const entities = entitiesOf(eventContext({ file: { path: `/${'a'.repeat(5000)}` }, 'user.name': 'root' }), ['file.path']);
    expect(Object.keys(entities)).toEqual(['file.path']);
    expect(String(entities['file.path'])).toHaveLength(4096);
  });
});
