import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useTestApp } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';
import { keyInit, wsClient } from '../helpers/ws.js';

// A stop closes every WebSocket with 1001 and then drains HTTP (docs/runbook.md, Stopping). A viewer whose
// network went away silently (a phone that lost signal, a frozen tab) never answers the close frame, and ws
// waits 30 s for an answer before it gives up: the stop waited for it with the HTTP listener still open, so
// the instance kept taking new requests and, SHUTDOWN_TIMEOUT_MS (15 s) later, exited with code 1 without
// draining requests, ledger batches or workers. One such viewer among a stream's audience is the normal case.

const t = useTestApp({ shutdownDrainMs: 500 });
let url = '';
beforeAll(async () => {
  url = await t.app.listen(0, '127.0.0.1');
});

/** A socket past connection_ack that then stops reading anything (its TCP socket paused). */
async function unresponsiveSocket(m: { apiKey: string; apiSecret: string }) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  const acked = new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') resolve();
    });
    ws.once('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload: keyInit(m) }));
  await acked;
  (ws as unknown as { _socket: { pause(): void } })._socket.pause();
  return ws;
}

describe('stopping with a WebSocket client that does not answer', () => {
  it('closes the others with 1001 and stops without waiting for the silent one', {
    timeout: 10_000,
  }, async () => {
    const m = await t.merchant();
    const live = wsClient(`${url.replace('http', 'ws')}/graphql`, keyInit(m));
    const sub = live.subscribe('subscription { donationReceived(streamId: "s1") { id } }');
    expect(await eventually(() => t.app.sockets!.indexedSockets() === 1)).toBe(true);
    // Another key: a second socket of one key signed in the same second is refused as a replay.
    const silent = await unresponsiveSocket(await t.merchant());
    expect(await eventually(() => t.app.sockets!.indexedSockets() === 2)).toBe(true);

    // ws alone would wait 30 s for the silent socket's close frame; the test's 10 s are the bar.
    await t.app.stop();
    await sub.done;
    expect(live.closeCode()).toBe(1001);
    expect(t.app.sockets!.indexedSockets()).toBe(0);
    silent.terminate();
  });
});
