import { Group, Text } from '@mantine/core';
import { useMemo, useRef } from 'react';
import { Chart } from '../../components/Chart';
import type { HistogramAnswer } from './api';

// The chart's plot area, fixed so a drag over the container maps to buckets.
const GRID = { left: 48, right: 12, top: 12, bottom: 28 };

/** Props of {@link Histogram}. */
export interface HistogramProps {
  readonly data: HistogramAnswer;
  /** Narrows the search to [from, to). */
  readonly onRange: (from: string, to: string) => void;
}

function label(iso: string, intervalMs: number): string {
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return intervalMs >= 86_400_000 ? `${date.getMonth() + 1}/${date.getDate()}` : intervalMs >= 3_600_000 ? `${date.getMonth() + 1}/${date.getDate()} ${time}` : time;
}

/**
 * Matching events per interval. Click a bar to search that interval; drag across bars to search
 * the span they cover (the time picker and the URL follow).
 */
export function Histogram({ data, onRange }: HistogramProps) {
  const box = useRef<HTMLDivElement>(null);
  const dragFrom = useRef<number | undefined>(undefined);
  const total = data.buckets.reduce((sum, bucket) => sum + bucket.count, 0);
  const option = useMemo(
    () => ({
      grid: GRID,
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: data.buckets.map((b) => b.start), axisLabel: { formatter: (value: string) => label(value, data.intervalMs) } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ name: 'Events', type: 'bar', data: data.buckets.map((b) => b.count), barCategoryGap: '10%' }],
    }),
    [data],
  );

  /** The bucket under a page x, by the plot area's geometry. */
  const bucketAt = (clientX: number): number | undefined => {
    const rect = box.current?.getBoundingClientRect();
    if (!rect || rect.width <= GRID.left + GRID.right || data.buckets.length === 0) return undefined;
    const x = clientX - rect.left - GRID.left;
    const width = rect.width - GRID.left - GRID.right;
    return Math.min(data.buckets.length - 1, Math.max(0, Math.floor((x / width) * data.buckets.length)));
  };
  const span = (first: number, last: number) => {
    const a = data.buckets[Math.min(first, last)];
    const b = data.buckets[Math.max(first, last)];
    if (a && b) onRange(a.start, new Date(Date.parse(b.start) + data.intervalMs).toISOString());
  };

  return (
    <div>
      <Group justify="space-between">
        <Text size="xs" c="dimmed">
          {total.toLocaleString()} events · one bar per {Math.round(data.intervalMs / 1000)}s · click a bar or drag across bars to narrow the time
        </Text>
      </Group>
      <div
        ref={box}
        onMouseDown={(event) => {
          dragFrom.current = event.clientX;
        }}
        onMouseUp={(event) => {
          const start = dragFrom.current;
          dragFrom.current = undefined;
          if (start === undefined || Math.abs(event.clientX - start) < 8) return;
          const first = bucketAt(start);
          const last = bucketAt(event.clientX);
          if (first !== undefined && last !== undefined) span(first, last);
        }}
        style={{ userSelect: 'none' }}
      >
        <Chart
          option={option}
          label={`Histogram of ${total} matching events from ${data.from} to ${data.to}`}
          height={140}
          onItemClick={(item) => {
            const index = data.buckets.findIndex((bucket) => bucket.start === item.name);
            if (index >= 0) span(index, index);
          }}
        />
      </div>
    </div>
  );
}
