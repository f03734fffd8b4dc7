import { useState } from 'react';
import { downloadText } from '../download.js';
import { useApp } from '../store/index.js';
import { FrontierFigure } from './BudgetView.js';

function ExportButtons() {
  const exportFile = useApp((s) => s.exportFile);
  const tuned = useApp((s) => s.tune !== null);
  async function save(what: 'config' | 'json' | 'csv') {
    const file = await exportFile(what);
    if (file) downloadText(file.fileName, file.mediaType, file.text);
  }
  return (
    <div className="row">
      <button type="button" className="btn btn-primary" disabled={!tuned} onClick={() => void save('config')}>Export tuned config (JSON)</button>
      <button type="button" className="btn" disabled={!tuned} onClick={() => void save('json')}>Export report (JSON)</button>
      <button type="button" className="btn" disabled={!tuned} onClick={() => void save('csv')}>Export report (CSV)</button>
    </div>
  );
}

function ImportForm() {
  const importConfig = useApp((s) => s.importConfig);
  const [file, setFile] = useState<File | null>(null);
  return (
    <form
      className="row"
      onSubmit={async (e) => {
        e.preventDefault();
        if (file) await importConfig(await file.text(), file.name);
      }}
    >
      <label className="field">
        Tuned config file
        <input type="file" accept=".json,application/json" onChange={(e) => setFile(e.target.files?.[0] ?? null)} data-testid="import-file" />
      </label>
      <button type="submit" className="btn" disabled={!file}>Import and make current</button>
    </form>
  );
}

/** Starts and stops the OpenAI-compatible endpoint; beyond loopback the engine insists on a token. */
function ServePanel() {
  const serve = useApp((s) => s.serve);
  const error = useApp((s) => s.serveError);
  const tuned = useApp((s) => s.tune !== null);
  const startServe = useApp((s) => s.startServe);
  const stopServe = useApp((s) => s.stopServe);
  const [host, setHost] = useState('127.0.0.1');
  const [port, setPort] = useState('8080');
  const [token, setToken] = useState('');
  return (
    <section className="panel" aria-labelledby="serve-title">
      <h2 id="serve-title">Serve</h2>
      <p className="hint">Serves the current tuned config as an OpenAI-compatible endpoint over the live pool. An address beyond 127.0.0.1 needs a token (16 characters or more), which every client then sends as <code>Authorization: Bearer …</code>.</p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void startServe({ host, port: Number(port), ...(token !== '' && { token }) });
        }}
      >
        <label className="field">Address<input value={host} onChange={(e) => setHost(e.target.value)} data-testid="serve-host" /></label>
        <label className="field">Port<input type="number" min={0} max={65535} value={port} onChange={(e) => setPort(e.target.value)} data-testid="serve-port" /></label>
        <label className="field">Token<input type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} data-testid="serve-token" /></label>
        <button type="submit" className="btn btn-primary" disabled={!tuned}>{serve.running ? 'Restart' : 'Start serving'}</button>
        <button type="button" className="btn" disabled={!serve.running} onClick={() => void stopServe()}>Stop</button>
      </form>
      <div aria-live="polite">
        {serve.running && <p className="ok" data-testid="serve-status">Serving at {serve.url}/v1 (models: {serve.models.join(', ')})</p>}
        {error && <p className="error" role="alert" data-testid="serve-error">{error}</p>}
      </div>
    </section>
  );
}

export function ExportView() {
  const message = useApp((s) => s.transferMessage);
  const error = useApp((s) => s.transferError);
  const tuned = useApp((s) => s.budget !== null && s.tune !== null);
  return (
    <div className="view">
      <section className="panel" aria-labelledby="export-title">
        <h2 id="export-title">Export</h2>
        <p className="hint">The tuned config is what `cascade-lab eval --config` and the serving endpoint read; the report holds every test-split figure.</p>
        <ExportButtons />
      </section>
      <section className="panel" aria-labelledby="import-title">
        <h2 id="import-title">Import a tuned config</h2>
        <p className="hint">The file is checked against the tuned-config schema; a mismatch names the field at fault.</p>
        <ImportForm />
      </section>
      <ServePanel />
      <div aria-live="polite">
        {message && <p className="ok" data-testid="transfer-message">{message}</p>}
        {error && <p className="error" role="alert" data-testid="transfer-error">{error}</p>}
      </div>
      {tuned && (
        <section className="panel" aria-labelledby="export-chart-title">
          <h2 id="export-chart-title">Frontier chart</h2>
          <FrontierFigure />
        </section>
      )}
    </div>
  );
}
