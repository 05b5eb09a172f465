import { render } from 'preact';
import { useState } from 'preact/hooks';
import './portal.css';

// The portal's login: the admin token (from `npm run cli -- admin token`) is exchanged for an HttpOnly,
// SameSite=Strict session cookie. The token is sent once, as JSON (a cross-site form cannot send JSON
// without a CORS preflight the server never allows), and is not kept by the page.

function Login() {
  const params = new URLSearchParams(window.location.search);
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(
    params.get('expired') === '1' ? 'Your session has ended. Sign in again.' : null,
  );
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await fetch('/portal/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: token.trim() }),
        credentials: 'same-origin',
      });
      if (res.ok) {
        setToken('');
        window.location.assign('/portal');
        return;
      }
      const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
      setError(body.error?.message ?? `Sign-in failed (${res.status})`);
    } catch {
      setError('The server could not be reached.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="panel" onSubmit={submit} data-testid="login-form">
        <h1>NovaPay ops portal</h1>
        <label for="token">Admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          required
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
        />
        <p class="hint">
          Get one with <code>npm run cli -- admin token</code>. It is exchanged for a session cookie and not
          stored by this page.
        </p>
        {error ? (
          <p class="error" role="alert" data-testid="login-error">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy || !token.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

const root = document.getElementById('app');
if (root) render(<Login />, root);
