import { Badge, Group, Text, Tooltip } from '@mantine/core';
import { useEffect, useState } from 'react';
import { formatDuration, formatTime } from './format';
import type { Sla, SlaClock as Clock } from './types';

const COLORS: Readonly<Record<Clock['state'], string>> = { ok: 'blue', warning: 'yellow', breached: 'red', met: 'green', missed: 'red' };

/** The current time, advanced every `everyMs`, so running clocks count down on screen. */
export function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** What a clock says now: time left while it runs, how late once breached, met or missed once stopped. */
export function clockText(clock: Clock, now: number): string {
  const due = Date.parse(clock.dueAt);
  switch (clock.state) {
    case 'met':
      return 'met';
    case 'missed':
      return 'missed';
    case 'breached':
      return `breached ${formatDuration(now - due)} ago`;
    case 'ok':
    case 'warning':
      return due > now ? `${formatDuration(due - now)} left` : `breached ${formatDuration(now - due)} ago`;
  }
}

/** One SLA clock as a badge: counting (blue), warning (yellow), breached or missed (red), met (green). */
export function SlaClockBadge({ label, clock, now }: { readonly label: string; readonly clock: Clock; readonly now: number }) {
  // A running clock may cross its due time between two reads of the API: say so without waiting.
  const overdue = (clock.state === 'ok' || clock.state === 'warning') && Date.parse(clock.dueAt) <= now;
  const color = overdue ? 'red' : COLORS[clock.state];
  const text = clockText(clock, now);
  return (
    <Tooltip label={`${label}: target ${formatDuration(clock.targetMs)}, due ${formatTime(clock.dueAt)}${clock.stoppedAt ? `, stopped ${formatTime(clock.stoppedAt)}` : ''}`}>
      <Badge color={color} variant={overdue || clock.state === 'breached' || clock.state === 'missed' ? 'filled' : 'light'} size="sm" tabIndex={0}>
        {label} {text}
      </Badge>
    </Tooltip>
  );
}

/** Both clocks of an incident, with a plain "SLA breached" flag first when either is late. */
export function SlaClocks({ sla, now }: { readonly sla: Sla; readonly now: number }) {
  return (
    <Group gap={4} wrap="nowrap">
      {sla.breached ? (
        <Text span size="xs" fw={700} c="red" aria-label="SLA breached">
          ⚠ Breached
        </Text>
      ) : null}
      <SlaClockBadge label="Ack" clock={sla.acknowledge} now={now} />
      <SlaClockBadge label="Resolve" clock={sla.resolve} now={now} />
    </Group>
  );
}
