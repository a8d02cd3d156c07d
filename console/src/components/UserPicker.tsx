import { Loader, Select, type ComboboxItem } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { fetchAssignableUsers, userLabel, type AssignableUser } from '../api/users';

/** The option value of "Unassigned": no username can be it (usernames start with a letter or digit). */
export const UNASSIGNED = '__unassigned__';

/** Props of {@link UserPicker}. */
export interface UserPickerProps {
  /** The chosen user id; null is "Unassigned", undefined is nothing chosen yet. */
  readonly value: string | null | undefined;
  readonly onChange: (userId: string | null) => void;
  /** The signed-in user's id, offered first as "Me". */
  readonly me: string | undefined;
  /** @defaultValue "Assignee" */
  readonly label?: string;
  readonly disabled?: boolean;
  /** @defaultValue "xs" */
  readonly size?: 'xs' | 'sm';
  readonly w?: number | string;
  /** Take the focus when the dialog it sits in opens (Mantine's `data-autofocus`), so typing a name starts at once. */
  readonly autoFocus?: boolean;
}

/** The query key of the assignable users (invalidate it after a user change). */
export const ASSIGNABLE_USERS_KEY = ['users', 'assignable'] as const;

/**
 * A searchable choice of assignee: "Unassigned", "Me", then every enabled user who can triage
 * (GET /api/v1/users/assignable), searched by name as one types. It is a combobox: arrows move
 * through the options, Enter picks one, Escape closes the list. When the server cut the list (more
 * users than one answer holds), what is typed is also sent as an id prefix. The current value stays
 * on offer even when it is no longer assignable (a disabled user), so it never shows blank; while
 * the users load or when they cannot, "Unassigned" and "Me" still work and the field says why the
 * rest are missing.
 */
export function UserPicker({ value, onChange, me, label = 'Assignee', disabled, size = 'xs', w, autoFocus }: UserPickerProps) {
  const [search, setSearch] = useState('');
  const [prefix] = useDebouncedValue(search.trim().toLowerCase(), 250);
  const all = useQuery({ queryKey: ASSIGNABLE_USERS_KEY, queryFn: () => fetchAssignableUsers(), staleTime: 60_000 });
  const narrowed = useQuery({
    queryKey: [...ASSIGNABLE_USERS_KEY, prefix],
    queryFn: () => fetchAssignableUsers(prefix),
    enabled: all.data?.truncated === true && prefix.length > 0,
    staleTime: 60_000,
  });

  const data = useMemo((): ComboboxItem[] => {
    const users = new Map<string, AssignableUser>();
    for (const user of [...(all.data?.items ?? []), ...(narrowed.data?.items ?? [])]) users.set(user.id, user);
    const options: ComboboxItem[] = [{ value: UNASSIGNED, label: 'Unassigned' }];
    if (me) options.push({ value: me, label: `Me (${users.has(me) ? userLabel(users.get(me) as AssignableUser) : me})` });
    for (const user of users.values()) if (user.id !== me) options.push({ value: user.id, label: userLabel(user) });
    if (value && !options.some((option) => option.value === value)) options.push({ value, label: value });
    return options;
  }, [all.data, narrowed.data, me, value]);

  const loading = all.isPending || narrowed.isFetching;
  return (
    <Select
      label={label}
      size={size}
      w={w}
      searchable
      {...(autoFocus ? { 'data-autofocus': true } : {})}
      data={data}
      value={value === undefined ? null : (value ?? UNASSIGNED)}
      placeholder="Choose a user"
      onChange={(chosen) => onChange(chosen === null || chosen === UNASSIGNED ? null : chosen)}
      onSearchChange={setSearch}
      // Typing a name replaces the shown choice instead of appending to it.
      onFocus={(event) => event.currentTarget.select()}
      allowDeselect={false}
      disabled={disabled}
      nothingFoundMessage={loading ? 'Loading users…' : 'No user matches'}
      rightSection={loading ? <Loader size={12} aria-label="Loading users" /> : undefined}
      error={all.isError ? `Could not load the users: ${all.error.message}` : undefined}
      description={all.data?.truncated ? 'Type a name to search all users' : undefined}
      comboboxProps={{ withinPortal: true }}
    />
  );
}
