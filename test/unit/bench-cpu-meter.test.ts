import { describe, expect, it } from 'vitest';
import { cpuMeter, notQuiet, phasesMeasured } from '../../bench/lib/cpu.js';

// The benches' CPU meter (bench/lib/cpu.ts) counts every phase it ends in the report's quiet line
// (report.ts: "NOT QUIET: k of n phases"). The webhooks bench ends one measure it drops (the load while the
// worker is paused, measured again for the drain): ended like a reported phase, it counted in n, and made the
// run NOT QUIET when another process was busy during a part whose numbers the report does not show.
describe('the benches’ CPU meter', () => {
  it('counts a phase it ends, and not one it cancels', () => {
    const n = phasesMeasured();
    const noisy = notQuiet.length;
    const dropped = cpuMeter();
    dropped.cancel();
    expect(phasesMeasured()).toBe(n);
    expect(notQuiet.length).toBe(noisy);
    const reported = cpuMeter();
    expect(reported().machine).toBeGreaterThanOrEqual(0);
    expect(phasesMeasured()).toBe(n + 1);
  });
});
