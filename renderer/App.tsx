import { lazy, Suspense, useEffect } from 'react';
import { backendSummary } from '../core/hardware.js';
import { Tabs } from './components/Tabs.js';
import { useApp } from './store/index.js';
import type { ViewId } from './store/ui.js';
import { BudgetView } from './views/BudgetView.js';
import { ExportView } from './views/ExportView.js';
import { RoutingView } from './views/RoutingView.js';
import { RunsView } from './views/RunsView.js';
import { TracesView } from './views/TracesView.js';
import { WorkspaceView } from './views/WorkspaceView.js';

// The recharts views load on first use, so the first page parses a smaller bundle.
const ClusterMapView = lazy(() => import('./views/ClusterMapView.js').then((m) => ({ default: m.ClusterMapView })));
const QeView = lazy(() => import('./views/QeView.js').then((m) => ({ default: m.QeView })));
const LiveView = lazy(() => import('./views/LiveView.js').then((m) => ({ default: m.LiveView })));
const CompareView = lazy(() => import('./views/CompareView.js').then((m) => ({ default: m.CompareView })));

const TABS: readonly { id: ViewId; label: string; render: () => React.JSX.Element }[] = [
  { id: 'workspace', label: 'Workspace', render: () => <WorkspaceView /> },
  { id: 'clusters', label: 'Cluster map', render: () => <ClusterMapView /> },
  { id: 'routing', label: 'Routing table', render: () => <RoutingView /> },
  { id: 'budget', label: 'Budget', render: () => <BudgetView /> },
  { id: 'traces', label: 'Query traces', render: () => <TracesView /> },
  { id: 'qe', label: 'QE', render: () => <QeView /> },
  { id: 'live', label: 'Live', render: () => <LiveView /> },
  { id: 'compare', label: 'Compare', render: () => <CompareView /> },
  { id: 'runs', label: 'Runs', render: () => <RunsView /> },
  { id: 'export', label: 'Export / import', render: () => <ExportView /> },
];

function ThemeToggle() {
  const theme = useApp((s) => s.theme);
  const setTheme = useApp((s) => s.setTheme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return (
    <button type="button" className="btn" aria-pressed={theme === 'dark'} onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}>
      {theme === 'dark' ? '☀ Light theme' : '☾ Dark theme'}
    </button>
  );
}

function WorkspaceBadge() {
  const label = useApp((s) => s.workspace?.label);
  const simulated = useApp((s) => s.workspace?.simulated ?? false);
  const busy = useApp((s) => s.workspaceBusy || s.tuning);
  return (
    <span className="row" data-testid="workspace-badge">
      {label ? <span>Workspace: <strong>{label}</strong></span> : <span className="muted">No workspace</span>}
      {simulated && (
        <span className="badge badge-simulated" title="Made-up data from the seeded simulated pool, for offline demos">
          SIMULATED
        </span>
      )}
      {busy && <span role="status" className="muted">Working…</span>}
    </span>
  );
}

/** The backend local tiers run on, always in sight: a TPOT means little without it. */
function BackendBadge() {
  const hardware = useApp((s) => s.hardware);
  const error = useApp((s) => s.hardwareError);
  if (error) return <span className="error" data-testid="backend-badge" title={error}>Backend unknown</span>;
  if (!hardware) return <span className="muted" role="status" data-testid="backend-badge">Backend: checking…</span>;
  const { backend } = hardware;
  const summary = backendSummary(backend);
  return (
    <span className="row" data-testid="backend-badge">
      <span className={backend.backend === 'cpu' ? 'badge badge-cpu' : 'badge badge-gpu'} title={summary}>
        {backend.backend === 'cpu' ? 'CPU only' : `GPU: ${backend.backend}`}
      </span>
      <span className="muted backend-detail" title={summary}>{summary}</span>
      {hardware.loadWarning && <span className="error" role="note" title={hardware.loadWarning}>⚠ machine loaded</span>}
    </span>
  );
}

/** Instead of a raw "Failed to fetch" in some view: the engine is not answering, and a way back. */
function EngineBanner() {
  const engine = useApp((s) => s.engine);
  const reconnect = useApp((s) => s.reconnectEngine);
  if (engine.connected) return null;
  return (
    <div className="engine-banner" role="alert" data-testid="engine-banner">
      <strong>Engine disconnected.</strong> <span>{engine.message}</span>
      <button type="button" className="btn" onClick={() => void reconnect()}>Reconnect</button>
    </div>
  );
}

export function App() {
  const view = useApp((s) => s.view);
  const setView = useApp((s) => s.setView);
  const tab = TABS.find((t) => t.id === view) ?? TABS[0];
  return (
    <div className="app">
      <header className="app-header">
        <h1>Cascade Lab</h1>
        <WorkspaceBadge />
        <BackendBadge />
        <span className="spacer" />
        <ThemeToggle />
      </header>
      <EngineBanner />
      <nav aria-label="Views">
        <Tabs label="Views" items={TABS} selected={view} onSelect={setView} />
      </nav>
      <main id={`panel-${tab.id}`} role="tabpanel" aria-labelledby={`tab-${tab.id}`} tabIndex={-1}>
        <Suspense fallback={<p className="view muted" role="status">Loading view…</p>}>{tab.render()}</Suspense>
      </main>
    </div>
  );
}
