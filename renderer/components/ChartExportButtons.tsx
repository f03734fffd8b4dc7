import { useState, type RefObject } from 'react';
import { downloadText, downloadUrl, svgText, svgToPng } from '../download.js';

interface ChartExportButtonsProps {
  svgRef: RefObject<SVGSVGElement | null>;
  baseName: string;
}

export function ChartExportButtons({ svgRef, baseName }: ChartExportButtonsProps) {
  const [error, setError] = useState<string | null>(null);
  async function exportAs(format: 'svg' | 'png') {
    const svg = svgRef.current;
    if (!svg) return;
    setError(null);
    try {
      if (format === 'svg') downloadText(`${baseName}.svg`, 'image/svg+xml', svgText(svg));
      else downloadUrl(`${baseName}.png`, await svgToPng(svg));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <div className="row">
      <button type="button" className="btn" onClick={() => void exportAs('svg')}>Export chart as SVG</button>
      <button type="button" className="btn" onClick={() => void exportAs('png')}>Export chart as PNG</button>
      {error && <span className="error" role="alert">{error}</span>}
    </div>
  );
}
