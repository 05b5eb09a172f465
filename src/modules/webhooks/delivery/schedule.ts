// The retry schedule of docs/api.md "Webhooks": the delay before the next attempt after `attempt` failed ones is
// the schedule's entry (the last one repeats), with ±20 % jitter so the retries of a burst spread out.

export function retryDelayMs(scheduleMs: number[], attempt: number, random = Math.random): number {
  const base = scheduleMs[Math.min(attempt, scheduleMs.length) - 1] ?? scheduleMs.at(-1) ?? 1000;
  return Math.round(base * (0.8 + random() * 0.4));
}
