import { readFileSync } from 'node:fs';
import type { EnrichListConfig } from '../../../core/config/ingest.js';
import { UserError } from '../../../core/errors.js';
import type { Enricher } from '../enricher.js';
import { canonicalIp, IpSet } from '../ip-set.js';

/** One compiled list: its tag, its addresses and networks, its domains. */
interface CompiledList {
  readonly tag: string;
  readonly addresses: IpSet;
  readonly domains: ReadonlySet<string>;
}

/** Where an entry came from, for the error that names a bad one. */
function invalid(list: EnrichListConfig, entry: string, where: string): UserError {
  return new UserError('WATCHPOST_ERR_CONFIG_INVALID', `ingest.enrich.lists "${list.name}": "${entry}" (${where}) is not an IP address, CIDR network or domain`);
}

/** Lines of a list file: one entry per line, `#` starts a comment, blank lines ignored. */
export function readListFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError('WATCHPOST_ERR_CONFIG_READ', `cannot read list file ${path}: ${(error as Error).message}`);
  }
  return text
    .split('\n')
    .map((line) => (line.includes('#') ? line.slice(0, line.indexOf('#')) : line).trim())
    .filter((line) => line !== '');
}

const DOMAIN = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/** Compiles a list; throws a UserError naming the first bad entry. */
export function compileList(list: EnrichListConfig): CompiledList {
  const addresses = new IpSet();
  const domains = new Set<string>();
  const add = (entry: string, where: string, kind: 'address' | 'domain' | 'any'): void => {
    const slash = entry.indexOf('/');
    if (kind !== 'domain' && slash > 0) {
      const network = canonicalIp(entry.slice(0, slash));
      const prefix = Number(entry.slice(slash + 1));
      const max = network?.family === 'ipv4' ? 32 : 128;
      if (!network || !/^\d{1,3}$/.test(entry.slice(slash + 1)) || prefix > max) throw invalid(list, entry, where);
      addresses.addSubnet(network.ip, prefix, network.family);
      return;
    }
    const address = kind !== 'domain' ? canonicalIp(entry) : undefined;
    if (address) {
      addresses.addAddress(address.ip, address.family);
      return;
    }
    const domain = entry.toLowerCase().replace(/\.$/, '');
    if (kind === 'address' || !DOMAIN.test(domain)) throw invalid(list, entry, where);
    domains.add(domain);
  };
  for (const cidr of list.cidrs) add(cidr, 'cidrs', 'address');
  for (const ip of list.ips) add(ip, 'ips', 'address');
  for (const domain of list.domains) add(domain, 'domains', 'domain');
  if (list.file !== undefined) for (const entry of readListFile(list.file)) add(entry, list.file, 'any');
  return { tag: list.tag, addresses, domains };
}

/** True when `name` or one of its parent domains is in the set. */
function domainListed(domains: ReadonlySet<string>, name: string): boolean {
  let candidate = name.toLowerCase();
  if (candidate.endsWith('.')) candidate = candidate.slice(0, -1);
  for (;;) {
    if (domains.has(candidate)) return true;
    const dot = candidate.indexOf('.');
    if (dot < 0) return false;
    candidate = candidate.slice(dot + 1);
  }
}

function ipListed(list: CompiledList, text: string | undefined): boolean {
  return typeof text === 'string' && !list.addresses.empty && list.addresses.has(text);
}

/**
 * Lists: adds a list's tag to `tags` when source.ip or destination.ip falls in its addresses or
 * networks (IPv4 and IPv6), or url.domain, destination.domain or dns.question.name is one of its
 * domains or a subdomain of one. Lists are compiled once, at construction; a bad entry is a
 * UserError there, never an event-time failure.
 */
export function createListsEnricher(lists: readonly EnrichListConfig[]): Enricher {
  const compiled = lists.map(compileList);
  const anyDomains = compiled.some((list) => list.domains.size > 0);
  return {
    id: 'lists',
    enrich(event) {
      if (compiled.length === 0) return event;
      const domains = anyDomains
        ? [event.url?.domain, event.destination?.domain, event.dns?.question?.name].filter((name): name is string => typeof name === 'string' && name !== '')
        : [];
      let tags: string[] | undefined;
      for (const list of compiled) {
        const hit =
          ipListed(list, event.source?.ip) ||
          ipListed(list, event.destination?.ip) ||
          (list.domains.size > 0 && domains.some((name) => domainListed(list.domains, name)));
        if (!hit) continue;
        tags ??= [...(event.tags ?? [])];
        if (!tags.includes(list.tag)) tags.push(list.tag);
      }
      return tags ? Object.assign({}, event, { tags }) : event;
    },
  };
}
