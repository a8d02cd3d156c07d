import { Kbd, Modal, Table } from '@mantine/core';

/** The queue's keyboard shortcuts. */
export const QUEUE_SHORTCUTS: readonly { keys: string; does: string }[] = [
  { keys: 'j', does: 'Focus the next alert' },
  { keys: 'k', does: 'Focus the previous alert' },
  { keys: 'x', does: 'Select or unselect the focused alert' },
  { keys: 'a', does: 'Acknowledge the selected alerts (or the focused one)' },
  { keys: 'c', does: 'Close the selected alerts (or the focused one), asking the verdict' },
  { keys: 'Enter', does: 'Open the focused alert' },
  { keys: 'Shift + click', does: 'Select a range of alerts with the checkboxes' },
  { keys: '?', does: 'Show this help' },
];

/** The shortcut help dialog of the queue. */
export function KeyboardHelp({ opened, onClose }: { readonly opened: boolean; onClose: () => void }) {
  return (
    <Modal opened={opened} onClose={onClose} title="Keyboard shortcuts">
      <Table>
        <caption style={{ captionSide: 'top', textAlign: 'left' }}>Shortcuts of the alert queue (not while typing in a field)</caption>
        <Table.Tbody>
          {QUEUE_SHORTCUTS.map((shortcut) => (
            <Table.Tr key={shortcut.keys}>
              <Table.Td>
                <Kbd>{shortcut.keys}</Kbd>
              </Table.Td>
              <Table.Td>{shortcut.does}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Modal>
  );
}
