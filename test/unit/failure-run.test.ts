import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FailureRun } from '../../src/lib/failure-run.js';
import { capturedLog } from '../helpers/log.js';

// A recurring task's failures logged once per run (src/lib/failure-run.ts): whatever the sequence of failures
// and successes, one warning opens each run of failures and one info line with its length closes it.

describe('FailureRun', () => {
  it('logs one warning per run of failures and one line with its length when the task works again', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 60 }), (outcomes) => {
        const { log, lines } = capturedLog<{ level: number; msg: string; n?: number; err?: string }>();
        const run = new FailureRun(log, { failing: 'down', recovered: 'back', countField: 'n' });
        const expected: { level: number; msg: string; n?: number }[] = [];
        let streak = 0;
        for (const ok of outcomes) {
          if (ok) {
            run.worked();
            if (streak > 0) expected.push({ level: 30, msg: 'back', n: streak });
            streak = 0;
          } else {
            run.failed(new Error('boom'));
            if (streak === 0) expected.push({ level: 40, msg: 'down' });
            streak++;
          }
          expect(run.failing).toBe(streak);
        }
        expect(
          lines.map(({ level, msg, n }) => (n === undefined ? { level, msg } : { level, msg, n })),
        ).toEqual(expected);
        for (const l of lines.filter((x) => x.level === 40)) expect(l.err).toBe('boom');
      }),
    );
  });
});
