import { describe, expect, it } from 'vitest';
import { describePlaybooksApi } from '../../../test/api/suites/playbooks.js';
import { toPlaybookView } from './index.js';

// The bodies live in the suite so that test/api/routes.int.test.ts can run them on Elasticsearch too.
describePlaybooksApi('sqlite');

describe('toPlaybookView', () => {
  it('copies the listed fields only, and the loader’s problems of a disabled playbook', () => {
    const view = toPlaybookView({
      id: 'p',
      title: 'P',
      enabled: false,
      dryRun: true,
      trigger: { on: 'incident' },
      steps: [{ id: 's', action: 'create-ticket', approval: 'auto', dryRun: true, secret: 'not shown' } as never],
      source: { file: 'p.yml', line: 4 },
      problems: [{ message: 'unknown driver servicenow-prod', path: 'steps.0.drivers.0', location: { file: 'p.yml', line: 9, col: 7 } } as never],
    });
    expect(view).toEqual({
      id: 'p',
      title: 'P',
      enabled: false,
      dryRun: true,
      trigger: { on: 'incident' },
      steps: [{ id: 's', action: 'create-ticket', approval: 'auto', dryRun: true }],
      source: { file: 'p.yml', line: 4 },
      problems: [{ message: 'unknown driver servicenow-prod', path: 'steps.0.drivers.0' }],
    });
  });
});
