import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config/load.js';
import { hasCode } from '../core/errors.js';
import { MAX_LOGO_BYTES } from '../reports/index.js';
import { logoProblem, reportProblems, validateReports } from './validate-reports.js';

const dir = mkdtempSync(join(tmpdir(), 'wpt-validate-reports-'));
const png = join(dir, 'logo.png');
// A real 1×1 PNG: the check reads the image header, not only the signature.
writeFileSync(png, Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'));
const text = join(dir, 'logo.txt');
writeFileSync(text, 'not an image');
const huge = join(dir, 'huge.png');
writeFileSync(huge, Buffer.alloc(MAX_LOGO_BYTES + 1, 0x89));

const config = (yaml: string) => loadConfig({ text: yaml, env: {} });

describe('validate: reports', () => {
  it('accepts the defaults and says the report is kept but not mailed', () => {
    expect(validateReports(config(''))).toBe('weekly report: monday 07:00 UTC, kept, not mailed (no reports.mail.driver or recipients)');
  });

  it('accepts an smtp driver with recipients and a PNG logo', () => {
    const summary = validateReports(
      config(`organization: { name: Example, logo: ${png} }
response:
  drivers: [{ id: mailer, type: smtp, settings: { host: 127.0.0.1, from: "w <w@example.net>" } }]
reports:
  schedule: { day: tuesday, time: "08:30", timeZone: Europe/Berlin }
  mail: { driver: mailer, to: [soc@example.net] }
`),
    );
    expect(summary).toBe('weekly report: tuesday 08:30 Europe/Berlin, mailed to 1 through mailer');
  });

  it('names every problem at once: time zone, driver of another type, logo', () => {
    const problems = reportProblems(
      config(`organization: { logo: ${text} }
response:
  drivers: [{ id: hook, type: webhook, settings: { url: "https://example.net/" } }]
reports:
  schedule: { timeZone: Mars/Olympus }
  mail: { driver: hook, to: [soc@example.net] }
`),
    );
    expect(problems.map((problem) => problem.path)).toEqual(['reports.schedule.timeZone', 'reports.mail.driver', 'organization.logo']);
    expect(problems[1]?.message).toContain('type webhook');
    expect(problems[2]?.message).toContain('neither PNG nor JPEG');
    let thrown: unknown;
    try {
      validateReports(config('reports: { mail: { driver: missing } }'));
    } catch (error) {
      thrown = error;
    }
    expect(hasCode(thrown, 'WATCHPOST_ERR_CONFIG_INVALID')).toBe(true);
    expect((thrown as { problems: { message: string }[] }).problems.map((problem) => problem.message)).toEqual([
      'reports.mail.driver: no driver missing in response.drivers: name an smtp driver there',
    ]);
  });

  it('refuses a logo that is missing, too large or a directory', () => {
    expect(logoProblem(png)).toBeUndefined();
    expect(logoProblem(join(dir, 'absent.png'))).toContain('ENOENT');
    expect(logoProblem(huge)).toContain(`at most ${MAX_LOGO_BYTES}`);
    expect(logoProblem(dir)).toContain('not a file');
  });
});
