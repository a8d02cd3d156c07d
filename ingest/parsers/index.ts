import { ACCESS_PARSERS } from './groups/access.js';
import { ANTIVIRUS_PARSERS } from './groups/antivirus.js';
import { FIREWALL_A_PARSERS } from './groups/firewall-a.js';
import { FIREWALL_B_PARSERS } from './groups/firewall-b.js';
import { GENERIC_PARSERS } from './groups/generic.js';
import { WEB_PARSERS } from './groups/web.js';
import type { Parser } from './parser.js';

/**
 * Every parser, listed by hand in routing order (no registration by import side effect): the
 * vendor formats first, grouped by family in groups/, the generic ones (CEF, LEEF, key=value,
 * JSON lines) last so a vendor format that happens to be CEF is claimed by its own parser.
 */
export const PARSERS: readonly Parser[] = [
  ...ACCESS_PARSERS,
  ...WEB_PARSERS,
  ...FIREWALL_A_PARSERS,
  ...FIREWALL_B_PARSERS,
  ...ANTIVIRUS_PARSERS,
  ...GENERIC_PARSERS,
];
