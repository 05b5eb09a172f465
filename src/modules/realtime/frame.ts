// One graphql-ws message as bytes, and its WebSocket frame built at most once. A server's frames are not
// masked (RFC 6455 §5.1), so the same bytes go to every socket that gets the same message: the fan-out
// frames a message once per distinct subscription id instead of once per socket, and each socket costs a
// single write. A standard client (graphql-ws' createClient) gives every subscription its own id, so for
// real viewers that is once per socket: the frame is then built in one allocation, the WebSocket header,
// the subscriber's head and the shared payload copied into it once each.

/** The WebSocket header's length for a payload of `n` bytes: FIN, opcode text, no mask, the length. */
function headerLength(n: number): number {
  return n < 126 ? 2 : n < 0x10000 ? 4 : 10;
}

function writeHeader(f: Buffer, n: number): void {
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
}

export class Frame {
  private framed: Buffer | null = null;

  constructor(
    /** graphql-ws's `next` message up to its payload, for one subscription id: `{"id":…,"type":"next","payload":`. */
    private readonly head: Buffer,
    /** The payload's JSON text as UTF-8, shared by every frame of one message. */
    private readonly payload: Buffer,
  ) {}

  /** The message's JSON text (for a socket ws itself writes to). */
  get text(): string {
    const f = this.wire();
    return f.toString('utf8', headerLength(this.head.length + this.payload.length + 1));
  }

  /** The whole WebSocket frame: FIN, opcode text, no mask, the payload length, the message. */
  wire(): Buffer {
    if (this.framed) return this.framed;
    const n = this.head.length + this.payload.length + 1;
    const header = headerLength(n);
    const f = Buffer.allocUnsafe(header + n);
    writeHeader(f, n);
    this.head.copy(f, header);
    this.payload.copy(f, header + this.head.length);
    f[header + n - 1] = 0x7d; // }
    this.framed = f;
    return f;
  }
}

/** graphql-ws's `next` message for subscriber `head` (`{"id":…,"type":"next","payload":`) and a payload. */
export function nextFrame(head: Buffer, payload: Buffer): Frame {
  return new Frame(head, payload);
}
