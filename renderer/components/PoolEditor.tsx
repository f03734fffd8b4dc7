import { useState } from 'react';
import { backendSummary, fitSummary } from '../../core/hardware.js';
import { issuePath } from '../../core/runlog.js';
import { PoolFileSchema, type PoolFile, type TierStatus } from '../../core/app-api.js';
import { useApp } from '../store/index.js';

/** An editable tier: every field as the form holds it, checked by the core's schema on save. */
type Draft =
  | { kind: 'local'; name: string; model: string; gpuLayers: string; threads: string; contextSize: string; usdPerMtokIn: string; usdPerMtokOut: string }
  | { kind: 'cloud'; name: string; baseUrl: string; model: string; apiKeyEnv: string; usdPerMtokIn: string; usdPerMtokOut: string };

function toDraft(t: PoolFile['tiers'][number]): Draft {
  return t.kind === 'local'
    ? { kind: 'local', name: t.name, model: t.model, gpuLayers: String(t.gpuLayers), threads: t.threads === undefined ? '' : String(t.threads), contextSize: String(t.contextSize), usdPerMtokIn: String(t.usdPerMtokIn), usdPerMtokOut: String(t.usdPerMtokOut) }
    : { kind: 'cloud', name: t.name, baseUrl: t.baseUrl, model: t.model, apiKeyEnv: t.apiKeyEnv ?? '', usdPerMtokIn: String(t.usdPerMtokIn), usdPerMtokOut: String(t.usdPerMtokOut) };
}

const numberOr = (s: string) => (s.trim() === '' ? undefined : Number(s));

function fromDraft(d: Draft): unknown {
  if (d.kind === 'local') {
    const gpu = d.gpuLayers.trim();
    return {
      kind: 'local', name: d.name.trim(), model: d.model.trim(),
      gpuLayers: gpu === 'auto' || gpu === 'max' || gpu === '' ? (gpu || 'auto') : Number(gpu),
      threads: numberOr(d.threads), contextSize: numberOr(d.contextSize),
      usdPerMtokIn: numberOr(d.usdPerMtokIn), usdPerMtokOut: numberOr(d.usdPerMtokOut),
    };
  }
  return {
    kind: 'cloud', name: d.name.trim(), baseUrl: d.baseUrl.trim(), model: d.model.trim(), apiKeyEnv: d.apiKeyEnv.trim() || undefined,
    usdPerMtokIn: numberOr(d.usdPerMtokIn), usdPerMtokOut: numberOr(d.usdPerMtokOut),
  };
}

const NEW_LOCAL: Draft = { kind: 'local', name: 'local-tier', model: '../shared/models/stories260K.gguf', gpuLayers: '0', threads: '1', contextSize: '1024', usdPerMtokIn: '0', usdPerMtokOut: '0' };
const NEW_CLOUD: Draft = { kind: 'cloud', name: 'cloud-tier', baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini', apiKeyEnv: 'OPENAI_API_KEY', usdPerMtokIn: '0.15', usdPerMtokOut: '0.6' };

function Field({ label, value, onChange, hint }: { label: string; value: string; onChange(v: string): void; hint?: string }) {
  return (
    <label className="field">
      {label}
      <input type="text" value={value} onChange={(e) => onChange(e.target.value)} spellCheck={false} />
      {hint && <span className="hint">{hint}</span>}
    </label>
  );
}

function TierFields({ draft, onChange }: { draft: Draft; onChange(d: Draft): void }) {
  const set = (key: string) => (v: string) => onChange({ ...draft, [key]: v } as Draft);
  return draft.kind === 'local' ? (
    <div className="row">
      <Field label="Name" value={draft.name} onChange={set('name')} />
      <Field label="GGUF file" value={draft.model} onChange={set('model')} />
      <Field label="GPU layers" value={draft.gpuLayers} onChange={set('gpuLayers')} hint="a number, auto or max" />
      <Field label="Threads" value={draft.threads} onChange={set('threads')} />
      <Field label="Context size" value={draft.contextSize} onChange={set('contextSize')} />
      <Field label="USD / Mtok in" value={draft.usdPerMtokIn} onChange={set('usdPerMtokIn')} />
      <Field label="USD / Mtok out" value={draft.usdPerMtokOut} onChange={set('usdPerMtokOut')} />
    </div>
  ) : (
    <div className="row">
      <Field label="Name" value={draft.name} onChange={set('name')} />
      <Field label="Base URL" value={draft.baseUrl} onChange={set('baseUrl')} />
      <Field label="Model" value={draft.model} onChange={set('model')} />
      <Field label="API key environment variable" value={draft.apiKeyEnv} onChange={set('apiKeyEnv')} hint="its name, never the key" />
      <Field label="USD / Mtok in" value={draft.usdPerMtokIn} onChange={set('usdPerMtokIn')} />
      <Field label="USD / Mtok out" value={draft.usdPerMtokOut} onChange={set('usdPerMtokOut')} />
    </div>
  );
}

/** Edits the live pool (cheapest tier first: the order is the escalation ladder). */
export function PoolEditor({ pool, status }: { pool: PoolFile | null; status: readonly TierStatus[] }) {
  const setPool = useApp((s) => s.setPool);
  const busy = useApp((s) => s.workspaceBusy);
  const hardware = useApp((s) => s.hardware);
  const fits = hardware?.tiers;
  const [drafts, setDrafts] = useState<Draft[]>(() => pool?.tiers.map(toDraft) ?? []);
  const [problem, setProblem] = useState<string | null>(null);

  function save() {
    const parsed = PoolFileSchema.safeParse({ version: 1, tiers: drafts.map(fromDraft) });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      setProblem(`pool field "${issuePath(issue.path)}": ${issue.message}`);
      return;
    }
    setProblem(null);
    void setPool(parsed.data);
  }
  const move = (i: number, by: number) => setDrafts((ds) => {
    const next = [...ds];
    [next[i], next[i + by]] = [next[i + by], next[i]];
    return next;
  });

  return (
    <div>
      {hardware && <p className="hint" data-testid="pool-backend">Local tiers run on {backendSummary(hardware.backend)}.</p>}
      {drafts.length === 0 && <p className="muted">No live tiers yet. The run log's models are used for tuning; live runs, the live cascade and compare need tiers here.</p>}
      <ol>
        {drafts.map((d, i) => {
          const st = status.find((s) => s.name === d.name);
          const fit = d.kind === 'local' ? fits?.find((f) => f.tier === d.name) : undefined;
          return (
            <li key={i}>
              <fieldset>
                <legend>
                  {d.kind === 'local' ? 'Local GGUF tier' : 'Cloud tier'} {i + 1}
                  {st && (st.ready ? <span className="ok"> ✓ {st.name} ready</span> : <span className="error"> ✗ {st.name}: {st.problem ?? 'not ready'}</span>)}
                </legend>
                {fit && (
                  <p className={fit.fit ? 'hint' : 'error'} data-testid={`fit-${d.name}`}>
                    {fit.fit ? `Before loading: ${fitSummary(fit.fit)}` : fit.problem}
                  </p>
                )}
                <TierFields draft={d} onChange={(nd) => setDrafts((ds) => ds.map((x, j) => (j === i ? nd : x)))} />
                <div className="row">
                  <button type="button" className="btn" disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move tier ${d.name} up`}>↑</button>
                  <button type="button" className="btn" disabled={i === drafts.length - 1} onClick={() => move(i, 1)} aria-label={`Move tier ${d.name} down`}>↓</button>
                  <button type="button" className="btn" onClick={() => setDrafts((ds) => ds.filter((_, j) => j !== i))}>Remove {d.name}</button>
                </div>
              </fieldset>
            </li>
          );
        })}
      </ol>
      <div className="row">
        <button type="button" className="btn" onClick={() => setDrafts((ds) => [...ds, NEW_LOCAL])}>Add local tier</button>
        <button type="button" className="btn" onClick={() => setDrafts((ds) => [...ds, NEW_CLOUD])}>Add cloud tier</button>
        <button type="button" className="btn btn-primary" disabled={busy} onClick={save}>Save pool</button>
      </div>
      {problem && <p className="error" role="alert">{problem}</p>}
    </div>
  );
}
