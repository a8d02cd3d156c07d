import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderRoutes } from '../test/render';
import { routes } from './routes';

describe('Layout', () => {
  it('shows the navigation with every view and marks the current one', async () => {
    renderRoutes(routes, '/incidents');
    const nav = await screen.findByRole('navigation', { name: 'Main navigation' });
    for (const label of ['Overview', 'Alerts', 'Incidents', 'Search', 'Rules', 'Response', 'Reports', 'Settings']) {
      expect(nav.textContent).toContain(label);
    }
    expect(screen.getByRole('link', { name: 'Incidents' }).getAttribute('aria-current')).toBe('page');
  });
});
