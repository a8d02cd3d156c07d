import type { EChartsCoreOption } from 'echarts/core';
import { SEVERITY_COLOURS, type AlertStatsResponse, type Severity } from './overviewApi';

const SEVERITIES = Object.keys(SEVERITY_COLOURS) as Severity[];

function label(iso: string, bucket: string): string {
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${date.getMonth() + 1}-${pad(date.getDate())}`;
  return bucket === '1d' ? day : `${day} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Stacked bars: alerts per bucket by severity, most severe on top. */
export function severityBarsOption(stats: AlertStatsResponse): EChartsCoreOption {
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0, itemWidth: 10, itemHeight: 10, textStyle: { fontSize: 11 } },
    grid: { left: 36, right: 8, top: 28, bottom: 24 },
    xAxis: { type: 'category', data: stats.buckets.map((b) => label(b.start, stats.bucket)), axisLabel: { fontSize: 10 } },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: 10 } },
    series: SEVERITIES.map((severity) => ({
      name: severity,
      type: 'bar',
      stack: 'alerts',
      itemStyle: { color: SEVERITY_COLOURS[severity] },
      emphasis: { focus: 'series' },
      data: stats.buckets.map((b) => b.counts[severity]),
    })),
  };
}
