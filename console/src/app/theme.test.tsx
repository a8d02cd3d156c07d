import { DEFAULT_THEME, mergeMantineTheme } from '@mantine/core';
import { describe, expect, it } from 'vitest';
import { contrast, cssVariablesResolver, ink, theme } from './theme';

const merged = mergeMantineTheme(DEFAULT_THEME, theme);

describe('the console theme', () => {
  it('measures contrast as WCAG does', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#228be6', '#ffffff')).toBeCloseTo(3.56, 2);
    expect(contrast('#ffffff', '#228be6')).toBeCloseTo(3.56, 2);
  });

  it('gives every colour a text shade that reads at AA on its light tint, the stripes and white', () => {
    const { light } = cssVariablesResolver(merged);
    for (const [name, palette] of Object.entries(merged.colors)) {
      if (name === 'dark') continue;
      const text = light[`--mantine-color-${name}-light-color`] as string;
      expect(light[`--mantine-color-${name}-text`]).toBe(text);
      for (const background of [palette[1], merged.colors.gray[1], '#ffffff']) {
        expect(contrast(text, background), `${name} ${text} on ${background}`).toBeGreaterThanOrEqual(4.5);
      }
    }
    // Yellow has no such shade: it is darkened; blue's shade 9 already reads.
    expect(ink(merged.colors.yellow, ['#ffffff'])).not.toBe(merged.colors.yellow[9]);
    expect(ink(merged.colors.blue, [merged.colors.blue[1], '#ffffff'])).toBe(merged.colors.blue[9]);
  });

  it('keeps dimmed text at AA on the body and the table stripes of both themes', () => {
    const { light, dark } = cssVariablesResolver(merged);
    for (const background of ['#ffffff', merged.colors.gray[0], merged.colors.gray[1]]) expect(contrast(light['--mantine-color-dimmed'] as string, background)).toBeGreaterThanOrEqual(4.5);
    for (const background of [merged.colors.dark[7], merged.colors.dark[6]]) expect(contrast(dark['--mantine-color-dimmed'] as string, background)).toBeGreaterThanOrEqual(4.5);
  });

  it('puts white text on the primary fill at AA or better', () => {
    const shade = typeof merged.primaryShade === 'object' ? merged.primaryShade.light : merged.primaryShade;
    expect(contrast('#ffffff', merged.colors.blue[shade])).toBeGreaterThanOrEqual(4.5);
  });
});
