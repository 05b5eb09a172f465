import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import ipaddr from 'ipaddr.js';

/** What the server does with one question: answer these addresses (none: an empty answer), NXDOMAIN, or drop it. */
export type DnsAnswer = string[] | 'nxdomain' | 'drop';

const TYPE_A = 1;
const TYPE_AAAA = 28;

/**
 * A DNS server on 127.0.0.1 (UDP) for tests, in the role of a name server that a merchant controls: `answer`
 * decides each question (a name server that drops queries leaves them unanswered). Point a
 * `dns.promises.Resolver` at it with `setServers([server.address])`.
 */
export async function startDnsServer(answer: (name: string, type: 'A' | 'AAAA' | 'other') => DnsAnswer) {
  const queries: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    // Header (12 bytes), then the question: labels up to a zero byte, type and class.
    let at = 12;
    const labels: string[] = [];
    while (at < msg.length && msg[at] !== 0) {
      labels.push(msg.toString('latin1', at + 1, at + 1 + msg[at]!));
      at += 1 + msg[at]!;
    }
    const question = msg.subarray(12, at + 5);
    const qtype = msg.readUInt16BE(at + 1);
    const name = labels.join('.').toLowerCase();
    const type = qtype === TYPE_A ? 'A' : qtype === TYPE_AAAA ? 'AAAA' : 'other';
    queries.push(`${type} ${name}`);
    const a = answer(name, type);
    if (a === 'drop') return;
    const records = a === 'nxdomain' ? [] : a.filter((x) => (x.includes(':') ? 'AAAA' : 'A') === type);
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // the id
    header.writeUInt16BE(0x8180 | (msg.readUInt16BE(2) & 0x0100) | (a === 'nxdomain' ? 3 : 0), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length, 6);
    const rrs = records.map((address) => {
      const data = Buffer.from(ipaddr.parse(address).toByteArray());
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      rr.writeUInt16BE(qtype, 2);
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(0, 6); // TTL 0: nothing is cached
      rr.writeUInt16BE(data.length, 10);
      return Buffer.concat([rr, data]);
    });
    socket.send(Buffer.concat([header, question, ...rrs]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    /** Questions received, as "A name" / "AAAA name". */
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
