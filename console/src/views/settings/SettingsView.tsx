import { Tabs } from '@mantine/core';
import type { ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { useAuth, type Role } from '../../app/auth';
import { PageHeader } from '../../components/PageHeader';
import { NeverBlockTab } from './NeverBlockTab';
import { SuppressionsTab } from './SuppressionsTab';
import { OidcTab, SourcesTab } from './SystemTabs';
import { TokensTab } from './TokensTab';
import { UsersTab } from './UsersTab';

interface SettingsTab {
  readonly id: string;
  readonly label: string;
  /** The least role that sees the tab (the server enforces the same). */
  readonly role: Role;
  readonly render: () => ReactNode;
}

/** The tabs, in order; each one's id is its `?tab=` value. */
export const SETTINGS_TABS: readonly SettingsTab[] = [
  { id: 'users', label: 'Users', role: 'admin', render: () => <UsersTab /> },
  { id: 'tokens', label: 'API tokens', role: 'analyst', render: () => <TokensTab /> },
  { id: 'suppressions', label: 'Suppressions', role: 'viewer', render: () => <SuppressionsTab /> },
  { id: 'never-block', label: 'Never-block list', role: 'viewer', render: () => <NeverBlockTab /> },
  { id: 'oidc', label: 'Single sign-on', role: 'viewer', render: () => <OidcTab /> },
  { id: 'sources', label: 'Sources', role: 'viewer', render: () => <SourcesTab /> },
];

/** Settings: users, tokens, suppressions, the never-block list, sign-on and sources, one tab each in the URL. */
export function SettingsView() {
  const auth = useAuth();
  const [params, setParams] = useSearchParams();
  const visible = SETTINGS_TABS.filter((tab) => auth.hasRole(tab.role));
  const asked = params.get('tab');
  const current = visible.find((tab) => tab.id === asked) ?? visible[0];
  return (
    <>
      <PageHeader title="Settings" description="Who signs in, with what rights, and what automation may never touch." />
      <Tabs
        value={current?.id ?? null}
        onChange={(value) => {
          if (value) setParams(new URLSearchParams({ tab: value }));
        }}
        keepMounted={false}
      >
        <Tabs.List aria-label="Settings sections">
          {visible.map((tab) => (
            <Tabs.Tab key={tab.id} value={tab.id}>
              {tab.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {visible.map((tab) => (
          <Tabs.Panel key={tab.id} value={tab.id} pt="sm">
            {tab.render()}
          </Tabs.Panel>
        ))}
      </Tabs>
    </>
  );
}
