import { useEffect, useState } from 'react';
import { backendSummary, fitSummary } from '../../core/hardware.js';
import { parsePoolFile } from '../../core/pool.js';
import type { ModelFileInfo, PoolFile, TierSpec, TierStatus } from '../../core/app-api.js';
import { nativeModelFilePicker } from '../api/index.js';
import { count } from '../format.js';
import { useApp } from '../store/index.js';
import { describeError } from '../store/types.js';

/**
 * An editable tier: every field the form shows as the form holds it, checked by the core's pool
 * parser on save. `base` is the tier as saved, so fields the form does not show (sampling,
 * concurrency, a models folder…) survive an edit.
 */
type Draft = { base: TierSpec | null; standsFor: string[] } & (
  | { kind: 'local'; name: string; model: string; gpuLayers: string; threads: string; contextSize: string; usdPerMtokIn: string; usdPerMtokOut: string }
  | { kind: 'cloud'; name: string; baseUrl: string; model: string; apiKeyEnv: string; usdPerMtokIn: string; usdPerMtokOut: string }
);

function toDraft(t: TierSpec): Draft {
  const common = { base: t, standsFor: t.standsFor ?? [], name: t.name, model: t.model, usdPerMtokIn: String(t.usdPerMtokIn), usdPerMtokOut: String(t.usdPerMtokOut) };
  return t.kind === 'local'
    ? { ...common, kind: 'local', gpuLayers: String(t.gpuLayers), threads: t.threads === undefined ? '' : String(t.threads), contextSize: String(t.contextSize) }
    : { ...common, kind: 'cloud', baseUrl: t.baseUrl, apiKeyEnv: t.apiKeyEnv ?? '' };
}

const numberOr = (s: string) => (s.trim() === '' ? undefined : Number(s));

function fromDraft(d: Draft): unknown {
  const common = { ...d.base, name: d.name.trim(), model: d.model.trim(), standsFor: d.standsFor.length ? d.standsFor : undefined, usdPerMtokIn: numberOr(d.usdPerMtokIn), usdPerMtokOut: numberOr(d.usdPerMtokOut) };
  if (d.kind === 'local') {
    const gpu = d.gpuLayers.trim();
    return {
      ...common, kind: 'local',
      gpuLayers: gpu === 'auto' || gpu === 'max' || gpu === '' ? (gpu || 'auto') : Number(gpu),
      threads: numberOr(d.threads), contextSize: numberOr(d.contextSize),
    };
  }
  return { ...common, kind: 'cloud', baseUrl: d.baseUrl.trim(), apiKeyEnv: d.apiKeyEnv.trim() || undefined };
}

const NEW_LOCAL: Draft = { base: null, standsFor: [], kind: 'local', name: 'local-tier', model: '../shared/models/stories260K.gguf', gpuLayers: '0', threads: '1', contextSize: '1024', usdPerMtokIn: '0', usdPerMtokOut: '0' };
const NEW_CLOUD: Draft = { base: null, standsFor: [], kind: 'cloud', name: 'cloud-tier', baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini', apiKeyEnv: 'OPENAI_API_KEY', usdPerMtokIn: '0.15', usdPerMtokOut: '0.6' };

/** A node-llama-cpp model URI (hf:…, https://…) rather than a file path: resolved when the tier opens. */
const isModelUri = (model: string) => /^[a-z][a-z0-9+.-]*:/i.test(model) && !/^[a-z]:[\\/]/i.test(model);

function Field({ label, value, onChange, hint }: { label: string; value: string; onChange(v: string): void; hint?: string }) {
  return (
    <label className="field">
      {label}
      <input type="text" value={value} onChange={(e) => onChange(e.target.value)} spellCheck={false} />
      {hint && <span className="hint">{hint}</span>}
    </label>
  );
}

function megabytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${count(bytes / 1024)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The GGUF file's readiness as the engine sees it, re-read a moment after the path stops changing. */
function ModelFileStatus({ tier, path }: { tier: string; path: string }) {
  const inspect = useApp((s) => s.inspectModelFile);
  const [info, setInfo] = useState<ModelFileInfo | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const trimmed = path.trim();
  const uri = isModelUri(trimmed);
  useEffect(() => {
    if (trimmed === '' || uri) return;
    let current = true;
    const timer = setTimeout(() => {
      inspect(trimmed).then(
        (i) => current && (setInfo(i), setFailed(null)),
        (err: unknown) => current && (setInfo(null), setFailed(describeError(err))),
      );
    }, 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [inspect, trimmed, uri]);
  const testId = `model-file-${tier}`;
  if (trimmed === '') return <p className="error" data-testid={testId}>Choose a GGUF file.</p>;
  if (uri) return <p className="hint" data-testid={testId}>A model URI: node-llama-cpp resolves (and may download) it when the tier opens.</p>;
  if (failed) return <p className="error" data-testid={testId}>Could not check the file: {failed}</p>;
  if (!info) return <p className="muted" role="status" data-testid={testId}>Checking the file…</p>;
  if (info.problem) return <p className="error" data-testid={testId}>✗ {info.problem}</p>;
  const h = info.header!;
  return (
    <p className="ok" data-testid={testId} title={info.path}>
      ✓ file found · {megabytes(info.sizeBytes ?? 0)} · GGUF header reads ({h.architecture ?? 'unknown architecture'}{h.name && h.name !== h.architecture ? `, ${h.name}` : ''}, {h.tensors} tensors)
    </p>
  );
}

/** Browse… in the desktop shell (Electron's dialog); browser mode types the path on the engine's machine. */
function ModelFileField({ draft, onChange }: { draft: Draft & { kind: 'local' }; onChange(model: string): void }) {
  const pick = nativeModelFilePicker();
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <div className="field model-file">
      <label className="field">
        GGUF file {pick ? '' : '(a path on the engine\u2019s machine, or an hf: URI)'}
        <input type="text" value={draft.model} onChange={(e) => onChange(e.target.value)} spellCheck={false} />
      </label>
      {pick && (
        <button
          type="button" className="btn"
          onClick={() => pick().then((p) => p !== null && onChange(p), (err: unknown) => setProblem(describeError(err)))}
        >
          Browse…
        </button>
      )}
      {problem && <p className="error">{problem}</p>}
      <ModelFileStatus tier={draft.name} path={draft.model} />
    </div>
  );
}

/** The run-log models a tier answers for, picked from the workspace's models; a model another tier has is marked. */
function StandsForPicker({ draft, others, models, onChange }: { draft: Draft; others: readonly Draft[]; models: readonly string[]; onChange(standsFor: string[]): void }) {
  const owner = (m: string) => others.find((o) => o.name === m || o.standsFor.includes(m))?.name;
  const size = Math.min(6, Math.max(2, models.length));
  return (
    <label className="field">
      Stands for (run-log models)
      <select
        multiple size={size} value={draft.standsFor}
        onChange={(e) => onChange([...e.target.selectedOptions].map((o) => o.value))}
        aria-describedby={`stands-hint-${draft.name}`}
      >
        {/* A tier always answers for the model of its own name: nothing to pick. */}
        {models.filter((m) => m !== draft.name).map((m) => {
          const taken = owner(m);
          return <option key={m} value={m} disabled={taken !== undefined && !draft.standsFor.includes(m)}>{taken ? `${m} (tier ${taken})` : m}</option>;
        })}
      </select>
      <span className="hint" id={`stands-hint-${draft.name}`}>
        {draft.standsFor.length ? `answers for ${draft.standsFor.join(', ')}` : models.includes(draft.name) ? `answers for ${draft.name} (its own name)` : 'none: only a model named like the tier'}; Ctrl-click picks several
      </span>
    </label>
  );
}

function TierFields({ draft, others, models, onChange }: { draft: Draft; others: readonly Draft[]; models: readonly string[]; onChange(d: Draft): void }) {
  const set = (key: string) => (v: string) => onChange({ ...draft, [key]: v } as Draft);
  const stands = <StandsForPicker draft={draft} others={others} models={models} onChange={(standsFor) => onChange({ ...draft, standsFor })} />;
  return draft.kind === 'local' ? (
    <div className="row">
      <Field label="Name" value={draft.name} onChange={set('name')} />
      <ModelFileField draft={draft} onChange={set('model')} />
      {stands}
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
      {stands}
      <Field label="API key environment variable" value={draft.apiKeyEnv} onChange={set('apiKeyEnv')} hint="its name, never the key" />
      <Field label="USD / Mtok in" value={draft.usdPerMtokIn} onChange={set('usdPerMtokIn')} />
      <Field label="USD / Mtok out" value={draft.usdPerMtokOut} onChange={set('usdPerMtokOut')} />
    </div>
  );
}

/** Edits the live pool (cheapest tier first: the order is the escalation ladder); the engine saves it with the workspace. */
export function PoolEditor({ pool, status, models }: { pool: PoolFile | null; status: readonly TierStatus[]; models: readonly string[] }) {
  const setPool = useApp((s) => s.setPool);
  const inspect = useApp((s) => s.inspectModelFile);
  const busy = useApp((s) => s.workspaceBusy);
  const hardware = useApp((s) => s.hardware);
  const fits = hardware?.tiers;
  const [drafts, setDrafts] = useState<Draft[]>(() => pool?.tiers.map(toDraft) ?? []);
  const [problem, setProblem] = useState<string | null>(null);

  async function save() {
    let parsed: PoolFile;
    try {
      parsed = parsePoolFile({ version: 1, tiers: drafts.map(fromDraft) }, 'pool');
      // A GGUF path is checked before it is saved: a missing or foreign file is named now, not when a prompt runs.
      for (const t of parsed.tiers) {
        if (t.kind !== 'local' || isModelUri(t.model)) continue;
        const info = await inspect(t.model);
        if (info.problem) throw new Error(`tier "${t.name}": ${info.problem}`);
      }
    } catch (err) {
      setProblem(describeError(err));
      return;
    }
    setProblem(null);
    await setPool(parsed);
  }
  const move = (i: number, by: number) => setDrafts((ds) => {
    const next = [...ds];
    [next[i], next[i + by]] = [next[i + by], next[i]];
    return next;
  });

  return (
    <div>
      {hardware && <p className="hint" data-testid="pool-backend">Local tiers run on {backendSummary(hardware.backend)}.</p>}
      {drafts.length === 0 && <p className="muted">No live tiers yet. The run log&apos;s models are used for tuning; live runs, the live cascade and compare need tiers here.</p>}
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
                <TierFields draft={d} others={drafts.filter((_, j) => j !== i)} models={models} onChange={(nd) => setDrafts((ds) => ds.map((x, j) => (j === i ? nd : x)))} />
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
        <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void save()}>Save pool</button>
        <span className="hint">Saved with the workspace: it is there again at the next launch.</span>
      </div>
      {problem && <p className="error" role="alert">{problem}</p>}
    </div>
  );
}
