import { Client } from '@elastic/elasticsearch';
import { readFileSync } from 'node:fs';
import type { ElasticsearchConfig } from '../../core/config/schema.js';
import { UserError } from '../../core/errors.js';

/**
 * Creates the Elasticsearch client from the `elasticsearch` config slice: the listed nodes only
 * (no sniffing: behind a load balancer or in a container the published addresses are often
 * unreachable), basic auth or an API key, an optional CA file, the per-request timeout.
 * Called by cli/ only; the stores receive the client and never close it.
 */
export function createElasticsearchClient(config: ElasticsearchConfig): Client {
  let ca: Buffer | undefined;
  if (config.caFile !== undefined) {
    try {
      ca = readFileSync(config.caFile);
    } catch (error) {
      throw new UserError('WATCHPOST_ERR_CONFIG_READ', `cannot read elasticsearch.caFile ${config.caFile}: ${(error as Error).message}`, {
        cause: error,
        problems: [{ message: 'cannot read the CA file', path: 'elasticsearch.caFile' }],
      });
    }
  }
  const auth =
    config.apiKey !== undefined
      ? { apiKey: config.apiKey }
      : config.username !== undefined
        ? { username: config.username, password: config.password ?? '' }
        : undefined;
  return new Client({
    nodes: config.nodes,
    ...(auth ? { auth } : {}),
    ...(ca ? { tls: { ca } } : {}),
    requestTimeout: config.requestTimeoutMs,
    sniffOnStart: false,
    sniffInterval: false,
    sniffOnConnectionFault: false,
  });
}
