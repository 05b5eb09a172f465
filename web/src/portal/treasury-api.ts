import { adminGql } from './api';
import { PortalPauseSweeping, PortalSweepAddress, PortalSweepNow } from './treasury-documents';

// The treasury panel's admin mutations with the portal session, each reduced to what the panel shows: what was
// done (the queued job's id, the new pause state), or the refusal's message and code, as the API answered.

export type Mode = 'LIVE' | 'TEST';

export type Outcome =
  | { ok: true; text: string; jobId: string | null }
  | { ok: false; text: string; code: string };

type Refusal = { __typename: string; code?: string; message?: string };

function refused(r: Refusal): Outcome {
  const code = r.code ?? r.__typename;
  return { ok: false, code, text: `Refused: ${r.message ?? r.__typename} (${code})` };
}

/** A sweep pass of the network's queue now. */
export async function sweepNow(network: string, mode: Mode): Promise<Outcome> {
  const r = (await adminGql(PortalSweepNow, { network, mode })).sweepNow;
  if (r.__typename !== 'SweepRequest' || !('jobId' in r)) return refused(r as Refusal);
  return { ok: true, jobId: r.jobId, text: `Sweep pass queued: job ${r.jobId}` };
}

/** Pauses (with the reason) or resumes (reason null) the network's sweeping. */
export async function setPaused(
  network: string,
  mode: Mode,
  paused: boolean,
  reason: string | null,
): Promise<Outcome> {
  const r = (await adminGql(PortalPauseSweeping, { network, mode, paused, reason })).pauseSweeping;
  if (r.__typename !== 'SweepingControl' || !('paused' in r)) return refused(r as Refusal);
  return {
    ok: true,
    jobId: null,
    text: `${r.paused ? 'Paused' : 'Resumed'} by ${r.changedBy}${reason ? `: ${reason}` : ''}`,
  };
}

/** The sweep of one deposit address now, whatever the threshold. */
export async function sweepAddress(network: string, mode: Mode, address: string): Promise<Outcome> {
  const r = (await adminGql(PortalSweepAddress, { network, mode, address })).sweepAddress;
  if (r.__typename !== 'SweepRequest' || !('jobId' in r)) return refused(r as Refusal);
  return {
    ok: true,
    jobId: r.jobId,
    text: `Sweep of ${r.address} queued (${r.unsweptBaseUnits ?? '?'} token units unswept): job ${r.jobId}`,
  };
}
