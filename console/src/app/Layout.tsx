import { AppShell, Group, NavLink, Title } from '@mantine/core';
import { NavLink as RouterLink, Outlet } from 'react-router';

const NAV = [
  { to: '/', label: 'Overview' },
  { to: '/alerts', label: 'Alerts' },
  { to: '/incidents', label: 'Incidents' },
  { to: '/search', label: 'Search' },
  { to: '/rules', label: 'Rules' },
  { to: '/response', label: 'Response' },
  { to: '/reports', label: 'Reports' },
  { to: '/settings', label: 'Settings' },
] as const;

/** The frame of every signed-in view: the header and the navigation. */
export function Layout() {
  return (
    <AppShell header={{ height: 44 }} navbar={{ width: 180, breakpoint: 0 }} padding="sm">
      <AppShell.Header>
        <Group h="100%" px="sm">
          <Title order={4}>Watchpost</Title>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation">
        {NAV.map((item) => (
          <NavLink key={item.to} component={RouterLink} to={item.to} end={item.to === '/'} label={item.label} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
