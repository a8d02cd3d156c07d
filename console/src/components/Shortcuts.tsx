import { Kbd, Modal, Table, Text } from '@mantine/core';
import { createContext, useCallback, useContext, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';

/** A keyboard shortcut: a single key as KeyboardEvent.key reports it ('j', '?', 'Escape'). */
export interface Shortcut {
  readonly key: string;
  /** What it does, for the help dialog: "Next alert". */
  readonly description: string;
  /** Where it applies, the dialog's group: "Alert queue". @defaultValue "General" */
  readonly group?: string;
  readonly onKey: (event: KeyboardEvent) => void;
}

/** A shortcut as the help dialog lists it; {@link useShortcutHelp} registers these without binding keys. */
export type ShortcutHelp = Pick<Shortcut, 'key' | 'description' | 'group'>;

interface Registry {
  readonly register: (id: number, shortcuts: readonly ShortcutHelp[]) => void;
  readonly unregister: (id: number) => void;
  readonly openHelp: () => void;
}

const ShortcutsContext = createContext<Registry | undefined>(undefined);
let nextId = 1;

/** Typing in a field is never a shortcut. */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) || target.closest('[role="dialog"]') !== null;
}

/**
 * Binds single-key shortcuts while the calling component is mounted and lists them in the
 * keyboard help dialog (`?`). Keys typed in fields, in dialogs or with Ctrl/Meta/Alt are ignored.
 * Works without {@link ShortcutsProvider} too (the keys work, the dialog does not list them).
 */
export function useShortcuts(shortcuts: readonly Shortcut[]): void {
  const registry = useContext(ShortcutsContext);
  const latest = useRef(shortcuts);
  useLayoutEffect(() => {
    latest.current = shortcuts;
  });
  const signature = shortcuts.map((s) => `${s.group ?? ''}\u0000${s.key}\u0000${s.description}`).join('\u0001');
  useEffect(() => {
    const id = nextId++;
    registry?.register(id, latest.current);
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      const shortcut = latest.current.find((s) => s.key === event.key);
      if (!shortcut) return;
      event.preventDefault();
      shortcut.onKey(event);
    };
    document.addEventListener('keydown', onKeyDown);
    return () => {
      document.removeEventListener('keydown', onKeyDown);
      registry?.unregister(id);
    };
  }, [registry, signature]);
}

/**
 * Lists shortcuts that a view handles itself (the alert queue's j/k/x, which need checks of their
 * own) in the help dialog while the calling component is mounted; binds no key.
 */
export function useShortcutHelp(entries: readonly ShortcutHelp[]): void {
  const registry = useContext(ShortcutsContext);
  const latest = useRef(entries);
  useLayoutEffect(() => {
    latest.current = entries;
  });
  const signature = entries.map((s) => `${s.group ?? ''}\u0000${s.key}\u0000${s.description}`).join('\u0001');
  useEffect(() => {
    const id = nextId++;
    registry?.register(id, latest.current);
    return () => registry?.unregister(id);
  }, [registry, signature]);
}

/** Opens the keyboard help dialog (e.g. from a header button). */
export function useOpenShortcutsHelp(): () => void {
  const registry = useContext(ShortcutsContext);
  return registry?.openHelp ?? (() => undefined);
}

/** Whether a {@link ShortcutsProvider} holds the help dialog (a view rendered alone has none). */
export function useHasShortcutsHelp(): boolean {
  return useContext(ShortcutsContext) !== undefined;
}

/** Holds the shortcuts of the mounted views and shows them in a dialog on `?`. */
export function ShortcutsProvider({ children }: { readonly children: ReactNode }) {
  const [entries, setEntries] = useState<ReadonlyMap<number, readonly ShortcutHelp[]>>(new Map());
  const [open, setOpen] = useState(false);
  const openHelp = useCallback(() => setOpen(true), []);
  const registry = useMemo<Registry>(
    () => ({
      register: (id, shortcuts) => setEntries((old) => new Map(old).set(id, shortcuts)),
      unregister: (id) =>
        setEntries((old) => {
          const copy = new Map(old);
          copy.delete(id);
          return copy;
        }),
      openHelp,
    }),
    [openHelp],
  );
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      // defaultPrevented: a view answered `?` itself (the alert queue opens this same dialog).
      if (event.key !== '?' || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      event.preventDefault();
      setOpen(true);
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);
  const groups = new Map<string, ShortcutHelp[]>([['General', [{ key: '?', description: 'Show this list of keyboard shortcuts' }]]]);
  for (const shortcut of [...entries.values()].flat()) {
    const group = shortcut.group ?? 'General';
    groups.set(group, [...(groups.get(group) ?? []), shortcut]);
  }
  return (
    <ShortcutsContext.Provider value={registry}>
      {children}
      <Modal opened={open} onClose={() => setOpen(false)} title="Keyboard shortcuts" size="md">
        {[...groups.entries()].map(([group, shortcuts]) => (
          <Table key={group} mb="sm" aria-label={`${group} shortcuts`}>
            <Table.Caption style={{ captionSide: 'top', textAlign: 'left' }}>
              <Text fw={600} size="sm">
                {group}
              </Text>
            </Table.Caption>
            <Table.Tbody>
              {shortcuts.map((shortcut) => (
                <Table.Tr key={`${group}-${shortcut.key}`}>
                  <Table.Td w={80}>
                    <Kbd>{shortcut.key}</Kbd>
                  </Table.Td>
                  <Table.Td>{shortcut.description}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
      </Modal>
    </ShortcutsContext.Provider>
  );
}
