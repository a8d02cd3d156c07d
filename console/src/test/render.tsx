import { MantineProvider } from '@mantine/core';
import { QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { createMemoryRouter, RouterProvider, type RouteObject } from 'react-router';
import { createQueryClient } from '../app/App';
import { cssVariablesResolver, theme } from '../app/theme';

/**
 * Renders routes at `path` with the console's providers (theme, a fresh query client, a memory
 * router), as component tests need them.
 */
export function renderRoutes(routes: RouteObject[], path: string): RenderResult {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  return render(
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver}>
      <QueryClientProvider client={createQueryClient()}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>,
  );
}

/** Renders one element with the providers, at `/`. */
export function renderView(element: ReactElement, path = '/'): RenderResult {
  return renderRoutes([{ path: '*', element }], path);
}
