import { Badge, Group, Stack, Text, Tooltip } from '@mantine/core';
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

/** The clock's text where room is short: `3h 12m` left, `late 5m`, `met`, `missed`. */
export function compactClockText(clock: Clock, now: number): string {
  const due = Date.parse(clock.dueAt);
  switch (clock.state) {
    case 'met':
    case 'missed':
      return clock.state;
    case 'breached':
      return `late ${formatDuration(now - due)}`;
    case 'ok':
    case 'warning':
      return due > now ? formatDuration(due - now) : `late ${formatDuration(now - due)}`;
  }
}

const NAMES: Readonly<Record<string, string>> = { Ack: 'Acknowledge', Resolve: 'Resolve' };

/**
 * One SLA clock as a badge: counting (blue), warning (yellow), breached or missed (red), met (green).
 * `compact` (the list) shows `Ack 3h 12m`; the tooltip and the accessible name always say it in full.
 */
export function SlaClockBadge({ label, clock, now, compact = false }: { readonly label: string; readonly clock: Clock; readonly now: number; readonly compact?: boolean }) {
  // A running clock may cross its due time between two reads of the API: say so without waiting.
  const overdue = (clock.state === 'ok' || clock.state === 'warning') && Date.parse(clock.dueAt) <= now;
  const color = overdue ? 'red' : COLORS[clock.state];
  const text = clockText(clock, now);
  const detail = `${NAMES[label] ?? label} SLA: ${text}; target ${formatDuration(clock.targetMs)}, due ${formatTime(clock.dueAt)}${clock.stoppedAt ? `, stopped ${formatTime(clock.stoppedAt)}` : ''}`;
  return (
    <Tooltip label={detail}>
      <Badge
        color={color}
        variant={overdue || clock.state === 'breached' || clock.state === 'missed' ? 'filled' : 'light'}
        size="sm"
        tabIndex={0}
        aria-label={compact ? detail : undefined}
        styles={{ root: { flexShrink: 0, maxWidth: 'none' }, label: { textTransform: 'none', overflow: 'visible' } }}
      >
        {label} {compact ? compactClockText(clock, now) : text}
      </Badge>
    </Tooltip>
  );
}

/** Both clocks of an incident, with a plain "SLA breached" flag first when either is late. */
export function SlaClocks({ sla, now, compact = false }: { readonly sla: Sla; readonly now: number; readonly compact?: boolean }) {
  const clocks = (
    <>
      {sla.breached ? (
        <Text span size="xs" fw={700} c="red" aria-label="SLA breached" style={{ whiteSpace: 'nowrap' }}>
          ⚠ Breached
        </Text>
      ) : null}
      <SlaClockBadge label="Ack" clock={sla.acknowledge} now={now} compact={compact} />
      <SlaClockBadge label="Resolve" clock={sla.resolve} now={now} compact={compact} />
    </>
  );
  // Compact (a list column): one clock a line, so the column stays narrow and nothing is cut.
  return compact ? (
    <Stack gap={2} align="flex-start">
      {clocks}
    </Stack>
  ) : (
    <Group gap={4} wrap="nowrap">
      {clocks}
    </Group>
  );
}
