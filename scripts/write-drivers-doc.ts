import { writeFileSync } from 'node:fs';
import { renderDriversDoc } from '../playbooks/actions/doc.js';

writeFileSync(new URL('../docs/drivers.md', import.meta.url), renderDriversDoc());
