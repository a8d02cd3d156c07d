// A syslog load generator, run as its own process so its CPU time is not the receiver's.
//   node syslog-sender.mjs tcp <host> <port> <count>
//   node syslog-sender.mjs udp <host> <port> <count> <ratePerSecond>
// Messages are realistic RFC 3164 lines (~120 bytes) with a sequence number. Prints one JSON
// line with what was sent and how long it took.
import dgram from 'node:dgram';
import net from 'node:net';

const [transport, host, portText, countText, rateText] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);

function line(i) {
  return `<38>Nov 24 09:00:00 web01 sshd[4242]: Failed password for invalid user admin from 203.0.113.${i % 250} port ${10000 + (i % 50000)} ssh2 seq=${i}`;
}

async function tcp() {
  const socket = net.connect({ host, port });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const started = process.hrtime.bigint();
  const CHUNK = 512;
  for (let i = 0; i < count; i += CHUNK) {
    let text = '';
    for (let j = i; j < Math.min(count, i + CHUNK); j++) text += line(j) + '\n';
    if (!socket.write(text)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await new Promise((resolve) => socket.end(resolve));
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function udp() {
  const rate = Number(rateText);
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const started = process.hrtime.bigint();
  const TICK_MS = 10;
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  let sent = 0;
  while (sent < count) {
    const tickStart = Date.now();
    const end = Math.min(count, sent + perTick);
    for (; sent < end; sent++) socket.send(line(sent), port, host);
    const elapsed = Date.now() - tickStart;
    if (elapsed < TICK_MS) await new Promise((resolve) => setTimeout(resolve, TICK_MS - elapsed));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  socket.close();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const ms = transport === 'udp' ? await udp() : await tcp();
process.stdout.write(JSON.stringify({ transport, sent: count, ms }) + '\n');
