import { Alert, Button, Center, Code, Divider, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, setCsrfToken } from '../../api/client';
import { ME_QUERY_KEY, safeNext, useAuth, type LoginResult, type Me, type SignInMethods } from '../../app/auth';
import { LoadingState } from '../../components/States';

/** GET /api/v1/auth/methods. */
type Methods = SignInMethods;

/** Why a sign-in failed, in words for the person at the keyboard. */
async function loginFailure(response: Response): Promise<string> {
  let message: string | undefined;
  try {
    message = ((await response.json()) as { message?: string }).message;
  } catch {
    message = undefined;
  }
  if (response.status === 401) return message ?? 'Wrong username or password.';
  if (response.status === 429) {
    const seconds = Number(response.headers.get('retry-after'));
    const wait = Number.isFinite(seconds) && seconds > 0 ? ` Try again in ${seconds} s.` : '';
    return `Too many sign-in attempts.${wait}`;
  }
  return message ?? `Sign-in failed (${response.status} ${response.statusText}).`;
}

/**
 * The sign-in page: a local account (POST /api/v1/auth/login) or single sign-on when the server
 * has OIDC configured; afterwards back to `?next=` (a console path only). Until anyone has signed
 * in (`firstRun`), it says where the first admin password was printed.
 */
export function LoginView() {
  const auth = useAuth();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const navigate = useNavigate();
  const client = useQueryClient();
  const methods = useQuery({ queryKey: ['auth', 'methods'], queryFn: () => api<Methods>('/api/v1/auth/methods'), staleTime: Infinity, retry: false });
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  if (auth.status === 'signed-in' && !busy) return <Navigate to={next} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      // Plain fetch, not api(): a 429's Retry-After header is needed.
      const response = await fetch('/api/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ username, password }),
      });
      if (!response.ok) {
        setError(await loginFailure(response));
        setBusy(false);
        return;
      }
      const result = (await response.json()) as LoginResult;
      setCsrfToken(result.csrfToken);
      const me: Me = { principal: result.user.id, roles: result.roles, user: result.user, csrfToken: result.csrfToken };
      client.setQueryData(ME_QUERY_KEY, me);
      setPassword('');
      void navigate(next, { replace: true });
    } catch (failure) {
      setError(`Cannot reach Watchpost: ${failure instanceof Error ? failure.message : String(failure)}`);
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder p="lg" w={360} radius="md">
        <form onSubmit={(event) => void submit(event)} aria-labelledby="login-title" noValidate>
          <Stack gap="sm">
            <Title order={1} size="h3" id="login-title">
              Sign in to Watchpost
            </Title>
            {error ? (
              <Alert color="red" variant="light" role="alert" title="Not signed in">
                {error}
              </Alert>
            ) : null}
            <TextInput label="Username" name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.currentTarget.value)} data-autofocus autoFocus />
            <PasswordInput label="Password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
            <Button type="submit" size="sm" loading={busy} disabled={!username || !password}>
              Sign in
            </Button>
            {methods.isPending ? <LoadingState label="Checking single sign-on…" /> : null}
            {methods.data?.oidc ? (
              <>
                <Divider label="or" labelPosition="center" />
                <Button component="a" href="/api/v1/auth/oidc/login" variant="default" size="sm">
                  Sign in with single sign-on
                </Button>
              </>
            ) : null}
            {methods.data?.firstRun ? (
              <Text size="xs" c="dimmed">
                First start? The password of the <Code>admin</Code> account was printed once in the terminal that started Watchpost.
              </Text>
            ) : null}
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
