import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { renderConfigDoc } from './doc.js';

describe('docs/configuration.md', () => {
  it('is exactly what the schema renders (run `npm run docs:config` after changing the schema)', () => {
    expect(readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')).toBe(renderConfigDoc());
  });

  it('documents every key with its environment variable', () => {
    const doc = renderConfigDoc();
    expect(doc).toContain('| `api.listen` | string | `"127.0.0.1:8080"` | `WATCHPOST_API__LISTEN` |');
    expect(doc).toContain('`WATCHPOST_ELASTICSEARCH__NODES`');
  });
});
