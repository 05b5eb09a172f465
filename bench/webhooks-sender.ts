// The baseline of `npm run bench -- webhooks`, in its own process as the server's webhook worker is: a
// plain loop of `fetch` POSTs (undici, as the worker uses) of a given body to the local receiver, with a
// fixed number in flight. Started by bench/lib/proc.ts callNodeScript: one request in, one answer out.

export interface SendRequest {
  urls: string[];
  total: number;
  concurrency: number;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

export interface SendResult {
  statuses: Record<string, number>;
  seconds: number;
}

const now = () => performance.timeOrigin + performance.now();

async function send(r: SendRequest): Promise<SendResult> {
  const statuses: Record<string, number> = {};
  const count = (k: string) => {
    statuses[k] = (statuses[k] ?? 0) + 1;
  };
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < r.total) {
      const seq = next++;
      try {
        const res = await fetch(r.urls[seq % r.urls.length]!, {
          method: 'POST',
          body: r.body,
          headers: { ...r.headers, 'x-bench-seq': String(seq), 'x-bench-sent': String(now()) },
          redirect: 'manual',
          signal: AbortSignal.timeout(r.timeoutMs),
        });
        await res.text();
        count(String(res.status));
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        count(`error ${e.cause?.code ?? e.name}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(r.concurrency, r.total) }, worker));
  return { statuses, seconds: (performance.now() - started) / 1000 };
}

process.once('message', (r: SendRequest) => {
  send(r).then(
    (result) => process.send!(result),
    (err: Error) => process.send!({ statuses: { [`crashed: ${err.message}`]: 1 }, seconds: 0 }),
  );
});
process.on('disconnect', () => process.exit(0));
