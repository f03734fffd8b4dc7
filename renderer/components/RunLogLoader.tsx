import { useState } from 'react';
import type { ColumnMap, WorkspaceSource } from '../../core/app-api.js';
import { useApp } from '../store/index.js';

const COLUMNS: readonly { key: keyof ColumnMap; label: string; required?: boolean }[] = [
  { key: 'qid', label: 'Query id', required: true },
  { key: 'model', label: 'Model', required: true },
  { key: 'correct', label: 'Correct (0/1)', required: true },
  { key: 'prompt', label: 'Prompt' },
  { key: 'task', label: 'Task' },
  { key: 'response', label: 'Response' },
  { key: 'output_tokens', label: 'Output tokens' },
  { key: 'cost_usd', label: 'Cost (USD)' },
];

/** Loads a run log: a listed data set, a path on the engine's machine, or a CSV/JSONL file with a column map. */
export function RunLogLoader() {
  const dataSets = useApp((s) => s.dataSets);
  const load = useApp((s) => s.loadWorkspace);
  const busy = useApp((s) => s.workspaceBusy || s.tuning);
  const [dataSet, setDataSet] = useState('');
  const [path, setPath] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [useMap, setUseMap] = useState(false);
  const [map, setMap] = useState<Record<string, string>>({ qid: 'qid', model: 'model', correct: 'correct', prompt: 'prompt', task: 'task' });

  const columnMap = (): ColumnMap | undefined => {
    if (!useMap) return undefined;
    const entries = Object.entries(map).filter(([, v]) => v.trim() !== '');
    return Object.fromEntries(entries.map(([k, v]) => [k, v.trim()])) as ColumnMap;
  };
  async function loadFile() {
    if (!file) return;
    const format = file.name.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl';
    const source: WorkspaceSource = { kind: 'upload', fileName: file.name, format, text: await file.text(), ...(columnMap() && { columnMap: columnMap() }) };
    await load(source);
  }

  return (
    <div className="row">
      <div className="grow">
        <label className="field">
          Data set
          <select value={dataSet} onChange={(e) => setDataSet(e.target.value)} data-testid="dataset-select">
            <option value="">Choose…</option>
            {dataSets.map((d) => (
              <option key={d.id} value={d.id}>{d.simulated ? `SIMULATED — ${d.label}` : d.label}</option>
            ))}
          </select>
        </label>
        <button type="button" className="btn btn-primary" disabled={!dataSet || busy} onClick={() => void load({ kind: 'dataset', id: dataSet })}>Load data set</button>
      </div>
      <div className="grow">
        <label className="field">
          Folder or CSV/JSONL path (on the engine's machine)
          <input type="text" value={path} onChange={(e) => setPath(e.target.value)} placeholder="../shared/data/zeroeval-gsm8k-crux" spellCheck={false} />
        </label>
        <button type="button" className="btn" disabled={!path.trim() || busy} onClick={() => void load({ kind: 'path', path: path.trim(), ...(columnMap() && { columnMap: columnMap() }) })}>Load path</button>
      </div>
      <div className="grow">
        <label className="field">
          CSV or JSONL file
          <input type="file" accept=".csv,.jsonl,.json" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <button type="button" className="btn" disabled={!file || busy} onClick={() => void loadFile()}>Load file</button>
      </div>
      <fieldset className="grow">
        <legend>
          <label className="inline">
            <input type="checkbox" checked={useMap} onChange={(e) => setUseMap(e.target.checked)} /> Column map (CSV/JSONL: one row per query × model)
          </label>
        </legend>
        {useMap && (
          <div className="row">
            {COLUMNS.map((c) => (
              <label key={c.key} className="field">
                {c.label}{c.required ? ' *' : ''}
                <input type="text" value={map[c.key] ?? ''} onChange={(e) => setMap({ ...map, [c.key]: e.target.value })} spellCheck={false} />
              </label>
            ))}
          </div>
        )}
      </fieldset>
    </div>
  );
}
