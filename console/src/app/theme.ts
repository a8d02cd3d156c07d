import { createTheme, type CSSVariablesResolver, type MantineTheme } from '@mantine/core';

/** Dense and calm: small default sizes for tables of alerts, one accent colour, system fonts. */
export const theme = createTheme({
  primaryColor: 'blue',
  defaultRadius: 'sm',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  fontFamilyMonospace: 'ui-monospace, "SF Mono", Menlo, Consolas, monospace',
  // Filled surfaces (buttons, badges) get black or white text, whichever contrasts more: 0.179 is
  // the luminance at which both give the same ratio (4.58:1), so the choice never falls below it.
  // Shade 8 keeps the accent dark enough for white text in both themes (blue-6 gives 3.6:1).
  primaryShade: { light: 8, dark: 8 },
  autoContrast: true,
  luminanceThreshold: 0.179,
  components: {
    Table: { defaultProps: { verticalSpacing: 4, horizontalSpacing: 'xs', fz: 'sm' } },
    Button: { defaultProps: { size: 'xs' } },
    // Mantine's close buttons are icon-only: without a name a screen reader says only "button".
    Modal: { defaultProps: { closeButtonProps: { 'aria-label': 'Close dialog' } } },
    Drawer: { defaultProps: { closeButtonProps: { 'aria-label': 'Close panel' } } },
  },
});

/** WCAG relative luminance of a #rrggbb colour. */
function luminance(hex: string): number {
  const [r = 0, g = 0, b = 0] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The WCAG contrast ratio of two #rrggbb colours. */
export function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** AA for normal text, with a little room for anti-aliasing. */
const TEXT_CONTRAST = 4.6;

/**
 * The first of a palette's shades 7 to 9 that reads at {@link TEXT_CONTRAST} on every given
 * background, or its shade 9 darkened until it does (yellow, lime and orange need that).
 */
export function ink(palette: readonly string[], backgrounds: readonly string[]): string {
  const fits = (hex: string) => backgrounds.every((background) => contrast(hex, background) >= TEXT_CONTRAST);
  const shade = [7, 8, 9].map((i) => palette[i] as string).find(fits);
  if (shade) return shade;
  const base = palette[9] as string;
  for (let keep = 0.95; keep > 0; keep -= 0.05) {
    const darker = `#${[1, 3, 5].map((i) => Math.round(parseInt(base.slice(i, i + 2), 16) * keep).toString(16).padStart(2, '0')).join('')}`;
    if (fits(darker)) return darker;
  }
  return '#000000';
}

/**
 * Colours Mantine derives from its palette that fall short of WCAG AA (4.5:1 for text) on the
 * console's surfaces, found by axe-core in Chromium (test/e2e/console/a11y.int.test.ts). In the
 * light theme, coloured text (`c="yellow"`, outline and light badges and buttons) uses shade 6 or 9
 * of palettes made for fills: yellow-9 on yellow-1 is 2.7:1, orange 3.6:1, green 3.8:1. Each
 * colour's text becomes its {@link ink} on its own light tint, the table stripes and white; dimmed
 * text (gray-6, 3.3:1) becomes #5c636a and links blue-8. In the dark theme only dimmed text falls
 * short (dark-2 on the dark-6 stripes, 3.5:1): #9a9a9a holds 4.8:1 there.
 */
export const cssVariablesResolver: CSSVariablesResolver = (current: MantineTheme) => {
  const light: Record<string, string> = {
    '--mantine-color-dimmed': '#5c636a',
    '--mantine-color-anchor': 'var(--mantine-color-blue-8)',
  };
  for (const [name, palette] of Object.entries(current.colors)) {
    if (name === 'dark') continue;
    const text = ink(palette, [palette[1], current.colors.gray[1], '#ffffff']);
    light[`--mantine-color-${name}-text`] = text;
    light[`--mantine-color-${name}-light-color`] = text;
    light[`--mantine-color-${name}-outline`] = text;
  }
  return { variables: {}, light, dark: { '--mantine-color-dimmed': '#9a9a9a' } };
};
