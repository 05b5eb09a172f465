import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { type ConnectionState, liveClient, subscribe } from '../lib/graphql';
import { formatDateTime } from '../lib/time';
import { isExpired, readClaims } from '../lib/token';
import { type Donation, Overlay } from './documents';
import { type Alert, AlertQueue, type Phase } from './queue';
import './overlay.css';

// The streamer's donation overlay: /overlay?t=<stream token> in an OBS/Streamlabs browser source. Transparent;
// each donationReceived becomes an alert, queued so bursts never overlap. `demo=1` shows sample alerts
// without a token, `hold=<ms>` sets how long each alert stays (default 6000), `stream=<id>` overrides the
// stream id read from the token.

declare global {
  interface Window {
    /** Every alert shown, in order (for tests and for checking a setup). */
    __alerts: Alert[];
  }
}

const SAMPLES: Omit<Alert, 'id'>[] = [
  { donor: 'nova_fan_42', amount: '50.00', message: 'Great stream, keep it up!' },
  { donor: 'pixel_queen', amount: '5.00', message: null },
  { donor: 'speedrunner', amount: '250.00', message: 'For the new microphone 🎙️' },
];

function donorName(d: Donation): string {
  const m = d.metadata ?? {};
  for (const k of ['donorName', 'displayName', 'username']) {
    const v = m[k];
    if (typeof v === 'string' && v.trim()) return v.trim().slice(0, 64);
  }
  return d.fromUserId;
}

function clampInt(v: string | null, min: number, max: number, dflt: number): number {
  const n = v === null ? Number.NaN : Number.parseInt(v, 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : dflt;
}

type Problem = { title: string; detail: string } | null;

function App() {
  const params = useMemo(() => new URLSearchParams(window.location.search), []);
  const demo = params.get('demo') === '1';
  const holdMs = clampInt(params.get('hold'), 100, 120_000, 6000);
  const animMs = Math.min(400, Math.floor(holdMs / 3));
  const token = params.get('t') ?? '';
  const [current, setCurrent] = useState<{ alert: Alert | null; phase: Phase }>({
    alert: null,
    phase: 'leave',
  });
  const [conn, setConn] = useState<ConnectionState>('connecting');
  const [problem, setProblem] = useState<Problem>(null);

  const queue = useMemo(
    () =>
      new AlertQueue(
        holdMs,
        animMs,
        (alert, phase) => setCurrent({ alert, phase }),
        (a) => window.__alerts.push(a),
      ),
    [holdMs, animMs],
  );

  useEffect(() => {
    window.__alerts = [];
    if (demo) {
      let i = 0;
      const add = () => {
        const s = SAMPLES[i % SAMPLES.length]!;
        queue.push({ ...s, id: `demo_${i++}` });
      };
      add();
      const timer = setInterval(add, holdMs + 2 * animMs + 1500);
      return () => clearInterval(timer);
    }
    const claims = token ? readClaims(token) : null;
    const streamId = params.get('stream') ?? claims?.sub ?? '';
    if (!token || !claims || !streamId) {
      setProblem({
        title: 'This overlay link is not valid',
        detail: 'Copy the whole overlay URL (with t=…) from your dashboard.',
      });
      return;
    }
    if (isExpired(claims)) {
      setProblem({
        title: 'This overlay link has expired',
        detail: `It was valid until ${formatDateTime(new Date((claims.exp ?? 0) * 1000).toISOString())}. Create a new one in your dashboard.`,
      });
      return;
    }
    const client = liveClient(token, (s, reason) => {
      setConn(s);
      if (s === 'refused') {
        setProblem(
          reason === 'invalid_token' || !reason
            ? {
                title: 'This overlay link is no longer valid',
                detail:
                  'It has expired or was not issued by this server. Create a new one in your dashboard.',
              }
            : { title: 'This overlay link was refused', detail: reason },
        );
      }
    });
    const stop = subscribe(
      client,
      Overlay,
      { streamId },
      {
        next: (msg) => {
          const d = msg.data?.donationReceived;
          if (d) {
            queue.push({ id: d.id, donor: donorName(d), amount: d.amount, message: d.message });
          }
        },
        error: (e) => {
          const first = Array.isArray(e) ? (e[0] as { message?: string } | undefined) : undefined;
          if (first) {
            setProblem({
              title: 'This overlay link may not show this stream',
              detail: first.message ?? 'The server refused the subscription.',
            });
          }
        },
        complete: () => undefined,
      },
    );
    return () => {
      stop();
      void client.dispose();
    };
  }, [demo, token, queue, holdMs, animMs, params]);

  return (
    <div class="overlay" data-conn={demo ? 'demo' : conn} style={{ '--anim': `${animMs}ms` }}>
      {current.alert ? (
        <div class={`alert ${current.phase}`} role="status" aria-live="polite" data-testid="alert">
          <p class="headline">
            <span class="donor" data-testid="donor">
              {current.alert.donor}
            </span>{' '}
            donated{' '}
            <span class="amt" data-testid="amount">
              {current.alert.amount} Stars
            </span>
          </p>
          {current.alert.message ? (
            <p class="message" data-testid="message">
              {current.alert.message}
            </p>
          ) : null}
        </div>
      ) : null}
      {problem ? (
        <div class="notice" role="alert" data-testid="overlay-error">
          <p class="title">{problem.title}</p>
          <p>{problem.detail}</p>
        </div>
      ) : !demo && conn === 'reconnecting' ? (
        <p class="conn" data-testid="reconnecting">
          Reconnecting…
        </p>
      ) : null}
    </div>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
