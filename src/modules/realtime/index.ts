// The realtime module's public surface: what the rest of the system may import from it.
export type { Frame } from './frame.js';
export { FanoutHub, type Policy, type Sink, type TopicSource } from './hub.js';
export { liveSource, liveStream, opsEventsKey } from './ops-live.js';
