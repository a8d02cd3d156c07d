import { Group, NativeSelect, TextInput } from '@mantine/core';

/** The relative ranges offered, and their length. */
export const PRESETS = [
  { value: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
] as const;
export const DEFAULT_PRESET = '24h';

/** The from–to of a preset ending now, as ISO-8601 UTC. */
export function presetRange(preset: string, now = Date.now()): { from: string; to: string } {
  const ms = PRESETS.find((p) => p.value === preset)?.ms ?? 86_400_000;
  return { from: new Date(now - ms).toISOString(), to: new Date(now).toISOString() };
}

/** `datetime-local` input text (the browser's zone) of an ISO instant, and back. */
function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
function fromLocalInput(text: string): string | undefined {
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Props of {@link TimePicker}. */
export interface TimePickerProps {
  readonly preset: string;
  readonly from: string;
  readonly to: string;
  readonly onChange: (range: { preset: string; from: string; to: string }) => void;
}

/** Last 15 min / hour / 24 h / 7 days, or a custom from–to in the browser's time zone. */
export function TimePicker({ preset, from, to, onChange }: TimePickerProps) {
  return (
    <Group gap={4} align="flex-end" wrap="nowrap">
      <NativeSelect
        label="Time range"
        size="xs"
        w={150}
        value={preset}
        data={[...PRESETS.map((p) => ({ value: p.value, label: p.label })), { value: 'custom', label: 'Custom…' }]}
        onChange={(event) => {
          const value = event.currentTarget.value;
          onChange(value === 'custom' ? { preset: 'custom', from, to } : { preset: value, ...presetRange(value) });
        }}
      />
      {preset === 'custom' ? (
        <>
          <TextInput
            type="datetime-local"
            label="From"
            size="xs"
            w={190}
            value={toLocalInput(from)}
            onChange={(event) => {
              const next = fromLocalInput(event.currentTarget.value);
              if (next) onChange({ preset: 'custom', from: next, to });
            }}
          />
          <TextInput
            type="datetime-local"
            label="To"
            size="xs"
            w={190}
            value={toLocalInput(to)}
            onChange={(event) => {
              const next = fromLocalInput(event.currentTarget.value);
              if (next) onChange({ preset: 'custom', from, to: next });
            }}
          />
        </>
      ) : null}
    </Group>
  );
}
