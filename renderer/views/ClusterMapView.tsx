import { useCallback, useMemo } from 'react';
import { NotTuned } from '../components/NotTuned.js';
import { CartesianGrid, Legend as ChartLegend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ClusterMap } from '../../core/app-api.js';
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
  counts: number[];
}

/** Points grouped into series by cluster or by the model their cluster routes to at the current budget. */
function toSeries(map: ClusterMap, colourBy: ColourBy, routing: readonly string[] | undefined): Series {
  const n = map.points.length;
  const labels: string[] = [];
  const index = new Map<string, number>();
  const series = new Uint16Array(n);
  const keyOf = (p: ClusterMap['points'][number]) =>
    colourBy === 'cluster' ? `cluster ${p.cluster}` : (routing?.[p.cluster] ?? p.routedModel);
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
  const counts = labels.map(() => 0);
  for (const s of series) counts[s]++;
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
  return (
    <figure className="grow" aria-label="Silhouette and held-out routing error against k">
      <ResponsiveContainer width="100%" height={250}>
        <LineChart data={map.kCurve} margin={{ top: 8, right: 24, bottom: 8, left: 8 }}>
          <CartesianGrid stroke="var(--grid)" />
          <XAxis dataKey="k" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} stroke="var(--muted)" label={{ value: 'k (clusters)', position: 'insideBottomRight', offset: -4, fill: 'var(--muted)' }} />
          <YAxis yAxisId="sil" stroke="var(--muted)" width={56} label={{ value: 'silhouette', angle: -90, position: 'insideLeft', fill: 'var(--muted)' }} />
          <YAxis yAxisId="err" orientation="right" stroke="var(--muted)" width={56} label={{ value: 'held-out error', angle: 90, position: 'insideRight', fill: 'var(--muted)' }} />
          <Tooltip contentStyle={{ background: 'var(--panel)', borderColor: 'var(--border)' }} />
          <ChartLegend verticalAlign="bottom" height={24} />
          <ReferenceLine yAxisId="sil" x={chosenK} stroke="var(--text)" strokeDasharray="4 2" label={{ value: `chosen k = ${chosenK}`, fill: 'var(--text)', position: 'insideTopRight' }} />
          <Line yAxisId="sil" dataKey="silhouette" name="silhouette" stroke={sil.color} strokeWidth={2} dot={{ r: 4 }} isAnimationActive={false} connectNulls />
          <Line yAxisId="err" dataKey="heldOutError" name="held-out routing error" stroke={held.color} strokeDasharray={held.dash} strokeWidth={2} dot={{ r: 4, strokeWidth: 2 }} isAnimationActive={false} connectNulls />
        </LineChart>
      </ResponsiveContainer>
      <figcaption className="hint">Silhouette picks well-separated clusters; held-out routing error picks the k that routes best.</figcaption>
    </figure>
  );
}

export function ClusterMapView() {
  const map = useApp((s) => s.clusterMap);
  const colourBy = useApp((s) => s.colourBy);
  const projection = useApp((s) => s.projection);
  const loading = useApp((s) => s.clusterMapLoading);
  const error = useApp((s) => s.clusterMapError);
  const routing = useApp((s) => s.budget?.regions[s.region]?.routing);
  const dark = useApp((s) => s.theme === 'dark');
  const requestedK = useApp((s) => s.requestedK);
  const tuning = useApp((s) => s.tuning);
  const setColourBy = useApp((s) => s.setColourBy);
  const loadClusterMap = useApp((s) => s.loadClusterMap);
  const runTune = useApp((s) => s.runTune);
  const openTrace = useApp((s) => s.openTrace);

  const series = useMemo(() => (map ? toSeries(map, colourBy, routing) : null), [map, colourBy, routing]);
  const styles = useMemo(() => (series ? series.labels.map((_, i) => seriesStyle(i, dark)) : []), [series, dark]);
  const describe = useCallback(
    (i: number) => {
      const p = map!.points[i];
      return `${p.qid} · cluster ${p.cluster} · ${p.task} · ${p.split}\nroutes to ${routing?.[p.cluster] ?? p.routedModel}\n${p.text}`;
    },
    [map, routing],
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
              <option value="pca">PCA</option>
              <option value="umap">UMAP</option>
            </select>
          </label>
          <fieldset className="inline">
            <legend className="visually-hidden">Colour points by</legend>
            {(['cluster', 'model'] as const).map((c) => (
              <label key={c} className="inline">
                <input type="radio" name="colour-by" value={c} checked={colourBy === c} onChange={() => setColourBy(c)} />
                {c === 'cluster' ? 'Colour by cluster' : 'Colour by routed model'}
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
            <p className="hint">{count(map.points.length)} queries, {map.k} clusters, {map.projection.toUpperCase()} projection. Hover a point to read its query; click it to open its trace.</p>
            <ScatterCanvas data={series.data} styles={styles} height={460} label={`Cluster map of ${map.points.length} queries`} describe={describe} onOpen={open} />
            <Legend label={colourBy === 'cluster' ? 'Clusters' : 'Routed models'} items={series.labels.map((l, i) => ({ label: `${l} (${series.counts[i]})`, style: styles[i] }))} />
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
