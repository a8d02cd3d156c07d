import { ActionIcon, Button, Group, Menu, Popover, Stack, TextInput } from '@mantine/core';
import { useState } from 'react';

/** A saved view: a name and the queue's query string. */
export interface SavedView {
  readonly name: string;
  readonly query: string;
}

/** Where saved views live (this browser only). */
export const SAVED_VIEWS_KEY = 'watchpost.alerts.savedViews';

export function loadSavedViews(): SavedView[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(SAVED_VIEWS_KEY) ?? '[]') as unknown;
    return Array.isArray(parsed) ? (parsed as unknown[]).filter((v): v is SavedView => typeof (v as SavedView | null)?.name === 'string' && typeof (v as SavedView | null)?.query === 'string') : [];
  } catch {
    return [];
  }
}

function store(views: readonly SavedView[]): void {
  localStorage.setItem(SAVED_VIEWS_KEY, JSON.stringify(views));
}

/** The saved views menu: apply one, delete one, save the current filters under a name. */
export function SavedViews({ query, onApply }: { readonly query: string; onApply: (query: string) => void }) {
  const [views, setViews] = useState<SavedView[]>(loadSavedViews);
  const [naming, setNaming] = useState(false);
  const [name, setName] = useState('');
  const save = (): void => {
    const trimmed = name.trim();
    if (!trimmed) return;
    const next = [...views.filter((view) => view.name !== trimmed), { name: trimmed, query }];
    store(next);
    setViews(next);
    setName('');
    setNaming(false);
  };
  const remove = (target: string): void => {
    const next = views.filter((view) => view.name !== target);
    store(next);
    setViews(next);
  };
  return (
    <Group gap={4}>
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <Button variant="default">Saved views ({views.length})</Button>
        </Menu.Target>
        <Menu.Dropdown>
          {views.length === 0 ? <Menu.Label>No saved views yet</Menu.Label> : null}
          {views.map((view) => (
            <Group key={view.name} gap={2} wrap="nowrap">
              <Menu.Item onClick={() => onApply(view.query)} title={view.query || '(no filters)'}>
                {view.name}
              </Menu.Item>
              <ActionIcon variant="subtle" color="red" size="sm" aria-label={`Delete saved view ${view.name}`} onClick={() => remove(view.name)}>
                ×
              </ActionIcon>
            </Group>
          ))}
        </Menu.Dropdown>
      </Menu>
      <Popover opened={naming} onChange={setNaming} position="bottom-end" trapFocus withinPortal>
        <Popover.Target>
          <Button variant="default" onClick={() => setNaming((open) => !open)}>
            Save view
          </Button>
        </Popover.Target>
        <Popover.Dropdown>
          <Stack gap={6}>
            <TextInput
              size="xs"
              label="View name"
              value={name}
              onChange={(event) => setName(event.currentTarget.value)}
              onKeyDown={(event) => {
                if (event.key === 'Enter') save();
              }}
            />
            <Button onClick={save} disabled={!name.trim()}>
              Save
            </Button>
          </Stack>
        </Popover.Dropdown>
      </Popover>
    </Group>
  );
}
