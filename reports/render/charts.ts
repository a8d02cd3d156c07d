/**
 * The report's charts, drawn by ECharts' server-side SVG renderer (no DOM, no canvas, no browser)
 * and embedded by pdfmake as vector graphics. A chart with nothing to show is not drawn at all —
 * the document says so in words instead of printing an empty frame with a meaningless axis.
 *
 * Labels that come from outside (rule titles) are shortened here and escaped by ECharts when it
 * writes the SVG; the SVG never carries links or images, and pdfmake is told to refuse both.
 */
import { BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import type { EChartsCoreOption } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import type { Severity } from '../../core/cases/types.js';
import type { WeeklyFigures } from '../../core/reports/types.js';
import { SEVERITY_COLOR, SEVERITY_ORDER, dayLabel, nonNegative, plain, severityLabel, tacticLabel } from './format.js';

echarts.use([BarChart, GridComponent, LegendComponent, SVGRenderer]);

/** An SVG document and the size it was drawn at (PDF points: pdfmake reads SVG units as points). */
export interface ChartSvg {
  readonly svg: string;
  readonly width: number;
  readonly height: number;
}

/** The text width of an A4 page between the report's margins. */
export const CHART_WIDTH = 515;

/** Characters of a rule title or tactic kept as an axis label. */
const LABEL_CHARS = 38;

const TEXT = { fontFamily: 'Roboto', fontSize: 8, color: '#344054' } as const;
const AXIS_LINE = { lineStyle: { color: '#98a2b3' } } as const;
const SPLIT_LINE = { lineStyle: { color: '#eaecf0' } } as const;

/**
 * The scripts Roboto draws (Latin, Greek, Cyrillic, general punctuation, currency signs). The SVG
 * converter lays a label out glyph by glyph, and a missing glyph there collides with the bars
 * instead of showing as a box: such characters become "?" in chart labels (the tables beside the
 * charts print the full name).
 */
const DRAWABLE = /[^\u0020-\u024f\u0370-\u052f\u1e00-\u1eff\u2000-\u206f\u20a0-\u20cf]/gu;

function label(value: string): string {
  return plain(value, LABEL_CHARS).replace(DRAWABLE, '?');
}

/** Draws one chart and releases it: SSR instances hold no DOM, but they hold memory until disposed. */
function draw(option: EChartsCoreOption, width: number, height: number): ChartSvg {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, silent: true, textStyle: TEXT, ...option });
    // The hover rules ECharts adds in a <style> block mean nothing on paper, and the SVG-to-PDF
    // converter does not read CSS: dropping them keeps the input to what it understands.
    const svg = chart.renderToSVGString().replace(/<style[\s\S]*?<\/style>/g, '');
    return { svg, width, height };
  } finally {
    chart.dispose();
  }
}

/** Alerts per local day of the week, stacked by severity; undefined when the week had none. */
export function alertsPerDayChart(figures: WeeklyFigures): ChartSvg | undefined {
  const days = figures.alerts.byDay.slice(0, 7);
  const total = days.reduce((sum, day) => sum + SEVERITY_ORDER.reduce((s, severity) => s + nonNegative(day.counts[severity]), 0), 0);
  if (total === 0) return undefined;
  // Least severe at the bottom, so the critical slice sits on top where the eye lands.
  const stackOrder = [...SEVERITY_ORDER].reverse();
  return draw(
    {
      legend: { top: 0, itemWidth: 10, itemHeight: 8, textStyle: TEXT, data: SEVERITY_ORDER.map(severityLabel) },
      grid: { left: 44, right: 12, top: 28, bottom: 24 },
      xAxis: { type: 'category', data: days.map((day) => dayLabel(day.date)), axisLine: AXIS_LINE, axisTick: { show: false }, axisLabel: TEXT },
      yAxis: { type: 'value', minInterval: 1, axisLabel: TEXT, splitLine: SPLIT_LINE },
      series: stackOrder.map((severity) => ({
        name: severityLabel(severity),
        type: 'bar',
        stack: 'alerts',
        barWidth: '55%',
        itemStyle: { color: SEVERITY_COLOR[severity] },
        data: days.map((day) => nonNegative(day.counts[severity])),
      })),
    },
    CHART_WIDTH,
    200,
  );
}

/** Alerts per severity, last week in grey beside this week in the severity's colour; undefined when both weeks had none. */
export function severityComparisonChart(figures: WeeklyFigures): ChartSvg | undefined {
  const now = SEVERITY_ORDER.map((severity) => nonNegative(figures.alerts.bySeverity[severity]));
  const before = SEVERITY_ORDER.map((severity) => nonNegative(figures.alerts.previousBySeverity[severity]));
  if ([...now, ...before].every((n) => n === 0)) return undefined;
  const label = { show: true, position: 'top', fontFamily: TEXT.fontFamily, fontSize: 7, color: '#475467' } as const;
  return draw(
    {
      grid: { left: 44, right: 12, top: 16, bottom: 24 },
      xAxis: { type: 'category', data: SEVERITY_ORDER.map(severityLabel), axisLine: AXIS_LINE, axisTick: { show: false }, axisLabel: TEXT },
      yAxis: { type: 'value', minInterval: 1, axisLabel: TEXT, splitLine: SPLIT_LINE },
      series: [
        { name: 'Last week', type: 'bar', barGap: '10%', itemStyle: { color: '#d0d5dd' }, label, data: before },
        {
          name: 'This week',
          type: 'bar',
          label,
          data: now.map((value, i) => ({ value, itemStyle: { color: SEVERITY_COLOR[SEVERITY_ORDER[i] as Severity] } })),
        },
      ],
    },
    CHART_WIDTH,
    170,
  );
}

/** A horizontal bar per row, largest on top, labelled with its value. */
function horizontalBars(rows: readonly { readonly label: string; readonly value: number; readonly color: string }[]): ChartSvg {
  const shown = [...rows].reverse();
  const height = 30 + shown.length * 20;
  return draw(
    {
      grid: { left: 200, right: 48, top: 8, bottom: 20 },
      xAxis: { type: 'value', minInterval: 1, axisLabel: TEXT, splitLine: SPLIT_LINE },
      yAxis: { type: 'category', data: shown.map((row) => row.label), axisLine: AXIS_LINE, axisTick: { show: false }, axisLabel: { ...TEXT, interval: 0 } },
      series: [
        {
          type: 'bar',
          barWidth: 12,
          label: { show: true, position: 'right', fontFamily: TEXT.fontFamily, fontSize: 8, color: '#344054' },
          data: shown.map((row) => ({ value: row.value, itemStyle: { color: row.color } })),
        },
      ],
    },
    CHART_WIDTH,
    height,
  );
}

/** The most frequent rules by alerts, coloured by severity; undefined when no rule fired. */
export function topRulesChart(figures: WeeklyFigures, limit = 10): ChartSvg | undefined {
  const rows = figures.topRules
    .filter((rule) => nonNegative(rule.alerts) > 0)
    .slice(0, limit)
    .map((rule) => ({ label: label(rule.ruleTitle), value: nonNegative(rule.alerts), color: SEVERITY_COLOR[rule.severity] ?? '#667085' }));
  return rows.length === 0 ? undefined : horizontalBars(rows);
}

/** Alerts per ATT&CK tactic; undefined when no alert carried a tactic. */
export function tacticsChart(figures: WeeklyFigures, limit = 14): ChartSvg | undefined {
  const rows = figures.tactics
    .filter((tactic) => nonNegative(tactic.alerts) > 0)
    .slice(0, limit)
    .map((tactic) => ({ label: label(tacticLabel(tactic.tactic)), value: nonNegative(tactic.alerts), color: '#4e5ba6' }));
  return rows.length === 0 ? undefined : horizontalBars(rows);
}
