import { useApp } from '../store/index.js';

/** What a view that needs a tune shows before one exists: progress, the tune's error, or how to get one. */
export function NotTuned({ what }: { what: string }) {
  const tuning = useApp((s) => s.tuning);
  const error = useApp((s) => s.tuneError);
  const hasWorkspace = useApp((s) => s.workspace !== null);
  if (tuning) return <p className="muted" role="status">Tuning the workspace… the {what} appears when the engine is done.</p>;
  if (error) return <p className="error" role="alert">{error}</p>;
  return <p className="muted">No {what} yet: {hasWorkspace ? 'tune the workspace (Cluster map → k)' : 'load a run log in the Workspace view'}.</p>;
}
