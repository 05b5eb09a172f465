import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { nextFrame } from '../../src/modules/realtime/frame.js';

// The fan-out writes prebuilt frames straight to each TCP socket (src/modules/realtime/frame.ts): a real ws
// client must read them as the text they carry, for every length encoding of RFC 6455 (7-bit, 16-bit and
// 64-bit), in order with frames ws itself sends.
let wss: WebSocketServer;
let url = '';

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => wss.close(r)));

describe('prebuilt graphql-ws frames', () => {
  it('reach a ws client intact at every payload length, between frames ws sends itself', async () => {
    const server = new Promise<WebSocket>((r) => wss.once('connection', r));
    const client = new WebSocket(url);
    const got: string[] = [];
    client.on('message', (m) => got.push(String(m)));
    await new Promise((r) => client.once('open', r));
    const socket = await server;
    const raw = (socket as unknown as { _socket: unknown })._socket;
    expect(raw).toBeInstanceOf(Socket);
    const head = Buffer.from('{"id":"é-1","type":"next","payload":');
    const expected: string[] = [];
    for (const n of [0, 60, 200, 70_000]) {
      const payload = JSON.stringify({ data: { text: 'ü'.repeat(n) } });
      const frame = nextFrame(head, Buffer.from(payload));
      (raw as Socket).write(frame.wire());
      expected.push(`${head}${payload}}`);
      expect(frame.text).toBe(`${head}${payload}}`); // what ws itself sends, for a socket the hub cannot write to
      socket.send(`plain ${n}`);
      expected.push(`plain ${n}`);
    }
    await expect.poll(() => got.length).toBe(expected.length);
    expect(got).toEqual(expected);
    for (const text of got.filter((t) => t.startsWith('{'))) expect(JSON.parse(text).id).toBe('é-1');
    client.close();
  });
});
