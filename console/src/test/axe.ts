import axe, { type ImpactValue, type Result } from 'axe-core';

/** The impacts that fail a test: a moderate or minor finding is reported by the e2e audit only. */
const FAILING: readonly ImpactValue[] = ['serious', 'critical'];

/** One violation, readable in a failed assertion: rule, impact, help and the offending elements. */
function describe(violation: Result): string {
  const nodes = violation.nodes.map((node) => `    ${node.target.join(' ')}\n      ${node.failureSummary?.replace(/\n/g, '\n      ') ?? ''}`);
  return `${violation.id} (${violation.impact ?? 'no impact'}): ${violation.help}\n${nodes.join('\n')}`;
}

/**
 * Runs axe-core over the rendered page (the document body by default, so dialogs and menus that
 * Mantine portals out of the test's container are audited too) and returns the serious and
 * critical violations, described. `color-contrast` is off: jsdom lays nothing out and computes no
 * colours, so the contrast check runs in real Chromium (test/e2e/console/a11y.int.test.ts).
 */
export async function axeViolations(context: Element = document.body): Promise<string[]> {
  const results = await axe.run(context, {
    rules: { 'color-contrast': { enabled: false } },
    resultTypes: ['violations'],
  });
  return results.violations.filter((violation) => violation.impact && FAILING.includes(violation.impact)).map(describe);
}

/** Fails with every serious or critical axe violation on the rendered page (see {@link axeViolations}). */
export async function expectNoAxeViolations(context?: Element): Promise<void> {
  const violations = await axeViolations(context);
  if (violations.length > 0) throw new Error(`axe found ${violations.length} serious or critical violation(s):\n${violations.join('\n')}`);
}
