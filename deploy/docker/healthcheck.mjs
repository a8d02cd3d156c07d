// Container health probe (the image's HEALTHCHECK): exits 0 when GET /api/health answers 200, 1
// otherwise. Node rather than curl because the slim runtime image has no curl. The address is
// WATCHPOST_HEALTH_URL when set, else derived from WATCHPOST_API__LISTEN (a wildcard host is probed
// on loopback), else Watchpost's default 127.0.0.1:8080. A role whose `api.listen` is set only in
// the YAML file must set one of the two variables.
const TIMEOUT_MS = 4000;

function healthUrl(env) {
  if (env.WATCHPOST_HEALTH_URL) return env.WATCHPOST_HEALTH_URL;
  const listen = env.WATCHPOST_API__LISTEN || '127.0.0.1:8080';
  const match = /^\[?([^\]]*)\]?:(\d+)$/.exec(listen);
  if (!match) return undefined;
  let host = match[1];
  if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
  else if (host === '::') host = '[::1]';
  else if (host.includes(':')) host = `[${host}]`;
  return `http://${host}:${match[2]}/api/health`;
}

const url = healthUrl(process.env);
if (!url) {
  process.stderr.write(`healthcheck: cannot parse WATCHPOST_API__LISTEN=${process.env.WATCHPOST_API__LISTEN}\n`);
  process.exit(1);
}
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  const body = await response.text();
  // The body names each backend's state (no secrets): useful in `docker inspect` health logs.
  process.stdout.write(`${response.status} ${body.slice(0, 500)}\n`);
  process.exit(response.status === 200 ? 0 : 1);
} catch (error) {
  process.stderr.write(`healthcheck: ${url}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
