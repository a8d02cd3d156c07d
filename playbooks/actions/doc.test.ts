import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderDriversDoc } from './doc.js';
import { DRIVER_TYPES } from './index.js';

describe('docs/drivers.md', () => {
  it('is exactly what the schemas render (run `npm run docs:drivers` after changing a driver)', () => {
    expect(readFileSync(new URL('../../docs/drivers.md', import.meta.url), 'utf8')).toBe(renderDriversDoc());
  });

  it('documents every driver type and every action once, and names credentials without values', () => {
    const doc = renderDriversDoc();
    for (const driver of DRIVER_TYPES) expect(doc.split(`### \`${driver.type}\``).length - 1).toBe(1);
    for (const action of ['block-ip', 'unblock-ip', 'disable-account', 'enable-account', 'notify', 'create-ticket']) {
      expect(doc).toContain(`### \`${action}\``);
    }
    expect(new Set(DRIVER_TYPES.map((d) => d.type)).size).toBe(DRIVER_TYPES.length);
  });
});
