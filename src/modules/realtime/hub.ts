import type { Logger } from '../../lib/logger.js';
import { type Frame, nextFrame } from './frame.js';

// The live fan-out of one API process (issue 14). Subscribers of the same topic (a stream's donations, a
// user's balance) that sent the same document and variables and see the same things form a group; a
// message is rendered once per group (the GraphQL execution and its JSON, `render`) and the same text is
// written to every socket of the group, in a graphql-ws `next` frame with that subscriber's id: the frame's
// bytes are built once per distinct id (frame.ts), so a socket costs one write. The process subscribes to
// each topic once, whatever its number of subscribers.
//
// Writes are batched when messages come faster than they are written: the first message dispatched in an
// event-loop turn is written to each socket at once; from the second on, each socket is corked until the turn
// ends (setImmediate), so the rest go out in one write per socket, not one per message. A process that falls
// behind (many donations arriving while it writes the last) thus writes each socket once per turn; one message
// at a time costs nothing more.
//
// Slow readers (a socket whose unsent bytes pile up) never hold the others back, and are handled by one rule
// per kind of stream:
// - `latest` (a balance): past COALESCE bytes unsent, only the newest message is kept for the subscriber
//   and written once the socket has drained below that mark.
// - `every` (donations, history rows): nothing is ever dropped from a subscriber that keeps up; a socket
//   past SLOW bytes unsent is closed with 4408 `too_slow`, and its client reconnects and catches up with the
//   `events` query.

export type Policy = 'latest' | 'every';

/** A subscriber's socket, as the fan-out sees it. */
export interface Sink {
  send(frame: Frame): void;
  /** False once the socket is closing: nothing more is written to it. */
  readonly open: boolean;
  /** Bytes the client has not taken yet (not counting those written into it while held this turn). */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
  /** Holds this socket's writes (its own frames and ws's alike, in order) until `release`. */
  hold?(): void;
  release?(): void;
}

export const CLOSE_TOO_SLOW = 4408;

export interface HubLimits {
  /** Unsent bytes past which a `latest` subscriber gets only the newest message. */
  coalesceBytes: number;
  /** Unsent bytes past which an `every` subscriber's socket is closed (too_slow). */
  slowBytes: number;
}

interface Subscriber {
  id: string;
  /** `{"id":"…","type":"next","payload":` for this subscriber, built once. */
  head: Buffer;
  /** How many subscribers of its group have its id (one object shared by them all): one, and its frame is its own. */
  twins: { n: number };
  sink: Sink;
  /** A coalesced frame waiting for the socket to drain (`latest` only). */
  pending: Frame | null;
}

interface Group {
  /** Its key in its topic's `groups` (kept here, so a subscriber's remover holds no key text of its own). */
  key: string;
  render: (payload: unknown) => string | Promise<string>;
  policy: Policy;
  subscribers: Set<Subscriber>;
  /** Each id's `twins` counter, for the subscribers that join with it. */
  ids: Map<string, { n: number }>;
}

interface Topic {
  id: string;
  groups: Map<string, Group>;
  stop: () => void;
}

/** Where the fan-out gets a topic's messages from: one subscription per topic and process. */
export type TopicSource = (name: string, key: string) => AsyncIterable<unknown>;

const DRAIN_CHECK_MS = 50;

export class FanoutHub {
  private readonly topics = new Map<string, Topic>();
  private readonly coalesced = new Set<Subscriber>();
  private drainTimer: NodeJS.Timeout | null = null;
  /** Messages dispatched in this event-loop turn; from the second on, sockets are held until it ends. */
  private dispatchedThisTurn = 0;
  private readonly held = new Set<Sink>();
  /** Counters for tests, metrics and the benchmark (`heldFrames`: frames written into a held socket). */
  readonly stats = { messages: 0, renders: 0, frames: 0, coalesced: 0, slowClosed: 0, heldFrames: 0 };

  constructor(
    private readonly source: TopicSource,
    private readonly limits: HubLimits,
    private readonly log: Logger,
  ) {}

  /** Registers a subscriber; returns how to remove it (on `complete`, or when its socket closes). */
  add(
    topic: { name: string; key: string },
    groupKey: string,
    entry: { id: string; sink: Sink; policy: Policy; render: Group['render'] },
  ): () => void {
    const topicId = `${topic.name}\u0000${topic.key}`;
    let t = this.topics.get(topicId);
    if (!t) {
      t = this.open(topicId, topic);
      this.topics.set(topicId, t);
    }
    let g = t.groups.get(groupKey);
    if (!g) {
      g = {
        key: groupKey,
        render: entry.render,
        policy: entry.policy,
        subscribers: new Set(),
        ids: new Map(),
      };
      t.groups.set(groupKey, g);
    }
    let twins = g.ids.get(entry.id);
    if (!twins) {
      twins = { n: 0 };
      g.ids.set(entry.id, twins);
    }
    twins.n++;
    const s: Subscriber = {
      id: entry.id,
      head: Buffer.from(`{"id":${JSON.stringify(entry.id)},"type":"next","payload":`),
      twins,
      sink: entry.sink,
      pending: null,
    };
    g.subscribers.add(s);
    return this.remover(t, g, s);
  }

  /** How a subscriber leaves: a closure over the shared topic and group, not over per-call key strings. */
  private remover(owner: Topic, group: Group, s: Subscriber): () => void {
    return () => {
      if (!group.subscribers.delete(s)) return;
      if (--s.twins.n === 0) group.ids.delete(s.id);
      this.coalesced.delete(s);
      if (group.subscribers.size > 0 || owner.groups.get(group.key) !== group) return;
      owner.groups.delete(group.key);
      if (owner.groups.size > 0 || this.topics.get(owner.id) !== owner) return;
      owner.stop();
      this.topics.delete(owner.id);
    };
  }

  /** Subscribers in this process (for metrics and tests). */
  get size(): number {
    let n = 0;
    for (const t of this.topics.values()) for (const g of t.groups.values()) n += g.subscribers.size;
    return n;
  }

  /** What is registered: every count is zero once every subscriber has left (tests, metrics). */
  get registered(): { topics: number; groups: number; subscribers: number; coalesced: number } {
    let groups = 0;
    for (const t of this.topics.values()) groups += t.groups.size;
    return { topics: this.topics.size, groups, subscribers: this.size, coalesced: this.coalesced.size };
  }

  private open(topicId: string, topic: { name: string; key: string }): Topic {
    const iterator = this.source(topic.name, topic.key)[Symbol.asyncIterator]();
    let stopped = false;
    const t: Topic = {
      id: topicId,
      groups: new Map(),
      stop: () => {
        stopped = true;
        void iterator.return?.();
      },
    };
    void (async () => {
      try {
        for (;;) {
          const r = await iterator.next();
          if (r.done || stopped) return;
          await this.dispatch(t, r.value);
        }
      } catch (err) {
        if (!stopped)
          this.log.error({ err, topic: topicId }, 'live topic failed; its subscribers get nothing more');
      }
    })();
    return t;
  }

  private async dispatch(t: Topic, payload: unknown): Promise<void> {
    this.stats.messages++;
    if (this.dispatchedThisTurn++ === 0) setImmediate(this.endTurn);
    for (const g of t.groups.values()) {
      if (g.subscribers.size === 0) continue;
      let text: string;
      try {
        text = await g.render(payload);
      } catch (err) {
        this.log.error({ err }, 'could not render a live message');
        continue;
      }
      this.stats.renders++;
      const bytes = Buffer.from(text);
      // Subscribers that chose the same id (raw clients often number theirs from 1) share one frame's bytes;
      // one whose id is its own (graphql-ws' createClient gives each subscription a UUID) gets its frame
      // without a lookup.
      let frames: Map<string, Frame> | null = null;
      // Read after the render's await: an earlier dispatch of this turn may have started meanwhile.
      const hold = this.dispatchedThisTurn > 1;
      for (const s of g.subscribers) {
        let f: Frame | undefined;
        if (s.twins.n === 1) f = nextFrame(s.head, bytes);
        else {
          frames ??= new Map();
          f = frames.get(s.id);
          if (!f) {
            f = nextFrame(s.head, bytes);
            frames.set(s.id, f);
          }
        }
        this.deliver(s, g.policy, f, hold);
      }
    }
  }

  private deliver(s: Subscriber, policy: Policy, frame: Frame, hold: boolean): void {
    if (!s.sink.open) return;
    const buffered = s.sink.bufferedAmount;
    if (policy === 'latest' && (buffered > this.limits.coalesceBytes || s.pending !== null)) {
      s.pending = frame;
      this.stats.coalesced++;
      this.coalesced.add(s);
      this.drainTimer ??= setTimeout(() => this.drain(), DRAIN_CHECK_MS);
      return;
    }
    if (policy === 'every' && buffered > this.limits.slowBytes) {
      this.stats.slowClosed++;
      s.sink.close(CLOSE_TOO_SLOW, 'too_slow');
      return;
    }
    this.stats.frames++;
    if (hold) this.hold(s.sink);
    s.sink.send(frame);
  }

  private hold(sink: Sink): void {
    if (!sink.hold) return;
    this.stats.heldFrames++;
    if (this.held.has(sink)) return;
    sink.hold();
    this.held.add(sink);
  }

  /** The turn is over: every held socket writes what it was given in one write. */
  private readonly endTurn = (): void => {
    this.dispatchedThisTurn = 0;
    const sinks = [...this.held];
    this.held.clear();
    for (const sink of sinks) {
      try {
        sink.release?.();
      } catch (err) {
        this.log.error({ err }, 'could not release a held live socket');
      }
    }
  };

  /** Writes the newest coalesced message of every subscriber whose socket has drained. */
  private drain(): void {
    this.drainTimer = null;
    for (const s of this.coalesced) {
      if (!s.sink.open) {
        this.coalesced.delete(s);
        continue;
      }
      if (s.sink.bufferedAmount > this.limits.coalesceBytes) continue;
      this.coalesced.delete(s);
      const frame = s.pending;
      s.pending = null;
      if (frame) {
        this.stats.frames++;
        s.sink.send(frame);
      }
    }
    if (this.coalesced.size > 0) this.drainTimer = setTimeout(() => this.drain(), DRAIN_CHECK_MS);
  }

  close(): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    for (const t of this.topics.values()) t.stop();
    this.endTurn();
    this.topics.clear();
    this.coalesced.clear();
  }
}
