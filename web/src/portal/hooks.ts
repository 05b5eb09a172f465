import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError } from '../lib/graphql';
import { errorText } from './api';
import type { FeedItem, Note } from './types';

// Hooks shared by the portal's panels.

/** The API refused the field to admins (as opposed to failing). */
export function isRefusal(e: unknown): boolean {
  return e instanceof ApiError && e.code === 'forbidden';
}

/** How often `ops` is polled: `?poll=<ms>` (0.5 s to 60 s), 5 s by default. */
export function usePollMs(): number {
  return useMemo(() => {
    const v = Number.parseInt(new URLSearchParams(window.location.search).get('poll') ?? '', 10);
    return Number.isFinite(v) ? Math.min(60_000, Math.max(500, v)) : 5000;
  }, []);
}

/** The live feed's lines, newest first (at most 200), and the function that adds one. */
export function useFeed(): [FeedItem[], Note] {
  const [feed, setFeed] = useState<FeedItem[]>([]);
  const note = useCallback((text: string) => {
    setFeed((f) => [{ at: new Date().toISOString(), text }, ...f].slice(0, 200));
  }, []);
  return [feed, note];
}

/**
 * Calls `fn` every `ms` while mounted (and once at once when `immediate`). A call still running when the
 * next one is due is not overlapped: the tick is skipped.
 */
export function useInterval(fn: () => Promise<void> | void, ms: number, immediate = false): void {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    let running = false;
    const tick = async () => {
      if (running) return;
      running = true;
      try {
        await latest.current();
      } finally {
        running = false;
      }
    };
    if (immediate) void tick();
    const t = setInterval(() => void tick(), ms);
    return () => clearInterval(t);
  }, [ms, immediate]);
}

/**
 * Reads something with `load` when mounted and whenever `deps` change; `reload` reads it again. A failed read
 * keeps the last value and says why in `error`.
 */
export function useLoaded<T>(load: () => Promise<T>, deps: unknown[]) {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setValue(await load());
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, deps);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { value, error, reload };
}
