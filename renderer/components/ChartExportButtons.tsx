import { useState, type RefObject } from 'react';
import { downloadText, downloadUrl, svgText, svgToPng } from '../download.js';

interface ChartExportButtonsProps {
  svgRef: RefObject<SVGSVGElement | null>;
  baseName: string;
  /** The figure's data as CSV (with its provenance lines), for a third button. */
  csv?: () => string;
  /** Names the buttons' figure for assistive technology when a view has several. */
  what?: string;
}

export function ChartExportButtons({ svgRef, baseName, csv, what = 'chart' }: ChartExportButtonsProps) {
  const [error, setError] = useState<string | null>(null);
  async function exportAs(format: 'svg' | 'png' | 'csv') {
    setError(null);
    try {
      if (format === 'csv') {
        if (csv) downloadText(`${baseName}.csv`, 'text/csv', csv());
        return;
      }
      const svg = svgRef.current;
      if (!svg) return;
      if (format === 'svg') downloadText(`${baseName}.svg`, 'image/svg+xml', svgText(svg));
      else downloadUrl(`${baseName}.png`, await svgToPng(svg));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <div className="row">
      <button type="button" className="btn" onClick={() => void exportAs('svg')}>Export {what} as SVG</button>
      <button type="button" className="btn" onClick={() => void exportAs('png')}>Export {what} as PNG</button>
      {csv && <button type="button" className="btn" onClick={() => void exportAs('csv')}>Export {what} data as CSV</button>}
      {error && <span className="error" role="alert">{error}</span>}
    </div>
  );
}
