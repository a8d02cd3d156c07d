import { screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderView } from '../../test/render';
import { ReportsView } from './ReportsView';

describe('ReportsView', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('says honestly that no reports exist yet and asks the API for nothing', () => {
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    renderView(<ReportsView />);
    expect(screen.getByRole('heading', { level: 1, name: 'Reports' })).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'No reports yet' })).toBeTruthy();
    expect(screen.getByText(/weekly PDF reports/i)).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
