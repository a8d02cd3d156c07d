import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/**
 * GET /metrics: the Prometheus text exposition of this process's registry. Open, as scrapers
 * expect; metric labels are bounded and carry no event data.
 */
export async function metricsRoutes(app: FastifyInstance, options: { registry: Registry }): Promise<void> {
  app.get('/metrics', { config: { public: true }, schema: { summary: 'Prometheus metrics', tags: ['meta'], produces: ['text/plain'] } }, async (_request, reply) => {
    const body = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(body);
  });
}
