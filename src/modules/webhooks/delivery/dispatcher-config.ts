// The settings and hooks of a DeliveryDispatcher (dispatcher.ts), from the worker's config (jobs/webhooks.ts).

export interface DispatcherConfig {
  databaseUrl: string;
  concurrency: number;
  perEndpoint: number;
  timeoutMs: number;
  retryScheduleMs: number[];
  disableAfterMs: number;
  /** Lease length; renewed while held. A killed worker's deliveries are sent again after this long. */
  leaseMs: number;
  /** The backstop poll for due deliveries nothing woke the dispatcher for. */
  pollMs: number;
  /** A failing endpoint's first wait between probes (backoff.ts); 0: no back-off. Default 1000. */
  failingProbeMs?: number;
  /** The longest wait between probes. Default 60 s. */
  failingProbeMaxMs?: number;
}

export interface DispatcherHooks {
  /** Mirrors a scheduled retry where ops can see it (BullMQ's delayed job); best effort. */
  retryScheduled?: (eventId: string, endpointId: string, attempt: number, delayMs: number) => void;
  /** While true (the queue is paused on the dashboard), nothing is claimed. */
  paused?: () => Promise<boolean>;
}
