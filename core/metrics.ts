import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Creates the Prometheus registry of one process. Components receive it and register their own
 * metrics named `watchpost_<noun>_<unit>_total` with bounded labels (never an IP or a message).
 * A registry per process (not prom-client's global) keeps tests and roles independent.
 */
export function createMetricsRegistry(options: { readonly defaultMetrics?: boolean; readonly role?: string } = {}): Registry {
  const registry = new Registry();
  if (options.role) registry.setDefaultLabels({ role: options.role });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'watchpost_' });
  return registry;
}

export type { Registry } from 'prom-client';
