import { ActionIcon, Anchor, AppShell, Badge, Button, Group, Menu, NavLink, Text, Title, Tooltip, useComputedColorScheme, useMantineColorScheme, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import { NavLink as RouterLink, Outlet, useNavigate } from 'react-router';
import { ShortcutsProvider, useOpenShortcutsHelp } from '../components/Shortcuts';
import { RequireAuth, useAuth } from './auth';

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

/** The id of the main landmark, the target of the skip link. */
export const MAIN_ID = 'main-content';

/** A link for keyboard users, shown only when focused: straight past the header and navigation. */
function SkipLink() {
  const [focused, setFocused] = useState(false);
  return (
    <Anchor
      href={`#${MAIN_ID}`}
      onFocus={() => setFocused(true)}
      onBlur={() => setFocused(false)}
      onClick={(event) => {
        event.preventDefault();
        document.getElementById(MAIN_ID)?.focus();
      }}
      style={
        focused
          ? { position: 'fixed', top: 4, left: 4, zIndex: 1000, padding: '4px 8px', background: 'var(--mantine-color-body)', outline: '2px solid var(--mantine-primary-color-filled)' }
          : { position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)', whiteSpace: 'nowrap' }
      }
    >
      Skip to content
    </Anchor>
  );
}

/** Dark or light: the button names what it switches to. */
function ColorSchemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('dark');
  const next = computed === 'dark' ? 'light' : 'dark';
  const label = `Switch to ${next} theme`;
  return (
    <Tooltip label={label}>
      <ActionIcon variant="default" size="md" aria-label={label} onClick={() => setColorScheme(next)}>
        <span aria-hidden>{computed === 'dark' ? '☀' : '☾'}</span>
      </ActionIcon>
    </Tooltip>
  );
}

function UserMenu() {
  const auth = useAuth();
  const navigate = useNavigate();
  const [error, setError] = useState<string | undefined>();
  const topRole = [...auth.roles].reverse().find((role) => role !== 'ingest') ?? auth.roles[0];
  return (
    <Group gap={4}>
      {error ? (
        <Text size="xs" c="red" role="alert">
          {error}
        </Text>
      ) : null}
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          {/* The name is the visible text (a spoken label must contain what is shown), behind a hidden "Account:". */}
          <Button variant="subtle" size="xs">
            <VisuallyHidden>Account: </VisuallyHidden>
            {auth.name}
            {topRole ? (
              <Badge ml={6} size="xs" variant="light">
                {topRole}
              </Badge>
            ) : null}
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>Signed in as {auth.name}</Menu.Label>
          <Menu.Item component={RouterLink} to="/settings?tab=tokens">
            API tokens
          </Menu.Item>
          <Menu.Item
            onClick={() => {
              setError(undefined);
              auth.signOut().then(
                () => navigate('/login', { replace: true }),
                (failure: unknown) => setError(`Sign-out failed: ${failure instanceof Error ? failure.message : String(failure)}`),
              );
            }}
          >
            Sign out
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
    </Group>
  );
}

function ShortcutsButton() {
  const open = useOpenShortcutsHelp();
  return (
    <Tooltip label="Keyboard shortcuts (?)">
      <ActionIcon variant="default" size="md" aria-label="Keyboard shortcuts" onClick={open}>
        <span aria-hidden>?</span>
      </ActionIcon>
    </Tooltip>
  );
}

/** The frame of every signed-in view: the header, the navigation and the main landmark. */
export function Layout() {
  return (
    <ShortcutsProvider>
      <SkipLink />
      <AppShell header={{ height: 44 }} navbar={{ width: 180, breakpoint: 0 }} padding="sm">
        <AppShell.Header>
          <Group h="100%" px="sm" justify="space-between">
            <Title order={4} component="p">
              Watchpost
            </Title>
            <Group gap="xs">
              <ShortcutsButton />
              <ColorSchemeToggle />
              <UserMenu />
            </Group>
          </Group>
        </AppShell.Header>
        <AppShell.Navbar p="xs" aria-label="Main navigation">
          {NAV.map((item) => (
            <NavLink key={item.to} component={RouterLink} to={item.to} end={item.to === '/'} label={item.label} />
          ))}
        </AppShell.Navbar>
        <AppShell.Main id={MAIN_ID} tabIndex={-1} style={{ outline: 'none' }}>
          <Outlet />
        </AppShell.Main>
      </AppShell>
    </ShortcutsProvider>
  );
}

/** The Layout behind the sign-in guard: what routes.tsx mounts at `/`. */
export function SignedInLayout() {
  return (
    <RequireAuth>
      <Layout />
    </RequireAuth>
  );
}
