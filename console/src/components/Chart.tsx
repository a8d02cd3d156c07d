import { Box, useComputedColorScheme } from '@mantine/core';
import { BarChart, HeatmapChart, LineChart, PieChart, ScatterChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import { init, use as registerEcharts, type EChartsCoreOption, type ECharts } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

// Modular echarts keeps the first load small: only the chart kinds the console draws. The SVG
// renderer is crisp at small sizes, scales with zoom and also renders under jsdom in tests.
registerEcharts([
  BarChart,
  LineChart,
  ScatterChart,
  HeatmapChart,
  PieChart,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  SVGRenderer,
]);

/** Props of {@link Chart}. */
export interface ChartProps {
  /** The echarts option; replaced (not merged) whenever it changes. */
  readonly option: EChartsCoreOption;
  /** What the chart shows, for screen readers (the container is an `img` with this label). */
  readonly label: string;
  /** CSS height. @defaultValue 220 */
  readonly height?: number | string;
  /** Called with a clicked data item (series name, data name, value), e.g. to open a filtered list. */
  readonly onItemClick?: (item: { seriesName?: string; name?: string; value?: unknown }) => void;
}

/**
 * An echarts chart that follows the Mantine colour scheme: it is created on mount, re-created when
 * the scheme flips (echarts themes are fixed at init), resized with its container and disposed on
 * unmount. The background stays transparent so the chart sits on the card behind it.
 */
export function Chart({ option, label, height = 220, onItemClick }: ChartProps) {
  const scheme = useComputedColorScheme('light');
  const ref = useRef<HTMLDivElement>(null);
  const chartRef = useRef<ECharts | null>(null);
  const clickRef = useRef(onItemClick);
  useEffect(() => {
    clickRef.current = onItemClick;
  }, [onItemClick]);

  useEffect(() => {
    const element = ref.current;
    if (!element) return undefined;
    const chart = init(element, scheme === 'dark' ? 'dark' : undefined, { renderer: 'svg' });
    chartRef.current = chart;
    chart.on('click', (params: { seriesName?: string; name?: string; value?: unknown }) => {
      clickRef.current?.({ seriesName: params.seriesName, name: params.name, value: params.value });
    });
    const observer = new ResizeObserver(() => chart.resize());
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.dispose();
      chartRef.current = null;
    };
  }, [scheme]);

  useEffect(() => {
    chartRef.current?.setOption(
      { backgroundColor: 'transparent', ...option },
      { notMerge: true },
    );
  }, [option, scheme]);

  // echarts writes its own aria-label on the element it draws in, so the label sits on a wrapper.
  return (
    <Box role="img" aria-label={label} data-testid="chart">
      <div ref={ref} style={{ width: '100%', height }} />
    </Box>
  );
}
