import { Stack, Text, Title } from '@mantine/core';

/** A view that is not built yet: says so instead of showing an empty page. */
export function Placeholder({ title }: { readonly title: string }) {
  return (
    <Stack p="md">
      <Title order={2}>{title}</Title>
      <Text c="dimmed">This view is not available yet.</Text>
    </Stack>
  );
}
