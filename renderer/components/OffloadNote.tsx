import { offloadSummary, threadsNote, type TierOffload } from '../../core/hardware.js';

/** A local tier's backend, layers offloaded and memory, beside its TTFT and TPOT; what its CPU threads do on hover. */
export function OffloadNote({ offload }: { offload: TierOffload | undefined }) {
  if (!offload) return null;
  return <span title={threadsNote(offload)} data-testid="offload"> · {offloadSummary(offload)}</span>;
}
