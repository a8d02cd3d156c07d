import type { RouteObject } from 'react-router';
import { Layout } from './Layout';
import { Placeholder } from '../components/Placeholder';

/**
 * Every view has its own URL, and its filters live in the query string, so a view can be shared
 * and reloaded. Views are filled in by their own modules (views/*); a view not built yet says so.
 */
export const routes: RouteObject[] = [
  { path: '/login', element: <Placeholder title="Sign in" /> },
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, element: <Placeholder title="Overview" /> },
      { path: 'alerts', element: <Placeholder title="Alerts" /> },
      { path: 'alerts/:id', element: <Placeholder title="Alert" /> },
      { path: 'incidents', element: <Placeholder title="Incidents" /> },
      { path: 'incidents/:id', element: <Placeholder title="Incident" /> },
      { path: 'search', element: <Placeholder title="Search" /> },
      { path: 'rules', element: <Placeholder title="Rules" /> },
      { path: 'response', element: <Placeholder title="Response" /> },
      { path: 'reports', element: <Placeholder title="Reports" /> },
      { path: 'settings', element: <Placeholder title="Settings" /> },
      { path: '*', element: <Placeholder title="Not found" /> },
    ],
  },
];
