import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import QRCode from 'qrcode';
import {
  ApiError,
  CLOSE_UNAUTHORIZED,
  type ConnectionState,
  closeInfo,
  gql,
  liveClient,
  subscribe,
} from '../lib/graphql';
import { toUnits, trimDecimal } from '../lib/money';
import { isExpired, readClaims } from '../lib/token';
import { type Deposit, PaymentPage, PaymentPageLive } from './documents';
import { Status } from './status';
import './pay.css';

// The hosted payment page behind a deposit's paymentUrl: /pay/<depositId>?t=<deposit token>. The token can
// read this one deposit and follow its status, nothing else; it expires with the deposit.

const NETWORKS: Record<string, { chain: string; evm: boolean }> = {
  TRC20: { chain: 'TRON', evm: false },
  ERC20: { chain: 'Ethereum', evm: true },
  BEP20: { chain: 'BNB Smart Chain', evm: true },
  POLYGON: { chain: 'Polygon', evm: true },
};

function networkInfo(network: string) {
  const base = network.split(':')[0]?.toUpperCase() ?? network;
  return NETWORKS[base] ?? { chain: network, evm: false };
}

/**
 * What the wallet scans. TRON: the address. EVM: an EIP-681 token transfer,
 * `ethereum:<token contract>[@<chain id>]/transfer?address=<deposit address>&uint256=<amount in units>`
 * (no `@<chain id>` when the network has none configured; only `ethereum:<address>` when the API does not
 * name the token or the amount does not fit its decimals).
 */
export function paymentUri(
  d: Pick<Deposit, 'network' | 'depositAddress' | 'amount' | 'tokenContract' | 'tokenDecimals' | 'chainId'>,
): string {
  if (!networkInfo(d.network).evm) return d.depositAddress;
  const units = d.tokenDecimals === null ? null : toUnits(d.amount, d.tokenDecimals);
  if (!d.tokenContract || units === null) return `ethereum:${d.depositAddress}`;
  const chain = d.chainId ? `@${d.chainId}` : '';
  return `ethereum:${d.tokenContract}${chain}/transfer?address=${d.depositAddress}&uint256=${units}`;
}

type Load =
  | { state: 'loading' }
  | { state: 'failed'; title: string; detail: string }
  | { state: 'ready'; deposit: Deposit };

function explainFailure(e: unknown): { title: string; detail: string } {
  if (e instanceof ApiError) {
    if (e.code === 'invalid_token') {
      return /expired/i.test(e.message)
        ? {
            title: 'This payment link has expired',
            detail:
              'Ask the merchant for a new payment link. A payment sent to the old address is still credited.',
          }
        : {
            title: 'This payment link is not valid',
            detail: 'Check that you opened the whole link the merchant gave you, or ask for a new one.',
          };
    }
    if (e.code === 'forbidden') {
      return { title: 'This payment link is not valid', detail: 'The link belongs to another payment.' };
    }
    if (e.code === 'network_error') {
      return { title: 'The payment server cannot be reached', detail: 'Check your connection and reload.' };
    }
    return { title: 'This payment cannot be shown', detail: `${e.message} (${e.code})` };
  }
  return { title: 'This payment cannot be shown', detail: String(e) };
}

function useNow(intervalMs = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

function App() {
  const params = useMemo(() => new URLSearchParams(window.location.search), []);
  const token = params.get('t') ?? '';
  const depositId = decodeURIComponent(window.location.pathname.split('/').filter(Boolean)[1] ?? '');
  const [load, setLoad] = useState<Load>(() => {
    if (!depositId)
      return { state: 'failed', title: 'No payment given', detail: 'The link has no payment id.' };
    if (!token) {
      return {
        state: 'failed',
        title: 'This payment link is incomplete',
        detail: 'It has no access token (t=…). Open the whole link the merchant gave you.',
      };
    }
    const claims = readClaims(token);
    if (!claims) {
      return {
        state: 'failed',
        title: 'This payment link is not valid',
        detail: 'Check that you opened the whole link the merchant gave you, or ask for a new one.',
      };
    }
    if (isExpired(claims)) {
      return {
        state: 'failed',
        title: 'This payment link has expired',
        detail:
          'Ask the merchant for a new payment link. A payment sent to the old address is still credited.',
      };
    }
    return { state: 'loading' };
  });
  const [conn, setConn] = useState<ConnectionState>('connecting');
  const loaded = useRef(false);

  useEffect(() => {
    if (load.state === 'failed') return;
    let stopped = false;
    const refetch = () =>
      gql(PaymentPage, { id: depositId }, { bearer: token })
        .then((r) => {
          if (stopped) return;
          if (!r.deposit) {
            setLoad({
              state: 'failed',
              title: 'Payment not found',
              detail: `There is no payment ${depositId}.`,
            });
            return;
          }
          loaded.current = true;
          setLoad({ state: 'ready', deposit: r.deposit });
        })
        .catch((e: unknown) => {
          // A reconnect's refetch failing keeps what is shown; a first load failing explains itself.
          if (!stopped && !loaded.current) setLoad({ state: 'failed', ...explainFailure(e) });
        });
    // Subscribe first and fetch on every (re)connect: nothing that happens in between is missed.
    const client = liveClient(token, (s, detail) => {
      setConn(s);
      if (s === 'live') void refetch();
      if (s === 'refused' && !loaded.current) {
        setLoad({ state: 'failed', ...explainFailure(new ApiError('invalid_token', detail ?? '', 401)) });
      }
    });
    const unsubscribe = subscribe(
      client,
      PaymentPageLive,
      { id: depositId },
      {
        next: (msg) => {
          const u = msg.data?.depositUpdated;
          if (!u) return;
          setLoad((prev) =>
            prev.state === 'ready' ? { state: 'ready', deposit: { ...prev.deposit, ...u } } : prev,
          );
        },
        error: (e) => {
          if (!loaded.current) setLoad({ state: 'failed', ...explainFailure(toApiError(e)) });
        },
        complete: () => undefined,
      },
    );
    return () => {
      stopped = true;
      unsubscribe();
      void client.dispose();
    };
  }, [depositId, token, load.state === 'failed']);

  if (load.state === 'failed') {
    return (
      <main class="pay">
        <section class="card notice" role="alert" data-testid="pay-error">
          <h1>{load.title}</h1>
          <p>{load.detail}</p>
        </section>
      </main>
    );
  }
  if (load.state === 'loading') {
    return (
      <main class="pay">
        <section class="card" aria-busy="true">
          <p>Loading the payment…</p>
        </section>
      </main>
    );
  }
  return <Payment deposit={load.deposit} conn={conn} />;
}

function toApiError(e: unknown): unknown {
  const close = closeInfo(e);
  if (close?.code === CLOSE_UNAUTHORIZED)
    return new ApiError(close.reason || 'invalid_token', 'Refused', 401);
  if (Array.isArray(e) && e[0] && typeof e[0] === 'object') {
    const first = e[0] as { message?: string; extensions?: { code?: string } };
    return new ApiError(first.extensions?.code ?? 'internal_error', first.message ?? 'Refused', 0);
  }
  return e;
}

function Payment({ deposit: d, conn }: { deposit: Deposit; conn: ConnectionState }) {
  const now = useNow();
  const net = networkInfo(d.network);
  const secondsLeft = Math.floor((Date.parse(d.expiresAt) - now) / 1000);
  return (
    <main class="pay" data-status={d.status.toLowerCase()}>
      <section class="card">
        <p class="eyebrow">Payment request</p>
        <h1 class="amount" data-testid="amount">
          {trimDecimal(d.amount)} <span class="currency">{d.currency}</span>
        </h1>
        <dl class="facts">
          <dt>Network</dt>
          <dd data-testid="network">
            {net.chain} ({d.network})
          </dd>
          <dt>Send only</dt>
          <dd>
            {d.currency} on {net.chain}. Other tokens or networks are lost.
          </dd>
        </dl>
        <Status d={d} secondsLeft={secondsLeft} />
      </section>
      {d.status === 'PENDING' || d.status === 'CONFIRMING' ? <Address d={d} /> : null}
      <p class="conn" data-testid="connection" data-conn={conn}>
        {conn === 'live'
          ? 'Live: this page updates by itself.'
          : conn === 'refused'
            ? 'Live updates stopped: the link is no longer valid. Reload to check the status.'
            : 'Connecting for live updates…'}
      </p>
    </main>
  );
}

function Address({ d }: { d: Deposit }) {
  const uri = paymentUri(d);
  const [qr, setQr] = useState<string | null>(null);
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(uri, { margin: 1, width: 232, errorCorrectionLevel: 'M' })
      .then((url) => live && setQr(url))
      .catch(() => live && setQr(null));
    return () => {
      live = false;
    };
  }, [uri]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(d.depositAddress);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
    setTimeout(() => setCopied('idle'), 2500);
  };
  return (
    <section class="card address">
      <h2>Send to this address</h2>
      <div class="qr">
        {qr ? (
          <img src={qr} width={232} height={232} alt={`QR code of ${uri}`} data-testid="qr" />
        ) : (
          <div class="qr-placeholder">QR code…</div>
        )}
      </div>
      <p class="addr">
        <code data-testid="address">{d.depositAddress}</code>
      </p>
      <button type="button" class="copy" onClick={copy} data-testid="copy">
        {copied === 'copied'
          ? 'Copied ✓'
          : copied === 'failed'
            ? 'Copy failed: select the address'
            : 'Copy address'}
      </button>
      <p class="hint">
        Send exactly {trimDecimal(d.amount)} {d.currency}. The address is for this payment only.
      </p>
    </section>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
