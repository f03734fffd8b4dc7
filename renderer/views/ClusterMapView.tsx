import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { NotTuned } from '../components/NotTuned.js';
import { CartesianGrid, ErrorBar, Legend as ChartLegend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ClusterMap, TraceRow } from '../../core/app-api.js';
import { traceSummary } from '../../core/cascade/explain.js';
import { Legend } from '../charts/Legend.js';
import { seriesStyle } from '../charts/palette.js';
import { ScatterCanvas, type ScatterData } from '../charts/ScatterCanvas.js';
import { useApp } from '../store/index.js';
import type { ColourBy, Projection } from '../store/cluster-map.js';
import { count } from '../format.js';

const K_CHOICES = [2, 3, 4, 5, 6, 8, 10, 12, 16, 20];

interface Series {
  data: ScatterData;
  labels: string[];
  /** Queries per series: train, test. */
  counts: { train: number; test: number }[];
}

/** A served plan as the models it may call, in order. */
const planName = (models: readonly string[]) => models.join(' → ');

/** Points grouped into series by cluster or by the plan their cluster is served at the current budget. */
function toSeries(map: ClusterMap, colourBy: ColourBy, plans: readonly (readonly string[])[] | undefined): Series {
  const n = map.points.length;
  const labels: string[] = [];
  const index = new Map<string, number>();
  const series = new Uint16Array(n);
  const keyOf = (p: ClusterMap['points'][number]) =>
    colourBy === 'cluster' ? `cluster ${p.cluster}` : planName(plans?.[p.cluster] ?? [p.routedModel]);
  if (colourBy === 'cluster') for (let c = 0; c < map.k; c++) (index.set(`cluster ${c}`, c), labels.push(`cluster ${c}`));
  map.points.forEach((p, i) => {
    const key = keyOf(p);
    let s = index.get(key);
    if (s === undefined) {
      s = labels.length;
      index.set(key, s);
      labels.push(key);
    }
    series[i] = s;
  });
  const counts = labels.map(() => ({ train: 0, test: 0 }));
  map.points.forEach((p, i) => counts[series[i]][p.split]++);
  return {
    data: { xs: Float32Array.from(map.points, (p) => p.x), ys: Float32Array.from(map.points, (p) => p.y), series },
    labels,
    counts,
  };
}

function SilhouetteCurve({ map, chosenK }: { map: ClusterMap; chosenK: number }) {
  const dark = useApp((s) => s.theme === 'dark');
  const sil = seriesStyle(0, dark);
  const held = seriesStyle(1, dark);
  // ±1.96 standard errors across the CV folds: recharts draws an error bar from a symmetric half-width.
  const data = useMemo(() => map.kCurve.map((p) => ({ ...p, heldOutErrorBar: p.heldOutErrorSe === null ? null : 1.96 * p.heldOutErrorSe })), [map]);
  const ticks = useMemo(() => map.kCurve.map((p) => p.k), [map]);
  return (
    <figure className="grow" aria-label="Silhouette and held-out routing error against k">
      <ResponsiveContainer width="100%" height={300}>
        <LineChart data={data} margin={{ top: 16, right: 24, bottom: 24, left: 16 }}>
          <CartesianGrid stroke="var(--grid)" />
          <XAxis dataKey="k" type="number" domain={['dataMin', 'dataMax']} ticks={ticks} interval={0} allowDecimals={false} stroke="var(--muted)" label={{ value: 'k (number of clusters)', position: 'bottom', offset: 4, fill: 'var(--text)' }} />
          <YAxis yAxisId="sil" stroke="var(--muted)" width={64} label={{ value: 'silhouette (−1 … 1)', angle: -90, position: 'insideLeft', offset: 4, fill: 'var(--text)', fontSize: 12 }} />
          <YAxis yAxisId="err" orientation="right" stroke="var(--muted)" width={64} label={{ value: 'held-out error (1 − AIQ)', angle: 90, position: 'insideRight', offset: 4, fill: 'var(--text)', fontSize: 12 }} />
          <Tooltip contentStyle={{ background: 'var(--panel)', borderColor: 'var(--border)' }} />
          <ChartLegend verticalAlign="top" height={28} />
          <ReferenceLine yAxisId="sil" x={chosenK} stroke="var(--text)" strokeDasharray="4 2" label={{ value: `chosen k = ${chosenK}`, fill: 'var(--text)', position: 'insideTopRight' }} />
          <Line yAxisId="sil" dataKey="silhouette" name="silhouette (one fold's fit)" stroke={sil.color} strokeWidth={2} dot={{ r: 4 }} isAnimationActive={false} connectNulls />
          <Line yAxisId="err" dataKey="heldOutError" name="held-out routing error, ±1.96 SE across CV folds" stroke={held.color} strokeDasharray={held.dash} strokeWidth={2} dot={{ r: 4, strokeWidth: 2 }} isAnimationActive={false} connectNulls>
            <ErrorBar dataKey="heldOutErrorBar" width={6} strokeWidth={1.5} stroke={held.color} direction="y" />
          </Line>
        </LineChart>
      </ResponsiveContainer>
      <figcaption className="hint">Silhouette picks well-separated clusters; held-out routing error (cross-validation within train) picks the k that routes best, and chose k = {chosenK}. Error bars: ±1.96 standard errors of the mean across the CV folds.</figcaption>
    </figure>
  );
}

/** The hovered query's trace row (the same decision line as the traces list), fetched once per query and served region. */
function useHoverDecision(): { rows: ReadonlyMap<string, TraceRow>; hover(qid: string | null): void } {
  const table = useApp((s) => s.routingTable);
  const getTrace = useApp((s) => s.fetchTraceRow);
  const [rows, setRows] = useState<ReadonlyMap<string, TraceRow>>(new Map());
  const pending = useRef(new Set<string>());
  // A new routing table means a new served region: the decisions change with it.
  useEffect(() => {
    setRows(new Map());
    pending.current.clear();
  }, [table]);
  const hover = useCallback(
    (qid: string | null) => {
      if (qid === null || rows.has(qid) || pending.current.has(qid)) return;
      pending.current.add(qid);
      void getTrace(qid).then((row) => {
        if (row) setRows((m) => new Map(m).set(qid, row));
      });
    },
    [rows, getTrace],
  );
  return { rows, hover };
}

export function ClusterMapView() {
  const map = useApp((s) => s.clusterMap);
  const colourBy = useApp((s) => s.colourBy);
  const projection = useApp((s) => s.projection);
  const loading = useApp((s) => s.clusterMapLoading);
  const error = useApp((s) => s.clusterMapError);
  const plans = useApp((s) => s.budget?.regions[s.region]?.planModels);
  const dark = useApp((s) => s.theme === 'dark');
  const requestedK = useApp((s) => s.requestedK);
  const tuning = useApp((s) => s.tuning);
  const setColourBy = useApp((s) => s.setColourBy);
  const loadClusterMap = useApp((s) => s.loadClusterMap);
  const runTune = useApp((s) => s.runTune);
  const openTrace = useApp((s) => s.openTrace);

  const series = useMemo(() => (map ? toSeries(map, colourBy, plans) : null), [map, colourBy, plans]);
  const styles = useMemo(() => (series ? series.labels.map((_, i) => seriesStyle(i, dark)) : []), [series, dark]);
  const decisions = useHoverDecision();
  const hoverQuery = decisions.hover;
  const onHover = useCallback((i: number) => hoverQuery(i >= 0 && map ? map.points[i].qid : null), [hoverQuery, map]);
  const describe = useCallback(
    (i: number) => {
      const p = map!.points[i];
      const row = decisions.rows.get(p.qid);
      // Until the trace row arrives, the plan the cluster is served; then the decision in the traces' own words.
      const decision = row ? traceSummary(row) : `plan ${planName(plans?.[p.cluster] ?? [p.routedModel])} (deciding…)`;
      return `${p.qid} · cluster ${p.cluster} · ${p.task} · ${p.split} query\n${decision}\n${p.text}`;
    },
    [map, plans, decisions.rows],
  );
  const open = useCallback((i: number) => void openTrace(map!.points[i].qid), [map, openTrace]);

  return (
    <div className="view">
      <section className="panel" aria-labelledby="map-title">
        <h2 id="map-title">Cluster map</h2>
        <div className="row">
          <label className="inline">
            Projection
            <select value={projection} onChange={(e) => void loadClusterMap(e.target.value as Projection)} disabled={loading}>
              <option value="lda">LDA (separates the clusters)</option>
              <option value="pca">PCA (largest variance)</option>
              <option value="umap">UMAP (local neighbourhoods)</option>
            </select>
          </label>
          <fieldset className="inline">
            <legend className="visually-hidden">Colour points by</legend>
            {(['cluster', 'plan'] as const).map((c) => (
              <label key={c} className="inline">
                <input type="radio" name="colour-by" value={c} checked={colourBy === c} onChange={() => setColourBy(c)} />
                {c === 'cluster' ? 'Colour by cluster' : 'Colour by served plan'}
              </label>
            ))}
          </fieldset>
          <label className="inline">
            Clusters (k)
            <select aria-label="Number of clusters k" value={String(requestedK)} disabled={tuning} onChange={(e) => void runTune(e.target.value === 'auto' ? 'auto' : Number(e.target.value))}>
              <option value="auto">auto{map && requestedK === 'auto' ? ` (${map.k})` : ''}</option>
              {K_CHOICES.map((k) => (
                <option key={k} value={k}>{k}</option>
              ))}
            </select>
          </label>
          {(loading || tuning) && <span className="muted" role="status">{tuning ? 'Re-tuning…' : 'Projecting…'}</span>}
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        {map && series ? (
          <>
            <p className="hint">{count(map.points.length)} queries (train and test), {map.k} clusters, {map.projection.toUpperCase()} projection. Hover a point to read its query and how the served plan decides it; click it to open its trace.</p>
            <figure className="map-figure" aria-label={`Cluster map: x is ${map.axes[0].name}, y is ${map.axes[1].name}`}>
              <div className="map-y-title" aria-hidden="true">{map.axes[1].name} →</div>
              <ScatterCanvas data={series.data} styles={styles} height={560} label={`Cluster map of ${map.points.length} queries`} describe={describe} onOpen={open} onHover={onHover} />
              <div className="map-x-title" aria-hidden="true">{map.axes[0].name} →</div>
              <figcaption className="hint" data-testid="map-axes">
                <strong>x, {map.axes[0].name}:</strong> {map.axes[0].meaning}. <strong>y, {map.axes[1].name}:</strong> {map.axes[1].meaning}.
              </figcaption>
            </figure>
            <Legend
              label={colourBy === 'cluster' ? 'Clusters (queries: train / test / all)' : 'Served plans (queries: train / test / all)'}
              items={series.labels.map((l, i) => ({ label: `${l} (${series.counts[i].train} train / ${series.counts[i].test} test / ${series.counts[i].train + series.counts[i].test} all)`, style: styles[i] }))}
            />
          </>
        ) : (
          !error && (loading ? <p className="muted" role="status">Projecting the queries…</p> : <NotTuned what="cluster map" />)
        )}
      </section>
      {map && map.kCurve.length > 0 && (
        <section className="panel" aria-labelledby="k-title">
          <h2 id="k-title">Choosing k</h2>
          <div className="row">
            <SilhouetteCurve map={map} chosenK={map.k} />
          </div>
        </section>
      )}
    </div>
  );
}
