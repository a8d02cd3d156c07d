import { Code, Group, Paper, ScrollArea, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { EmptyState, QueryView } from '../../../components/States';
import { getAlertEvents } from '../api';
import type { Match } from '../types';
import { flatten, Highlighted } from './highlight';

/** Triggering events fetched for the detail (the newest kept ids first). */
const EVENTS_SHOWN = 20;

type EcsEvent = Record<string, unknown>;

/** A leaf value as text (objects as JSON). */
function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

function pick(event: EcsEvent, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), event);
}

/** Source and destination GeoIP (the enricher's `*.geo` fields). */
function GeoTable({ event }: { readonly event: EcsEvent }) {
  const sides = (['source', 'destination'] as const).map((side) => ({ side, ip: pick(event, `${side}.ip`), geo: pick(event, `${side}.geo`) as Record<string, unknown> | undefined }));
  if (sides.every((side) => side.ip === undefined)) return null;
  return (
    <Table withTableBorder>
      <caption style={{ captionSide: 'top', textAlign: 'left' }}>GeoIP</caption>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Side</Table.Th>
          <Table.Th>IP</Table.Th>
          <Table.Th>Country</Table.Th>
          <Table.Th>City</Table.Th>
          <Table.Th>Location</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {sides.map(({ side, ip, geo }) => {
          const location = geo?.location as { lat?: number; lon?: number } | undefined;
          return (
            <Table.Tr key={side}>
              <Table.Td>{side}</Table.Td>
              <Table.Td ff="monospace">{typeof ip === 'string' ? ip : '—'}</Table.Td>
              <Table.Td>{geo ? `${text(geo.country_name) || '—'}${geo.country_iso_code ? ` (${text(geo.country_iso_code)})` : ''}` : 'No GeoIP (private or unknown)'}</Table.Td>
              <Table.Td>{typeof geo?.city_name === 'string' ? geo.city_name : '—'}</Table.Td>
              <Table.Td>{location?.lat !== undefined ? `${location.lat}, ${location.lon}` : '—'}</Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

/** Every ECS field of the event, filterable by key or value; matched fields are marked. */
function FieldsTable({ event, matches }: { readonly event: EcsEvent; readonly matches: readonly Match[] }) {
  const [filter, setFilter] = useState('');
  const fields = useMemo(() => flatten(event).sort(([a], [b]) => a.localeCompare(b)), [event]);
  const matched = new Set(matches.map((match) => match.field));
  const needle = filter.trim().toLowerCase();
  const shown = needle ? fields.filter(([key, value]) => key.toLowerCase().includes(needle) || value.toLowerCase().includes(needle)) : fields;
  return (
    <Stack gap={4}>
      <TextInput size="xs" label="Filter fields" placeholder="source.ip, 203.0.113…" value={filter} onChange={(e) => setFilter(e.currentTarget.value)} w={260} />
      {/* A scrolled region must take the focus, or a keyboard user cannot scroll it. */}
      <ScrollArea.Autosize mah={420} viewportProps={{ tabIndex: 0, role: 'region', 'aria-label': 'ECS fields of the event' }}>
        <Table striped withTableBorder layout="fixed">
          <caption style={{ captionSide: 'top', textAlign: 'left' }}>ECS fields ({shown.length} of {fields.length})</caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w="35%">Field</Table.Th>
              <Table.Th>Value</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map(([key, value]) => (
              <Table.Tr key={key} data-matched={matched.has(key) || undefined}>
                <Table.Td ff="monospace" style={{ wordBreak: 'break-all' }}>
                  {matched.has(key) ? <mark>{key}</mark> : key}
                </Table.Td>
                <Table.Td ff="monospace" style={{ wordBreak: 'break-all' }}>
                  {value}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea.Autosize>
    </Stack>
  );
}

/** The triggering events: raw line with the matched values marked, GeoIP, ECS fields. */
export function EventsPanel({ alertId, matches }: { readonly alertId: string; readonly matches: readonly Match[] }) {
  const query = useQuery({ queryKey: ['alert', alertId, 'events'], queryFn: () => getAlertEvents(alertId, EVENTS_SHOWN) });
  const [index, setIndex] = useState(0);
  const values = matches.map((match) => match.value);
  return (
    <Paper withBorder p="sm">
      <Stack gap={6}>
        <Title order={2} size="h5">
          Triggering events
        </Title>
        <QueryView
          query={query}
          loadingLabel="Loading events…"
          empty={(data) =>
            data.events.length === 0 ? (
              <EmptyState title="No triggering event is stored">
                {data.missing.length > 0 ? `${data.missing.length} event(s) are past retention.` : 'The alert kept no event ids.'}
              </EmptyState>
            ) : null
          }
        >
          {(data) => {
            const event = data.events[Math.min(index, data.events.length - 1)] as EcsEvent;
            const raw = pick(event, 'event.original');
            return (
              <Stack gap={8}>
                <Group gap="sm">
                  {data.events.length > 1 ? (
                    <Select
                      size="xs"
                      label="Event"
                      w={320}
                      allowDeselect={false}
                      value={String(index)}
                      onChange={(value) => setIndex(Number(value ?? 0))}
                      data={data.events.map((item, i) => ({ value: String(i), label: `${text(pick(item, '@timestamp'))} · ${text(pick(item, 'event.id')) || i}` }))}
                    />
                  ) : null}
                  <Text size="xs" c="dimmed">
                    {data.events.length} shown{data.missing.length > 0 ? `, ${data.missing.length} past retention` : ''}
                    {data.eventIdsTruncated ? '; the alert counted more matches than it keeps ids of' : ''}
                  </Text>
                </Group>
                <Text size="sm" fw={500} id="raw-line-label">
                  Raw line (event.original), matched values marked
                </Text>
                <Code block aria-labelledby="raw-line-label" data-testid="raw-line" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
                  {typeof raw === 'string' ? <Highlighted text={raw} values={values} /> : 'This event has no event.original.'}
                </Code>
                <GeoTable event={event} />
                <FieldsTable event={event} matches={matches} />
              </Stack>
            );
          }}
        </QueryView>
      </Stack>
    </Paper>
  );
}
