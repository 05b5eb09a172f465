// One graphql-ws message as bytes, and its WebSocket frame built at most once. A server's frames are not
// masked (RFC 6455 §5.1), so the same bytes go to every socket that gets the same message: the fan-out
// frames a message once per distinct subscription id instead of once per socket, and each socket costs a
// single write.

export class Frame {
  private framed: Buffer | null = null;

  constructor(
    /** The message's JSON text as UTF-8. */
    readonly data: Buffer,
  ) {}

  get text(): string {
    return this.data.toString('utf8');
  }

  /** The whole WebSocket frame: FIN, opcode text, no mask, the payload length, the payload. */
  wire(): Buffer {
    if (this.framed) return this.framed;
    const n = this.data.length;
    const header = n < 126 ? 2 : n < 0x10000 ? 4 : 10;
    const f = Buffer.allocUnsafe(header + n);
    f[0] = 0x81;
    if (n < 126) f[1] = n;
    else if (n < 0x10000) {
      f[1] = 126;
      f.writeUInt16BE(n, 2);
    } else {
      f[1] = 127;
      f.writeUInt32BE(0, 2);
      f.writeUInt32BE(n, 6);
    }
    this.data.copy(f, header);
    this.framed = f;
    return f;
  }
}

/** graphql-ws's `next` message for subscriber `head` (`{"id":…,"type":"next","payload":`) and a payload. */
export function nextFrame(head: Buffer, payload: Buffer): Frame {
  const data = Buffer.allocUnsafe(head.length + payload.length + 1);
  head.copy(data, 0);
  payload.copy(data, head.length);
  data[data.length - 1] = 0x7d; // }
  return new Frame(data);
}
