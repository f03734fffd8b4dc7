/** Saves text or a data URL as a file through the browser's download (the same in Electron). */
export function downloadUrl(fileName: string, url: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
}

export function downloadText(fileName: string, mediaType: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mediaType }));
  downloadUrl(fileName, url);
  // The click has started the download; the URL is no longer needed once it has been read.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A standalone SVG document of an on-page chart. */
export function svgText(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}`;
}

/** Rasterises an on-page SVG at 2× as a PNG data URL (through a data: image, which the page's CSP allows). */
export async function svgToPng(svg: SVGSVGElement): Promise<string> {
  const width = svg.width.baseVal.value;
  const height = svg.height.baseVal.value;
  const image = new Image();
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgText(svg))}`;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = width * 2;
  canvas.height = height * 2;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser cannot draw to a canvas');
  ctx.scale(2, 2);
  ctx.drawImage(image, 0, 0, width, height);
  return canvas.toDataURL('image/png');
}
