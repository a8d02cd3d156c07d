import { writeFileSync } from 'node:fs';
import { renderConfigDoc } from '../core/config/doc.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigDoc());
