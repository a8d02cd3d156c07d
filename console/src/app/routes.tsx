import type { RouteObject } from 'react-router';
import { SignedInLayout } from './Layout';
import { LoginView } from '../views/login/LoginView';
import { Placeholder } from '../components/Placeholder';

/**
 * Every view has its own URL, and its filters live in the query string, so a view can be shared
 * and reloaded. The sign-in page and the frame load first; each view is its own chunk, fetched
 * when it is opened (ECharts, the virtualized table and the editors stay off the first load).
 */
export const routes: RouteObject[] = [
  { path: '/login', element: <LoginView /> },
  {
    path: '/',
    element: <SignedInLayout />,
    children: [
      { index: true, lazy: async () => ({ Component: (await import('../views/overview/OverviewView')).OverviewView }) },
      { path: 'alerts', lazy: async () => ({ Component: (await import('../views/alerts/AlertsPage')).AlertsPage }) },
      { path: 'alerts/:id', lazy: async () => ({ Component: (await import('../views/alerts/detail/AlertDetailPage')).AlertDetailPage }) },
      { path: 'incidents', lazy: async () => ({ Component: (await import('../views/incidents/IncidentsPage')).IncidentsPage }) },
      { path: 'incidents/:id', lazy: async () => ({ Component: (await import('../views/incidents/IncidentDetailPage')).IncidentDetailPage }) },
      { path: 'search', lazy: async () => ({ Component: (await import('../views/search/SearchPage')).SearchPage }) },
      { path: 'rules', lazy: async () => ({ Component: (await import('../views/rules/RulesView')).RulesView }) },
      { path: 'response', lazy: async () => ({ Component: (await import('../views/response/ResponseView')).ResponseView }) },
      { path: 'reports', lazy: async () => ({ Component: (await import('../views/reports/ReportsView')).ReportsView }) },
      { path: 'settings', lazy: async () => ({ Component: (await import('../views/settings/SettingsView')).SettingsView }) },
      { path: '*', element: <Placeholder title="Not found" /> },
    ],
  },
];
